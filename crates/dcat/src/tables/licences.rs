//! Licences: the IRIs DCAT-AP expects for CKAN's licence ids, and back.

/// A licence as DCAT-AP names it: its canonical IRI (`None`: the portal's own
/// `/licenses/{id}` page) and its kinds (adms licence types).
pub struct LicenceTerms {
    pub id: &'static str,
    pub iri: Option<&'static str>,
    pub kinds: &'static [&'static str],
}

pub const LICENCES: &[LicenceTerms] = &[
    LicenceTerms {
        id: "cc-by",
        iri: Some("http://creativecommons.org/licenses/by/4.0/"),
        kinds: &["Attribution"],
    },
    LicenceTerms {
        id: "cc-by-sa",
        iri: Some("http://creativecommons.org/licenses/by-sa/4.0/"),
        kinds: &["Attribution", "ShareAlike"],
    },
    LicenceTerms {
        id: "cc-zero",
        iri: Some("http://creativecommons.org/publicdomain/zero/1.0/"),
        kinds: &["PublicDomain"],
    },
    LicenceTerms {
        id: "cc-nc",
        iri: Some("http://creativecommons.org/licenses/by-nc/2.0/"),
        kinds: &["Attribution", "NonCommercialUse"],
    },
    LicenceTerms {
        id: "odc-odbl",
        iri: Some("https://opendatacommons.org/licenses/odbl/1-0/"),
        kinds: &["Attribution", "ShareAlike"],
    },
    LicenceTerms {
        id: "odc-by",
        iri: Some("https://opendatacommons.org/licenses/by/1-0/"),
        kinds: &["Attribution"],
    },
    LicenceTerms {
        id: "odc-pddl",
        iri: Some("https://opendatacommons.org/licenses/pddl/1-0/"),
        kinds: &["PublicDomain"],
    },
    LicenceTerms {
        id: "gfdl",
        iri: Some("https://www.gnu.org/licenses/fdl-1.3.html"),
        kinds: &["ShareAlike"],
    },
    LicenceTerms {
        id: "uk-ogl",
        iri: Some("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
        kinds: &["Attribution"],
    },
    LicenceTerms {
        id: "other-pd",
        iri: None,
        kinds: &["PublicDomain"],
    },
    LicenceTerms {
        id: "other-at",
        iri: None,
        kinds: &["Attribution"],
    },
    LicenceTerms {
        id: "other-nc",
        iri: None,
        kinds: &["NonCommercialUse"],
    },
    LicenceTerms {
        id: "notspecified",
        iri: None,
        kinds: &["UnknownIPR"],
    },
];

/// Other names licences go by in catalogues we harvest: EU licence table, SPDX.
const LICENCE_ALIASES: &[(&str, &str)] = &[
    (
        "cc-by",
        "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    ),
    (
        "cc-by-sa",
        "http://publications.europa.eu/resource/authority/licence/CC_BYSA_4_0",
    ),
    (
        "cc-zero",
        "http://publications.europa.eu/resource/authority/licence/CC0",
    ),
    (
        "odc-odbl",
        "http://publications.europa.eu/resource/authority/licence/ODC_BL",
    ),
    (
        "odc-by",
        "http://publications.europa.eu/resource/authority/licence/ODC_BY",
    ),
    (
        "odc-pddl",
        "http://publications.europa.eu/resource/authority/licence/ODC_PDDL",
    ),
    ("cc-by", "CC-BY-4.0"),
    ("cc-by-sa", "CC-BY-SA-4.0"),
    ("cc-zero", "CC0-1.0"),
    ("odc-odbl", "ODbL-1.0"),
];

pub fn licence_terms(id: &str) -> Option<&'static LicenceTerms> {
    LICENCES.iter().find(|l| l.id == id)
}

/// The licence IRI Cổng writes for a CKAN licence id; `None` for an unknown id.
pub fn licence_iri(base: &str, id: &str) -> Option<String> {
    catalogue::license::find(id)?;
    Some(match licence_terms(id).and_then(|t| t.iri) {
        Some(iri) => iri.to_string(),
        None => format!("{base}/licenses/{id}"),
    })
}

/// Comparable form of a licence IRI: no scheme, no trailing slash, lower case.
fn licence_key(iri: &str) -> String {
    let s = iri.trim().to_ascii_lowercase();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(&s);
    s.trim_end_matches('/').to_string()
}

/// The CKAN licence id a licence IRI or title stands for, if the registry knows it. Accepts
/// Cổng's IRIs, CKAN's registry URLs, the EU licence table, SPDX ids, another portal's
/// `/licenses/{id}` page, and the registry's titles.
pub fn licence_id(iri: &str, title: Option<&str>) -> Option<String> {
    let key = licence_key(iri);
    if !key.is_empty() {
        if let Some(t) = LICENCES
            .iter()
            .find(|t| t.iri.is_some_and(|i| licence_key(i) == key))
        {
            return Some(t.id.into());
        }
        if let Some((id, _)) = LICENCE_ALIASES.iter().find(|(_, a)| licence_key(a) == key) {
            return Some((*id).into());
        }
        if let Some(l) = catalogue::license::all()
            .iter()
            .find(|l| !l.url.is_empty() && licence_key(&l.url) == key)
        {
            return Some(l.id.clone());
        }
        if let Some((_, id)) = key.rsplit_once("/licenses/") {
            if catalogue::license::find(id).is_some() {
                return Some(id.into());
            }
        }
    }
    let title = title?.trim();
    catalogue::license::all()
        .iter()
        .find(|l| l.title == title)
        .map(|l| l.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licences_both_ways() {
        let base = "https://data.example.vn";
        assert_eq!(
            licence_iri(base, "cc-by").as_deref(),
            Some("http://creativecommons.org/licenses/by/4.0/")
        );
        assert_eq!(
            licence_iri(base, "vn-open-data").as_deref(),
            Some("https://data.example.vn/licenses/vn-open-data")
        );
        assert_eq!(licence_iri(base, "made-up"), None);
        assert_eq!(
            licence_id("https://creativecommons.org/licenses/by/4.0", None).as_deref(),
            Some("cc-by")
        );
        assert_eq!(
            licence_id("http://www.opendefinition.org/licenses/odc-odbl", None).as_deref(),
            Some("odc-odbl")
        );
        assert_eq!(
            licence_id("https://other.gov.vn/licenses/vn-open-data", None).as_deref(),
            Some("vn-open-data")
        );
        assert_eq!(
            licence_id("urn:x", Some("Creative Commons CCZero")).as_deref(),
            Some("cc-zero")
        );
        assert_eq!(licence_id("urn:x", Some("nothing")), None);
    }
}
