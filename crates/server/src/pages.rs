//! A minimal home page, so a new user sees the catalogue at once. The citizens' web site
//! (templates, search, i18n) replaces it.

use crate::AppState;
use actix_web::{web, HttpResponse};
use catalogue::{actions, Actor};
use serde_json::Value;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn home(state: web::Data<AppState>) -> HttpResponse {
    let cat = state.catalogue.clone();
    let listed = web::block(move || {
        let action = actions::find("current_package_list_with_resources")
            .ok_or(catalogue::Error::NotFound(None))?;
        let mut p = catalogue::Params::new();
        p.insert("limit".into(), Value::from(50));
        let list = actions::call(&cat, &Actor::Anonymous, action, p)?;
        Ok::<_, catalogue::Error>((list, cat.config.site_title.clone()))
    })
    .await;
    let (list, title) = match listed {
        Ok(Ok(v)) => v,
        _ => return HttpResponse::InternalServerError().body("Internal Server Error"),
    };
    let mut items = String::new();
    for d in list.as_array().into_iter().flatten() {
        let name = d["name"].as_str().unwrap_or("");
        let t = d["title"].as_str().unwrap_or(name);
        let org = d["organization"]["title"].as_str().unwrap_or("");
        items.push_str(&format!(
            "<li><a href=\"/api/3/action/package_show?id={}\">{}</a> <small>{}</small></li>\n",
            escape(name),
            escape(t),
            escape(org)
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title></head><body><h1>{t}</h1><p>Dữ liệu mới cập nhật · Recently updated datasets \
         (<a href=\"/api/3/action/package_list\">CKAN API</a>)</p><ul>\n{items}</ul></body></html>",
        t = escape(&title)
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}
