//! DCAT over HTTP, as a harvester meets it: `/catalog.{ext}`, negotiation, `/dataset/{id}.{ext}`,
//! paging with Hydra links while the catalogue changes, and what is never shown (private
//! datasets, here and in the sitemap). Every document is parsed with an RDF parser.

#[macro_use]
mod common;

use common::{Backend, Reply, TestServer};
use oxrdf::{Graph, NamedNodeRef, Term, TermRef};
use oxrdfio::{RdfFormat, RdfParser};
use serde_json::{json, Value};
use std::collections::HashSet;

const DCAT_DATASET: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/dcat#Dataset");
const RDF_TYPE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
const DCT_IDENTIFIER: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://purl.org/dc/terms/identifier");
const HYDRA_NEXT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/hydra/core#next");
const HYDRA_TOTAL: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/hydra/core#totalItems");

fn get(srv: &TestServer, path: &str, accept: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = accept.map(|a| vec![("Accept", a)]).unwrap_or_default();
    srv.request_url("GET", &srv.url(path), &headers, None, None)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn parse(reply: &Reply, format: RdfFormat) -> Graph {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut g = Graph::new();
    for quad in RdfParser::from_format(format).for_reader(reply.body.as_slice()) {
        let quad = quad.unwrap_or_else(|e| panic!("not valid {format}: {e}\n{}", reply.text()));
        g.insert(quad.as_ref());
    }
    g
}

/// The `dct:identifier` of every `dcat:Dataset` in the graph.
fn identifiers(g: &Graph) -> Vec<String> {
    let mut ids: Vec<String> = g
        .subjects_for_predicate_object(RDF_TYPE, DCAT_DATASET)
        .filter_map(|s| g.object_for_subject_predicate(s, DCT_IDENTIFIER))
        .filter_map(|o| match o {
            TermRef::Literal(l) => Some(l.value().to_string()),
            _ => None,
        })
        .collect();
    ids.sort();
    ids
}

fn literal_of(g: &Graph, predicate: NamedNodeRef<'_>) -> Option<String> {
    g.triples_for_predicate(predicate)
        .next()
        .and_then(|t| match t.object {
            TermRef::Literal(l) => Some(l.value().to_string()),
            _ => None,
        })
}

/// A public dataset with what a publisher usually fills, and a private one beside it.
fn publish(srv: &TestServer) -> (Value, Value) {
    srv.create_org("so-giao-thong");
    let public = srv.ok(srv.post(
        "package_create",
        &json!({
            "name": "luu-luong-giao-thong", "title": "Lưu lượng giao thông Đà Nẵng",
            "notes": "Số liệu **đo đếm** xe theo giờ.", "owner_org": "so-giao-thong",
            "license_id": "cc-by", "maintainer": "Phòng dữ liệu", "maintainer_email": "dl@danang.gov.vn",
            "tags": [{"name": "giao thông"}, {"name": "xe"}],
            "extras": [{"key": "frequency", "value": "monthly"}],
            "resources": [
                {"name": "Bảng số liệu", "url": "http://127.0.0.1/luu-luong.csv", "format": "CSV"},
                {"name": "API", "url": "http://127.0.0.1/api", "format": "JSON"}
            ]
        }),
        srv.admin(),
    ));
    let private = srv.ok(srv.post(
        "package_create",
        &json!({"name": "bi-mat-noi-bo", "title": "Bí mật nội bộ", "owner_org": "so-giao-thong", "private": true}),
        srv.admin(),
    ));
    (public, private)
}

both_backends!(
    catalog_lists_public_datasets_in_every_format_sqlite,
    catalog_lists_public_datasets_in_every_format_postgres,
    |srv| {
        let (public, private) = publish(srv);
        let public_id = public["id"].as_str().unwrap_or_default().to_string();
        let private_id = private["id"].as_str().unwrap_or_default().to_string();

        let ttl = get(srv, "/catalog.ttl", None);
        assert!(
            ttl.content_type.starts_with("text/turtle"),
            "{}",
            ttl.content_type
        );
        let g = parse(&ttl, RdfFormat::Turtle);
        assert_eq!(identifiers(&g), vec![public_id.clone()]);
        assert!(!ttl.text().contains(&private_id) && !ttl.text().contains("bi-mat-noi-bo"));
        assert_eq!(literal_of(&g, HYDRA_TOTAL).as_deref(), Some("1"));

        // The same catalogue in every format: same triples.
        for (ext, format, media) in [
            ("rdf", RdfFormat::RdfXml, "application/rdf+xml"),
            ("xml", RdfFormat::RdfXml, "application/rdf+xml"),
            (
                "jsonld",
                RdfFormat::JsonLd {
                    profile: Default::default(),
                },
                "application/ld+json",
            ),
            ("n3", RdfFormat::N3, "text/n3"),
            ("nt", RdfFormat::NTriples, "application/n-triples"),
        ] {
            let reply = get(srv, &format!("/catalog.{ext}"), None);
            assert!(
                reply.content_type.starts_with(media),
                "{ext}: {}",
                reply.content_type
            );
            let other = parse(&reply, format);
            assert_eq!(
                other.len(),
                g.len(),
                "{ext} has {} triples, Turtle {}",
                other.len(),
                g.len()
            );
            assert_eq!(identifiers(&other), vec![public_id.clone()], "{ext}");
        }

        // Negotiation on /catalog: Turtle by default, JSON-LD when asked.
        let negotiated = get(srv, "/catalog", Some("application/ld+json"));
        assert!(negotiated.content_type.starts_with("application/ld+json"));
        assert!(get(srv, "/catalog", None)
            .content_type
            .starts_with("text/turtle"));
        let vary = negotiated
            .headers
            .get("vary")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            vary.split(',').any(|v| v.trim() == "Accept"),
            "Vary: {vary}"
        );

        // HEAD answers the headers only.
        let head = srv
            .request_url("HEAD", &srv.url("/catalog.ttl"), &[], None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
    }
);

both_backends!(
    dataset_documents_and_private_ones_sqlite,
    dataset_documents_and_private_ones_postgres,
    |srv| {
        let (public, private) = publish(srv);
        let public_id = public["id"].as_str().unwrap_or_default();

        // By name and by id; by extension and by Accept on the dataset's page.
        for path in [
            "/dataset/luu-luong-giao-thong.ttl".to_string(),
            format!("/dataset/{public_id}.ttl"),
        ] {
            let g = parse(&get(srv, &path, None), RdfFormat::Turtle);
            assert_eq!(identifiers(&g), vec![public_id.to_string()], "{path}");
        }
        let negotiated = get(srv, "/dataset/luu-luong-giao-thong", Some("text/turtle"));
        assert!(
            negotiated.content_type.starts_with("text/turtle"),
            "{}",
            negotiated.content_type
        );
        assert_eq!(
            identifiers(&parse(&negotiated, RdfFormat::Turtle)),
            vec![public_id.to_string()]
        );
        // The page answers browsers too, so caches must keep the two apart.
        let page = get(srv, "/dataset/luu-luong-giao-thong", Some("text/html"));
        assert_eq!(page.status, 200);
        assert!(
            page.content_type.starts_with("text/html"),
            "{}",
            page.content_type
        );
        let vary = page
            .headers
            .get("vary")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            vary.split(',').any(|v| v.trim() == "Accept"),
            "Vary: {vary}"
        );
        let xml = get(srv, "/dataset/luu-luong-giao-thong.rdf", None);
        assert_eq!(
            identifiers(&parse(&xml, RdfFormat::RdfXml)),
            vec![public_id.to_string()]
        );

        // Private, unknown and deleted datasets answer 404 alike, even to a sysadmin's token (the
        // documents are public ones, as harvesters cache them).
        let private_path = format!(
            "/dataset/{}.ttl",
            private["id"].as_str().unwrap_or_default()
        );
        for path in [
            private_path.as_str(),
            "/dataset/bi-mat-noi-bo.jsonld",
            "/dataset/khong-co.ttl",
        ] {
            assert_eq!(get(srv, path, None).status, 404, "{path}");
            let with_token = srv
                .request_url("GET", &srv.url(path), &[], None, srv.admin())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(with_token.status, 404, "{path} with a token");
        }
        srv.ok(srv.post(
            "package_delete",
            &json!({"id": "luu-luong-giao-thong"}),
            srv.admin(),
        ));
        assert_eq!(
            get(srv, "/dataset/luu-luong-giao-thong.ttl", None).status,
            404
        );
        assert!(identifiers(&parse(&get(srv, "/catalog.ttl", None), RdfFormat::Turtle)).is_empty());
    }
);

