//! Reading an action's parameters the way CKAN does: values may arrive as JSON types (JSON
//! body) or as strings (query string, form), and bad ones become per-field validation errors.

use crate::error::{Error, FieldErrors};
use serde_json::{Map, Value};

pub type Params = Map<String, Value>;

/// A scalar as text: strings as they are, numbers and booleans as their JSON text, null and
/// empty as absent. Lists and objects are not text.
pub fn text(p: &Params, key: &str) -> Result<Option<String>, Error> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => value_text(v).map_err(|m| FieldErrors::single(key, m)),
    }
}

pub fn value_text(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(if *b { "True" } else { "False" }.to_string())),
        Value::Array(_) | Value::Object(_) => Err("Must be a string, not a list or object".into()),
    }
}

/// The `id` parameter (or `name`), required; CKAN reports `{key: ["Missing value"]}`.
pub fn required_id(p: &Params, key: &str) -> Result<String, Error> {
    let v = text(p, key)?.or(text(p, "name")?).unwrap_or_default();
    if v.trim().is_empty() {
        return Err(FieldErrors::single(key, "Missing value"));
    }
    Ok(v.trim().to_string())
}

/// Like [`required_id`] but reads only `key`.
pub fn required(p: &Params, key: &str) -> Result<String, Error> {
    match text(p, key)? {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(FieldErrors::single(key, "Missing value")),
    }
}

/// CKAN's `asbool`.
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Null => Some(false),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" | "t" | "1" => Some(true),
            "false" | "no" | "off" | "n" | "f" | "0" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub fn boolean(p: &Params, key: &str, default: bool) -> Result<bool, Error> {
    match p.get(key) {
        None => Ok(default),
        Some(v) => parse_bool(v).ok_or_else(|| {
            FieldErrors::single(key, format!("Unsupported value for a boolean: {v}"))
        }),
    }
}

/// An integer parameter; CKAN answers `["Invalid integer", …]` for text and
/// `"Must be a natural number"` for negatives.
pub fn natural(p: &Params, key: &str, default: Option<i64>) -> Result<Option<i64>, Error> {
    let v = match p.get(key) {
        None | Some(Value::Null) => return Ok(default),
        Some(v) => v,
    };
    let n = match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) if s.trim().is_empty() => return Ok(default),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        None => {
            let mut e = FieldErrors::new();
            e.add(key, "Invalid integer");
            e.add(key, "Please enter an integer value");
            Err(Error::Validation(e))
        }
        Some(n) if n < 0 => Err(FieldErrors::single(key, "Must be a natural number")),
        Some(n) => Ok(Some(n)),
    }
}

/// A list parameter: a JSON list, or a string holding a JSON list, or one string.
pub fn list(p: &Params, key: &str) -> Result<Option<Vec<Value>>, Error> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a.clone())),
        Some(Value::String(s)) if s.trim_start().starts_with('[') => serde_json::from_str(s)
            .map(Some)
            .map_err(|_| FieldErrors::single(key, "Could not parse as valid JSON")),
        Some(v @ Value::String(_)) => Ok(Some(vec![v.clone()])),
        Some(_) => Err(FieldErrors::single(key, "Not a list")),
    }
}

/// A list of objects (`tags`, `resources`, `extras`, `groups`); anything else is CKAN's
/// "Integrity Error".
pub fn list_of_objects(p: &Params, key: &str) -> Result<Option<Vec<Map<String, Value>>>, Error> {
    let items = match p.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(Value::String(s)) if s.is_empty() => return Ok(Some(vec![])),
        Some(Value::String(s)) => {
            // Form posts carry nested lists as JSON text.
            return match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(a)) => objects(key, &a).map(Some),
                _ => Err(integrity(key)),
            };
        }
        Some(_) => return Err(integrity(key)),
    };
    objects(key, items).map(Some)
}

fn objects(key: &str, items: &[Value]) -> Result<Vec<Map<String, Value>>, Error> {
    items
        .iter()
        .map(|v| match v {
            Value::Object(m) => Ok(m.clone()),
            _ => Err(integrity(key)),
        })
        .collect()
}

fn integrity(key: &str) -> Error {
    Error::Integrity(format!(
        "Only lists of dicts can be placed against subschema ('{key}',)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(v: Value) -> Params {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn natural_numbers_follow_ckan_messages() {
        let e = natural(&p(json!({"rows": "many"})), "rows", Some(10))
            .expect_err("rows=many is refused");
        let Error::Validation(f) = e else {
            panic!("not validation")
        };
        assert_eq!(
            Value::Object(f.into_map()),
            json!({"rows": ["Invalid integer", "Please enter an integer value"]})
        );
        assert!(natural(&p(json!({"rows": -1})), "rows", None).is_err());
        assert_eq!(
            natural(&p(json!({"rows": "5"})), "rows", None)
                .ok()
                .flatten(),
            Some(5)
        );
        assert_eq!(
            natural(&p(json!({})), "rows", Some(10)).ok().flatten(),
            Some(10)
        );
    }

    #[test]
    fn lists_of_objects_reject_strings() {
        assert!(matches!(
            list_of_objects(&p(json!({"tags": ["a"]})), "tags"),
            Err(Error::Integrity(_))
        ));
        let tags = list_of_objects(&p(json!({"tags": "[{\"name\":\"ab\"}]"})), "tags");
        assert_eq!(tags.ok().flatten().map(|t| t.len()), Some(1));
    }

    #[test]
    fn booleans_accept_ckan_spellings() {
        assert_eq!(parse_bool(&json!("True")), Some(true));
        assert_eq!(parse_bool(&json!("off")), Some(false));
        assert_eq!(parse_bool(&json!("maybe")), None);
    }
}
