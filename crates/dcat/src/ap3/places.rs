//! Places: Việt Nam, the 34 province-level units (by administrative code), or a place only
//! named. The national list of organizations says which organization is which province.

use super::nodes;
use crate::profile::{Publisher, Site};
use crate::tables::fold;
use crate::vocab::{dct, skos, Doc};
use oxrdf::{NamedNode, NamedOrBlankNode};
use serde::Deserialize;
use std::sync::OnceLock;

/// An entry of the national list of ministries and provinces.
#[derive(Debug, Deserialize)]
pub struct NationalBody {
    pub name: String,
    pub title: String,
    pub title_en: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub code: Option<String>,
}

/// The national list (shared/fixtures/vn/organizations.json, shipped in the catalogue crate).
pub fn national_bodies() -> &'static [NationalBody] {
    static LIST: OnceLock<Vec<NationalBody>> = OnceLock::new();
    LIST.get_or_init(|| {
        serde_json::from_str(catalogue::demo::ORGANIZATIONS_JSON).unwrap_or_default()
    })
}

pub fn national_body(name: &str) -> Option<&'static NationalBody> {
    national_bodies().iter().find(|b| b.name == name)
}

/// A province named in text (`Thành phố Hà Nội`, `tỉnh Lào Cai`, `Ha Noi`).
fn province_named(text: &str) -> Option<&'static NationalBody> {
    let wanted = strip_kind(&fold(text));
    national_bodies()
        .iter()
        .filter(|b| b.code.is_some())
        .find(|b| strip_kind(&fold(&b.title)) == wanted || fold(&b.title_en) == fold(text))
}

fn strip_kind(folded: &str) -> String {
    let s = folded.trim();
    for prefix in ["thanh pho ", "tinh ", "tp "] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    s.to_string()
}

/// A place named in text: the whole country, a province, or a place described by its name.
pub fn named(doc: &mut Doc, site: &Site, text: &str) -> NamedOrBlankNode {
    let folded = fold(text);
    if [
        "toan quoc",
        "ca nuoc",
        "viet nam",
        "vietnam",
        "viet nam (toan quoc)",
    ]
    .contains(&folded.as_str())
    {
        return NamedOrBlankNode::NamedNode(nodes::country(doc));
    }
    if let Some(p) = province_named(text) {
        if let Some(code) = &p.code {
            return NamedOrBlankNode::NamedNode(nodes::province(
                doc,
                site,
                code,
                &p.title,
                Some(&p.title_en),
            ));
        }
    }
    let place = Doc::blank();
    doc.typed(&place, dct::LOCATION);
    doc.text(&place, skos::PREF_LABEL, text, site.lang());
    place
}

/// The province an organization is, if it is one: its code must be a province's in the
/// national list (a ministry's own code is no place).
pub fn of_publisher(doc: &mut Doc, site: &Site, p: &Publisher) -> Option<NamedNode> {
    let code = p.code.as_deref()?;
    if !national_bodies()
        .iter()
        .any(|b| b.code.as_deref() == Some(code))
    {
        return None;
    }
    Some(nodes::province(
        doc,
        site,
        code,
        &p.title,
        p.title_en.as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_by_name() {
        assert!(national_bodies().len() >= 34 + 17);
        let hn = province_named("Thành phố Hà Nội").and_then(|b| b.code.clone());
        assert!(hn.is_some());
        assert_eq!(province_named("ha noi").and_then(|b| b.code.clone()), hn);
        assert!(province_named("Bộ Tài chính").is_none());
    }
}