both_backends!(
    bad_paging_parameters_are_400_sqlite,
    bad_paging_parameters_are_400_postgres,
    |srv| {
        publish(srv);
        for query in [
            "page=0",
            "page=abc",
            "page=-1",
            "modified_since=yesterday",
            "profiles=nonsense",
            "cursor=abc",
            "fq=metadata_modified:[2020",
        ] {
            let reply = get(srv, &format!("/catalog.ttl?{query}"), None);
            assert_eq!(reply.status, 400, "{query}: {}", reply.text());
            assert!(reply.content_type.starts_with("text/plain"), "{query}");
        }
        // A modified_since after every change lists nothing; one before lists the dataset.
        let none = parse(
            &get(srv, "/catalog.ttl?modified_since=2999-01-01", None),
            RdfFormat::Turtle,
        );
        assert!(identifiers(&none).is_empty());
        let all = parse(
            &get(srv, "/catalog.ttl?modified_since=2000-01-01T00:00:00", None),
            RdfFormat::Turtle,
        );
        assert_eq!(identifiers(&all).len(), 1);
        assert_eq!(get(srv, "/catalog.exe", None).status, 404);
    }
);

both_backends!(
    sitemap_and_robots_sqlite,
    sitemap_and_robots_postgres,
    |srv| {
        publish(srv);
        let robots = get(srv, "/robots.txt", None);
        assert_eq!(robots.status, 200);
        assert!(
            robots
                .text()
                .contains(&format!("Sitemap: {}/sitemap.xml", srv.url(""))),
            "{}",
            robots.text()
        );
        let sitemap = get(srv, "/sitemap.xml", None);
        assert_eq!(sitemap.status, 200);
        assert!(sitemap.content_type.contains("xml"));
        let text = sitemap.text();
        assert!(
            text.contains("/dataset/luu-luong-giao-thong</loc>"),
            "{text}"
        );
        assert!(
            !text.contains("bi-mat-noi-bo"),
            "private dataset in the sitemap: {text}"
        );
    }
);

