//! schema.org `Dataset` JSON-LD for a dataset's page (what Google Dataset Search reads):
//! name, a description of at least 50 characters, the publisher, licence as a URL, dates
//! with a zone, and a `DataDownload` for each file one can download.

use crate::ap3::{dataset::dataset_iri, distribution::format_of, nodes};
use crate::dataset::Dataset;
use crate::dates;
use crate::profile::{Publisher, Site};
use crate::tables;
use serde_json::{json, Map, Value};

pub fn dataset(site: &Site, d: &Dataset, publisher: Option<&Publisher>) -> Value {
    let mut o = Map::new();
    o.insert("@context".into(), "https://schema.org/".into());
    o.insert("@type".into(), "Dataset".into());
    o.insert("@id".into(), dataset_iri(site, d).into_string().into());
    let title = d.display_title().trim().to_string();
    o.insert("name".into(), title.clone().into());
    o.insert(
        "description".into(),
        description(site, d, &title, publisher).into(),
    );
    o.insert(
        "url".into(),
        format!("{}/dataset/{}", site.site_url, d.name).into(),
    );
    o.insert("identifier".into(), d.id.clone().into());
    let keywords: Vec<&str> = d
        .tags
        .iter()
        .map(|t| t.name.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    if !keywords.is_empty() {
        o.insert("keywords".into(), json!(keywords));
    }
    if let Some(l) = site.lang() {
        o.insert("inLanguage".into(), l.into());
    }
    if let Some(l) = tables::licence_iri(&site.base, &d.license_id) {
        o.insert("license".into(), l.into());
    }
    o.insert("isAccessibleForFree".into(), true.into());
    for (key, value) in [
        ("datePublished", &d.metadata_created),
        ("dateModified", &d.metadata_modified),
    ] {
        if let Some(t) = zoned(value) {
            o.insert(key.into(), t.into());
        }
    }
    if !d.version.trim().is_empty() {
        o.insert("version".into(), d.version.trim().into());
    }
    if let Some(p) = publisher {
        let id = format!("{}/organization/{}", site.base, p.id);
        o.insert(
            "creator".into(),
            json!({"@type": "Organization", "@id": id, "name": p.title,
                   "url": format!("{}/organization/{}", site.site_url, p.name)}),
        );
        o.insert("publisher".into(), json!({"@id": id}));
    }
    let catalog_name = Some(site.title.trim())
        .filter(|t| !t.is_empty())
        .unwrap_or(nodes::DEFAULT_TITLE);
    o.insert(
        "includedInDataCatalog".into(),
        json!({"@type": "DataCatalog", "name": catalog_name, "url": format!("{}/", site.site_url)}),
    );
    if let Some(place) = d
        .extra(&["spatial_text", "pham_vi_dia_ly"])
        .map(str::to_string)
        .or_else(|| {
            publisher
                .filter(|p| p.code.is_some())
                .map(|p| p.title.clone())
        })
    {
        o.insert(
            "spatialCoverage".into(),
            json!({"@type": "Place", "name": place}),
        );
    }
    if let Some(t) = temporal(d) {
        o.insert("temporalCoverage".into(), t.into());
    }
    let downloads: Vec<Value> = d
        .resources
        .iter()
        .filter_map(|r| {
            let url = crate::vocab::web_iri(&r.url)?;
            let t = format_of(r);
            let is_file =
                r.is_upload() || t.is_some_and(|t| !t.media_type.is_empty() && t.code != "HTML");
            if !is_file {
                return None;
            }
            let mut dl = Map::new();
            dl.insert("@type".into(), "DataDownload".into());
            if !r.name.trim().is_empty() {
                dl.insert("name".into(), r.name.trim().into());
            }
            dl.insert("contentUrl".into(), url.into_string().into());
            let media = Some(r.mimetype.trim())
                .filter(|m| !m.is_empty())
                .or(t.map(|t| t.media_type));
            if let Some(m) = media.filter(|m| !m.is_empty()) {
                dl.insert("encodingFormat".into(), m.into());
            }
            if let Some(size) = r.byte_size() {
                dl.insert("contentSize".into(), size.to_string().into());
            }
            let modified = if r.last_modified.is_empty() {
                &r.metadata_modified
            } else {
                &r.last_modified
            };
            if let Some(m) = zoned(modified) {
                dl.insert("dateModified".into(), m.into());
            }
            Some(Value::Object(dl))
        })
        .collect();
    if !downloads.is_empty() {
        o.insert("distribution".into(), Value::Array(downloads));
    }
    Value::Object(o)
}

/// The JSON-LD as it may sit inside `<script type="application/ld+json">`: `</` and the
/// line separators JavaScript chokes on escaped.
pub fn script_text(v: &Value) -> String {
    v.to_string()
        .replace("</", "<\\/")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Plain text of the notes (Markdown marks dropped), never shorter than Google's 50
/// characters: short notes get a sentence saying who publishes the dataset where.
fn description(site: &Site, d: &Dataset, title: &str, publisher: Option<&Publisher>) -> String {
    let plain: String = d
        .notes
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '#' | '`' | '>'))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let base = if plain.is_empty() {
        title.to_string()
    } else {
        plain
    };
    if base.chars().count() >= 50 {
        return base.chars().take(5000).collect();
    }
    let portal = Some(site.title.trim())
        .filter(|t| !t.is_empty())
        .unwrap_or(nodes::DEFAULT_TITLE);
    match publisher {
        Some(p) => format!(
            "{base}. Bộ dữ liệu mở do {} công bố trên {portal}; xem và tải về miễn phí.",
            p.title
        ),
        None => format!("{base}. Bộ dữ liệu mở công bố trên {portal}; xem và tải về miễn phí."),
    }
}

/// A CKAN naive-UTC time with its zone (`…Z`).
fn zoned(value: &str) -> Option<String> {
    dates::timestamp(value).map(|t| format!("{}Z", dates::lexical_time(&t)))
}

/// `start/end` (open ends as `..`), from the temporal extras or the demo's year range.
fn temporal(d: &Dataset) -> Option<String> {
    let start = d
        .extra(&["temporal_start"])
        .and_then(dates::parse)
        .map(|v| v.lexical());
    let end = d
        .extra(&["temporal_end"])
        .and_then(dates::parse)
        .map(|v| v.lexical());
    match (start, end) {
        (Some(s), Some(e)) => Some(format!("{s}/{e}")),
        (Some(s), None) => Some(format!("{s}/..")),
        (None, Some(e)) => Some(format!("../{e}")),
        (None, None) => {
            let (a, b) = d.extra(&["nam_du_lieu"]).and_then(dates::year_range)?;
            Some(if a == b {
                format!("{a}")
            } else {
                format!("{a}/{b}")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_text_cannot_close_the_element() {
        let v = json!({"name": "</script><script>alert(1)</script>\u{2028}"});
        let t = script_text(&v);
        assert!(!t.contains("</"));
        assert!(!t.contains('\u{2028}'));
        let back: Value = serde_json::from_str(&t).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn short_notes_are_lengthened() {
        let site = Site::new("https://data.example.vn/", "Cổng A", "", "vi");
        let d = Dataset {
            id: "x".into(),
            name: "n".into(),
            title: "Dân số".into(),
            ..Default::default()
        };
        let v = dataset(&site, &d, None);
        assert!(
            v["description"]
                .as_str()
                .is_some_and(|s| s.chars().count() >= 50),
            "{v}"
        );
        assert_eq!(v["url"], "https://data.example.vn/dataset/n");
        assert!(v.get("distribution").is_none());
    }
}
