//! RDF back to a package dict, for the harvester: CKAN's own fields where Cổng's export put
//! them (title, notes, url, version, tags, groups, author, maintainer, licence, resources),
//! ckanext-dcat's extras for the rest (`uri`, `identifier`, `issued`, `publisher_name` …).
//! Reads any DCAT, not only Cổng's: IRIs or literals, several languages, missing fields.

use crate::tables;
use crate::vocab::{adms, dcat, dct, foaf, gsp, locn, owl, rdfs, skos, spdx, vcard, EU, IANA};
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef};
use serde_json::{json, Map, Value};

/// The languages literals are preferred in, in order; then untagged, then any.
const PREFERRED: &[&str] = &["vi"];

pub fn dataset(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Map<String, Value> {
    let mut d = Map::new();
    let mut extras: Vec<(String, String)> = vec![];
    let title = text(g, s, dct::TITLE).unwrap_or_default();
    let notes = text(g, s, dct::DESCRIPTION).unwrap_or_default();
    // Cổng and others write the title where there is no description; it is not one.
    let notes = if notes == title { String::new() } else { notes };
    for (lang, t) in translations(g, s, dct::TITLE) {
        extras.push((format!("title_{lang}"), t));
    }
    for (lang, t) in translations(g, s, dct::DESCRIPTION) {
        extras.push((format!("notes_{lang}"), t));
    }
    d.insert("title".into(), title.into());
    d.insert("notes".into(), notes.into());
    d.insert(
        "url".into(),
        first_iri_or_text(g, s, dcat::LANDING_PAGE)
            .unwrap_or_default()
            .into(),
    );
    let version = text(g, s, dcat::VERSION).or_else(|| text(g, s, owl::VERSION_INFO));
    d.insert("version".into(), version.unwrap_or_default().into());

    let mut tags: Vec<String> = vec![];
    for k in all_text(g, s, dcat::KEYWORD) {
        for t in k.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
    }
    d.insert(
        "tags".into(),
        Value::Array(tags.into_iter().map(|t| json!({"name": t})).collect()),
    );
    d.insert(
        "groups".into(),
        Value::Array(
            groups(g, s)
                .into_iter()
                .map(|n| json!({"name": n}))
                .collect(),
        ),
    );

    if let NamedOrBlankNodeRef::NamedNode(n) = s {
        extras.push(("uri".into(), n.as_str().into()));
    }
    for (key, p) in [
        ("identifier", dct::IDENTIFIER),
        ("issued", dct::ISSUED),
        ("modified", dct::MODIFIED),
        ("version_notes", adms::VERSION_NOTES),
        ("frequency", dct::ACCRUAL_PERIODICITY),
        ("access_rights", dct::ACCESS_RIGHTS),
    ] {
        if let Some(v) = first_iri_or_text(g, s, p) {
            extras.push((key.into(), v));
        }
    }
    let languages: Vec<String> = objects(g, s, dct::LANGUAGE)
        .filter_map(|o| iri_or_text(&o))
        .map(|l| {
            tables::language(&l)
                .map(|(iso, _, _)| iso.to_string())
                .unwrap_or(l)
        })
        .collect();
    if !languages.is_empty() {
        extras.push(("language".into(), json_list(&languages)));
    }
    for (key, p) in [
        ("alternate_identifier", adms::IDENTIFIER),
        ("documentation", foaf::PAGE),
        ("conforms_to", dct::CONFORMS_TO),
        ("related_resource", dct::RELATION),
    ] {
        let values: Vec<String> = objects(g, s, p)
            .filter_map(|o| match &o {
                Term::BlankNode(b) => text(g, b.as_ref().into(), skos::NOTATION),
                other => iri_or_text(other),
            })
            .collect();
        if !values.is_empty() {
            extras.push((key.into(), json_list(&values)));
        }
    }
    people(g, s, &mut d, &mut extras);
    place_and_time(g, s, &mut extras);

    let mut licence = object(g, s, dct::LICENSE).and_then(|l| licence_id(g, &l));
    let mut resources = vec![];
    for dist in objects(g, s, dcat::DISTRIBUTION_P) {
        let Some(node) = subject_of(&dist) else {
            continue;
        };
        if licence.is_none() {
            licence = object(g, node, dct::LICENSE).and_then(|l| licence_id(g, &l));
        }
        resources.push(Value::Object(distribution(g, node)));
    }
    d.insert("license_id".into(), licence.unwrap_or_default().into());
    d.insert("resources".into(), Value::Array(resources));
    d.insert(
        "extras".into(),
        Value::Array(
            extras
                .into_iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect(),
        ),
    );
    d
}

fn distribution(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Map<String, Value> {
    let mut r = Map::new();
    let download = first_iri_or_text(g, s, dcat::DOWNLOAD_URL);
    let access = first_iri_or_text(g, s, dcat::ACCESS_URL);
    r.insert("url".into(), download.or(access).unwrap_or_default().into());
    r.insert(
        "name".into(),
        text(g, s, dct::TITLE).unwrap_or_default().into(),
    );
    r.insert(
        "description".into(),
        text(g, s, dct::DESCRIPTION).unwrap_or_default().into(),
    );
    let mimetype = object(g, s, dcat::MEDIA_TYPE).and_then(|m| match &m {
        Term::NamedNode(n) => text(g, n.as_ref().into(), rdfs::LABEL)
            .or_else(|| n.as_str().strip_prefix(IANA).map(str::to_string))
            .or_else(|| Some(n.as_str().to_string())),
        other => iri_or_text(other),
    });
    let format = object(g, s, dct::FORMAT).and_then(|f| match &f {
        Term::NamedNode(n) => tables::file_type_of_iri(n.as_str())
            .map(|t| t.ckan.to_string())
            .or_else(|| {
                let media = n.as_str().strip_prefix(IANA)?;
                tables::file_type_of_media(media).map(|t| t.ckan.to_string())
            })
            .or_else(|| text(g, n.as_ref().into(), skos::PREF_LABEL))
            .or_else(|| Some(n.as_str().to_string())),
        Term::BlankNode(b) => text(g, b.as_ref().into(), rdfs::LABEL),
        other => iri_or_text(other),
    });
    let format = format.or_else(|| {
        mimetype
            .as_deref()
            .and_then(tables::file_type_of_media)
            .map(|t| t.ckan.into())
    });
    r.insert("format".into(), format.unwrap_or_default().into());
    r.insert(
        "mimetype".into(),
        mimetype.map(Value::from).unwrap_or(Value::Null),
    );
    let size = text(g, s, dcat::BYTE_SIZE)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|n| *n >= 0.0);
    r.insert(
        "size".into(),
        size.map(|n| Value::from(n as u64)).unwrap_or(Value::Null),
    );
    if let Some(c) = object(g, s, spdx::CHECKSUM).as_ref().and_then(subject_of) {
        let value = text(g, c, spdx::CHECKSUM_VALUE);
        let algorithm = first_iri_or_text(g, c, spdx::ALGORITHM)
            .and_then(|a| a.rsplit("checksumAlgorithm_").next().map(str::to_string));
        if let (Some(v), Some(a)) = (value, algorithm) {
            let hash = if a == "sha256" {
                v.to_ascii_lowercase()
            } else {
                format!("{a}:{}", v.to_ascii_lowercase())
            };
            r.insert("hash".into(), hash.into());
        }
    }
    if let Some(m) = text(g, s, dct::MODIFIED) {
        r.insert("last_modified".into(), m.into());
    }
    if let NamedOrBlankNodeRef::NamedNode(n) = s {
        r.insert("uri".into(), n.as_str().into());
    }
    r
}

/// Themes as group names: a portal's own `…/group/{name}` concept, else the national group
/// an EU data theme stands for.
fn groups(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Vec<String> {
    let iris: Vec<String> = objects(g, s, dcat::THEME)
        .filter_map(|t| iri_or_text(&t))
        .collect();
    let mut names: Vec<String> = iris
        .iter()
        .filter_map(|i| i.rsplit_once("/group/").map(|(_, n)| n.to_string()))
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .collect();
    if names.is_empty() {
        names = iris
            .iter()
            .filter_map(|i| i.strip_prefix(&format!("{EU}data-theme/")))
            .filter_map(tables::group_of_eu_theme)
            .map(str::to_string)
            .collect();
    }
    names.dedup();
    names
}

/// Creator → author; contact point → maintainer (unless it is the author again);
/// publisher → `publisher_*` extras (the harvest source decides the owning organization).
fn people(
    g: &Graph,
    s: NamedOrBlankNodeRef<'_>,
    d: &mut Map<String, Value>,
    extras: &mut Vec<(String, String)>,
) {
    let (mut author, mut author_email) = (String::new(), String::new());
    if let Some(c) = object(g, s, dct::CREATOR).as_ref().and_then(subject_of) {
        author = text(g, c, foaf::NAME).unwrap_or_default();
        author_email = mail(g, c, foaf::MBOX)
            .or_else(|| mail(g, c, vcard::HAS_EMAIL))
            .unwrap_or_default();
    }
    let (mut maintainer, mut maintainer_email) = (String::new(), String::new());
    if let Some(c) = object(g, s, dcat::CONTACT_POINT)
        .as_ref()
        .and_then(subject_of)
    {
        let name = text(g, c, vcard::FN)
            .or_else(|| text(g, c, vcard::HAS_FN))
            .unwrap_or_default();
        let email = mail(g, c, vcard::HAS_EMAIL).unwrap_or_default();
        if (name.clone(), email.clone()) != (author.clone(), author_email.clone()) {
            (maintainer, maintainer_email) = (name, email);
        }
    }
    for (k, v) in [
        ("author", author),
        ("author_email", author_email),
        ("maintainer", maintainer),
        ("maintainer_email", maintainer_email),
    ] {
        d.insert(k.into(), v.into());
    }
    if let Some(p) = object(g, s, dct::PUBLISHER) {
        if let Term::NamedNode(n) = &p {
            extras.push(("publisher_uri".into(), n.as_str().into()));
        }
        if let Some(node) = subject_of(&p) {
            let fields = [
                ("publisher_name", text(g, node, foaf::NAME)),
                ("publisher_email", mail(g, node, foaf::MBOX)),
                ("publisher_url", first_iri_or_text(g, node, foaf::HOMEPAGE)),
                ("publisher_type", first_iri_or_text(g, node, dct::TYPE)),
                ("publisher_identifier", text(g, node, dct::IDENTIFIER)),
            ];
            for (k, v) in fields {
                if let Some(v) = v {
                    extras.push((k.into(), v));
                }
            }
        }
    }
}

fn place_and_time(g: &Graph, s: NamedOrBlankNodeRef<'_>, extras: &mut Vec<(String, String)>) {
    if let Some(place) = object(g, s, dct::SPATIAL) {
        if let Term::NamedNode(n) = &place {
            extras.push(("spatial_uri".into(), n.as_str().into()));
        }
        if let Some(node) = subject_of(&place) {
            if let Some(t) = text(g, node, skos::PREF_LABEL).or_else(|| text(g, node, rdfs::LABEL))
            {
                extras.push(("spatial_text".into(), t));
            }
            let geojson = objects(g, node, locn::GEOMETRY).find_map(|o| match o {
                Term::Literal(l) if l.datatype() == gsp::GEO_JSON_LITERAL => {
                    Some(l.value().to_string())
                }
                _ => None,
            });
            if let Some(geo) = geojson {
                extras.push(("spatial".into(), geo));
            }
        }
    }
    if let Some(period) = object(g, s, dct::TEMPORAL).as_ref().and_then(subject_of) {
        for (k, p) in [
            ("temporal_start", dcat::START_DATE),
            ("temporal_end", dcat::END_DATE),
        ] {
            if let Some(v) = text(g, period, p) {
                extras.push((k.into(), v));
            }
        }
    }
}

fn licence_id(g: &Graph, l: &Term) -> Option<String> {
    let iri = iri_or_text(l).unwrap_or_default();
    let title = subject_of(l).and_then(|n| text(g, n, dct::TITLE));
    tables::licence_id(&iri, title.as_deref())
}

fn mail(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: NamedNodeRef<'_>) -> Option<String> {
    first_iri_or_text(g, s, p).map(|m| m.trim_start_matches("mailto:").to_string())
}

fn objects(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: NamedNodeRef<'_>) -> std::vec::IntoIter<Term> {
    g.objects_for_subject_predicate(s, p)
        .map(TermRef::into_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

fn object(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: NamedNodeRef<'_>) -> Option<Term> {
    g.object_for_subject_predicate(s, p)
        .map(TermRef::into_owned)
}

fn subject_of(t: &Term) -> Option<NamedOrBlankNodeRef<'_>> {
    match t {
        Term::NamedNode(n) => Some(n.as_ref().into()),
        Term::BlankNode(b) => Some(b.as_ref().into()),
        _ => None,
    }
}

fn iri_or_text(t: &Term) -> Option<String> {
    match t {
        Term::NamedNode(n) => Some(n.as_str().to_string()),
        Term::Literal(l) => Some(l.value().trim().to_string()).filter(|v| !v.is_empty()),
        _ => None,
    }
}

fn first_iri_or_text(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: NamedNodeRef<'_>) -> Option<String> {
    objects(g, s, p).find_map(|o| iri_or_text(&o))
}

fn all_text(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: NamedNodeRef<'_>) -> Vec<String> {
    objects(g, s, p)
        .filter_map(|o| match o {
            Term::Literal(l) => Some(l.value().trim().to_string()),
            _ => None,
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// The literal in a preferred language, else an untagged one, else any.
fn text(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: NamedNodeRef<'_>) -> Option<String> {
    let literals: Vec<(Option<String>, String)> = objects(g, s, p)
        .filter_map(|o| match o {
            Term::Literal(l) => Some((
                l.language().map(str::to_string),
                l.value().trim().to_string(),
            )),
            _ => None,
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    PREFERRED
        .iter()
        .find_map(|want| literals.iter().find(|(l, _)| l.as_deref() == Some(want)))
        .or_else(|| literals.iter().find(|(l, _)| l.is_none()))
        .or_else(|| literals.first())
        .map(|(_, v)| v.clone())
}

/// Literals in the other languages Cổng knows (`en` …): `(iso, text)`.
fn translations(
    g: &Graph,
    s: NamedOrBlankNodeRef<'_>,
    p: NamedNodeRef<'_>,
) -> Vec<(String, String)> {
    let chosen = text(g, s, p);
    objects(g, s, p)
        .filter_map(|o| match o {
            Term::Literal(l) => {
                let lang = l.language()?.to_ascii_lowercase();
                let known = tables::LANGUAGES.iter().any(|(iso, _, _)| *iso == lang);
                let v = l.value().trim().to_string();
                (known
                    && !PREFERRED.contains(&lang.as_str())
                    && Some(&v) != chosen.as_ref()
                    && !v.is_empty())
                .then_some((lang, v))
            }
            _ => None,
        })
        .collect()
}

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::format::{parse, Format, RdfWriter};
    use crate::profile::{Profile, Site};
    use crate::vocab::Doc;
    use crate::{Dataset, DcatAp3};
    use oxrdf::NamedOrBlankNodeRef;

    /// A dataset written by the export and read back, through every format, keeps what a
    /// harvester copies.
    #[test]
    fn export_then_read_back_keeps_the_dataset() {
        let d = Dataset::from_json(
            r#"{"id": "3f6c1d2e-0000-4000-8000-000000000001", "name": "gpxd", "title": "Giấy phép xây dựng",
                "notes": "Danh sách giấy phép", "version": "2.1", "url": "https://sxd.example.gov.vn/gpxd",
                "license_id": "cc-by", "metadata_created": "2025-01-02T03:04:05.000006",
                "metadata_modified": "2025-06-01T10:00:00",
                "maintainer": "Phòng Quản lý", "maintainer_email": "ql@example.gov.vn",
                "author": "Nguyễn Văn A", "author_email": "a@example.gov.vn",
                "tags": [{"name": "xây dựng"}, {"name": "giấy phép"}],
                "groups": [{"name": "giao-thong-van-tai", "title": "Giao thông vận tải"}],
                "extras": [{"key": "frequency", "value": "monthly"},
                           {"key": "temporal_start", "value": "2025-01-01"},
                           {"key": "temporal_end", "value": "2025-12-31"},
                           {"key": "language", "value": "vi"},
                           {"key": "title_en", "value": "Building permits"},
                           {"key": "notes_en", "value": "List of permits"}],
                "resources": [{"id": "r1", "name": "Bảng", "url": "https://sxd.example.gov.vn/gpxd.csv",
                               "format": "CSV", "description": "Theo quý", "mimetype": "text/csv",
                               "size": 1234, "hash": "sha256:ab00000000000000000000000000000000000000000000000000000000000000"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let site = Site::new("http://127.0.0.1:5000", "Cổng", "", "vi");
        for format in [
            Format::Turtle,
            Format::RdfXml,
            Format::JsonLd,
            Format::NTriples,
            Format::N3,
        ] {
            let mut doc = Doc::default();
            let subject = DcatAp3.dataset(&mut doc, &site, &d, None);
            let mut writer = RdfWriter::new(format, Vec::new());
            writer
                .write(&mut doc.graph)
                .unwrap_or_else(|e| panic!("{e}"));
            let bytes = writer.finish().unwrap_or_else(|e| panic!("{e}"));
            let g = parse(format, &bytes, None).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            let NamedOrBlankNode::NamedNode(iri) = &subject else {
                panic!("blank dataset node")
            };
            let back = super::dataset(&g, NamedOrBlankNodeRef::NamedNode(iri.as_ref()));
            let back = serde_json::Value::Object(back);
            for (field, want) in [
                ("title", "Giấy phép xây dựng"),
                ("notes", "Danh sách giấy phép"),
                ("version", "2.1"),
                ("url", "https://sxd.example.gov.vn/gpxd"),
                ("author", "Nguyễn Văn A"),
                ("author_email", "a@example.gov.vn"),
                ("maintainer", "Phòng Quản lý"),
                ("maintainer_email", "ql@example.gov.vn"),
                ("license_id", "cc-by"),
            ] {
                assert_eq!(back[field], want, "{format:?} {field}: {back:#}");
            }
            let names = |key: &str| -> Vec<String> {
                let mut v: Vec<String> = back[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t["name"].as_str().map(str::to_string))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(names("tags"), ["giấy phép", "xây dựng"], "{format:?}");
            assert_eq!(names("groups"), ["giao-thong-van-tai"], "{format:?}");
            let r = &back["resources"][0];
            assert_eq!(
                back["resources"].as_array().map(Vec::len),
                Some(1),
                "{format:?}"
            );
            for (field, want) in [
                ("url", "https://sxd.example.gov.vn/gpxd.csv"),
                ("name", "Bảng"),
                ("description", "Theo quý"),
                ("format", "CSV"),
                ("mimetype", "text/csv"),
            ] {
                assert_eq!(r[field], want, "{format:?} resource {field}: {back:#}");
            }
            assert_eq!(r["size"], 1234);
            assert!(
                r["hash"]
                    .as_str()
                    .is_some_and(|h| h.starts_with("ab00000000000000") && h.len() == 64),
                "{r}"
            );
            let extra = |k: &str| -> String {
                back["extras"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|e| e["key"] == k)
                    .and_then(|e| e["value"].as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            assert_eq!(extra("identifier"), d.id, "{format:?}");
            assert_eq!(extra("title_en"), "Building permits", "{format:?}");
            assert_eq!(extra("notes_en"), "List of permits", "{format:?}");
            assert_eq!(extra("issued"), "2025-01-02T03:04:05.000006", "{format:?}");
            assert_eq!(extra("modified"), "2025-06-01T10:00:00", "{format:?}");
            assert!(extra("frequency").ends_with("/MONTHLY"), "{format:?}");
            assert_eq!(extra("temporal_start"), "2025-01-01", "{format:?}");
            assert_eq!(extra("temporal_end"), "2025-12-31", "{format:?}");
            assert!(extra("language").contains("vi"), "{format:?}");
        }
    }

    use oxrdf::NamedOrBlankNode;
}
