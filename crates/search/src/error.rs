//! The search engine's errors, mapped once onto the catalogue's (and so CKAN's) errors.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query or a filter cannot be parsed or refers to an unknown field.
    #[error("{0}")]
    Query(String),
    /// The sort names a field the index cannot sort by.
    #[error("invalid sort")]
    BadSort,
    #[error("search index: {0}")]
    Engine(String),
    #[error(transparent)]
    Catalogue(#[from] catalogue::Error),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Engine(e.to_string())
    }
}

impl From<Error> for catalogue::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Query(m) => catalogue::Error::Search(m),
            Error::BadSort => catalogue::Error::SearchQuery("'Invalid \"sort\" parameter'".into()),
            Error::Engine(m) => catalogue::Error::Internal(m),
            Error::Catalogue(c) => c,
        }
    }
}
