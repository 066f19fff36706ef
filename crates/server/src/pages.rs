//! A minimal home page, so a new user sees the catalogue at once. The citizens' web site
//! (templates, search, i18n) replaces it.

use crate::AppState;
use actix_web::{web, HttpResponse};
use catalogue::{actions, Actor};
use serde_json::Value;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home)).route(
        "/dataset/{id}",
        web::route()
            .guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
            .to(dataset),
    );
}

/// A dataset's page; its RDF when `Accept` asks for RDF (ckanext-dcat's content negotiation).
async fn dataset(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    if let Some(format) = crate::rdf::wanted_format(&req) {
        return crate::rdf::dataset_document(&req, &state, id, format).await;
    }
    let cat = state.catalogue.clone();
    let publishers = state.publishers.clone();
    let found = web::block(move || {
        let d = crate::rdf::public_dataset(&cat, &id)?;
        let publisher = d
            .as_ref()
            .and_then(|d| publishers.get(&cat, d.organization.as_ref()));
        Ok::<_, catalogue::Error>(d.map(|d| (d, publisher)))
    })
    .await;
    let (d, publisher) = match found {
        Ok(Ok(Some(found))) => found,
        Ok(Ok(None)) => {
            return HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("Not Found")
        }
        _ => return HttpResponse::ServiceUnavailable().body("Service Unavailable"),
    };
    let site = crate::rdf::site(&state);
    let json_ld =
        dcat::schema_org::script_text(&dcat::schema_org::dataset(&site, &d, publisher.as_ref()));
    let mut resources = String::new();
    for r in &d.resources {
        let name = escape(if r.name.is_empty() { &r.url } else { &r.name });
        // Only web links become links: a `javascript:` URL stays text.
        let link = r.url.starts_with("https://") || r.url.starts_with("http://");
        let item = if link {
            format!("<a href=\"{}\">{name}</a>", escape(&r.url))
        } else {
            name
        };
        resources.push_str(&format!("<li>{item} {}</li>\n", escape(&r.format)));
    }
    let html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title><link rel=\"alternate\" type=\"text/turtle\" href=\"/dataset/{id}.ttl\">\
         <script type=\"application/ld+json\">{json_ld}</script></head><body><h1>{t}</h1><p>{notes}</p><ul>{resources}</ul>\
         <p><a href=\"/dataset/{id}.ttl\">Turtle</a> · <a href=\"/dataset/{id}.rdf\">RDF/XML</a> · <a href=\"/dataset/{id}.jsonld\">JSON-LD</a></p></body></html>",
        t = escape(d.display_title()),
        notes = escape(&d.notes),
        id = escape(&d.id),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // The same URL answers RDF to RDF clients: caches must keep the two apart.
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .body(html)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn home(state: web::Data<AppState>) -> HttpResponse {
    let cat = state.catalogue.clone();
    let listed = web::block(move || {
        let action = actions::find("current_package_list_with_resources")
            .ok_or(catalogue::Error::NotFound(None))?;
        let mut p = catalogue::Params::new();
        p.insert("limit".into(), Value::from(50));
        let list = actions::call(&cat, &Actor::Anonymous, action, p)?;
        Ok::<_, catalogue::Error>((list, cat.config.site_title.clone()))
    })
    .await;
    let (list, title) = match listed {
        Ok(Ok(v)) => v,
        _ => return HttpResponse::InternalServerError().body("Internal Server Error"),
    };
    let mut items = String::new();
    for d in list.as_array().into_iter().flatten() {
        let name = d["name"].as_str().unwrap_or("");
        let t = d["title"].as_str().unwrap_or(name);
        let org = d["organization"]["title"].as_str().unwrap_or("");
        items.push_str(&format!(
            "<li><a href=\"/api/3/action/package_show?id={}\">{}</a> <small>{}</small></li>\n",
            escape(name),
            escape(t),
            escape(org)
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title></head><body><h1>{t}</h1><p>Dữ liệu mới cập nhật · Recently updated datasets \
         (<a href=\"/api/3/action/package_list\">CKAN API</a>)</p><ul>\n{items}</ul></body></html>",
        t = escape(&title)
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // The same URL answers RDF to RDF clients: caches must keep the two apart.
        .insert_header((actix_web::http::header::VARY, "Accept"))
        .body(html)
}
