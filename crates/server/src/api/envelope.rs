//! CKAN's response envelope: `help`, `success`, `result` or `error`.

use super::error::{ApiError, ErrorBody};
use actix_web::HttpResponse;
use serde_json::{json, Value};

pub const JSON: &str = "application/json;charset=utf-8";

pub fn help_url(site_url: &str, action: &str) -> String {
    format!("{site_url}/api/3/action/help_show?name={action}")
}

/// Wraps a JSONP body when the request asked for one.
fn jsonp(body: String, callback: Option<&str>) -> HttpResponse {
    match callback {
        Some(cb) => HttpResponse::Ok()
            .content_type("application/javascript;charset=utf-8")
            .body(format!("{cb}({body});")),
        None => HttpResponse::Ok().content_type(JSON).body(body),
    }
}

pub fn success(
    site_url: &str,
    action: &str,
    result: Value,
    callback: Option<&str>,
) -> HttpResponse {
    let body = json!({"help": help_url(site_url, action), "success": true, "result": result});
    jsonp(body.to_string(), callback)
}

/// The success envelope around a result that is already JSON text.
pub fn success_raw(site_url: &str, action: &str, result_json: &str) -> HttpResponse {
    let help = serde_json::to_string(&help_url(site_url, action)).unwrap_or_else(|_| "\"\"".into());
    let mut body = String::with_capacity(result_json.len() + help.len() + 48);
    body.push_str("{\"help\": ");
    body.push_str(&help);
    body.push_str(", \"success\": true, \"result\": ");
    body.push_str(result_json);
    body.push('}');
    HttpResponse::Ok().content_type(JSON).body(body)
}

pub fn failure(site_url: &str, action: &str, err: &ApiError) -> HttpResponse {
    let r = err.render();
    let body = match r.body {
        ErrorBody::Bare(s) => json!(s),
        ErrorBody::Envelope(e) => {
            json!({"help": help_url(site_url, action), "error": e, "success": false})
        }
    };
    HttpResponse::build(r.status)
        .content_type(JSON)
        .body(body.to_string())
}
