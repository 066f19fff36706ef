//! The catalogue's errors, free of HTTP. `server` maps each variant to CKAN's envelope once.

use serde_json::{Map, Value};

/// Per-field validation messages, in the order the fields were checked. A value is usually a
/// list of strings; for `resources` and `extras` it is a list aligned with the input.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `message` to `field`'s list.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let entry = self
            .0
            .entry(field.to_string())
            .or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.into()));
        }
    }

    /// Sets `field` to a structured value (e.g. a list of per-resource error dicts).
    pub fn set(&mut self, field: &str, value: Value) {
        self.0.insert(field.to_string(), value);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// `Ok(())` when nothing was added, else the validation error.
    pub fn check(self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }

    /// A problem with the request as a whole: CKAN's `{"message": "…"}` validation error.
    pub fn single_message(message: impl Into<String>) -> Error {
        let mut e = FieldErrors::new();
        e.set("message", serde_json::Value::String(message.into()));
        Error::Validation(e)
    }

    pub fn single(field: &str, message: impl Into<String>) -> Error {
        let mut e = FieldErrors::new();
        e.add(field, message);
        Error::Validation(e)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object does not exist (or is purged). `None` → CKAN's plain "Not found".
    #[error("Not found")]
    NotFound(Option<String>),
    /// The actor may not do this. The text follows "Access denied: ".
    #[error("Access denied: {0}")]
    NotAuthorized(String),
    #[error("Validation error")]
    Validation(FieldErrors),
    /// A nested key that must be a list of objects was not (CKAN's "Integrity Error").
    #[error("{0}")]
    Integrity(String),
    /// A search request CKAN rejects before searching (unknown parameter, bad sort).
    #[error("Search Query is invalid: {0}")]
    SearchQuery(String),
    /// The search engine could not run the query (e.g. a syntax error): CKAN's "Search Error".
    #[error("Search error: {0}")]
    Search(String),
    /// The request itself is wrong in a way CKAN reports as a bare 400 string.
    #[error("{0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn not_found(detail: &str) -> Error {
        Error::NotFound(Some(detail.to_string()))
    }

    /// "User {name} not authorized to {what}" — CKAN's wording, with `""` for anonymous.
    pub fn denied(user_name: &str, what: &str) -> Error {
        Error::NotAuthorized(format!("User {user_name} not authorized to {what}"))
    }
}

impl crate::store::AsDbError for Error {
    fn db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            Error::Database(e) => Some(e),
            _ => None,
        }
    }
}

impl Error {
    /// How a database error ends a request: `Failure::Unavailable` (503 until the database
    /// is back), `Failure::Taken` (a unique value a concurrent writer took: CKAN's validation
    /// error for that field), or another failure (500). `None` for the other variants.
    pub fn database_failure(&self) -> Option<crate::store::Failure> {
        match self {
            Error::Database(e) => Some(crate::store::classify(e)),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
