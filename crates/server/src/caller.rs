//! Who is calling: the one place a request's credentials become an [`Actor`], for the API,
//! downloads and pages alike.
//!
//! CKAN 2.10+ reads the raw token from `Authorization`; older clients send `X-CKAN-API-Key`
//! (ckanapi sends both); many HTTP tools send `Authorization: Bearer <token>`. A bad, expired or
//! revoked token makes the caller anonymous, never a 401, as in CKAN. A JSONP request (GET with
//! `callback`) is always anonymous, so that a page on another site cannot read private data
//! through a visitor's credentials.

use crate::api::error::ApiError;
use crate::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use catalogue::Actor;
use futures_util::future::LocalBoxFuture;

/// The caller of a request (an actix extractor).
pub struct Caller(pub Actor);

/// The API token the request carries, if any.
pub fn token(req: &HttpRequest) -> Option<String> {
    let h = req.headers();
    let raw = h
        .get("Authorization")
        .filter(|v| !v.is_empty())
        .or_else(|| h.get("X-CKAN-API-Key"))?
        .to_str()
        .ok()?
        .trim();
    let token = match raw.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => raw,
    };
    (!token.is_empty()).then(|| token.to_string())
}

/// A JSONP request: GET with a `callback` parameter.
pub fn is_jsonp(req: &HttpRequest) -> bool {
    req.method() == actix_web::http::Method::GET
        && serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .is_ok_and(|pairs| pairs.iter().any(|(k, v)| k == "callback" && !v.is_empty()))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = if is_jsonp(req) { None } else { token(req) };
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Ok(Caller(Actor::Anonymous));
            };
            let cat = state.catalogue.clone();
            let actor = web::block(move || catalogue::actions::user::authenticate(&cat, &token))
                .await
                .map_err(|e| ApiError::from(catalogue::Error::Internal(e.to_string())))??;
            Ok(Caller(actor))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn tokens_in_every_form_ckan_clients_send() {
        let t = |h: (&str, &str)| token(&TestRequest::default().insert_header(h).to_http_request());
        assert_eq!(t(("Authorization", "abc")), Some("abc".into()));
        assert_eq!(t(("Authorization", "Bearer abc")), Some("abc".into()));
        assert_eq!(t(("Authorization", "bearer  abc ")), Some("abc".into()));
        assert_eq!(t(("X-CKAN-API-Key", "abc")), Some("abc".into()));
        assert_eq!(t(("Authorization", "  ")), None);
    }

    #[test]
    fn jsonp_is_recognised_on_get_only() {
        let get = TestRequest::get()
            .uri("/api/3/action/x?callback=cb")
            .to_http_request();
        assert!(is_jsonp(&get));
        let post = TestRequest::post()
            .uri("/api/3/action/x?callback=cb")
            .to_http_request();
        assert!(!is_jsonp(&post));
        let plain = TestRequest::get()
            .uri("/api/3/action/x?id=1")
            .to_http_request();
        assert!(!is_jsonp(&plain));
    }
}
