//! The licence list: CKAN's fifteen defaults, in CKAN's order, plus Vietnam's open-data entry
//! (shared/fixtures/vn/licenses.json, embedded from `demo/licenses.json`).

use serde::Serialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct License {
    pub domain_content: String,
    pub id: String,
    pub domain_data: String,
    pub domain_software: String,
    pub family: String,
    pub is_generic: String,
    pub od_conformance: String,
    pub osd_conformance: String,
    pub maintainer: String,
    pub status: String,
    pub url: String,
    pub title: String,
}

impl License {
    /// CKAN's `isopen`: approved by the Open Definition (data) or the OSD (software).
    pub fn is_open(&self) -> bool {
        self.od_conformance == "approved" || self.osd_conformance == "approved"
    }
}

/// One of CKAN's default licences: id, title, url, domains (content, data, software),
/// whether it is generic, and its Open Definition conformance.
struct Default(
    &'static str,
    &'static str,
    &'static str,
    [bool; 3],
    bool,
    &'static str,
);

const CKAN_DEFAULTS: [Default; 15] = [
    Default(
        "notspecified",
        "License not specified",
        "",
        [false, false, false],
        true,
        "not reviewed",
    ),
    Default(
        "odc-pddl",
        "Open Data Commons Public Domain Dedication and License (PDDL)",
        "http://www.opendefinition.org/licenses/odc-pddl",
        [false, true, false],
        false,
        "approved",
    ),
    Default(
        "odc-odbl",
        "Open Data Commons Open Database License (ODbL)",
        "http://www.opendefinition.org/licenses/odc-odbl",
        [false, true, false],
        false,
        "approved",
    ),
    Default(
        "odc-by",
        "Open Data Commons Attribution License",
        "http://www.opendefinition.org/licenses/odc-by",
        [false, true, false],
        false,
        "approved",
    ),
    Default(
        "cc-zero",
        "Creative Commons CCZero",
        "http://www.opendefinition.org/licenses/cc-zero",
        [true, true, false],
        false,
        "approved",
    ),
    Default(
        "cc-by",
        "Creative Commons Attribution",
        "http://www.opendefinition.org/licenses/cc-by",
        [false, false, false],
        false,
        "approved",
    ),
    Default(
        "cc-by-sa",
        "Creative Commons Attribution Share-Alike",
        "http://www.opendefinition.org/licenses/cc-by-sa",
        [true, false, false],
        false,
        "approved",
    ),
    Default(
        "gfdl",
        "GNU Free Documentation License",
        "http://www.opendefinition.org/licenses/gfdl",
        [true, false, false],
        false,
        "approved",
    ),
    Default(
        "other-open",
        "Other (Open)",
        "",
        [true, false, false],
        true,
        "approved",
    ),
    Default(
        "other-pd",
        "Other (Public Domain)",
        "",
        [true, false, false],
        true,
        "approved",
    ),
    Default(
        "other-at",
        "Other (Attribution)",
        "",
        [true, false, false],
        true,
        "approved",
    ),
    Default(
        "uk-ogl",
        "UK Open Government Licence (OGL)",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        [true, false, false],
        false,
        "approved",
    ),
    Default(
        "cc-nc",
        "Creative Commons Non-Commercial (Any)",
        "http://creativecommons.org/licenses/by-nc/2.0/",
        [false, false, false],
        false,
        "not reviewed",
    ),
    Default(
        "other-nc",
        "Other (Non-Commercial)",
        "",
        [false, false, false],
        true,
        "not reviewed",
    ),
    Default(
        "other-closed",
        "Other (Not Open)",
        "",
        [false, false, false],
        true,
        "not reviewed",
    ),
];

#[derive(serde::Deserialize)]
struct VnLicense {
    id: String,
    title: String,
    url: String,
    od_conformance: String,
    osd_conformance: String,
}

fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

/// All licences, CKAN's first, then the Vietnamese entries.
pub fn all() -> &'static [License] {
    static LIST: OnceLock<Vec<License>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut list: Vec<License> = CKAN_DEFAULTS
            .iter()
            .map(
                |Default(id, title, url, [content, data, software], generic, od)| License {
                    domain_content: py_bool(*content),
                    id: id.to_string(),
                    domain_data: py_bool(*data),
                    domain_software: py_bool(*software),
                    family: String::new(),
                    is_generic: py_bool(*generic),
                    od_conformance: od.to_string(),
                    osd_conformance: "not reviewed".into(),
                    maintainer: String::new(),
                    status: "active".into(),
                    url: url.to_string(),
                    title: title.to_string(),
                },
            )
            .collect();
        let vn: Vec<VnLicense> =
            serde_json::from_str(include_str!("../demo/licenses.json")).unwrap_or_default();
        list.extend(vn.into_iter().map(|l| License {
            domain_content: py_bool(true),
            id: l.id,
            domain_data: py_bool(true),
            domain_software: py_bool(false),
            family: String::new(),
            is_generic: py_bool(false),
            od_conformance: l.od_conformance,
            osd_conformance: l.osd_conformance,
            maintainer: String::new(),
            status: "active".into(),
            url: l.url,
            title: l.title,
        }));
        list
    })
}

pub fn find(id: &str) -> Option<&'static License> {
    all().iter().find(|l| l.id == id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ckan_order_then_vietnamese_entry() {
        let ids: Vec<&str> = super::all().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids.len(), 16);
        assert_eq!(ids[0], "notspecified");
        assert_eq!(ids[14], "other-closed");
        assert_eq!(ids[15], "vn-open-data");
        assert!(super::find("cc-by").is_some_and(|l| l.is_open()));
        assert!(super::find("other-closed").is_some_and(|l| !l.is_open()));
    }
}
