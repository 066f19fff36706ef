//! Connections to either database, a pool, migrations, and the write transaction.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::Mutex;
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

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

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// What failed while opening the database, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
}

/// Picks the backend by URL scheme (diesel's own `establish` would try PostgreSQL first and hide
/// the real reason a PostgreSQL URL failed), and prepares SQLite connections.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        ConnectionManager {
            url: url.to_string(),
            backend: Backend::from_url(url),
        }
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
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<AnyConnection, ConnectionError> {
        ConnectionManager::connect(self)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// The database: a pool, its backend, and (SQLite) the lock that serialises writers in this
/// process so that concurrent write transactions wait for each other instead of failing with
/// "database is locked" when they upgrade from read to write.
pub struct Database {
    pool: Pool,
    backend: Backend,
    sqlite_writer: Mutex<()>,
}

impl Database {
    /// Opens the database and applies pending migrations.
    pub fn open(url: &str) -> Result<Database, OpenError> {
        let manager = ConnectionManager::new(url);
        let backend = manager.backend;
        // Fail fast with the real reason rather than r2d2's generic timeout.
        let mut first = manager
            .connect()
            .map_err(|e| OpenError::Connect(e.to_string()))?;
        run_migrations(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(if backend == Backend::Sqlite { 8 } else { 16 })
            .connection_timeout(Duration::from_secs(30))
            // A broken connection fails its query and is replaced; a SELECT 1 before every
            // checkout would double the round trips of small reads.
            .test_on_check_out(false)
            .build(manager)
            .map_err(|e| OpenError::Connect(e.to_string()))?;
        Ok(Database {
            pool,
            backend,
            sqlite_writer: Mutex::new(()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&self) -> Result<PooledConn, diesel::result::Error> {
        self.pool.get().map_err(|e| {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UnableToSendCommand,
                Box::new(e.to_string()),
            )
        })
    }

    /// Runs `f` in one write transaction: everything it wrote commits, or nothing does.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        };
        let mut conn = self.conn()?;
        let c: &mut AnyConnection = &mut conn;
        c.transaction(f)
    }

    /// Runs `f` on a pooled connection, outside any explicit transaction.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let mut conn = self.conn()?;
        f(&mut conn)
    }
}

fn run_migrations(conn: &mut AnyConnection) -> Result<(), OpenError> {
    let result = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| OpenError::Migrate(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(
            Backend::from_url("postgres://127.0.0.1/test"),
            Backend::Postgres
        );
        assert_eq!(Backend::from_url("postgresql://h/db"), Backend::Postgres);
        assert_eq!(Backend::from_url("sqlite://data/cong.db"), Backend::Sqlite);
        assert_eq!(Backend::from_url("data/cong.db"), Backend::Sqlite);
    }

    #[test]
    fn migration_folders_match() {
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .expect("migrations dir")
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect();
            v.sort();
            v
        };
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        assert_eq!(
            names(&format!("{root}/sqlite")),
            names(&format!("{root}/postgres"))
        );
    }

    #[test]
    fn sqlite_opens_and_migrates_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        Database::open(&url).expect("first open");
        let db = Database::open(&url).expect("second open is a no-op migration");
        let n: i64 = db
            .read(|c| {
                use crate::store::schema::packages::dsl::*;
                packages.count().get_result(c)
            })
            .expect("count");
        assert_eq!(n, 0);
    }
}
