//! Cổng's HTTP server: the CKAN Action API, a minimal home page, and the OpenAPI document.
//! `main.rs` (the `cong` command line) and the tests build it with [`build`].

pub mod api;
pub mod caller;
pub mod config;
mod download;
pub mod openapi;
mod pages;
pub mod rdf;
mod seo;

use actix_cors::Cors;
use actix_web::middleware::{NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpServer};
use catalogue::Catalogue;
use std::net::TcpListener;
use std::sync::Arc;

/// See `build`: with 2 workers, 12 threads share the 8 SQLite (16 PostgreSQL) connections.
const BLOCKING_THREADS_PER_WORKER: usize = 6;

pub struct AppState {
    pub catalogue: Arc<Catalogue>,
    pub storage: files::Storage,
    pub max_body_bytes: usize,
    pub max_upload_bytes: u64,
    /// Places for searches running at once (see `api::call`).
    pub searches: Arc<tokio::sync::Semaphore>,
    pub dcat: config::DcatSettings,
    /// Organizations as DCAT publishers, shared by every document.
    pub publishers: Arc<dcat::catalog::PublisherCache>,
}

/// Searches in flight per core. A search is CPU-bound from start to end; a few per core keep
/// every core busy while one waits for its thread, more only slice each other's time.
const SEARCHES_PER_CORE: usize = 4;

fn cors(origins: &[String]) -> Cors {
    let base = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allow_any_header()
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        base.allow_any_origin()
    } else {
        origins.iter().fold(base, |c, o| c.allowed_origin(o))
    }
}

/// Starts serving on `listener`; the returned server runs until stopped.
pub fn build(
    catalogue: Arc<Catalogue>,
    storage: files::Storage,
    listener: TcpListener,
    settings: &config::Settings,
) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(AppState {
        catalogue,
        storage,
        max_body_bytes: settings.max_body_bytes,
        max_upload_bytes: settings.max_upload_bytes,
        searches: Arc::new(tokio::sync::Semaphore::new(
            SEARCHES_PER_CORE * std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
        dcat: settings.dcat.clone(),
        publishers: Arc::default(),
    });
    let origins = settings.cors_origins.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(cors(&origins))
            // `//api/3/action/…` (a source URL ending in `/`, as CKAN's harvester joins it)
            // answers as `/api/3/action/…` does, as in CKAN.
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            .configure(api::routes)
            .configure(download::routes)
            .configure(rdf::routes)
            .configure(seo::routes)
            .configure(pages::routes)
            .default_service(web::to(api::api_not_found))
    })
    // Blocking work (database, index) runs on a few threads per worker: enough to keep the
    // database pool busy, few enough that each thread's stack and allocator cache stay cheap.
    .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
    .listen(listener)?
    .run();
    Ok(server)
}
