//! The controlled vocabularies DCAT-AP asks for, and how CKAN's free text maps onto them: file
//! types and media types, data themes, update frequencies, languages, licences, kinds of
//! publisher. Both directions read the same tables, so export and harvest agree.

mod files;
mod licences;
mod vocabularies;

pub use files::*;
pub use licences::*;
pub use vocabularies::*;
