//! Connections to either database: the backend a URL names, and how one connection is made.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

/// One connection to whichever database the URL names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection, for SQL that differs per backend.
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::AnyConnection::Postgresql($c) => $body,
            $crate::store::AnyConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// What failed while opening the database, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "unknown database URL scheme \"{0}:\": use postgres://… (or postgresql://…) for \
         PostgreSQL, sqlite://PATH or a plain file path for SQLite"
    )]
    UnknownScheme(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
}

impl Backend {
    /// The backend a database URL names. A plain path is a SQLite file; anything that looks
    /// like `scheme:` must be a scheme Cổng knows, so that a typo (`postgress://`, `pg://`)
    /// is refused instead of silently becoming a SQLite file of that name.
    pub fn from_url(url: &str) -> Result<Backend, OpenError> {
        match scheme(url) {
            None => Ok(Backend::Sqlite),
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" => Ok(Backend::Postgres),
                "sqlite" => Ok(Backend::Sqlite),
                _ => Err(OpenError::UnknownScheme(s.to_string())),
            },
        }
    }
}

/// The URL's scheme, RFC 3986 style (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn scheme(url: &str) -> Option<&str> {
    let (head, _) = url.split_once(':')?;
    let mut chars = head.chars();
    let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_is_letter && rest_ok).then_some(head)
}

/// Makes connections of one backend (chosen by URL scheme: diesel's own `establish` would try
/// PostgreSQL first and hide the real reason a PostgreSQL URL failed), and prepares SQLite ones.
#[derive(Debug, Clone)]
pub struct Connector {
    url: String,
    backend: Backend,
}

impl Connector {
    pub fn new(url: &str) -> Result<Self, OpenError> {
        Ok(Connector {
            url: url.to_string(),
            backend: Backend::from_url(url)?,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn connect(&self) -> Result<AnyConnection, ConnectionError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(AnyConnection::Postgresql),
            Backend::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                let mut conn = SqliteConnection::establish(path)?;
                // busy_timeout first: the other pragmas may themselves wait for a lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    /// A dedicated PostgreSQL connection (outside the pool), for LISTEN.
    pub fn connect_postgres(&self) -> Option<Result<PgConnection, ConnectionError>> {
        (self.backend == Backend::Postgres).then(|| PgConnection::establish(&self.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        let b = |u: &str| Backend::from_url(u).ok();
        assert_eq!(b("postgres://127.0.0.1/test"), Some(Backend::Postgres));
        assert_eq!(b("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(b("POSTGRES://h/db"), Some(Backend::Postgres));
        assert_eq!(b("sqlite://data/cong.db"), Some(Backend::Sqlite));
        assert_eq!(b("data/cong.db"), Some(Backend::Sqlite));
        assert_eq!(b("/var/lib/cong/cong.db"), Some(Backend::Sqlite));
        assert_eq!(b("./data/x:y.db"), Some(Backend::Sqlite));
    }

    #[test]
    fn mistyped_schemes_are_refused_by_name() {
        for url in [
            "postgress://h/db",
            "pg://h/db",
            "mysql://h/db",
            "sqlite3:x.db",
        ] {
            let e = Backend::from_url(url).expect_err(url);
            let scheme = url.split(':').next().unwrap_or_default();
            assert!(
                e.to_string().contains(&format!("\"{scheme}:\"")),
                "{url}: {e}"
            );
        }
    }
}
