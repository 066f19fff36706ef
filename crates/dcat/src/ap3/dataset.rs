//! A dataset as a `dcat:Dataset` (DCAT-AP 3): which CKAN field becomes which property, with
//! the fallbacks that keep the shapes' required properties present.

use super::{distribution, nodes, places};
use crate::dataset::Dataset;
use crate::dates::{self, DateValue};
use crate::profile::{Publisher, Site};
use crate::tables;
use crate::vocab::{adms, dcat, dct, foaf, gsp, known, locn, node, owl, skos, web_iri, Doc, EU};
use oxrdf::{NamedNode, NamedOrBlankNode};

/// The dataset's IRI: its `uri` extra when it has a valid one (a harvested dataset keeps its
/// source's IRI), else `{base}/dataset/{id}` — the id, so a rename keeps harvesters' GUIDs.
pub fn dataset_iri(site: &Site, d: &Dataset) -> NamedNode {
    d.extra(&["uri"])
        .filter(|u| *u != "None")
        .and_then(web_iri)
        .unwrap_or_else(|| minted_iri(site, d))
}

fn minted_iri(site: &Site, d: &Dataset) -> NamedNode {
    nodes::known_or_minted(&format!("{}/dataset/{}", site.base, d.id))
}

pub fn write(
    doc: &mut Doc,
    site: &Site,
    d: &Dataset,
    publisher: Option<&Publisher>,
) -> NamedOrBlankNode {
    // Two datasets claiming one `uri` would merge into one node: the second gets its own.
    let iri = dataset_iri(site, d);
    let s = node(&if doc.first_time(&iri) {
        iri
    } else {
        minted_iri(site, d)
    });
    let lang = site.lang();
    doc.typed(&s, dcat::DATASET);

    let title = d.display_title();
    doc.text(&s, dct::TITLE, title, lang);
    let notes = if d.notes.trim().is_empty() {
        title
    } else {
        &d.notes
    };
    doc.text(&s, dct::DESCRIPTION, notes, lang);
    translations(doc, &s, d, &site.language);

    let identifier = d.extra(&["identifier", "guid"]).unwrap_or(&d.id);
    doc.text(&s, dct::IDENTIFIER, identifier, None);
    for (extra, fallback, property) in [
        ("issued", &d.metadata_created, dct::ISSUED),
        ("modified", &d.metadata_modified, dct::MODIFIED),
    ] {
        let value = d
            .extra(&[extra])
            .and_then(dates::parse)
            .or_else(|| dates::ckan_time(fallback));
        if let Some(v) = value {
            doc.typed_literal(&s, property, &v.lexical(), v.datatype());
        }
    }
    if !d.version.trim().is_empty() {
        doc.text(&s, dcat::VERSION, &d.version, None);
        doc.text(&s, owl::VERSION_INFO, &d.version, None);
    }
    if let Some(notes) = d.extra(&["version_notes"]) {
        doc.text(&s, adms::VERSION_NOTES, notes, lang);
    }
    for tag in &d.tags {
        doc.text(&s, dcat::KEYWORD, &tag.name, lang);
    }
    themes(doc, &s, site, d);

    let landing = web_iri(&d.url).unwrap_or_else(|| {
        nodes::known_or_minted(&format!("{}/dataset/{}", site.site_url, d.name))
    });
    nodes::document(doc, &landing);
    doc.add(&s, dcat::LANDING_PAGE, landing);

    if let Some(p) = publisher {
        let agent = nodes::publisher(doc, site, p);
        doc.add(&s, dct::PUBLISHER, agent);
    }
    people(doc, &s, d, publisher);
    languages(doc, &s, d, &site.language);
    if let Some((code, label)) = d
        .extra(&[
            "frequency",
            "accrual_periodicity",
            "tan_suat_cap_nhat",
            "tan_suat",
        ])
        .and_then(tables::frequency)
    {
        let f = nodes::eu_term(doc, "frequency", code, label, &[dct::FREQUENCY]);
        doc.add(&s, dct::ACCRUAL_PERIODICITY, f);
    }
    spatial(doc, &s, site, d, publisher);
    temporal(doc, &s, d);
    let public = nodes::eu_term(
        doc,
        "access-right",
        "PUBLIC",
        "public",
        &[dct::RIGHTS_STATEMENT],
    );
    doc.add(&s, dct::ACCESS_RIGHTS, public);
    related(doc, &s, d);

    for r in &d.resources {
        let dist = distribution::write(doc, site, d, r);
        doc.add(&s, dcat::DISTRIBUTION_P, dist);
    }
    // DCAT-AP puts licences on distributions; a dataset without any keeps its licence on
    // itself (allowed by DCAT) rather than losing it on the way to the national portal.
    if d.resources.is_empty() {
        if let Some(l) = nodes::licence(doc, site, &d.license_id) {
            doc.add(&s, dct::LICENSE, l);
        }
    }
    s
}

