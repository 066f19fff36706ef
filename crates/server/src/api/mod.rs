//! The CKAN Action API: `/api/3/action/{name}` and `/api/action/{name}`.

pub mod envelope;
pub mod error;
pub mod request;
pub mod upload;

use crate::caller::Caller;
use crate::AppState;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use catalogue::actions::{self, Kind};
use error::ApiError;
use futures_util::StreamExt;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/3/action/{name}", web::route().to(action))
        .route("/api/action/{name}", web::route().to(action))
        .route(
            "/api/3",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type(envelope::JSON)
                    .body(r#"{"version": 3}"#)
            }),
        )
        .route(
            "/api",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type(envelope::JSON)
                    .body(r#"{"version": 1}"#)
            }),
        );
}

/// Reads the body up to the configured limit.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::BadRequest(format!("JSON Error: could not read the request body: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge(format!(
                "request body is larger than the limit of {limit} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An action's result: built as a value, or already JSON text (fast paths).
enum Answer {
    Value(serde_json::Value),
    Json(String),
}

fn valid_callback(cb: &str) -> bool {
    !cb.is_empty()
        && cb.len() <= 64
        && cb
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$')
}

async fn action(
    req: HttpRequest,
    name: web::Path<String>,
    Caller(actor): Caller,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let name = name.into_inner();
    let site_url = state.catalogue.config.site_url.clone();
    let fail = |e: ApiError| envelope::failure(&site_url, &name, &e);
    let Some(action) = actions::find(&name) else {
        return fail(ApiError::BadRequest(format!(
            "Action name not known: {name}"
        )));
    };
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut pending: Option<upload::Pending> = None;
    let mut params = match *req.method() {
        Method::POST if content_type.starts_with("multipart/form-data") => {
            let multipart = actix_multipart::Multipart::new(req.headers(), payload);
            match upload::read(
                multipart,
                &state.storage,
                actions::accepts_upload(action),
                state.max_body_bytes,
                state.max_upload_bytes,
            )
            .await
            {
                Ok((p, file)) => {
                    pending = file;
                    p
                }
                Err(e) => return fail(e),
            }
        }
        Method::GET | Method::HEAD if action.kind == Kind::Read => {
            match request::parse_query(req.query_string()) {
                Ok(p) => p,
                Err(e) => return fail(e),
            }
        }
        Method::POST => {
            let body = match read_body(payload, state.max_body_bytes).await {
                Ok(b) => b,
                Err(e) => return fail(e),
            };
            let mut p = match request::parse_body(&content_type, &body) {
                Ok(p) => p,
                Err(e) => return fail(e),
            };
            if action.kind == Kind::Read {
                match request::parse_query(req.query_string()) {
                    Ok(q) => q.into_iter().for_each(|(k, v)| {
                        p.entry(k).or_insert(v);
                    }),
                    Err(e) => return fail(e),
                }
            }
            p
        }
        _ => {
            return fail(ApiError::BadRequest(
                "JSON Error: Invalid request. Please use POST method for your request".into(),
            ))
        }
    };
    // JSONP (the caller is then anonymous: see `Caller`).
    let callback = params
        .remove("callback")
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|cb| valid_callback(cb) && *req.method() == Method::GET);
    params.remove("_");
    let cat = state.catalogue.clone();
    let file = pending.as_ref().map(|p| p.upload.clone());
    let callback_free = callback.is_none();
    // Searches beyond the places available wait here, in arrival order and without holding
    // a thread. Left to the blocking pools, each worker's own, every search in flight shares
    // the cores with all the others and the slowest (the p99) wait longest.
    let _search_place = match action.name {
        "package_search" => state.searches.acquire().await.ok(),
        _ => None,
    };
    let outcome = web::block(move || {
        if file.is_none() && callback_free {
            if let Some(json) = actions::call_fast(&cat, &actor, action, &params)? {
                return Ok(Answer::Json(json));
            }
        }
        match &file {
            Some(f) => actions::call_with_upload(&cat, &actor, action, params, f),
            None => actions::call(&cat, &actor, action, params),
        }
        .map(Answer::Value)
    })
    .await;
    let succeeded = matches!(outcome, Ok(Ok(_)));
    // A stored file that no committed resource refers to is deleted at once.
    if let Some(p) = pending.as_ref().filter(|_| !succeeded) {
        upload::discard(&state.storage, p).await;
    }
    if succeeded && actions::may_release_files(action) {
        upload::empty_trash(&state.catalogue, &state.storage).await;
    }
    match outcome {
        Ok(Ok(Answer::Json(json))) => envelope::success_raw(&site_url, &name, &json),
        Ok(Ok(Answer::Value(result))) => {
            envelope::success(&site_url, &name, result, callback.as_deref())
        }
        Ok(Err(e)) => fail(e.into()),
        Err(e) => fail(catalogue::Error::Internal(format!("worker failed: {e}")).into()),
    }
}

/// `{"version": 3}` etc. are plain; everything else under /api answers in CKAN's style.
pub async fn api_not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type(envelope::JSON)
        .body(json!("Not found").to_string())
}
