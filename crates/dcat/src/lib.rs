//! DCAT-AP for Cổng: datasets to RDF (the `/catalog` and `/dataset/{id}.ttl` documents, in
//! five formats) and RDF back to datasets (for the harvester), schema.org JSON-LD for
//! dataset pages. Built on the oxrdf family; no RDF is ever written by string concatenation.

pub mod ap3;
pub mod catalog;
pub mod dataset;
pub mod dates;
pub mod format;
pub mod profile;
pub mod reverse;
pub mod schema_org;
pub mod tables;
pub mod vocab;

pub use ap3::DcatAp3;
pub use dataset::Dataset;
pub use format::Format;
pub use profile::{Profile, Publisher, Site};

/// What can go wrong answering for a catalogue page or a dataset document.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// ckanext-dcat's words, so clients that match on them still do.
    #[error("Page param must be a positive integer starting in 1")]
    BadPage,
    #[error("Wrong modified date format. Use ISO-8601 format")]
    BadModifiedSince,
    #[error("Invalid cursor: follow the next links as the catalogue gives them")]
    BadCursor,
    #[error("Unknown RDF profiles: {0}")]
    UnknownProfiles(String),
    #[error(transparent)]
    Catalogue(#[from] catalogue::Error),
    #[error("writing RDF: {0}")]
    Io(#[from] std::io::Error),
}
