//! DCAT endpoints, at ckanext-dcat's URLs so existing harvesters keep working:
//! `/catalog.{ttl,rdf,xml,jsonld,n3,nt}` and `/catalog` (by `Accept`, Turtle by default), and
//! `/dataset/{id}.{…}` (the dataset page answers RDF too when `Accept` asks for it). Pages are
//! written while they are sent: a blocking task describes one dataset at a time into a
//! channel the response reads.

use crate::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use bytes::Bytes;
use catalogue::Catalogue;
use dcat::catalog::{self, PageQuery, Position};
use dcat::{DcatAp3, Format, Site};
use std::io::Write;

pub fn routes(cfg: &mut web::ServiceConfig) {
    let get_or_head = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.route("/catalog", get_or_head().to(catalog_negotiated))
        .route("/catalog.{ext}", get_or_head().to(catalog_with_extension))
        .route(
            "/dataset/{id}.{ext:(ttl|rdf|xml|jsonld|n3|nt)}",
            get_or_head().to(dataset_with_extension),
        );
}

/// The portal as the DCAT mapping sees it.
pub fn site(state: &AppState) -> Site {
    let c = &state.catalogue.config;
    let mut site = Site::new(
        &c.site_url,
        &c.site_title,
        &c.site_description,
        &c.locale_default,
    );
    if let Some(base) = &state.dcat.base_uri {
        site.base = base.clone();
    }
    site
}

fn plain(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(message.to_string())
}

