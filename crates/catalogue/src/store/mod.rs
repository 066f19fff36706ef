//! Diesel storage for SQLite and PostgreSQL from one code base.

pub mod conn;
pub mod rows;
pub mod schema;

pub use conn::{AnyConnection, Backend, Database, OpenError};