/// `title_en`, `notes_en` … extras: the same text in another language.
fn translations(doc: &mut Doc, s: &NamedOrBlankNode, d: &Dataset, default: &str) {
    for (iso, _, _) in tables::LANGUAGES {
        if *iso == default {
            continue;
        }
        if let Some(t) = d.extra(&[&format!("title_{iso}")]) {
            doc.text(s, dct::TITLE, t, Some(iso));
        }
        if let Some(t) = d.extra(&[&format!("notes_{iso}")]) {
            doc.text(s, dct::DESCRIPTION, t, Some(iso));
        }
    }
}

/// Groups as themes: the portal's own concept, and the EU data theme it falls under.
fn themes(doc: &mut Doc, s: &NamedOrBlankNode, site: &Site, d: &Dataset) {
    let scheme = format!("{}/group", site.base);
    for g in &d.groups {
        let local = nodes::known_or_minted(&format!("{scheme}/{}", g.name));
        let title = if g.title.trim().is_empty() {
            &g.name
        } else {
            &g.title
        };
        nodes::term(
            doc,
            &local,
            &[skos::CONCEPT],
            &[(title, site.lang())],
            Some(&scheme),
        );
        doc.add(s, dcat::THEME, local);
        if let Some(code) = tables::eu_theme_of_group(&g.name) {
            let label = tables::eu_theme_label(code).unwrap_or(code);
            let eu = nodes::eu_term(doc, "data-theme", code, label, &[]);
            doc.add(s, dcat::THEME, eu);
        }
    }
}

/// The maintainer as the contact point (the author when there is none), the author as the
/// creator. A contact is one person: a name and an address are never taken from two.
fn people(doc: &mut Doc, s: &NamedOrBlankNode, d: &Dataset, publisher: Option<&Publisher>) {
    let given = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let candidates = [
        (
            d.extra(&["contact_name"]).and_then(given),
            d.extra(&["contact_email"]).and_then(given),
        ),
        (given(&d.maintainer), given(&d.maintainer_email)),
        (given(&d.author), given(&d.author_email)),
    ];
    let contact = candidates
        .into_iter()
        .find(|(name, email)| name.is_some() || email.is_some());
    if let Some((name, email)) = contact {
        let email_ok = email.as_deref().and_then(nodes::mailto).is_some();
        // An address alone: the organization is who answers.
        let name = name.or_else(|| {
            email_ok
                .then(|| publisher.map(|p| p.title.clone()))
                .flatten()
        });
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            let c = nodes::contact(doc, &name, email.as_deref());
            doc.add(s, dcat::CONTACT_POINT, c);
        }
    }
    if let Some(author) = given(&d.author) {
        let a = nodes::agent(doc, &author, given(&d.author_email).as_deref());
        doc.add(s, dct::CREATOR, a);
    }
}

/// `language` extra (a JSON list or commas), else the portal's language.
fn languages(doc: &mut Doc, s: &NamedOrBlankNode, d: &Dataset, default: &str) {
    let listed: Vec<String> = match d.extra(&["language"]) {
        Some(v) => serde_json::from_str::<Vec<String>>(v)
            .unwrap_or_else(|_| v.split(',').map(|x| x.trim().to_string()).collect()),
        None => vec![default.to_string()],
    };
    for l in listed {
        if let Some(iri) = nodes::language(doc, &l) {
            doc.add(s, dct::LANGUAGE, iri);
        }
    }
}

/// One place: the dataset's own (`spatial_uri`, `spatial`, `spatial_text`, the demo's
/// `pham_vi_dia_ly`), else the province that publishes it.
fn spatial(
    doc: &mut Doc,
    s: &NamedOrBlankNode,
    site: &Site,
    d: &Dataset,
    publisher: Option<&Publisher>,
) {
    let uri = d.extra(&["spatial_uri"]).and_then(web_iri);
    let text = d.extra(&["spatial_text", "pham_vi_dia_ly"]);
    let geometry = d.extra(&["spatial"]).filter(|g| is_geojson_geometry(g));
    let place: Option<NamedOrBlankNode> = if uri.is_none() && geometry.is_none() {
        match text {
            Some(t) => Some(places::named(doc, site, t)),
            None => publisher
                .and_then(|p| places::of_publisher(doc, site, p))
                .map(|n| node(&n)),
        }
    } else {
        let subject = match &uri {
            Some(u) if !doc.first_time(u) => {
                doc.add(s, dct::SPATIAL, u.clone());
                return;
            }
            Some(u) => node(u),
            None => Doc::blank(),
        };
        doc.typed(&subject, dct::LOCATION);
        if let Some(t) = text {
            doc.text(&subject, skos::PREF_LABEL, t, site.lang());
        }
        if let Some(g) = geometry {
            doc.typed_literal(&subject, locn::GEOMETRY, g, gsp::GEO_JSON_LITERAL);
        }
        Some(subject)
    };
    if let Some(p) = place {
        doc.add(s, dct::SPATIAL, p);
    }
}

