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
    let pairs = decode_pairs(query)
        .map_err(|e| ApiError::BadRequest(format!("Unable to decode the query string: {e}")))?;
    let mut params = Params::new();
    add_pairs(&mut params, pairs);
    Ok(params)
}

/// `application/x-www-form-urlencoded` pairs, decoded strictly: a `%XX` sequence that is not
/// UTF-8 is refused rather than turned into U+FFFD (which would store something the client
/// never sent).
pub fn decode_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            Ok((decode_component(k)?, decode_component(v)?))
        })
        .collect()
}

fn decode_component(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    // A lone `%` stays as it is, as browsers and CKAN's parser leave it.
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("\"{s}\" is not valid UTF-8 once decoded"))
}

/// Decodes a POST body by its content type.
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<Params, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::BadRequest(
            "JSON Error: Error decoding JSON data. Error: the body is not valid UTF-8".into(),
        )
    })?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs = decode_pairs(text).map_err(|e| {
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

    #[test]
    fn forms_and_queries_decode_strictly() {
        let form = parse_body(
            "application/x-www-form-urlencoded",
            b"title=%C4%90%C3%A0+N%E1%BA%B5ng&x=50%&y",
        )
        .expect("form");
        assert_eq!(form["title"], json!("Đà Nẵng"));
        assert_eq!(form["x"], json!("50%"));
        assert_eq!(form["y"], json!(""));
        assert!(matches!(
            parse_body("application/x-www-form-urlencoded", b"title=%FF%FE"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(parse_query("q=%C3"), Err(ApiError::BadRequest(_))));
        assert_eq!(
            parse_query("q=a%2Bb+c").expect("query")["q"],
            json!("a+b c")
        );
    }
}
