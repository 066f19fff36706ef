//! The RDF formats the endpoints speak (ckanext-dcat's five), how a URL's extension or an
//! `Accept` header picks one, and streaming a document out a graph at a time.

use crate::vocab::PREFIXES;
use oxrdf::Graph;
use oxrdfio::{RdfFormat, RdfParser, RdfSerializer, WriterQuadSerializer};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Turtle,
    RdfXml,
    JsonLd,
    NTriples,
    N3,
}

/// Media types answered, and the format each stands for, in the order preferred on a tie.
const MEDIA_TYPES: &[(&str, Format)] = &[
    ("text/turtle", Format::Turtle),
    ("application/rdf+xml", Format::RdfXml),
    ("application/ld+json", Format::JsonLd),
    ("application/n-triples", Format::NTriples),
    ("text/n3", Format::N3),
    ("application/x-turtle", Format::Turtle),
    ("application/xml", Format::RdfXml),
    ("text/rdf+n3", Format::N3),
];

impl Format {
    /// The format a URL suffix names (`catalog.ttl`), as ckanext-dcat's routes do.
    pub fn from_extension(ext: &str) -> Option<Format> {
        Some(match ext {
            "ttl" => Format::Turtle,
            "rdf" | "xml" => Format::RdfXml,
            "jsonld" => Format::JsonLd,
            "nt" => Format::NTriples,
            "n3" => Format::N3,
            _ => return None,
        })
    }

    /// The media type answered (without charset, as ckanext-dcat does: harvesters split the
    /// header at `;` and hand the rest to their parser).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Turtle => "text/turtle",
            Format::RdfXml => "application/rdf+xml",
            Format::JsonLd => "application/ld+json",
            Format::NTriples => "application/n-triples",
            Format::N3 => "text/n3",
        }
    }

    pub fn from_media_type(media: &str) -> Option<Format> {
        let m = media
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        MEDIA_TYPES.iter().find(|(t, _)| *t == m).map(|(_, f)| *f)
    }

    /// The RDF format an `Accept` header prefers over HTML, if any: `None` when the client
    /// (a browser) ranks `text/html` or `*/*` at least as high as every RDF type.
    pub fn negotiate(accept: &str) -> Option<Format> {
        let mut best: Option<(f32, usize, Format)> = None;
        let mut html = 0.0f32;
        for part in accept.split(',') {
            let mut fields = part.split(';');
            let media = fields.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = fields
                .filter_map(|f| f.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if matches!(
                media.as_str(),
                "text/html" | "application/xhtml+xml" | "*/*" | "text/*"
            ) {
                html = html.max(q);
                continue;
            }
            if let Some(i) = MEDIA_TYPES.iter().position(|(t, _)| *t == media) {
                let better = match best {
                    None => true,
                    Some((bq, bi, _)) => q > bq || (q == bq && i < bi),
                };
                if better {
                    best = Some((q, i, MEDIA_TYPES[i].1));
                }
            }
        }
        best.filter(|(q, _, _)| *q > html).map(|(_, _, f)| f)
    }

    fn rdf_format(self) -> RdfFormat {
        match self {
            Format::Turtle => RdfFormat::Turtle,
            Format::RdfXml => RdfFormat::RdfXml,
            Format::JsonLd => RdfFormat::from_extension("jsonld").unwrap_or(RdfFormat::Turtle),
            Format::NTriples => RdfFormat::NTriples,
            Format::N3 => RdfFormat::N3,
        }
    }
}

/// A document being written: graphs go out as they are given, so a page of datasets is
/// never held whole in two forms.
pub struct RdfWriter<W: Write> {
    out: WriterQuadSerializer<W>,
}

impl<W: Write> RdfWriter<W> {
    pub fn new(format: Format, w: W) -> RdfWriter<W> {
        let mut s = RdfSerializer::from_format(format.rdf_format());
        for (prefix, iri) in PREFIXES {
            s = match s.clone().with_prefix(*prefix, *iri) {
                Ok(with) => with,
                Err(_) => s,
            };
        }
        RdfWriter {
            out: s.for_writer(w),
        }
    }

    /// Writes the graph's triples and empties it.
    pub fn write(&mut self, graph: &mut Graph) -> std::io::Result<()> {
        for t in graph.iter() {
            self.out.serialize_triple(t)?;
        }
        graph.clear();
        Ok(())
    }

    pub fn finish(self) -> std::io::Result<W> {
        self.out.finish()
    }
}

/// A whole document as a graph (for the harvester and tests).
pub fn parse(format: Format, bytes: &[u8], base: Option<&str>) -> Result<Graph, String> {
    let mut parser = RdfParser::from_format(format.rdf_format()).without_named_graphs();
    if let Some(b) = base {
        parser = parser.with_base_iri(b).map_err(|e| e.to_string())?;
    }
    let mut g = Graph::new();
    for q in parser.for_slice(bytes) {
        let q = q.map_err(|e| e.to_string())?;
        g.insert(oxrdf::TripleRef::new(
            q.subject.as_ref(),
            q.predicate.as_ref(),
            q.object.as_ref(),
        ));
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_html_rdf_clients_get_rdf() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(Format::negotiate(browser), None);
        assert_eq!(Format::negotiate("text/turtle"), Some(Format::Turtle));
        assert_eq!(
            Format::negotiate("application/rdf+xml, text/turtle;q=0.5"),
            Some(Format::RdfXml)
        );
        assert_eq!(
            Format::negotiate("text/turtle;q=0.5, application/ld+json"),
            Some(Format::JsonLd)
        );
        assert_eq!(
            Format::negotiate("text/html;q=0.5, text/turtle"),
            Some(Format::Turtle)
        );
        assert_eq!(Format::negotiate("*/*"), None);
        assert_eq!(Format::negotiate(""), None);
        assert_eq!(Format::negotiate("text/turtle;q=0"), None);
    }

    #[test]
    fn extensions_and_media_types() {
        assert_eq!(Format::from_extension("xml"), Some(Format::RdfXml));
        assert_eq!(Format::from_extension("html"), None);
        assert_eq!(
            Format::from_media_type("text/turtle; charset=utf-8"),
            Some(Format::Turtle)
        );
    }
}
