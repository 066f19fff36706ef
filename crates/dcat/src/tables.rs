//! The controlled vocabularies DCAT-AP asks for, and how CKAN's free text maps onto them: file
//! types and media types, data themes, update frequencies, languages, licences, kinds of
//! publisher. Both directions read the same tables, so export and harvest agree.

use crate::vocab::EU;
use catalogue::validate::fold_diacritics;

/// A file type: EU file-type code, its label, the IANA media type ("" when none is
/// registered), and the names CKAN publishers give it (folded, upper case).
pub struct FileType {
    pub code: &'static str,
    pub label: &'static str,
    pub media_type: &'static str,
    /// CKAN's short format name, what a harvested resource's `format` becomes.
    pub ckan: &'static str,
    pub aliases: &'static [&'static str],
}

macro_rules! file_types {
    ($(($code:literal, $label:literal, $media:literal, $ckan:literal, [$($alias:literal),*])),* $(,)?) => {
        pub const FILE_TYPES: &[FileType] = &[
            $(FileType { code: $code, label: $label, media_type: $media, ckan: $ckan, aliases: &[$($alias),*] }),*
        ];
    };
}

file_types![
    (
        "CSV",
        "CSV",
        "text/csv",
        "CSV",
        ["TEXT/CSV", "TEXT/COMMA-SEPARATED-VALUES"]
    ),
    (
        "XLSX",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
        []
    ),
    (
        "XLS",
        "XLS",
        "application/vnd.ms-excel",
        "XLS",
        ["EXCEL", "APPLICATION/VND.MS-EXCEL"]
    ),
    (
        "ODS",
        "ODS",
        "application/vnd.oasis.opendocument.spreadsheet",
        "ODS",
        []
    ),
    (
        "JSON",
        "JSON",
        "application/json",
        "JSON",
        ["APPLICATION/JSON"]
    ),
    (
        "GEOJSON",
        "GeoJSON",
        "application/geo+json",
        "GeoJSON",
        ["APPLICATION/GEO+JSON", "APPLICATION/VND.GEO+JSON"]
    ),
    ("PDF", "PDF", "application/pdf", "PDF", ["APPLICATION/PDF"]),
    (
        "XML",
        "XML",
        "application/xml",
        "XML",
        ["TEXT/XML", "APPLICATION/XML"]
    ),
    ("ZIP", "ZIP", "application/zip", "ZIP", ["APPLICATION/ZIP"]),
    ("SHP", "SHP", "", "SHP", ["SHAPEFILE", "ESRI SHAPEFILE"]),
    (
        "KML",
        "KML",
        "application/vnd.google-earth.kml+xml",
        "KML",
        []
    ),
    ("KMZ", "KMZ", "application/vnd.google-earth.kmz", "KMZ", []),
    (
        "RDF_XML",
        "RDF/XML",
        "application/rdf+xml",
        "RDF",
        ["RDF", "RDF/XML", "APPLICATION/RDF+XML"]
    ),
    (
        "RDF_TURTLE",
        "Turtle",
        "text/turtle",
        "TTL",
        ["TTL", "TURTLE", "TEXT/TURTLE"]
    ),
    (
        "JSON_LD",
        "JSON-LD",
        "application/ld+json",
        "JSON-LD",
        ["JSON-LD", "JSONLD", "APPLICATION/LD+JSON"]
    ),
    (
        "RDF_N_TRIPLES",
        "N-Triples",
        "application/n-triples",
        "NT",
        ["NT", "N-TRIPLES"]
    ),
    ("TXT", "TXT", "text/plain", "TXT", ["TEXT/PLAIN", "TEXT"]),
    (
        "DOCX",
        "DOCX",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "DOCX",
        []
    ),
    ("DOC", "DOC", "application/msword", "DOC", ["WORD"]),
    (
        "ODT",
        "ODT",
        "application/vnd.oasis.opendocument.text",
        "ODT",
        []
    ),
    (
        "PPTX",
        "PPTX",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PPTX",
        []
    ),
    ("HTML", "HTML", "text/html", "HTML", ["HTM", "TEXT/HTML"]),
    ("TSV", "TSV", "text/tab-separated-values", "TSV", []),
    ("GML", "GML", "application/gml+xml", "GML", []),
    (
        "GPKG",
        "GeoPackage",
        "application/geopackage+sqlite3",
        "GPKG",
        ["GEOPACKAGE"]
    ),
    ("PNG", "PNG", "image/png", "PNG", ["IMAGE/PNG"]),
    ("JPEG", "JPEG", "image/jpeg", "JPEG", ["JPG", "IMAGE/JPEG"]),
    ("TIFF", "TIFF", "image/tiff", "TIFF", ["TIF", "IMAGE/TIFF"]),
    ("GEOTIFF", "GeoTIFF", "image/tiff", "GeoTIFF", []),
    ("GZIP", "GZIP", "application/gzip", "GZ", ["GZ"]),
    ("RAR", "RAR", "application/vnd.rar", "RAR", []),
    ("7Z", "7Z", "", "7Z", []),
    ("TAR", "TAR", "", "TAR", []),
    (
        "PARQUET",
        "Parquet",
        "application/vnd.apache.parquet",
        "Parquet",
        []
    ),
    ("WMS_SRVC", "WMS", "", "WMS", ["WMS"]),
    ("WFS_SRVC", "WFS", "", "WFS", ["WFS"]),
    ("WCS_SRVC", "WCS", "", "WCS", ["WCS"]),
    ("WMTS_SRVC", "WMTS", "", "WMTS", ["WMTS"]),
    (
        "REST",
        "Esri REST",
        "",
        "Esri REST",
        ["ESRI REST", "ARCGIS_REST", "ARCGIS REST"]
    ),
];

