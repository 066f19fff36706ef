//! The shared nodes DCAT-AP 3 points to (publishers, licences, themes, file types, places …),
//! each typed with the exact class its property's range asks for and described once per
//! document, identically every time.

use crate::profile::{Publisher, Site};
use crate::tables::{self, FileType};
use crate::vocab::{adms, dct, foaf, known, node, rdfs, skos, spdx, vcard, web_iri, Doc, EU, IANA};
use oxrdf::{NamedNode, NamedNodeRef, NamedOrBlankNode};

/// A controlled-vocabulary term: typed with `classes`, labelled, in `scheme`.
pub fn term(
    doc: &mut Doc,
    iri: &NamedNode,
    classes: &[NamedNodeRef<'_>],
    labels: &[(&str, Option<&str>)],
    scheme: Option<&str>,
) {
    if !doc.first_time(iri) {
        return;
    }
    let s = node(iri);
    for c in classes {
        doc.typed(&s, *c);
    }
    for (text, lang) in labels {
        doc.text(&s, skos::PREF_LABEL, text, *lang);
    }
    if let Some(scheme) = scheme {
        doc.add(&s, skos::IN_SCHEME, known(scheme));
    }
}

/// An EU authority-table term (`{EU}{table}/{code}`), as a `skos:Concept` plus `classes`.
pub fn eu_term(
    doc: &mut Doc,
    table: &str,
    code: &str,
    label: &str,
    classes: &[NamedNodeRef<'_>],
) -> NamedNode {
    let iri = known(&format!("{EU}{table}/{code}"));
    let mut all = vec![skos::CONCEPT];
    all.extend_from_slice(classes);
    term(
        doc,
        &iri,
        &all,
        &[(label, Some("en"))],
        Some(&format!("{EU}{table}")),
    );
    iri
}

/// A page (landing page, home page, documentation), typed `foaf:Document`.
pub fn document(doc: &mut Doc, iri: &NamedNode) {
    if doc.first_time(iri) {
        doc.typed(&node(iri), foaf::DOCUMENT);
    }
}

/// The organization that publishes, as a `foaf:Agent` with its name(s), kind and code.
pub fn publisher(doc: &mut Doc, site: &Site, p: &Publisher) -> NamedNode {
    let iri = known_or_minted(&format!("{}/organization/{}", site.base, p.id));
    if !doc.first_time(&iri) {
        return iri;
    }
    let s = node(&iri);
    doc.typed(&s, foaf::AGENT);
    doc.typed(&s, foaf::ORGANIZATION);
    let name = if p.title.trim().is_empty() {
        &p.name
    } else {
        &p.title
    };
    doc.text(&s, foaf::NAME, name, None);
    if let Some(en) = &p.title_en {
        doc.text(&s, foaf::NAME, en, Some("en"));
    }
    if let Some(code) = &p.code {
        doc.text(&s, dct::IDENTIFIER, code, None);
    }
    if let Some((kind, label)) = p.kind.as_deref().and_then(tables::publisher_type) {
        let t = known(&format!("http://purl.org/adms/publishertype/{kind}"));
        term(
            doc,
            &t,
            &[skos::CONCEPT],
            &[(label, Some("en"))],
            Some("http://purl.org/adms/publishertype/1.0"),
        );
        doc.add(&s, dct::TYPE, t);
    }
    if let Some(home) = p.homepage.as_deref().and_then(web_iri) {
        document(doc, &home);
        doc.add(&s, foaf::HOMEPAGE, home);
    }
    if let Some(mail) = p.email.as_deref().and_then(mailto) {
        doc.add(&s, foaf::MBOX, mail);
    }
    iri
}

/// The catalogue's own publisher when no organization is configured: the portal itself.
pub fn portal_agent(doc: &mut Doc, site: &Site) -> NamedNode {
    let iri = known_or_minted(&format!("{}#publisher", site.base));
    if doc.first_time(&iri) {
        let s = node(&iri);
        doc.typed(&s, foaf::AGENT);
        let name = Some(site.title.trim())
            .filter(|t| !t.is_empty())
            .unwrap_or(DEFAULT_TITLE);
        doc.text(&s, foaf::NAME, name, None);
    }
    iri
}

/// What the portal is called when its title is not configured.
pub const DEFAULT_TITLE: &str = "Cổng dữ liệu mở";

/// A person or office as a vCard contact point.
pub fn contact(doc: &mut Doc, name: &str, email: Option<&str>) -> NamedOrBlankNode {
    let s = Doc::blank();
    doc.typed(&s, vcard::KIND);
    doc.typed(&s, vcard::ORGANIZATION);
    doc.text(&s, vcard::FN, name, None);
    if let Some(mail) = email.and_then(mailto) {
        doc.add(&s, vcard::HAS_EMAIL, mail);
    }
    s
}

/// A person or office as a `foaf:Agent` (a creator).
pub fn agent(doc: &mut Doc, name: &str, email: Option<&str>) -> NamedOrBlankNode {
    let s = Doc::blank();
    doc.typed(&s, foaf::AGENT);
    doc.text(&s, foaf::NAME, name, None);
    if let Some(mail) = email.and_then(mailto) {
        doc.add(&s, foaf::MBOX, mail);
    }
    s
}

/// A `mailto:` IRI for an address that looks like one.
pub fn mailto(email: &str) -> Option<NamedNode> {
    let e = email.trim().trim_start_matches("mailto:");
    let (local, domain) = e.split_once('@')?;
    if local.is_empty()
        || !domain.contains('.')
        || e.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
    {
        return None;
    }
    NamedNode::new(format!("mailto:{e}")).ok()
}

/// A licence document: the canonical IRI, its CKAN title and kinds.
pub fn licence(doc: &mut Doc, site: &Site, id: &str) -> Option<NamedNode> {
    let iri = NamedNode::new(tables::licence_iri(&site.base, id)?).ok()?;
    if !doc.first_time(&iri) {
        return Some(iri);
    }
    let s = node(&iri);
    doc.typed(&s, dct::LICENSE_DOCUMENT);
    if let Some(l) = catalogue::license::find(id) {
        doc.text(&s, dct::TITLE, &l.title, None);
    }
    for kind in tables::licence_terms(id)
        .map(|t| t.kinds)
        .unwrap_or_default()
    {
        let t = known(&format!("http://purl.org/adms/licencetype/{kind}"));
        let label = match *kind {
            "UnknownIPR" => "Unknown IPR",
            "NonCommercialUse" => "Non-Commercial Use",
            "ShareAlike" => "Share Alike",
            "PublicDomain" => "Public domain",
            other => other,
        };
        term(
            doc,
            &t,
            &[skos::CONCEPT],
            &[(label, Some("en"))],
            Some("http://purl.org/adms/licencetype/1.0"),
        );
        doc.add(&s, dct::TYPE, t);
    }
    Some(iri)
}

/// A file type (`dct:format`).
pub fn file_type(doc: &mut Doc, t: &FileType) -> NamedNode {
    let iri = known(&format!("{EU}file-type/{}", t.code));
    term(
        doc,
        &iri,
        &[dct::MEDIA_TYPE_OR_EXTENT],
        &[(t.label, Some("en"))],
        Some(&format!("{EU}file-type")),
    );
    iri
}

/// A media type (`dcat:mediaType`), labelled with its name so ckanext-dcat reads it back.
pub fn media_type(doc: &mut Doc, media: &str) -> Option<NamedNode> {
    let media = media.trim().to_ascii_lowercase();
    if !tables::is_registered_media_type(&media) {
        return None;
    }
    let iri = NamedNode::new(format!("{IANA}{media}")).ok()?;
    if doc.first_time(&iri) {
        let s = node(&iri);
        doc.typed(&s, dct::MEDIA_TYPE);
        doc.text(&s, rdfs::LABEL, &media, None);
    }
    Some(iri)
}

/// A language (`dct:language`).
pub fn language(doc: &mut Doc, text: &str) -> Option<NamedNode> {
    let (_, code, label) = tables::language(text)?;
    Some(eu_term(
        doc,
        "language",
        code,
        label,
        &[dct::LINGUISTIC_SYSTEM],
    ))
}

/// Việt Nam as a place.
pub fn country(doc: &mut Doc) -> NamedNode {
    let iri = known(&format!("{EU}country/VNM"));
    term(
        doc,
        &iri,
        &[dct::LOCATION],
        &[("Viet Nam", Some("en")), ("Việt Nam", Some("vi"))],
        Some(&format!("{EU}country")),
    );
    iri
}

/// A province by its administrative code, as the portal names it.
pub fn province(
    doc: &mut Doc,
    site: &Site,
    code: &str,
    title: &str,
    title_en: Option<&str>,
) -> NamedNode {
    let iri = known_or_minted(&format!("{}/dvhc/{}", site.base, code));
    if doc.first_time(&iri) {
        let s = node(&iri);
        doc.typed(&s, dct::LOCATION);
        doc.text(&s, skos::PREF_LABEL, title, Some("vi"));
        if let Some(en) = title_en {
            doc.text(&s, skos::PREF_LABEL, en, Some("en"));
        }
        doc.text(&s, dct::IDENTIFIER, code, None);
    }
    iri
}

/// The SHA-256 (or other) algorithm node a checksum names.
pub fn checksum_algorithm(doc: &mut Doc, name: &str) -> NamedNode {
    let iri = known(&format!("{}checksumAlgorithm_{name}", spdx::NS));
    if doc.first_time(&iri) {
        doc.typed(&node(&iri), spdx::CHECKSUM_ALGORITHM);
    }
    iri
}

/// An alternative identifier (`adms:identifier`).
pub fn identifier(doc: &mut Doc, notation: &str) -> NamedOrBlankNode {
    let s = Doc::blank();
    doc.typed(&s, adms::IDENTIFIER_CLASS);
    doc.text(&s, skos::NOTATION, notation, None);
    s
}

/// An IRI the portal mints from its own base and ids; a base that is not a valid IRI
/// (misconfigured) still gives a valid one, percent-encoded.
pub fn known_or_minted(iri: &str) -> NamedNode {
    crate::vocab::iri(iri).unwrap_or_else(|| known("urn:cong:invalid-base"))
}
