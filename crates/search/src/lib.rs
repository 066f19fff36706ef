//! Cổng's dataset search: a tantivy index of package_show dicts, Vietnamese-aware analysis,
//! the CKAN/Solr query subset, facets, sorting and paging. Kept current by tailing the
//! catalogue's change feed; knows nothing of HTTP or SQL.

pub mod aliases;
pub mod analyzer;
mod at_least;
mod build_query;
mod cache;
mod collect;
mod conjunction;
mod cursor;
pub mod dismax;
mod document;
pub mod engine;
pub mod error;
mod execute;
pub mod expand;
mod follow;
mod listing;
mod plan;
pub mod query;
mod rank_within;
pub mod reference;
pub mod relevance;
pub mod schema;
mod scope;
mod tables;
mod word_bits;

pub use engine::{Engine, Opened};
pub use error::Error;
pub use follow::GROUP_COMMIT_WINDOW;
