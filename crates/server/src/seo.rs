//! What search engines read: `/robots.txt` and `/sitemap.xml` (public datasets' pages with
//! their last change). Past 50,000 pages the sitemap becomes an index of `/sitemap-{n}.xml`
//! files of 50,000 each, as the sitemaps protocol requires.

use crate::AppState;
use actix_web::{guard, web, HttpResponse};
use catalogue::actions::search::{SearchRequest, Visibility};
use catalogue::Catalogue;
use dcat::catalog::{find_page, PageQuery};
use serde::Deserialize;
use std::fmt::Write as _;

/// Most URLs one sitemap file may list.
pub const URLS_PER_SITEMAP: usize = 50_000;
/// Datasets read from the index at a time while writing a sitemap.
const BATCH: usize = 1000;
// A numbered file starts on a batch's first dataset.
const _: () = assert!(URLS_PER_SITEMAP.is_multiple_of(BATCH));

pub fn routes(cfg: &mut web::ServiceConfig) {
    let get_or_head = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.route("/robots.txt", get_or_head().to(robots))
        .route("/sitemap.xml", get_or_head().to(sitemap))
        .route("/sitemap-{n}.xml", get_or_head().to(sitemap_part));
}

async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let site = state.catalogue.config.site_url.trim_end_matches('/');
    let body = format!(
        "User-agent: *\nDisallow: /api/\nDisallow: /user/\nDisallow: /dataset/*/resource/*/download\n\nSitemap: {site}/sitemap.xml\n"
    );
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .body(body)
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain; charset=utf-8")
        .body("Service Unavailable")
}

async fn sitemap(state: web::Data<AppState>) -> HttpResponse {
    let cat = state.catalogue.clone();
    match web::block(move || sitemap_root(&cat)).await {
        Ok(Ok(body)) => xml(body),
        _ => unavailable(),
    }
}

#[derive(Deserialize)]
struct Part {
    n: String,
}

async fn sitemap_part(state: web::Data<AppState>, part: web::Path<Part>) -> HttpResponse {
    let Some(n) = part.n.parse::<usize>().ok().filter(|n| *n >= 1) else {
        return HttpResponse::NotFound().finish();
    };
    let cat = state.catalogue.clone();
    match web::block(move || sitemap_numbered(&cat, n)).await {
        Ok(Ok(Some(body))) => xml(body),
        Ok(Ok(None)) => HttpResponse::NotFound().finish(),
        _ => unavailable(),
    }
}

fn public_count(cat: &Catalogue) -> catalogue::Result<usize> {
    let searcher = cat
        .searcher()
        .ok_or_else(|| catalogue::Error::Internal("no search engine".into()))?;
    Ok(searcher
        .search(
            cat,
            &SearchRequest::every_dataset("metadata_created", false),
            &Visibility::default(),
        )?
        .count)
}

/// The sitemap itself when the datasets fit in one, else the index of the numbered ones.
fn sitemap_root(cat: &Catalogue) -> catalogue::Result<String> {
    let count = public_count(cat)?;
    // The home page and the dataset list share the first file with the datasets.
    if count + 2 <= URLS_PER_SITEMAP {
        return urlset(cat, 0, count, true);
    }
    let site = cat.config.site_url.trim_end_matches('/');
    let files = count.div_ceil(URLS_PER_SITEMAP);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for n in 1..=files {
        let _ = writeln!(
            out,
            "  <sitemap><loc>{}</loc></sitemap>",
            escape(&format!("{site}/sitemap-{n}.xml"))
        );
    }
    out.push_str("</sitemapindex>\n");
    Ok(out)
}

/// `/sitemap-{n}.xml`: the n-th 50,000 datasets (`None` past the last).
fn sitemap_numbered(cat: &Catalogue, n: usize) -> catalogue::Result<Option<String>> {
    let count = public_count(cat)?;
    let start = (n - 1).saturating_mul(URLS_PER_SITEMAP);
    if start >= count.max(1) {
        return Ok(None);
    }
    let take = (count - start).min(URLS_PER_SITEMAP);
    // Datasets only: the home page and the list would take file 1 past the protocol's limit.
    urlset(cat, start, take, false).map(Some)
}

/// A `<urlset>` of `take` public datasets from `start` (a multiple of `BATCH`), in creation
/// order, read a batch at a time as the DCAT catalogue pages them (the same walk, so a
/// 50,000-URL file never holds 50,000 datasets and each batch costs the same at any depth).
fn urlset(
    cat: &Catalogue,
    start: usize,
    take: usize,
    with_home: bool,
) -> catalogue::Result<String> {
    let site = cat.config.site_url.trim_end_matches('/');
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    if with_home {
        for path in ["/", "/dataset"] {
            let _ = writeln!(
                out,
                "  <url><loc>{}</loc></url>",
                escape(&format!("{site}{path}"))
            );
        }
    }
    let mut query = PageQuery {
        page: (start / BATCH + 1) as u64,
        ..Default::default()
    };
    let mut written = 0;
    while written < take {
        let page = find_page(cat, &query, BATCH).map_err(|e| match e {
            dcat::Error::Catalogue(e) => e,
            other => catalogue::Error::Internal(other.to_string()),
        })?;
        for d in page.datasets.iter().take(take - written) {
            let _ = write!(
                out,
                "  <url><loc>{}</loc>",
                escape(&format!("{site}/dataset/{}", d.name))
            );
            if let Some(day) = d.metadata_modified.get(..10) {
                let _ = write!(out, "<lastmod>{}</lastmod>", escape(day));
            }
            out.push_str("</url>\n");
        }
        written += page.datasets.len();
        match page.next_cursor {
            Some(cursor) => {
                query = PageQuery {
                    page: 1,
                    cursor: Some(cursor),
                    ..Default::default()
                }
            }
            None => break,
        }
    }
    out.push_str("</urlset>\n");
    Ok(out)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