fn error_response(e: &dcat::Error) -> HttpResponse {
    use actix_web::http::StatusCode;
    match e {
        dcat::Error::BadPage
        | dcat::Error::BadModifiedSince
        | dcat::Error::BadCursor
        | dcat::Error::UnknownProfiles(_) => plain(StatusCode::BAD_REQUEST, &e.to_string()),
        dcat::Error::Catalogue(catalogue::Error::SearchQuery(m) | catalogue::Error::Search(m)) => {
            plain(
                StatusCode::BAD_REQUEST,
                &format!("Invalid q or fq: {}", m.trim_matches(['"', '\''])),
            )
        }
        dcat::Error::Catalogue(e)
            if matches!(
                e.database_failure(),
                Some(catalogue::store::Failure::Unavailable)
            ) =>
        {
            plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
        other => {
            tracing::error!("dcat: {other}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

async fn catalog_negotiated(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = Format::negotiate(accept).unwrap_or(Format::Turtle);
    catalog_page(req, state, format, "/catalog").await
}

async fn catalog_with_extension(
    req: HttpRequest,
    state: web::Data<AppState>,
    ext: web::Path<String>,
) -> HttpResponse {
    match Format::from_extension(&ext) {
        Some(f) => {
            let path = format!("/catalog.{ext}");
            catalog_page(req, state, f, &path).await
        }
        None => plain(actix_web::http::StatusCode::NOT_FOUND, "Not Found"),
    }
}

async fn catalog_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    format: Format,
    path: &str,
) -> HttpResponse {
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_str(req.query_string()) {
        Ok(p) => p,
        Err(_) => {
            return plain(
                actix_web::http::StatusCode::BAD_REQUEST,
                "The query string is not valid URL encoding",
            )
        }
    };
    let query = match PageQuery::parse(&pairs) {
        Ok(q) => q,
        Err(e) => return error_response(&e),
    };
    let cat = state.catalogue.clone();
    let per_page = state.dcat.datasets_per_page;
    let q = query.clone();
    let page = match web::block(move || catalog::find_page(&cat, &q, per_page)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return error_response(&e),
        Err(_) => {
            return plain(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
            )
        }
    };
    if req.method() == actix_web::http::Method::HEAD {
        return rdf_response(format).finish();
    }
    let mut site = site(&state);
    let endpoint = format!("{}{path}", site.site_url);
    let cat = state.catalogue.clone();
    let publisher = state.dcat.publisher.clone();
    let publishers = state.publishers.clone();
    stream(format, move |out| {
        // The catalogue's own publisher, when an organization is configured for it (else
        // the portal itself stands as an agent).
        if let Some(name) = publisher {
            site.publisher = publishers.by_name(&cat, &name);
        }
        let position = Position {
            endpoint: &endpoint,
            query: &query,
        };
        let with = catalog::Writer {
            profile: &DcatAp3,
            site: &site,
            cat: &cat,
            publishers: &publishers,
        };
        catalog::write_page(&with, &page, &position, format, out).map(drop)
    })
}

/// `/dataset/{id}.ttl` …: the public dataset's document; 404 for anything else.
async fn dataset_with_extension(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, ext) = path.into_inner();
    match Format::from_extension(&ext) {
        Some(f) => dataset_document(&req, &state, id, f).await,
        None => plain(actix_web::http::StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// The RDF format a request to `/dataset/{id}` asks for with `Accept`, if any (browsers get
/// the page).
pub fn wanted_format(req: &HttpRequest) -> Option<Format> {
    let accept = req.headers().get(header::ACCEPT)?.to_str().ok()?;
    Format::negotiate(accept)
}

/// A public dataset as RDF, or 404 (private, draft, deleted and unknown alike: the answer
/// never tells which).
pub async fn dataset_document(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    id: String,
    format: Format,
) -> HttpResponse {
    let cat = state.catalogue.clone();
    let found = web::block(move || public_dataset(&cat, &id)).await;
    let dataset = match found {
        Ok(Ok(Some(d))) => d,
        Ok(Ok(None)) => return plain(actix_web::http::StatusCode::NOT_FOUND, "Not Found"),
        Ok(Err(e)) => return error_response(&dcat::Error::Catalogue(e)),
        Err(_) => {
            return plain(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
            )
        }
    };
    if req.method() == actix_web::http::Method::HEAD {
        return rdf_response(format).finish();
    }
    let site = site(state);
    let cat = state.catalogue.clone();
    let publishers = state.publishers.clone();
    stream(format, move |out| {
        let with = catalog::Writer {
            profile: &DcatAp3,
            site: &site,
            cat: &cat,
            publishers: &publishers,
        };
        catalog::write_dataset(&with, &dataset, format, out).map(drop)
    })
}

/// The public dataset with this id or name: as the index stores it, or, while the index is
/// behind the last write (or does not know it), as package_show answers an anonymous caller.
pub fn public_dataset(cat: &Catalogue, id: &str) -> catalogue::Result<Option<dcat::Dataset>> {
    let searcher = cat
        .searcher()
        .ok_or_else(|| catalogue::Error::Internal("no search engine".into()))?;
    if let Some(json) = searcher.public_dataset_json(cat, id)? {
        return Ok(dcat::Dataset::from_json(&json).ok());
    }
    let Some(show) = catalogue::actions::find("package_show") else {
        return Ok(None);
    };
    let mut params = catalogue::Params::new();
    params.insert("id".into(), id.into());
    let dict = match catalogue::actions::call(cat, &catalogue::Actor::Anonymous, show, params) {
        Ok(dict) => dict,
        Err(e) if e.database_failure().is_some() => return Err(e),
        // Not found, not authorized (private), a bad id: all the same 404.
        Err(_) => return Ok(None),
    };
    let public = dict["state"] == "active" && dict["private"] != true;
    Ok(public
        .then(|| dcat::Dataset::from_json(&dict.to_string()).ok())
        .flatten())
}

fn rdf_response(format: Format) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::Ok();
    r.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    ))
    .insert_header((header::VARY, HeaderValue::from_static("Accept")));
    r
}

/// Sends what `write` writes, as it writes it, from a blocking thread.
fn stream(
    format: Format,
    write: impl FnOnce(&mut ChannelWriter) -> Result<(), dcat::Error> + Send + 'static,
) -> HttpResponse {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let task = move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let result = write(&mut out).and_then(|()| out.flush().map_err(dcat::Error::from));
        if let Err(e) = result {
            // The status is sent already: end the body with an error so the client sees a
            // broken transfer, never a truncated document that parses.
            tracing::error!("dcat: writing a document failed: {e}");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    };
    // Detached: the task ends when the document is written or the client goes away.
    drop(tokio::task::spawn_blocking(task));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    rdf_response(format).streaming(body)
}

/// What the response body reads from: the writer's output in chunks of about 64 KiB.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.send()?;
        }
        Ok(())
    }
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}