/// The file type a CKAN format (or media type) names: `csv`, `.CSV`, `text/csv` → CSV.
pub fn file_type(format: &str) -> Option<&'static FileType> {
    let key = format.trim().trim_start_matches('.').to_uppercase();
    if key.is_empty() {
        return None;
    }
    FILE_TYPES.iter().find(|t| {
        t.code == key || t.label.to_uppercase() == key || t.aliases.contains(&key.as_str())
    })
}

/// The file type a resource URL's extension suggests (`…/a.csv?x=1` → CSV).
pub fn file_type_of_url(url: &str) -> Option<&'static FileType> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let (_, ext) = last.rsplit_once('.')?;
    file_type(ext).filter(|t| !t.code.ends_with("_SRVC"))
}

/// The file type an EU file-type IRI names.
pub fn file_type_of_iri(iri: &str) -> Option<&'static FileType> {
    let code = iri.strip_prefix(&format!("{EU}file-type/"))?;
    FILE_TYPES.iter().find(|t| t.code == code)
}

/// The file type a registered media type stands for.
pub fn file_type_of_media(media: &str) -> Option<&'static FileType> {
    let media = media.trim().to_ascii_lowercase();
    FILE_TYPES
        .iter()
        .find(|t| !t.media_type.is_empty() && t.media_type == media)
}

/// Whether a media type is one IANA registered (no `x-` subtypes, one slash, known top level).
pub fn is_registered_media_type(m: &str) -> bool {
    let Some((top, sub)) = m.split_once('/') else {
        return false;
    };
    let tops = [
        "application",
        "audio",
        "font",
        "image",
        "model",
        "multipart",
        "text",
        "video",
    ];
    tops.contains(&top)
        && !sub.is_empty()
        && !sub.starts_with("x-")
        && !sub.contains('/')
        && sub
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// A national theme group and the EU data theme it falls under.
pub struct Theme {
    pub group: &'static str,
    pub eu: &'static str,
}

pub const THEMES: &[Theme] = &[
    Theme {
        group: "nong-nghiep",
        eu: "AGRI",
    },
    Theme {
        group: "kinh-te-thuong-mai",
        eu: "ECON",
    },
    Theme {
        group: "giao-duc",
        eu: "EDUC",
    },
    Theme {
        group: "y-te",
        eu: "HEAL",
    },
    Theme {
        group: "lao-dong",
        eu: "SOCI",
    },
    Theme {
        group: "moi-truong",
        eu: "ENVI",
    },
    Theme {
        group: "tai-chinh",
        eu: "ECON",
    },
    Theme {
        group: "nang-luong",
        eu: "ENER",
    },
    Theme {
        group: "co-so-ha-tang",
        eu: "TRAN",
    },
    Theme {
        group: "xa-hoi",
        eu: "SOCI",
    },
    Theme {
        group: "cong-nghe",
        eu: "TECH",
    },
    Theme {
        group: "dia-phuong",
        eu: "REGI",
    },
];

/// The EU data themes' English labels.
pub const EU_THEME_LABELS: &[(&str, &str)] = &[
    ("AGRI", "Agriculture, fisheries, forestry and food"),
    ("ECON", "Economy and finance"),
    ("EDUC", "Education, culture and sport"),
    ("ENER", "Energy"),
    ("ENVI", "Environment"),
    ("GOVE", "Government and public sector"),
    ("HEAL", "Health"),
    ("INTR", "International issues"),
    ("JUST", "Justice, legal system and public safety"),
    ("REGI", "Regions and cities"),
    ("SOCI", "Population and society"),
    ("TECH", "Science and technology"),
    ("TRAN", "Transport"),
];

pub fn eu_theme_of_group(group: &str) -> Option<&'static str> {
    THEMES.iter().find(|t| t.group == group).map(|t| t.eu)
}

/// The national group an EU theme comes back as (the first group listed under it).
pub fn group_of_eu_theme(code: &str) -> Option<&'static str> {
    THEMES.iter().find(|t| t.eu == code).map(|t| t.group)
}

pub fn eu_theme_label(code: &str) -> Option<&'static str> {
    EU_THEME_LABELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

