//! The RDF vocabularies DCAT-AP uses, and a small graph builder that keeps their rules: every
//! literal trimmed and never empty, every IRI valid (or dropped), shared nodes described once.

use oxrdf::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, TripleRef};

macro_rules! namespace {
    ($name:ident, $base:literal, [$($term:ident = $local:literal),* $(,)?]) => {
        #[allow(non_snake_case, dead_code)]
        pub mod $name {
            use oxrdf::NamedNodeRef;
            pub const NS: &str = $base;
            $(pub const $term: NamedNodeRef<'static> = NamedNodeRef::new_unchecked(concat!($base, $local));)*
        }
    };
}

namespace!(
    rdf,
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    [TYPE = "type"]
);
namespace!(
    rdfs,
    "http://www.w3.org/2000/01/rdf-schema#",
    [LABEL = "label"]
);
namespace!(
    xsd,
    "http://www.w3.org/2001/XMLSchema#",
    [
        DATE = "date",
        DATE_TIME = "dateTime",
        G_YEAR = "gYear",
        G_YEAR_MONTH = "gYearMonth",
        NON_NEGATIVE_INTEGER = "nonNegativeInteger",
        INTEGER = "integer",
        HEX_BINARY = "hexBinary",
    ]
);
namespace!(
    dcat,
    "http://www.w3.org/ns/dcat#",
    [
        CATALOG = "Catalog",
        DATASET = "Dataset",
        DISTRIBUTION = "Distribution",
        DATASET_P = "dataset",
        DISTRIBUTION_P = "distribution",
        KEYWORD = "keyword",
        THEME = "theme",
        THEME_TAXONOMY = "themeTaxonomy",
        LANDING_PAGE = "landingPage",
        CONTACT_POINT = "contactPoint",
        ACCESS_URL = "accessURL",
        DOWNLOAD_URL = "downloadURL",
        MEDIA_TYPE = "mediaType",
        BYTE_SIZE = "byteSize",
        VERSION = "version",
        START_DATE = "startDate",
        END_DATE = "endDate",
    ]
);
namespace!(
    dct,
    "http://purl.org/dc/terms/",
    [
        TITLE = "title",
        DESCRIPTION = "description",
        IDENTIFIER = "identifier",
        ISSUED = "issued",
        MODIFIED = "modified",
        PUBLISHER = "publisher",
        CREATOR = "creator",
        LANGUAGE = "language",
        LICENSE = "license",
        SPATIAL = "spatial",
        TEMPORAL = "temporal",
        ACCRUAL_PERIODICITY = "accrualPeriodicity",
        FORMAT = "format",
        ACCESS_RIGHTS = "accessRights",
        TYPE = "type",
        LICENSE_DOCUMENT = "LicenseDocument",
        MEDIA_TYPE_OR_EXTENT = "MediaTypeOrExtent",
        MEDIA_TYPE = "MediaType",
        LOCATION = "Location",
        PERIOD_OF_TIME = "PeriodOfTime",
        FREQUENCY = "Frequency",
        LINGUISTIC_SYSTEM = "LinguisticSystem",
        RIGHTS_STATEMENT = "RightsStatement",
        CONFORMS_TO = "conformsTo",
        STANDARD = "Standard",
        RELATION = "relation",
        RIGHTS = "rights",
    ]
);
namespace!(
    foaf,
    "http://xmlns.com/foaf/0.1/",
    [
        AGENT = "Agent",
        ORGANIZATION = "Organization",
        DOCUMENT = "Document",
        NAME = "name",
        HOMEPAGE = "homepage",
        MBOX = "mbox",
        PAGE = "page",
    ]
);
namespace!(
    vcard,
    "http://www.w3.org/2006/vcard/ns#",
    [
        KIND = "Kind",
        ORGANIZATION = "Organization",
        FN = "fn",
        HAS_EMAIL = "hasEmail",
        HAS_FN = "hasFN",
        HAS_URL = "hasURL",
    ]
);
namespace!(
    skos,
    "http://www.w3.org/2004/02/skos/core#",
    [
        CONCEPT = "Concept",
        CONCEPT_SCHEME = "ConceptScheme",
        PREF_LABEL = "prefLabel",
        IN_SCHEME = "inScheme",
        NOTATION = "notation",
    ]
);
namespace!(
    spdx,
    "http://spdx.org/rdf/terms#",
    [
        CHECKSUM_CLASS = "Checksum",
        CHECKSUM = "checksum",
        ALGORITHM = "algorithm",
        CHECKSUM_VALUE = "checksumValue",
        CHECKSUM_ALGORITHM = "ChecksumAlgorithm",
        SHA256 = "checksumAlgorithm_sha256",
    ]
);
namespace!(
    adms,
    "http://www.w3.org/ns/adms#",
    [
        IDENTIFIER = "identifier",
        IDENTIFIER_CLASS = "Identifier",
        VERSION_NOTES = "versionNotes",
    ]
);
namespace!(locn, "http://www.w3.org/ns/locn#", [GEOMETRY = "geometry"]);
namespace!(
    gsp,
    "http://www.opengis.net/ont/geosparql#",
    [
        GEO_JSON_LITERAL = "geoJSONLiteral",
        WKT_LITERAL = "wktLiteral"
    ]
);
namespace!(
    owl,
    "http://www.w3.org/2002/07/owl#",
    [VERSION_INFO = "versionInfo"]
);
namespace!(
    dcatap,
    "http://data.europa.eu/r5r/",
    [AVAILABILITY = "availability"]
);
namespace!(
    hydra,
    "http://www.w3.org/ns/hydra/core#",
    [
        PAGED_COLLECTION = "PagedCollection",
        PARTIAL_COLLECTION_VIEW = "PartialCollectionView",
        TOTAL_ITEMS = "totalItems",
        ITEMS_PER_PAGE = "itemsPerPage",
        FIRST = "first",
        LAST = "last",
        NEXT = "next",
        PREVIOUS = "previous",
        FIRST_PAGE = "firstPage",
        LAST_PAGE = "lastPage",
        NEXT_PAGE = "nextPage",
        PREVIOUS_PAGE = "previousPage",
    ]
);

/// The EU Publications Office authority tables.
pub const EU: &str = "http://publications.europa.eu/resource/authority/";
/// IANA media types.
pub const IANA: &str = "https://www.iana.org/assignments/media-types/";

/// The prefixes written in Turtle and RDF/XML.
pub const PREFIXES: &[(&str, &str)] = &[
    ("dcat", dcat::NS),
    ("dct", dct::NS),
    ("foaf", foaf::NS),
    ("vcard", vcard::NS),
    ("skos", skos::NS),
    ("spdx", spdx::NS),
    ("adms", adms::NS),
    ("dcatap", dcatap::NS),
    ("hydra", hydra::NS),
    ("xsd", xsd::NS),
    ("rdfs", rdfs::NS),
    ("owl", owl::NS),
    ("locn", locn::NS),
    ("gsp", gsp::NS),
];

/// An IRI from text a publisher typed: absolute http(s) only, with the characters IRIs may
/// not hold percent-encoded; `None` when it still is not one.
pub fn web_iri(url: &str) -> Option<NamedNode> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return None;
    }
    iri(url)
}

