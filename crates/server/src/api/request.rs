//! Turning an HTTP request into action parameters, in CKAN's order: form fields, then the
//! query string (read actions only), then a JSON object body.

use super::error::ApiError;
use catalogue::Params;
use serde_json::Value;

/// Adds `key=value` pairs; a repeated key becomes a list, as CKAN's request parsing does.
fn add_pairs(params: &mut Params, pairs: Vec<(String, String)>) {
    for (k, v) in pairs {
        match params.get_mut(&k) {
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None => {
                params.insert(k, Value::String(v));
            }
        }
    }
}

pub fn parse_query(query: &str) -> Result<Params, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::BadRequest(format!("Unable to decode the query string: {e}")))?;
    let mut params = Params::new();
    add_pairs(&mut params, pairs);
    Ok(params)
}

/// Decodes a POST body by its content type.
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<Params, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::BadRequest(
            "JSON Error: Error decoding JSON data. Error: the body is not valid UTF-8".into(),
        )
    })?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).map_err(|e| {
            ApiError::BadRequest(format!("JSON Error: Unable to decode the form: {e}"))
        })?;
        // `curl -d '{…}'` posts JSON as a form whose only field name is the JSON text.
        if let [(k, v)] = pairs.as_slice() {
            if (v.is_empty() || v == "1") && k.trim_start().starts_with('{') {
                return json_object(k);
            }
        }
        let mut params = Params::new();
        add_pairs(&mut params, pairs);
        return Ok(params);
    }
    if content_type.starts_with("multipart/form-data") {
        return Err(ApiError::BadRequest(
            "multipart requests are not supported yet: send JSON or a urlencoded form".into(),
        ));
    }
    if text.trim().is_empty() {
        return Ok(Params::new());
    }
    json_object(text)
}

fn json_object(text: &str) -> Result<Params, ApiError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(ApiError::BadRequest(format!(
            "JSON Error: Request data JSON decoded to {} but it needs to be a dictionary.",
            other
        ))),
        Err(e) => Err(ApiError::BadRequest(format!(
            "JSON Error: Error decoding JSON data. Error: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_query_keys_become_lists() {
        let p = parse_query("id=a&fq=x&fq=y").expect("parse");
        assert_eq!(p["id"], json!("a"));
        assert_eq!(p["fq"], json!(["x", "y"]));
    }

    #[test]
    fn bodies() {
        assert_eq!(
            parse_body("application/json", br#"{"id": "x"}"#).expect("json")["id"],
            json!("x")
        );
        assert!(
            matches!(parse_body("application/json", b"[1]"), Err(ApiError::BadRequest(m)) if m.contains("dictionary"))
        );
        assert!(matches!(
            parse_body("application/json", b"{nope"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_body("application/json", &[0xff, 0xfe]),
            Err(ApiError::BadRequest(_))
        ));
        assert_eq!(parse_body("application/json", b"").expect("empty").len(), 0);
        let form = parse_body("application/x-www-form-urlencoded", b"id=a%20b").expect("form");
        assert_eq!(form["id"], json!("a b"));
        let curl =
            parse_body("application/x-www-form-urlencoded", br#"{"id":"z"}="#).expect("curl -d");
        assert_eq!(curl["id"], json!("z"));
    }
}
