//! Text an action accepts, checked once for every action before it runs, so that both
//! databases store the same thing: PostgreSQL cannot store NUL at all (SQLite can), and control
//! characters in names and titles break every page and export that shows them.
//!
//! - Control characters (Unicode category Cc) are refused everywhere, in keys and values, at
//!   any depth, except tab, line feed and carriage return;
//! - those three are refused too in single-line fields (names, titles, ids, URLs, e-mails ...).
//!
//! The error names the field: `{"title": ["Must not contain control characters"]}`; inside a
//! list of objects (resources, extras, groups) it is a list aligned with the input, as CKAN
//! reports those.

use crate::error::{Error, FieldErrors};
use crate::params::Params;
use serde_json::{Map, Value};

pub const MESSAGE: &str = "Must not contain control characters";

/// Fields that hold one line of text.
const SINGLE_LINE: &[&str] = &[
    "id",
    "name",
    "title",
    "url",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "version",
    "license_id",
    "owner_org",
    "state",
    "type",
    "email",
    "fullname",
    "format",
    "mimetype",
    "package_id",
    "username",
    "role",
    "capacity",
    "image_url",
    "key",
    "tag_string",
];

fn bad_char(c: char, single_line: bool) -> bool {
    c.is_control() && (single_line || !matches!(c, '\t' | '\n' | '\r'))
}

fn bad_text(s: &str, single_line: bool) -> bool {
    s.chars().any(|c| bad_char(c, single_line))
}

/// Whether `v` (under key `key`) holds a refused character anywhere.
fn bad_value(key: &str, v: &Value) -> bool {
    match v {
        Value::String(s) => bad_text(s, SINGLE_LINE.contains(&key)),
        Value::Array(items) => items.iter().any(|i| bad_value(key, i)),
        Value::Object(m) => bad_object(m).is_some(),
        _ => false,
    }
}

/// The fields of `m` that hold a refused character, with their error values.
fn bad_object(m: &Map<String, Value>) -> Option<FieldErrors> {
    let mut errs = FieldErrors::new();
    for (k, v) in m {
        if bad_text(k, true) {
            errs.add("message", format!("{MESSAGE} (in a key)"));
            continue;
        }
        match v {
            Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
                let per_item: Vec<Value> = items
                    .iter()
                    .map(|i| match i.as_object().and_then(bad_object) {
                        Some(e) => Value::Object(e.into_map()),
                        None => Value::Object(Map::new()),
                    })
                    .collect();
                if per_item
                    .iter()
                    .any(|e| e.as_object().is_some_and(|o| !o.is_empty()))
                {
                    errs.set(k, Value::Array(per_item));
                }
            }
            other if bad_value(k, other) => errs.add(k, MESSAGE),
            _ => {}
        }
    }
    (!errs.is_empty()).then_some(errs)
}

/// Refuses parameters holding control characters (see the module comment).
pub fn check(p: &Params) -> Result<(), Error> {
    match bad_object(p) {
        Some(errs) => Err(Error::Validation(errs)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(v: Value) -> Option<Value> {
        match check(v.as_object().expect("object")) {
            Ok(()) => None,
            Err(Error::Validation(e)) => Some(Value::Object(e.into_map())),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn nul_is_refused_everywhere() {
        assert_eq!(
            errors(json!({"title": "a\u{0}b"})),
            Some(json!({"title": [MESSAGE]}))
        );
        assert_eq!(
            errors(json!({"notes": "a\u{0}b"})),
            Some(json!({"notes": [MESSAGE]}))
        );
        assert_eq!(
            errors(json!({"resources": [{"name": "ok"}, {"description": "x\u{1}"}]})),
            Some(json!({"resources": [{}, {"description": [MESSAGE]}]}))
        );
        assert_eq!(
            errors(json!({"tags": ["a\u{0}"]})),
            Some(json!({"tags": [MESSAGE]}))
        );
        assert!(errors(json!({"extras": [{"key": "k\u{0}", "value": "v"}]})).is_some());
        assert!(errors(json!({"custom\u{0}": "v"})).is_some());
        assert!(errors(json!({"notes": "DEL\u{7f}"})).is_some());
    }

    #[test]
    fn line_breaks_only_in_long_text() {
        assert_eq!(errors(json!({"notes": "one\r\ntwo\tthree"})), None);
        assert_eq!(errors(json!({"q": "a\nb"})), None);
        assert_eq!(
            errors(json!({"title": "one\ntwo"})),
            Some(json!({"title": [MESSAGE]}))
        );
        assert_eq!(
            errors(json!({"resources": [{"name": "a\tb"}]})),
            Some(json!({"resources": [{"name": [MESSAGE]}]}))
        );
        assert_eq!(errors(json!({"title": "Đà Nẵng — 2025"})), None);
    }
}
