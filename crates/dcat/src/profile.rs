//! What a DCAT profile does, and what it is told about the portal. Callers (the export
//! endpoints, the harvester) hold a `&dyn Profile`, so a Vietnamese profile can replace
//! DCAT-AP 3 without them changing.

use crate::dataset::Dataset;
use crate::vocab::Doc;
use oxrdf::{Graph, NamedOrBlankNode, NamedOrBlankNodeRef};
use serde_json::{Map, Value};

/// The portal whose catalogue is written.
#[derive(Debug, Clone)]
pub struct Site {
    /// Base of every IRI the portal mints (`{base}/dataset/{id}` …), no trailing slash.
    pub base: String,
    /// Base of the portal's pages, no trailing slash (usually the same as `base`).
    pub site_url: String,
    pub title: String,
    pub description: String,
    /// The language free text is written in (`vi`); empty: literals untagged.
    pub language: String,
    /// The organization that publishes the catalogue itself, if one is configured.
    pub publisher: Option<Publisher>,
}

impl Site {
    pub fn new(site_url: &str, title: &str, description: &str, language: &str) -> Site {
        let base = site_url.trim_end_matches('/').to_string();
        Site {
            site_url: base.clone(),
            base,
            title: title.into(),
            description: description.into(),
            language: language.into(),
            publisher: None,
        }
    }

    pub(crate) fn lang(&self) -> Option<&str> {
        Some(self.language.as_str()).filter(|l| !l.is_empty())
    }
}

/// An organization as a publisher: what the national list or its extras say about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Publisher {
    pub id: String,
    pub name: String,
    pub title: String,
    pub title_en: Option<String>,
    /// `ministry`, `ministry-level`, `province` … (the national list's `type`).
    pub kind: Option<String>,
    /// The administrative code of a province (2 digits).
    pub code: Option<String>,
    pub homepage: Option<String>,
    pub email: Option<String>,
}

/// Catalogue-wide facts for the `dcat:Catalog` node.
#[derive(Debug, Clone, Default)]
pub struct CatalogFacts {
    /// The oldest public dataset's `metadata_created`.
    pub issued: Option<String>,
    /// The newest public dataset's `metadata_modified`.
    pub modified: Option<String>,
}

/// A DCAT profile: datasets to RDF and back.
pub trait Profile: Send + Sync {
    /// Short name, as in ckanext-dcat's `profiles` parameter (`euro_dcat_ap_3`).
    fn name(&self) -> &'static str;

    /// Describes the catalogue (without its datasets) and returns its node.
    fn catalog(&self, doc: &mut Doc, site: &Site, facts: &CatalogFacts) -> NamedOrBlankNode;

    /// Describes a dataset, its distributions and the nodes they point to that `doc` has not
    /// described yet; returns the dataset's node.
    fn dataset(
        &self,
        doc: &mut Doc,
        site: &Site,
        dataset: &Dataset,
        publisher: Option<&Publisher>,
    ) -> NamedOrBlankNode;

    /// Reads the dataset at `node` back into a package dict: CKAN's fields where they exist
    /// (title, notes, tags, resources …), extras for the rest (`uri`, `identifier`,
    /// `publisher_name` …), as ckanext-dcat names them.
    fn parse_dataset(&self, graph: &Graph, node: NamedOrBlankNodeRef<'_>) -> Map<String, Value>;
}