/// Follows `next` links from page 1, creating and editing datasets between pages, and checks
/// that every dataset there at the start is seen exactly once.
fn walk_while_changing(backend: Backend) {
    let Some(srv) = TestServer::start_with_config(backend, "[dcat]\ndatasets_per_page = 4\n")
    else {
        return;
    };
    srv.create_org("so-tai-chinh");
    let mut before = HashSet::new();
    for i in 0..14 {
        let d = srv.create_dataset(&format!("ngan-sach-{i:02}"), "so-tai-chinh");
        before.insert(d["id"].as_str().unwrap_or_default().to_string());
    }
    let mut seen: Vec<String> = vec![];
    let mut url = srv.url("/catalog.ttl");
    let mut pages = 0;
    loop {
        let reply = srv
            .request_url("GET", &url, &[], None, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let g = parse(&reply, RdfFormat::Turtle);
        let ids = identifiers(&g);
        assert!(ids.len() <= 4, "page of {}", ids.len());
        // Every page, the cursor's too, tells the size of the whole catalogue.
        let total: usize = literal_of(&g, HYDRA_TOTAL)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        assert_eq!(total, 14 + pages, "totalItems on page {}", pages + 1);
        seen.extend(ids);
        pages += 1;
        assert!(pages < 20, "the walk does not end");
        // Between pages: one new dataset, and the first dataset edited (which moves it to the
        // front of an order by modification).
        srv.create_dataset(&format!("moi-{pages}"), "so-tai-chinh");
        srv.ok(srv.post(
            "package_patch",
            &json!({"id": "ngan-sach-00", "notes": format!("sửa {pages}")}),
            srv.admin(),
        ));
        srv.ok(srv.post(
            "package_patch",
            &json!({"id": "ngan-sach-13", "notes": format!("sửa {pages}")}),
            srv.admin(),
        ));
        let next = g
            .triples_for_predicate(HYDRA_NEXT)
            .next()
            .map(|t| t.object.into_owned());
        match next {
            Some(Term::Literal(l)) => url = l.value().to_string(),
            _ => break,
        }
    }
    for id in &before {
        let times = seen.iter().filter(|s| *s == id).count();
        assert_eq!(
            times, 1,
            "dataset {id} seen {times} times over {pages} pages"
        );
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a dataset was listed twice");
}

#[test]
fn paged_walk_sees_each_dataset_once_sqlite() {
    walk_while_changing(Backend::Sqlite);
}

#[test]
fn paged_walk_sees_each_dataset_once_postgres() {
    walk_while_changing(Backend::Postgres);
}

/// `[dcat] publisher` names the organization that publishes the catalogue; `base_uri` mints
/// the subjects' IRIs.
fn configured_publisher_and_base(backend: Backend) {
    let config =
        "[dcat]\npublisher = \"so-giao-thong\"\nbase_uri = \"https://du-lieu.example.gov.vn\"\n";
    let Some(srv) = TestServer::start_with_config(backend, config) else {
        return;
    };
    let (public, _) = publish(&srv);
    srv.ok(srv.post(
        "organization_patch",
        &json!({"id": "so-giao-thong", "title": "Sở Giao thông vận tải"}),
        srv.admin(),
    ));
    let g = parse(&get(&srv, "/catalog.ttl", None), RdfFormat::Turtle);
    let catalog = g
        .subjects_for_predicate_object(
            RDF_TYPE,
            NamedNodeRef::new_unchecked("http://www.w3.org/ns/dcat#Catalog"),
        )
        .next()
        .unwrap_or_else(|| panic!("no dcat:Catalog"));
    let publisher = g
        .object_for_subject_predicate(
            catalog,
            NamedNodeRef::new_unchecked("http://purl.org/dc/terms/publisher"),
        )
        .unwrap_or_else(|| panic!("the catalogue has no publisher"));
    let names: Vec<String> = match publisher {
        TermRef::NamedNode(n) => g
            .objects_for_subject_predicate(n, FOAF_NAME)
            .map(|o| o.to_string())
            .collect(),
        TermRef::BlankNode(b) => g
            .objects_for_subject_predicate(b, FOAF_NAME)
            .map(|o| o.to_string())
            .collect(),
        other => panic!("publisher is {other}"),
    };
    assert!(
        names.iter().any(|n| n.contains("Sở Giao thông vận tải")),
        "{names:?}"
    );
    let id = public["id"].as_str().unwrap_or_default();
    let iri = format!("https://du-lieu.example.gov.vn/dataset/{id}");
    assert!(
        g.subjects_for_predicate_object(RDF_TYPE, DCAT_DATASET)
            .any(|s| s.to_string() == format!("<{iri}>")),
        "no dataset at {iri}"
    );
}

const FOAF_NAME: NamedNodeRef<'_> = NamedNodeRef::new_unchecked("http://xmlns.com/foaf/0.1/name");

#[test]
fn configured_publisher_and_base_sqlite() {
    configured_publisher_and_base(Backend::Sqlite);
}

#[test]
fn configured_publisher_and_base_postgres() {
    configured_publisher_and_base(Backend::Postgres);
}