/// `temporal_start` / `temporal_end`, else the demo's `nam_du_lieu` year range.
fn temporal(doc: &mut Doc, s: &NamedOrBlankNode, d: &Dataset) {
    let mut start = d.extra(&["temporal_start"]).and_then(dates::parse);
    let mut end = d.extra(&["temporal_end"]).and_then(dates::parse);
    if start.is_none() && end.is_none() {
        if let Some((a, b)) = d.extra(&["nam_du_lieu"]).and_then(dates::year_range) {
            start = Some(DateValue::Year(a));
            end = Some(DateValue::Year(b));
        }
    }
    if start.is_none() && end.is_none() {
        return;
    }
    let period = Doc::blank();
    doc.typed(&period, dct::PERIOD_OF_TIME);
    for (v, p) in [(start, dcat::START_DATE), (end, dcat::END_DATE)] {
        if let Some(v) = v {
            doc.typed_literal(&period, p, &v.lexical(), v.datatype());
        }
    }
    doc.add(s, dct::TEMPORAL, period);
}

/// Alternative identifiers, documentation pages, standards and related resources.
fn related(doc: &mut Doc, s: &NamedOrBlankNode, d: &Dataset) {
    for id in list_extra(d, "alternate_identifier") {
        let n = nodes::identifier(doc, &id);
        doc.add(s, adms::IDENTIFIER, n);
    }
    for url in list_extra(d, "documentation") {
        if let Some(page) = web_iri(&url) {
            nodes::document(doc, &page);
            doc.add(s, foaf::PAGE, page);
        }
    }
    for url in list_extra(d, "conforms_to") {
        if let Some(standard) = web_iri(&url) {
            if doc.first_time(&standard) {
                doc.typed(&node(&standard), dct::STANDARD);
            }
            doc.add(s, dct::CONFORMS_TO, standard);
        }
    }
    for url in list_extra(d, "related_resource") {
        if let Some(r) = web_iri(&url) {
            doc.add(s, dct::RELATION, r);
        }
    }
}

/// An extra holding a JSON list of strings, or one value.
pub fn list_extra(d: &Dataset, key: &str) -> Vec<String> {
    match d.extra(&[key]) {
        None => vec![],
        Some(v) => serde_json::from_str::<Vec<String>>(v).unwrap_or_else(|_| vec![v.to_string()]),
    }
}

/// The EU table of data themes, which the catalogue lists as a taxonomy.
pub fn eu_themes_scheme() -> NamedNode {
    known(&format!("{EU}data-theme"))
}

/// Whether `text` is a GeoJSON geometry (an object with a geometry `type` and its
/// `coordinates` or `geometries`): anything else would be an invalid `gsp:geoJSONLiteral`.
fn is_geojson_geometry(text: &str) -> bool {
    let Ok(serde_json::Value::Object(g)) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let kinds = [
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    ];
    match g.get("type").and_then(|t| t.as_str()) {
        Some("GeometryCollection") => g.get("geometries").is_some_and(|v| v.is_array()),
        Some(kind) if kinds.contains(&kind) => g.get("coordinates").is_some_and(|v| v.is_array()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::profile::{Profile, Publisher, Site};
    use crate::vocab::{dct, vcard, Doc};
    use crate::{Dataset, DcatAp3};

    fn describe(json: &str, publisher: Option<&Publisher>) -> Doc {
        let d = Dataset::from_json(json).unwrap_or_else(|e| panic!("{e}"));
        let mut doc = Doc::default();
        DcatAp3.dataset(
            &mut doc,
            &Site::new("http://127.0.0.1:5000", "Cổng", "", "vi"),
            &d,
            publisher,
        );
        doc
    }

    /// A maintainer's name is never paired with the author's address.
    #[test]
    fn a_contact_is_one_person() {
        let doc = describe(
            r#"{"id": "x1", "name": "x", "maintainer": "Phòng A", "author": "Ông B", "author_email": "b@example.gov.vn"}"#,
            None,
        );
        let names: Vec<String> = doc
            .graph
            .triples_for_predicate(vcard::FN)
            .map(|t| t.object.to_string())
            .collect();
        assert_eq!(names, ["\"Phòng A\""]);
        assert_eq!(doc.graph.triples_for_predicate(vcard::HAS_EMAIL).count(), 0);
    }

    /// A ministry's own code is no place; a province's code is.
    #[test]
    fn only_provinces_are_places() {
        let ministry = Publisher {
            title: "Bộ Tài chính".into(),
            code: Some("BTC".into()),
            ..Default::default()
        };
        let doc = describe(r#"{"id": "x2", "name": "y"}"#, Some(&ministry));
        assert_eq!(doc.graph.triples_for_predicate(dct::SPATIAL).count(), 0);
        let province = Publisher {
            title: "Thành phố Hà Nội".into(),
            code: Some("01".into()),
            ..Default::default()
        };
        let doc = describe(r#"{"id": "x3", "name": "z"}"#, Some(&province));
        let spatial: Vec<String> = doc
            .graph
            .triples_for_predicate(dct::SPATIAL)
            .map(|t| t.object.to_string())
            .collect();
        assert_eq!(spatial, ["<http://127.0.0.1:5000/dvhc/01>"]);
    }
}