/// Update frequencies: EU frequency code, English label, and what publishers write (folded).
pub const FREQUENCIES: &[(&str, &str, &[&str])] = &[
    ("DAILY", "daily", &["hang ngay", "daily"]),
    ("WEEKLY", "weekly", &["hang tuan", "weekly"]),
    ("MONTHLY", "monthly", &["hang thang", "monthly"]),
    ("QUARTERLY", "quarterly", &["hang quy", "quarterly"]),
    (
        "ANNUAL_2",
        "semiannual",
        &["6 thang", "sau thang", "nua nam", "semiannual"],
    ),
    ("ANNUAL", "annual", &["hang nam", "annual", "yearly"]),
    ("BIENNIAL", "biennial", &["2 nam", "hai nam", "biennial"]),
    (
        "IRREG",
        "irregular",
        &["khong thuong xuyen", "dot xuat", "irregular"],
    ),
    (
        "UPDATE_CONT",
        "continuously updated",
        &[
            "lien tuc",
            "thoi gian thuc",
            "continuous",
            "real time",
            "realtime",
        ],
    ),
    ("HOURLY", "hourly", &["hang gio", "hourly"]),
    ("NEVER", "never", &["khong cap nhat", "never"]),
    ("UNKNOWN", "unknown", &["khong ro", "unknown"]),
];

/// Lower case, without diacritics, separators as single spaces: `Hằng-năm` → `hang nam`.
pub fn fold(text: &str) -> String {
    fold_diacritics(text)
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The EU frequency code a publisher's text means: an IRI or code as-is, or a phrase
/// (`hằng năm`, `hang-nam`, `annual`). `hằng` and `hàng` fold alike.
pub fn frequency(text: &str) -> Option<(&'static str, &'static str)> {
    let t = text.trim();
    let code = t.strip_prefix(&format!("{EU}frequency/")).unwrap_or(t);
    if let Some((c, l, _)) = FREQUENCIES.iter().find(|(c, _, _)| *c == code) {
        return Some((c, l));
    }
    let folded = fold(t);
    FREQUENCIES
        .iter()
        .find(|(_, _, says)| says.contains(&folded.as_str()))
        .map(|(c, l, _)| (*c, *l))
}

/// ISO 639-1 languages and their EU language codes and English names.
pub const LANGUAGES: &[(&str, &str, &str)] = &[
    ("vi", "VIE", "Vietnamese"),
    ("en", "ENG", "English"),
    ("fr", "FRA", "French"),
    ("zh", "ZHO", "Chinese"),
    ("ja", "JPN", "Japanese"),
    ("ko", "KOR", "Korean"),
    ("km", "KHM", "Khmer"),
    ("lo", "LAO", "Lao"),
    ("ru", "RUS", "Russian"),
    ("de", "DEU", "German"),
];

/// A language given as an ISO 639-1 code, an EU code or an EU language IRI.
pub fn language(text: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let t = text.trim();
    let t = t.strip_prefix(&format!("{EU}language/")).unwrap_or(t);
    LANGUAGES
        .iter()
        .find(|(iso, eu, _)| iso.eq_ignore_ascii_case(t) || eu.eq_ignore_ascii_case(t))
        .copied()
}

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

/// Kinds of publisher (adms publisher types) by the organization's `type` in the national
/// list: ministries and agencies are national authorities, provinces regional ones.
pub fn publisher_type(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "ministry" | "ministry-level" | "government-agency" | "agency" => {
            Some(("NationalAuthority", "National authority"))
        }
        "academy" => Some((
            "Academia-ScientificOrganisation",
            "Academia/Scientific organisation",
        )),
        "province" | "centrally-run-city" | "city" => {
            Some(("RegionalAuthority", "Regional authority"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_publishers_write_them() {
        assert_eq!(file_type(".csv").map(|t| t.code), Some("CSV"));
        assert_eq!(file_type("text/csv").map(|t| t.code), Some("CSV"));
        assert_eq!(file_type("GeoJSON").map(|t| t.code), Some("GEOJSON"));
        assert_eq!(file_type("Excel").map(|t| t.code), Some("XLS"));
        assert!(file_type("API").is_none());
        assert_eq!(
            file_type_of_url("https://x.vn/a/b.XLSX?y=1").map(|t| t.code),
            Some("XLSX")
        );
        assert!(file_type_of_url("https://x.vn/api").is_none());
        assert!(is_registered_media_type("text/csv"));
        assert!(!is_registered_media_type("application/x-7z-compressed"));
        assert!(!is_registered_media_type("csv"));
    }

    #[test]
    fn frequencies_in_vietnamese_and_english() {
        assert_eq!(frequency("hằng năm").map(|f| f.0), Some("ANNUAL"));
        assert_eq!(frequency("Hàng-tháng").map(|f| f.0), Some("MONTHLY"));
        assert_eq!(frequency("hang-nam").map(|f| f.0), Some("ANNUAL"));
        assert_eq!(
            frequency("http://publications.europa.eu/resource/authority/frequency/WEEKLY")
                .map(|f| f.0),
            Some("WEEKLY")
        );
        assert_eq!(frequency("2 năm một lần"), None);
    }

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
