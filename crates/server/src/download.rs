//! File downloads: `/dataset/{id}/resource/{rid}/download[/{filename}][?version=N]`, streamed
//! with Content-Type, Content-Length, Content-Disposition, ETag, Last-Modified, single byte
//! ranges and HEAD. Links (not uploads) redirect to their URL, as CKAN does.

use crate::api::error::ApiError;
use crate::caller::Caller;
use crate::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::ops::Range;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/dataset/{id}/resource/{rid}/download",
        web::route().to(download),
    )
    .route(
        "/dataset/{id}/resource/{rid}/download/{filename}",
        web::route().to(download),
    );
}

#[derive(Deserialize)]
struct Query {
    version: Option<i32>,
}

/// A single `bytes=` range, resolved against the file size (end exclusive). `Err` when it
/// cannot be satisfied; `Ok(None)` when the header is absent or not a single byte range.
fn parse_range(header: Option<&str>, size: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // several ranges: send the whole file, which RFC 9110 allows
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            (size.saturating_sub(n), size)
        }
        (s, "") => (s.parse().map_err(|_| ())?, size),
        (s, e) => (
            s.parse().map_err(|_| ())?,
            e.parse::<u64>()
                .map_err(|_| ())?
                .saturating_add(1)
                .min(size),
        ),
    };
    if start >= end || start >= size {
        return Err(());
    }
    Ok(Some(start..end))
}

fn http_date(ckan_time: &str) -> Option<String> {
    let t = catalogue::dict::parse_ckan_time(ckan_time)?;
    Some(t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

async fn download(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    q: web::Query<Query>,
    Caller(actor): Caller,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (dataset, resource) = path.into_inner();
    let cat = state.catalogue.clone();
    let version = q.version;
    let found =
        web::block(move || catalogue::files::download(&cat, &actor, &dataset, &resource, version))
            .await;
    let d = match found {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return ApiError::from(e).error_response_plain(),
        Err(e) => {
            return ApiError::from(catalogue::Error::Internal(e.to_string())).error_response_plain()
        }
    };
    if let Some(url) = d.redirect {
        return HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .finish();
    }
    let etag = format!("\"{}\"", d.version.hash);
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    // If-None-Match compares weakly: a proxy that compressed the file sends back W/"…".
    let matches = |t: &str| {
        let t = t.trim();
        t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
    };
    if if_none_match.is_some_and(|v| v.split(',').any(matches)) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    let size = d.version.size.max(0) as u64;
    let last_modified = http_date(&d.version.created);
    // If-Range: a client resuming a download of a file that has since been replaced gets the
    // whole new file, not a piece of it to splice onto the old one.
    let if_range = req
        .headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let range_header = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| match if_range {
            None => true,
            Some(v) if v.starts_with('"') => v == etag,
            Some(date) => last_modified.as_deref() == Some(date),
        });
    let range = match parse_range(range_header, size) {
        Ok(r) => r,
        Err(()) => {
            return HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .finish()
        }
    };
    let mut resp = HttpResponse::build(if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    });
    // Browsers must not guess a type from the bytes: an uploaded HTML file stays inert.
    resp.insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    resp.insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, etag))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", d.version.filename),
        ));
    if let Ok(v) = HeaderValue::from_str(&d.version.mimetype) {
        resp.insert_header((header::CONTENT_TYPE, v));
    }
    if let Some(lm) = last_modified {
        resp.insert_header((header::LAST_MODIFIED, lm));
    }
    if let Some(r) = &range {
        resp.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", r.start, r.end - 1),
        ));
    }
    let length = range.as_ref().map(|r| r.end - r.start).unwrap_or(size);
    if req.method() == actix_web::http::Method::HEAD {
        // A HEAD must fail as its GET would when the object is gone.
        if let Err(e) = state.storage.size(&d.storage_key).await {
            let err = match e {
                files::Error::NotFound => {
                    catalogue::Error::not_found("the file is missing from storage")
                }
                other => catalogue::Error::Internal(other.to_string()),
            };
            return ApiError::from(err).error_response_plain();
        }
        // The length comes from the body's declared size; a HEAD body is never sent.
        let empty = futures_util::stream::empty::<Result<bytes::Bytes, files::Error>>();
        return resp.body(actix_web::body::SizedStream::new(length, empty));
    }
    match state.storage.read(&d.storage_key, range).await {
        Ok(reading) => resp.no_chunking(length).streaming(reading.stream),
        Err(files::Error::NotFound) => ApiError::from(catalogue::Error::not_found(
            "the file is missing from storage",
        ))
        .error_response_plain(),
        Err(e) => ApiError::from(catalogue::Error::Internal(e.to_string())).error_response_plain(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn byte_ranges() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Ok(Some(0..4)));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Ok(Some(5..10)));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Ok(Some(7..10)));
        assert_eq!(parse_range(Some("bytes=8-100"), 10), Ok(Some(8..10)));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=x-y"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Ok(None));
    }
}
