//! Cổng's catalogue: datasets, resources, organizations, groups, tags, users and API tokens;
//! CKAN's validation and authorization; the actions as plain functions over a store. Knows
//! nothing of HTTP.

pub mod actions;
pub mod actor;
pub mod authz;
pub mod demo;
pub mod dict;
pub mod error;
pub mod feed;
pub mod files;
pub mod input;
pub mod input_text;
pub mod license;
pub mod params;
pub mod store;
pub mod token_cache;
pub mod validate;

pub use actor::Actor;
pub use error::{Error, FieldErrors, Result};
pub use params::Params;
pub use store::{Backend, Database, OpenError};

use error::Result as CatResult;

/// Site settings the actions need.
#[derive(Debug, Clone)]
pub struct Config {
    /// Absolute base URL, no trailing slash (used in `help` links and upload URLs).
    pub site_url: String,
    pub site_title: String,
    pub site_description: String,
    pub locale_default: String,
    /// CKAN's `ckan.auth.create_unowned_dataset`: when false, `owner_org` is required.
    pub create_unowned_dataset: bool,
    /// Upper bound for list actions' `limit` (CKAN's `ckan.group_and_organization_list_max`).
    pub list_max: i64,
    /// Upper bound for package_search's `rows` (CKAN's `ckan.search.rows_max`).
    pub search_rows_max: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            site_url: "http://127.0.0.1:5000".into(),
            site_title: "Cổng dữ liệu mở".into(),
            site_description: String::new(),
            locale_default: "vi".into(),
            create_unowned_dataset: false,
            list_max: 1000,
            search_rows_max: 1000,
        }
    }
}

/// The catalogue: its database, settings and (once the server installs one) search engine.
pub struct Catalogue {
    pub db: Database,
    pub config: Config,
    searcher: std::sync::OnceLock<std::sync::Arc<dyn actions::search::Searcher>>,
    /// Organization and group titles by name, for facets, and the index generation they
    /// were read at.
    group_titles: actions::search::TitleCache,
    /// Recently authenticated API tokens.
    pub tokens: token_cache::TokenCache,
}

impl Catalogue {
    /// Opens the catalogue; fails when the database cannot be reached or migrated.
    pub fn open(database_url: &str, config: Config) -> Result<Catalogue, OpenError> {
        Ok(Catalogue::with_database(
            Database::open(database_url)?,
            config,
        ))
    }

    /// Opens the catalogue without reaching the database (see [`Database::open_lazily`]).
    pub fn open_lazily(database_url: &str, config: Config) -> Result<Catalogue, OpenError> {
        Ok(Catalogue::with_database(
            Database::open_lazily(database_url)?,
            config,
        ))
    }

    fn with_database(db: Database, config: Config) -> Catalogue {
        Catalogue {
            db,
            config,
            searcher: std::sync::OnceLock::new(),
            group_titles: Default::default(),
            tokens: Default::default(),
        }
    }

    /// The newest change-feed sequence number: known without a query when a listener keeps
    /// it current (PostgreSQL: another node's write is heard within a millisecond or so),
    /// else read from the database.
    pub fn newest_change(&self) -> CatResult<i64> {
        if self.db.feed.trusted() {
            return Ok(self.db.feed.newest());
        }
        self.newest_change_now()
    }

    /// The newest change-feed sequence number, read from the database: what a write that
    /// committed anywhere before this call appended is included.
    pub fn newest_change_now(&self) -> CatResult<i64> {
        let seq = self.db.read(feed::last_seq)?;
        self.db.feed.advance(seq);
        Ok(seq)
    }

    pub(crate) fn group_titles(&self) -> &actions::search::TitleCache {
        &self.group_titles
    }

    /// Installs the engine that answers package_search (once; later calls are ignored).
    pub fn install_searcher(&self, searcher: std::sync::Arc<dyn actions::search::Searcher>) {
        let _ = self.searcher.set(searcher);
    }

    pub fn searcher(&self) -> Option<&std::sync::Arc<dyn actions::search::Searcher>> {
        self.searcher.get()
    }
}

/// Now, as stored: naive UTC with microseconds (what CKAN shows).
pub fn now() -> chrono::NaiveDateTime {
    let t = chrono::Utc::now().naive_utc();
    use chrono::SubsecRound;
    // Keep microseconds only, so what is stored equals what is shown, on both backends.
    t.trunc_subsecs(6)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
