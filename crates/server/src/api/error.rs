//! The one place where errors become CKAN answers: status, `__type`, and body shape.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use catalogue::store::Failure;
use catalogue::Error as CatError;
use serde_json::{json, Map, Value};

/// Everything an API request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Catalogue(#[from] CatError),
    /// CKAN's bare-string 400s: unknown action, wrong method, undecodable body.
    #[error("Bad request: {0}")]
    BadRequest(String),
    /// The body is larger than the configured limit.
    #[error("Bad request: {0}")]
    TooLarge(String),
}

/// An error, rendered: the status and the `error` value of the envelope (or a bare string).
pub struct Rendered {
    pub status: StatusCode,
    pub body: ErrorBody,
}

pub enum ErrorBody {
    /// `{"help", "error": {...}, "success": false}`.
    Envelope(Map<String, Value>),
    /// A bare JSON string, as CKAN sends for malformed requests.
    Bare(String),
}

fn typed(type_: &str, message: String) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("__type".into(), json!(type_));
    m.insert("message".into(), json!(message));
    m
}

impl ApiError {
    pub fn render(&self) -> Rendered {
        use ErrorBody::*;
        let (status, body) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, Bare(format!("Bad request: {m}"))),
            ApiError::TooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Bare(format!("Bad request: {m}")),
            ),
            ApiError::Catalogue(e) => match e {
                CatError::NotFound(None) => (
                    StatusCode::NOT_FOUND,
                    Envelope(typed("Not Found Error", "Not found".into())),
                ),
                CatError::NotFound(Some(d)) => (
                    StatusCode::NOT_FOUND,
                    Envelope(typed("Not Found Error", format!("Not found: {d}"))),
                ),
                CatError::NotAuthorized(m) => (
                    StatusCode::FORBIDDEN,
                    Envelope(typed("Authorization Error", format!("Access denied: {m}"))),
                ),
                CatError::Validation(fields) => {
                    let mut m = fields.clone().into_map();
                    m.insert("__type".into(), json!("Validation Error"));
                    (StatusCode::CONFLICT, Envelope(m))
                }
                CatError::Integrity(m) => (
                    StatusCode::BAD_REQUEST,
                    Envelope(typed("Integrity Error", m.clone())),
                ),
                CatError::SearchQuery(m) => (
                    StatusCode::BAD_REQUEST,
                    Envelope(typed(
                        "Search Query Error",
                        format!("Search Query is invalid: {m}"),
                    )),
                ),
                CatError::Search(m) => (
                    StatusCode::CONFLICT,
                    Envelope(typed("Search Error", format!("Search error: {m}"))),
                ),
                CatError::BadRequest(m) => {
                    (StatusCode::BAD_REQUEST, Bare(format!("Bad request: {m}")))
                }
                CatError::Database(err) => match e.database_failure() {
                    Some(Failure::Unavailable) => {
                        tracing::warn!(error = %err, "database unavailable");
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            Envelope(typed(
                                "Service Unavailable",
                                "Service Unavailable: the database cannot be reached; \
                                 try again shortly"
                                    .into(),
                            )),
                        )
                    }
                    Some(Failure::Contended) => {
                        tracing::warn!(error = %err, "write still contended after retries");
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            Envelope(typed(
                                "Service Unavailable",
                                "Service Unavailable: too many concurrent changes to the same \
                                 records; try again"
                                    .into(),
                            )),
                        )
                    }
                    Some(Failure::Taken(Some(taken))) => {
                        let (field, message) = taken.field_message();
                        let mut m = Map::new();
                        m.insert(field.into(), json!([message]));
                        m.insert("__type".into(), json!("Validation Error"));
                        (StatusCode::CONFLICT, Envelope(m))
                    }
                    _ => {
                        tracing::error!(error = %err, "database error");
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            Envelope(typed(
                                "Internal Server Error",
                                "Internal Server Error".into(),
                            )),
                        )
                    }
                },
                CatError::Internal(err) => {
                    tracing::error!(error = %err, "internal error");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Envelope(typed(
                            "Internal Server Error",
                            "Internal Server Error".into(),
                        )),
                    )
                }
            },
        };
        Rendered { status, body }
    }
}

impl ApiError {
    /// The error for a non-API URL (downloads): same status and body, without `help`.
    pub fn error_response_plain(&self) -> HttpResponse {
        ResponseError::error_response(self)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.render().status
    }

    fn error_response(&self) -> HttpResponse {
        // Without an action name there is no `help` link: used only outside the dispatcher.
        let r = self.render();
        let body = match r.body {
            ErrorBody::Bare(s) => json!(s),
            ErrorBody::Envelope(e) => json!({"error": e, "success": false}),
        };
        HttpResponse::build(r.status)
            .content_type(super::envelope::JSON)
            .body(body.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalogue::FieldErrors;

    fn body(e: ApiError) -> (u16, Value) {
        let r = e.render();
        let v = match r.body {
            ErrorBody::Bare(s) => json!(s),
            ErrorBody::Envelope(m) => Value::Object(m),
        };
        (r.status.as_u16(), v)
    }

    #[test]
    fn each_type_renders_as_ckan() {
        assert_eq!(
            body(CatError::NotFound(None).into()),
            (
                404,
                json!({"__type": "Not Found Error", "message": "Not found"})
            )
        );
        assert_eq!(
            body(CatError::denied("", "create packages").into()),
            (
                403,
                json!({"__type": "Authorization Error", "message": "Access denied: User  not authorized to create packages"})
            )
        );
        assert_eq!(
            body(FieldErrors::single("name", "Missing value").into()),
            (
                409,
                json!({"name": ["Missing value"], "__type": "Validation Error"})
            )
        );
        assert_eq!(
            body(ApiError::BadRequest("Action name not known: x".into())),
            (400, json!("Bad request: Action name not known: x"))
        );
        assert_eq!(body(CatError::SearchQuery("\"bad\"".into()).into()).0, 400);
        assert_eq!(
            body(CatError::Integrity("x".into()).into()).1["__type"],
            "Integrity Error"
        );
        assert_eq!(
            body(CatError::Internal("boom".into()).into()).1["message"],
            "Internal Server Error"
        );
        assert_eq!(body(ApiError::TooLarge("too big".into())).0, 413);
        let gone = catalogue::store::unavailable("connection refused");
        assert_eq!(
            body(CatError::Database(gone).into()),
            (
                503,
                json!({"__type": "Service Unavailable", "message": "Service Unavailable: the database cannot be reached; try again shortly"})
            )
        );
        let taken = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("UNIQUE constraint failed: packages.name".to_string()),
        );
        assert_eq!(
            body(CatError::Database(taken).into()),
            (
                409,
                json!({"name": ["That URL is already in use."], "__type": "Validation Error"})
            )
        );
    }
}
