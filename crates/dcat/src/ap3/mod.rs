//! DCAT-AP 3.0.1, as validated by its official SHACL shapes: every required property present,
//! every value node typed with its range's class, every date and number typed.

pub mod catalog;
pub mod dataset;
pub mod distribution;
pub mod nodes;
pub mod places;

use crate::dataset::Dataset;
use crate::profile::{CatalogFacts, Profile, Publisher, Site};
use crate::vocab::Doc;
use oxrdf::{Graph, NamedOrBlankNode, NamedOrBlankNodeRef};
use serde_json::{Map, Value};

/// The DCAT-AP 3 profile (ckanext-dcat's `euro_dcat_ap_3`).
#[derive(Debug, Default, Clone, Copy)]
pub struct DcatAp3;

impl Profile for DcatAp3 {
    fn name(&self) -> &'static str {
        "euro_dcat_ap_3"
    }

    fn catalog(&self, doc: &mut Doc, site: &Site, facts: &CatalogFacts) -> NamedOrBlankNode {
        catalog::write(doc, site, facts)
    }

    fn dataset(
        &self,
        doc: &mut Doc,
        site: &Site,
        d: &Dataset,
        publisher: Option<&Publisher>,
    ) -> NamedOrBlankNode {
        dataset::write(doc, site, d, publisher)
    }

    fn parse_dataset(&self, graph: &Graph, node: NamedOrBlankNodeRef<'_>) -> Map<String, Value> {
        crate::reverse::dataset(graph, node)
    }
}
