//! Diesel storage for SQLite and PostgreSQL from one code base.

pub mod conn;
pub mod database;
pub mod failure;
pub mod rows;
pub mod schema;
pub mod upsert;

pub use conn::{AnyConnection, Backend, Connector, OpenError};
pub use database::{unavailable, AsDbError, Database};
pub use failure::{classify, Failure, Taken};
pub use upsert::{tag_id, tag_ids, upsert_member};