/// An IRI, with the characters IRIs may not hold percent-encoded; `None` when invalid.
pub fn iri(s: &str) -> Option<NamedNode> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(
                c,
                ' ' | '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`'
            )
        {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    NamedNode::new(out).ok()
}

/// Text as a literal may hold it: trimmed, without the characters XML 1.0 forbids (RDF/XML
/// must stay well-formed); `None` when nothing is left.
pub fn clean_text(s: &str) -> Option<String> {
    let cleaned: String = s
        .chars()
        .filter(|c| {
            !matches!(*c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
        })
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A graph being built, with the shared nodes (publishers, licences, themes …) it already
/// describes, so that each is described once.
#[derive(Default)]
pub struct Doc {
    pub graph: Graph,
    described: std::collections::HashSet<String>,
}

impl Doc {
    pub fn add(&mut self, s: &NamedOrBlankNode, p: oxrdf::NamedNodeRef<'_>, o: impl Into<Term>) {
        let o: Term = o.into();
        self.graph.insert(TripleRef::new(s.as_ref(), p, o.as_ref()));
    }

    pub fn typed(&mut self, s: &NamedOrBlankNode, class: oxrdf::NamedNodeRef<'_>) {
        self.add(s, rdf::TYPE, class.into_owned());
    }

    /// A text literal, tagged with `lang` when given; nothing when empty.
    pub fn text(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxrdf::NamedNodeRef<'_>,
        text: &str,
        lang: Option<&str>,
    ) {
        let Some(t) = clean_text(text) else { return };
        let literal = match lang.filter(|l| !l.is_empty()) {
            Some(l) => Literal::new_language_tagged_literal(t.clone(), l)
                .unwrap_or_else(|_| Literal::new_simple_literal(t)),
            None => Literal::new_simple_literal(t),
        };
        self.add(s, p, literal);
    }

    pub fn typed_literal(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxrdf::NamedNodeRef<'_>,
        value: &str,
        datatype: oxrdf::NamedNodeRef<'_>,
    ) {
        self.add(s, p, Literal::new_typed_literal(value, datatype));
    }

    /// Whether `node` was described already; marks it described.
    pub fn first_time(&mut self, node: &NamedNode) -> bool {
        self.described.insert(node.as_str().to_string())
    }

    pub fn blank() -> NamedOrBlankNode {
        NamedOrBlankNode::BlankNode(BlankNode::default())
    }
}

/// A named node as a subject.
pub fn node(n: &NamedNode) -> NamedOrBlankNode {
    NamedOrBlankNode::NamedNode(n.clone())
}

/// A named node from a string known to be a valid IRI (the vocabularies' own).
pub fn known(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris_from_what_publishers_type() {
        assert_eq!(
            web_iri(" https://example.gov.vn/a file.csv ").map(|n| n.into_string()),
            Some("https://example.gov.vn/a%20file.csv".into())
        );
        assert!(web_iri("ftp://x/y").is_none());
        assert!(web_iri("not a url").is_none());
        assert!(web_iri("https://dữ-liệu.gov.vn/tệp").is_some());
    }

    #[test]
    fn text_is_cleaned() {
        assert_eq!(clean_text("  a\u{1}b \n"), Some("ab".into()));
        assert_eq!(clean_text(" \t "), None);
    }
}
