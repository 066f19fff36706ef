//! Typed action inputs: one struct per action that both parses its parameters (CKAN's way:
//! JSON types or strings, per-field validation messages, several at once) and documents them
//! (for `help_show` and the OpenAPI document), so that the two cannot drift apart.
//!
//! ```ignore
//! action_input! {
//!     /// package_show
//!     pub struct PackageShow {
//!         /// id or name
//!         id: Option<String>,
//!         /// `use_default_schema`
//!         use_default_schema: bool = false,
//!         /// a parameter whose name is not a Rust identifier
//!         facet_field as "facet.field": Option<Vec<String>>,
//!     }
//! }
//! ```
//! A field of type `Option<T>` is optional; `T = default` is optional with a documented
//! default; a plain `T` is required (`{"field": ["Missing value"]}`). Actions that take a
//! whole dict (package_create …) declare their documented fields with [`DictInput`].

use crate::actions::Param;
use crate::error::{Error, FieldErrors, Result};
use crate::params::{self, Params};
use serde_json::{Map, Value};

/// What an action reads from its request.
pub trait Input: Sized {
    /// Its parameters, in order, for documentation.
    fn params() -> Vec<Param>;
    /// Reads and checks the parameters.
    fn parse(p: &Params) -> Result<Self>;
}

/// A type one parameter can hold, read the way CKAN reads it.
pub trait ParamValue: Sized {
    /// Its JSON type, for documentation: "string", "integer", "boolean", "array", "object".
    const JSON_TYPE: &'static str;
    /// The value under `key`: `None` when absent (or null).
    fn read(p: &Params, key: &str) -> Result<Option<Self>>;
}

impl ParamValue for String {
    const JSON_TYPE: &'static str = "string";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        params::text(p, key)
    }
}

/// CKAN's natural numbers: `["Invalid integer", …]` for text, `Must be a natural number` for
/// negatives; an empty string is absent.
impl ParamValue for i64 {
    const JSON_TYPE: &'static str = "integer";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        params::natural(p, key, None)
    }
}

/// CKAN's `asbool`.
impl ParamValue for bool {
    const JSON_TYPE: &'static str = "boolean";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        if p.get(key).is_none_or(Value::is_null) {
            return Ok(None);
        }
        params::boolean(p, key, false).map(Some)
    }
}

/// A list of strings: a JSON list, a string holding one, or a single string.
impl ParamValue for Vec<String> {
    const JSON_TYPE: &'static str = "array";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        Ok(params::list(p, key)?.map(|items| {
            items
                .iter()
                .filter_map(|v| params::value_text(v).ok().flatten())
                .collect()
        }))
    }
}

/// A list of objects (`users`, `order` …); anything else is CKAN's Integrity Error.
impl ParamValue for Vec<Map<String, Value>> {
    const JSON_TYPE: &'static str = "array";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        params::list_of_objects(p, key)
    }
}

/// An object, given as JSON or as a string holding JSON.
impl ParamValue for Map<String, Value> {
    const JSON_TYPE: &'static str = "object";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        match p.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => Ok(Some(m)),
                _ => Err(FieldErrors::single(key, "Could not parse as valid JSON")),
            },
            Some(_) => Err(FieldErrors::single(key, "Must be an object")),
        }
    }
}

/// Any JSON value, as given.
impl ParamValue for Value {
    const JSON_TYPE: &'static str = "object";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        Ok(p.get(key).filter(|v| !v.is_null()).cloned())
    }
}

/// How a field's declared type reads: `Option<T>` optional, any other type required unless it
/// has a default.
pub trait Slot: Sized {
    type Value: ParamValue;
    const OPTIONAL: bool;
    fn fill(v: Option<Self::Value>) -> Option<Self>;
}

impl<T: ParamValue> Slot for Option<T> {
    type Value = T;
    const OPTIONAL: bool = true;
    fn fill(v: Option<T>) -> Option<Self> {
        Some(v)
    }
}

/// Makes each type a required-unless-defaulted field type (see [`Slot`]).
#[macro_export]
macro_rules! plain_slot {
    ($($t:ty),*) => {$(
        impl $crate::input::Slot for $t {
            type Value = $t;
            const OPTIONAL: bool = false;
            fn fill(v: Option<$t>) -> Option<Self> {
                v
            }
        }
    )*};
}
plain_slot!(String, i64, bool, Vec<String>, Vec<Map<String, Value>>, Map<String, Value>, Value);

