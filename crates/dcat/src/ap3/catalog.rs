//! The `dcat:Catalog` node: the portal, its publisher, languages and theme taxonomies.

use super::{dataset, nodes};
use crate::dates;
use crate::profile::{CatalogFacts, Site};
use crate::vocab::{dcat, dct, foaf, node, skos, Doc};
use oxrdf::NamedOrBlankNode;

pub fn write(doc: &mut Doc, site: &Site, facts: &CatalogFacts) -> NamedOrBlankNode {
    let s = node(&nodes::known_or_minted(&site.base));
    let lang = site.lang();
    doc.typed(&s, dcat::CATALOG);
    let title = Some(site.title.trim())
        .filter(|t| !t.is_empty())
        .unwrap_or(nodes::DEFAULT_TITLE);
    doc.text(&s, dct::TITLE, title, lang);
    let description = Some(site.description.trim())
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("Danh mục dữ liệu mở của {title}."));
    doc.text(&s, dct::DESCRIPTION, &description, lang);

    let publisher = match &site.publisher {
        Some(p) => nodes::publisher(doc, site, p),
        None => nodes::portal_agent(doc, site),
    };
    doc.add(&s, dct::PUBLISHER, publisher);
    let home = nodes::known_or_minted(&format!("{}/", site.site_url));
    nodes::document(doc, &home);
    doc.add(&s, foaf::HOMEPAGE, home);
    for l in [site.language.as_str(), "en"] {
        if let Some(iri) = nodes::language(doc, l) {
            doc.add(&s, dct::LANGUAGE, iri);
        }
    }
    for (value, property) in [
        (&facts.issued, dct::ISSUED),
        (&facts.modified, dct::MODIFIED),
    ] {
        if let Some(v) = value.as_deref().and_then(dates::ckan_time) {
            doc.typed_literal(&s, property, &v.lexical(), v.datatype());
        }
    }
    let country = nodes::country(doc);
    doc.add(&s, dct::SPATIAL, country);
    if let Some(l) = nodes::licence(doc, site, "vn-open-data") {
        doc.add(&s, dct::LICENSE, l);
    }

    let eu = dataset::eu_themes_scheme();
    if doc.first_time(&eu) {
        doc.typed(&node(&eu), skos::CONCEPT_SCHEME);
        doc.text(&node(&eu), dct::TITLE, "Data theme", Some("en"));
    }
    doc.add(&s, dcat::THEME_TAXONOMY, eu);
    let groups = nodes::known_or_minted(&format!("{}/group", site.base));
    if doc.first_time(&groups) {
        doc.typed(&node(&groups), skos::CONCEPT_SCHEME);
        doc.text(&node(&groups), dct::TITLE, "Lĩnh vực dữ liệu", Some("vi"));
        doc.text(&node(&groups), dct::TITLE, "Data themes", Some("en"));
    }
    doc.add(&s, dcat::THEME_TAXONOMY, groups);
    s
}
