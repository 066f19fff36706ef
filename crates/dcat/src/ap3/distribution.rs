//! A resource as a `dcat:Distribution` (DCAT-AP 3).

use super::nodes;
use crate::dataset::{Dataset, Resource};
use crate::dates;
use crate::profile::Site;
use crate::tables::{self, FileType};
use crate::vocab::{dcat, dcatap, dct, node, spdx, web_iri, xsd, Doc};
use oxrdf::{NamedNode, NamedOrBlankNode};

/// The distribution's IRI: its `uri` when valid, else `{base}/dataset/{id}/resource/{rid}`.
pub fn distribution_iri(site: &Site, d: &Dataset, r: &Resource) -> NamedNode {
    Some(r.uri.as_str())
        .filter(|u| *u != "None")
        .and_then(web_iri)
        .unwrap_or_else(|| {
            let package = if r.package_id.is_empty() {
                &d.id
            } else {
                &r.package_id
            };
            nodes::known_or_minted(&format!(
                "{}/dataset/{}/resource/{}",
                site.base, package, r.id
            ))
        })
}

pub fn write(doc: &mut Doc, site: &Site, d: &Dataset, r: &Resource) -> NamedOrBlankNode {
    // Two resources claiming one `uri` would merge into one node: the second is a blank node.
    let iri = distribution_iri(site, d, r);
    let s = if doc.first_time(&iri) {
        node(&iri)
    } else {
        Doc::blank()
    };
    let lang = site.lang();
    doc.typed(&s, dcat::DISTRIBUTION);
    doc.text(&s, dct::TITLE, &r.name, lang);
    doc.text(&s, dct::DESCRIPTION, &r.description, lang);

    let file_type = format_of(r);
    let url = web_iri(&r.url);
    let access = url.clone().unwrap_or_else(|| {
        nodes::known_or_minted(&format!(
            "{}/dataset/{}/resource/{}",
            site.site_url, d.name, r.id
        ))
    });
    doc.add(&s, dcat::ACCESS_URL, access);
    if let Some(u) = url.filter(|_| r.is_upload() || file_type.is_some_and(is_file)) {
        doc.add(&s, dcat::DOWNLOAD_URL, u);
    }
    if let Some(t) = file_type {
        let f = nodes::file_type(doc, t);
        doc.add(&s, dct::FORMAT, f);
    }
    let media = Some(r.mimetype.trim())
        .filter(|m| tables::is_registered_media_type(&m.to_ascii_lowercase()))
        .or(file_type.map(|t| t.media_type));
    if let Some(m) = media.and_then(|m| nodes::media_type(doc, m)) {
        doc.add(&s, dcat::MEDIA_TYPE, m);
    }
    if let Some(size) = r.byte_size() {
        doc.typed_literal(
            &s,
            dcat::BYTE_SIZE,
            &size.to_string(),
            xsd::NON_NEGATIVE_INTEGER,
        );
    }
    if let Some((algorithm, hex)) = checksum(r) {
        let c = Doc::blank();
        doc.typed(&c, spdx::CHECKSUM_CLASS);
        let a = nodes::checksum_algorithm(doc, algorithm);
        doc.add(&c, spdx::ALGORITHM, a);
        doc.typed_literal(&c, spdx::CHECKSUM_VALUE, &hex, xsd::HEX_BINARY);
        doc.add(&s, spdx::CHECKSUM, c);
    }
    let licence_id = if r.license.trim().is_empty() {
        &d.license_id
    } else {
        &r.license
    };
    if let Some(l) = nodes::licence(doc, site, licence_id) {
        doc.add(&s, dct::LICENSE, l);
    }
    if let Some(v) = dates::ckan_time(&r.created) {
        doc.typed_literal(&s, dct::ISSUED, &v.lexical(), v.datatype());
    }
    let modified = if r.last_modified.is_empty() {
        &r.metadata_modified
    } else {
        &r.last_modified
    };
    if let Some(v) = dates::ckan_time(modified) {
        doc.typed_literal(&s, dct::MODIFIED, &v.lexical(), v.datatype());
    }
    if r.is_upload() {
        let stable = nodes::eu_term(doc, "planned-availability", "STABLE", "stable", &[]);
        doc.add(&s, dcatap::AVAILABILITY, stable);
    }
    s
}

/// The resource's file type: from its format, else its media type, else its URL.
pub fn format_of(r: &Resource) -> Option<&'static FileType> {
    tables::file_type(&r.format)
        .or_else(|| tables::file_type_of_media(&r.mimetype))
        .or_else(|| tables::file_type_of_url(&r.url))
}

/// Whether the format is a file one downloads (not a web page or a service).
fn is_file(t: &FileType) -> bool {
    !(t.code == "HTML" || t.code == "REST" || t.code.ends_with("_SRVC"))
}

/// The stored checksum: an upload's SHA-256 (bare hex), or `algo:hex` as CKAN extensions
/// write it. Only even-length hex passes as `xsd:hexBinary`.
pub fn checksum(r: &Resource) -> Option<(&'static str, String)> {
    let h = r.hash.trim();
    let (algorithm, hex) = match h.split_once(':') {
        Some((a, hex)) => {
            let a = match a.to_ascii_lowercase().as_str() {
                "sha256" | "sha-256" => "sha256",
                "sha1" | "sha-1" => "sha1",
                "sha512" | "sha-512" => "sha512",
                "md5" => "md5",
                _ => return None,
            };
            (a, hex)
        }
        None if h.len() == 64 => ("sha256", h),
        None => return None,
    };
    let valid = !hex.is_empty() && hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| (algorithm, hex.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(hash: &str) -> Resource {
        Resource {
            hash: hash.into(),
            ..Default::default()
        }
    }

    #[test]
    fn checksums_that_are_hex() {
        let sha = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(
            checksum(&res(sha)),
            Some(("sha256", sha.to_ascii_lowercase()))
        );
        assert_eq!(checksum(&res("md5:abcd")), Some(("md5", "abcd".into())));
        assert_eq!(checksum(&res("md5:abc")), None);
        assert_eq!(checksum(&res("crc:abcd")), None);
        assert_eq!(checksum(&res("")), None);
        assert_eq!(checksum(&res("not-a-hash")), None);
    }
}