/// Reads field `key` of declared type `T`, recording validation problems in `errors` (so that
/// every field is reported at once); other errors (CKAN's Integrity Error for a list that is
/// not of objects) end the parse. A required field that is absent or blank is `Missing value`.
pub fn read_field<T: Slot>(
    p: &Params,
    key: &str,
    default: Option<T>,
    errors: &mut FieldErrors,
) -> Result<Option<T>> {
    match T::Value::read(p, key) {
        Ok(v) => {
            let blank = matches!(p.get(key), Some(Value::String(s)) if s.trim().is_empty());
            let v = if blank && !T::OPTIONAL { None } else { v };
            Ok(match (T::fill(v), default) {
                (Some(x), _) => Some(x),
                (None, Some(d)) => Some(d),
                (None, None) => {
                    errors.add(key, "Missing value");
                    None
                }
            })
        }
        Err(Error::Validation(e)) => {
            for (k, v) in e.into_map() {
                errors.set(&k, v);
            }
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// Declares a typed action input (see the module comment).
#[macro_export]
macro_rules! action_input {
    (
        $(#[doc = $sdoc:literal])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident $(as $key:literal)? : $ty:ty $(= $default:expr)?
            ),* $(,)?
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone)]
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                pub $field: $ty,
            )*
        }

        impl $crate::input::Input for $name {
            fn params() -> Vec<$crate::actions::Param> {
                vec![$(
                    $crate::actions::Param {
                        name: $crate::action_input!(@key $field $($key)?),
                        ty: <<$ty as $crate::input::Slot>::Value as $crate::input::ParamValue>::JSON_TYPE,
                        required: !<$ty as $crate::input::Slot>::OPTIONAL
                            && $crate::action_input!(@no_default $($default)?),
                        doc: concat!($($doc),*).trim_ascii(),
                        default: $crate::action_input!(@default_text $($default)?),
                    },
                )*]
            }

            #[allow(unused_variables, unused_mut)]
            fn parse(p: &$crate::params::Params) -> $crate::error::Result<Self> {
                let mut errors = $crate::error::FieldErrors::new();
                $(
                    let $field: Option<$ty> = $crate::input::read_field(
                        p,
                        $crate::action_input!(@key $field $($key)?),
                        $crate::action_input!(@default_value $($default)?),
                        &mut errors,
                    )?;
                )*
                errors.check()?;
                Ok($name {
                    $(
                        $field: $field.ok_or_else(|| {
                            $crate::error::Error::Internal(concat!("unread parameter ", stringify!($field)).into())
                        })?,
                    )*
                })
            }
        }
    };
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
    (@no_default) => { true };
    (@no_default $default:expr) => { false };
    (@default_text) => { None };
    (@default_text $default:expr) => { Some(stringify!($default)) };
    (@default_value) => { None };
    (@default_value $default:expr) => { Some($default.into()) };
}

/// An action that takes a whole dict (a dataset, a resource, a group …), validated by its own
/// parser against the catalogue; documented by the fields that parser reads.
#[derive(Debug, Clone)]
pub struct DictInput<D: DictFields>(pub Params, std::marker::PhantomData<D>);

/// The documented fields of a dict an action takes.
pub trait DictFields {
    const FIELDS: &'static [Param];
}

impl<D: DictFields> DictInput<D> {
    pub fn into_params(self) -> Params {
        self.0
    }
}

impl<D: DictFields> Input for DictInput<D> {
    fn params() -> Vec<Param> {
        D::FIELDS.to_vec()
    }
    fn parse(p: &Params) -> Result<Self> {
        Ok(DictInput(p.clone(), std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    crate::action_input! {
        /// A test input.
        pub struct Sample {
            /// The id.
            id: String,
            /// How many.
            limit: i64 = 10,
            /// Whether.
            all_fields: bool = false,
            /// Optional text.
            q: Option<String>,
            /// Dotted name.
            facet_field as "facet.field": Option<Vec<String>>,
        }
    }

    fn parse(v: Value) -> Result<Sample> {
        Sample::parse(v.as_object().expect("object"))
    }

    #[test]
    fn parses_ckan_style_values_and_defaults() {
        let s = parse(
            json!({"id": "a", "limit": "5", "all_fields": "True", "facet.field": "[\"tags\"]"}),
        )
        .expect("parse");
        assert_eq!((s.id.as_str(), s.limit, s.all_fields), ("a", 5, true));
        assert_eq!(s.facet_field, Some(vec!["tags".to_string()]));
        let d = parse(json!({"id": "a"})).expect("defaults");
        assert_eq!((d.limit, d.all_fields, d.q), (10, false, None));
    }

    #[test]
    fn reports_every_problem_at_once() {
        let Err(Error::Validation(e)) = parse(json!({"limit": "many", "all_fields": "maybe"}))
        else {
            panic!("expected a validation error");
        };
        let m = Value::Object(e.into_map());
        assert_eq!(m["id"], json!(["Missing value"]));
        assert_eq!(
            m["limit"],
            json!(["Invalid integer", "Please enter an integer value"])
        );
        assert!(m["all_fields"].is_array());
        assert!(parse(json!({"id": "  "})).is_err());
    }

    #[test]
    fn documents_what_it_parses() {
        let p = Sample::params();
        let names: Vec<&str> = p.iter().map(|x| x.name).collect();
        assert_eq!(names, ["id", "limit", "all_fields", "q", "facet.field"]);
        assert!(p[0].required && !p[1].required && !p[3].required);
        assert_eq!((p[1].ty, p[1].default), ("integer", Some("10")));
        assert_eq!(p[4].ty, "array");
        assert_eq!(p[0].doc, "The id.");
    }
}
