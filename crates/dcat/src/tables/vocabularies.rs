//! Data themes (the national theme groups and the EU table), update frequencies, languages and
//! kinds of publisher.

use crate::vocab::EU;
use catalogue::validate::fold_diacritics;

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
}
