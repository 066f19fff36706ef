//! The database as the rest of the code sees it: a pool that survives the server going away,
//! migrations applied once it is reachable, and the two ways in: [`Database::read`] and
//! [`Database::write`], which retry what is safe to retry.
//!
//! Failure policy (see `failure.rs` for the kinds):
//! - a dead connection is dropped from the pool, and every pooled connection older than the
//!   failure is tested before its next use (after a restart they are all dead);
//! - a read that met a dead connection runs once more on a live one;
//! - a write transaction runs again when it failed before committing: on a dead connection,
//!   a serialization failure or deadlock, or a unique value taken by a concurrent writer (the
//!   next run's checks then see the winner's row and answer CKAN's validation error). A commit
//!   whose answer was lost with the connection is not repeated: its outcome is unknown.
//! - no connection at all (database down) is `Failure::Unavailable`, which the server answers
//!   with 503 until the database is back.

use super::conn::{AnyConnection, Backend, Connector, OpenError};
use super::failure::{classify, Failure};
use crate::feed::FeedWatch;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// How long a request waits for a connection before answering "unavailable". Also bounds
/// the pool's reconnect backoff (half of it), so a restarted database is used within ~1 s.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);
/// While the database is known to be down, how long a request waits before its 503.
const CHECKOUT_WHILE_DOWN: Duration = Duration::from_millis(250);
/// How long "known to be down" lasts after the last failed checkout.
const DOWN_MEMORY: Duration = Duration::from_secs(2);
/// Runs of a write transaction that keeps meeting concurrent writers.
const WRITE_ATTEMPTS: u32 = 5;
/// Migrations of several nodes starting at once on one PostgreSQL take turns.
const MIGRATION_LOCK: i64 = 7041967;

/// Lets `write` and `read` see the database error inside a caller's error type.
pub trait AsDbError {
    fn db_error(&self) -> Option<&DieselError>;
}

impl AsDbError for DieselError {
    fn db_error(&self) -> Option<&DieselError> {
        Some(self)
    }
}

/// The error for "no connection could be had": classified as `Failure::Unavailable`.
pub fn unavailable(reason: impl std::fmt::Display) -> DieselError {
    DieselError::DatabaseError(
        DatabaseErrorKind::UnableToSendCommand,
        Box::new(format!("the database is unavailable: {reason}")),
    )
}

/// A pooled connection and what the pool knows of it.
pub struct PoolConn {
    conn: AnyConnection,
    /// A query on it failed because the connection is gone: the pool drops it.
    broken: bool,
    /// The health epoch at which it was last known to work.
    checked: u64,
}

/// Connection health shared by the pool manager and the database.
#[derive(Default)]
struct Health {
    /// Bumped whenever a connection is found dead; older connections are tested before use.
    epoch: AtomicU64,
    /// Whether the last checkout failed for want of a connection, and when.
    down: AtomicBool,
    unreachable_at: Mutex<Option<std::time::Instant>>,
}

impl Health {
    fn checkout_timeout(&self) -> Duration {
        if !self.down.load(Ordering::Acquire) {
            return CHECKOUT_TIMEOUT;
        }
        let at = *self
            .unreachable_at
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match at {
            Some(t) if t.elapsed() < DOWN_MEMORY => CHECKOUT_WHILE_DOWN,
            _ => CHECKOUT_TIMEOUT,
        }
    }

    fn note_reachable(&self, reachable: bool) {
        if reachable && !self.down.load(Ordering::Acquire) {
            return;
        }
        let mut at = self
            .unreachable_at
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *at = (!reachable).then(std::time::Instant::now);
        self.down.store(!reachable, Ordering::Release);
    }
}

struct Manager {
    connector: Connector,
    health: Arc<Health>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PoolConn;
    type Error = ConnectionError;

    fn connect(&self) -> Result<PoolConn, ConnectionError> {
        Ok(PoolConn {
            conn: self.connector.connect()?,
            broken: false,
            checked: self.health.epoch.load(Ordering::Acquire),
        })
    }

    fn is_valid(&self, c: &mut PoolConn) -> Result<(), ConnectionError> {
        ping(&mut c.conn).map_err(|e| ConnectionError::BadConnection(e.to_string()))
    }

    fn has_broken(&self, c: &mut PoolConn) -> bool {
        c.broken
    }
}

fn ping(conn: &mut AnyConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

type Pool = r2d2::Pool<Manager>;
type Pooled = r2d2::PooledConnection<Manager>;

/// The database: a pool, its backend, migrations, and (SQLite) the lock that serialises
/// writers in this process so that concurrent write transactions wait for each other instead
/// of failing with "database is locked" when they upgrade from read to write.
pub struct Database {
    pool: Pool,
    connector: Connector,
    health: Arc<Health>,
    migrated: AtomicBool,
    migrating: Mutex<()>,
    sqlite_writer: Mutex<()>,
    /// The newest change-feed sequence number this process knows of.
    pub feed: FeedWatch,
}

impl Database {
    /// Opens the database and applies pending migrations; fails when it is unreachable.
    pub fn open(url: &str) -> Result<Database, OpenError> {
        let db = Database::open_lazily(url)?;
        db.ensure_migrated().map_err(|e| match classify(&e) {
            Failure::Unavailable => OpenError::Connect(e.to_string()),
            _ => OpenError::Migrate(e.to_string()),
        })?;
        Ok(db)
    }

    /// Opens the database without reaching it: migrations run on first use, and until the
    /// database answers every use fails as unavailable (`cong serve` starts anyway).
    pub fn open_lazily(url: &str) -> Result<Database, OpenError> {
        let connector = Connector::new(url)?;
        let backend = connector.backend();
        let health = Arc::new(Health::default());
        let pool = r2d2::Pool::builder()
            .max_size(if backend == Backend::Sqlite { 8 } else { 16 })
            .connection_timeout(CHECKOUT_TIMEOUT)
            // Connections are opened when needed, never by the pool's own threads in the
            // background: a command that exits while one of those is connecting crashes in
            // libpq's teardown.
            .min_idle(Some(0))
            // Testing every checkout would double the round trips of small reads; instead a
            // dead connection marks the others suspect (see `checkout`).
            .test_on_check_out(false)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Manager {
                connector: connector.clone(),
                health: health.clone(),
            });
        Ok(Database {
            pool,
            connector,
            health,
            migrated: AtomicBool::new(false),
            migrating: Mutex::new(()),
            sqlite_writer: Mutex::new(()),
            feed: FeedWatch::new(backend),
        })
    }

    pub fn backend(&self) -> Backend {
        self.connector.backend()
    }

    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    /// Whether the database answers (and is migrated): for readiness checks.
    pub fn is_reachable(&self) -> bool {
        self.read(ping).is_ok()
    }

    /// Applies pending migrations once per process, on the first connection that works.
    pub fn ensure_migrated(&self) -> QueryResult<()> {
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        let _turn = self.migrating.lock().unwrap_or_else(|p| p.into_inner());
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut conn = self.pool.get().map_err(unavailable)?;
        run_migrations(&mut conn.conn).inspect_err(|_| conn.broken = true)?;
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }

    /// A connection that worked since the last time one was found dead.
    fn checkout(&self) -> QueryResult<Pooled> {
        self.ensure_migrated()?;
        let epoch = self.health.epoch.load(Ordering::Acquire);
        for _ in 0..=self.pool.max_size() {
            let got = self.pool.get_timeout(self.health.checkout_timeout());
            self.health.note_reachable(got.is_ok());
            let mut c = got.map_err(unavailable)?;
            if c.checked >= epoch {
                return Ok(c);
            }
            match ping(&mut c.conn) {
                Ok(()) => {
                    c.checked = epoch;
                    return Ok(c);
                }
                Err(_) => c.broken = true,
            }
        }
        Err(unavailable("every pooled connection is broken"))
    }

    /// Marks `c` dead and every older connection suspect.
    fn found_dead(&self, c: &mut Pooled) {
        c.broken = true;
        self.health.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Runs `f` in one write transaction: everything it wrote commits, or nothing does. `f`
    /// may run more than once (see the module comment), so it must not keep state between
    /// runs.
    pub fn write<T, E>(&self, mut f: impl FnMut(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DieselError> + AsDbError,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let _guard = match self.backend() {
                Backend::Sqlite => {
                    Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner()))
                }
                Backend::Postgres => None,
            };
            let mut conn = self.checkout()?;
            crate::feed::take_appended();
            let mut body_done = false;
            let outcome = conn.conn.transaction(|c| {
                let r = f(c);
                body_done = r.is_ok();
                r
            });
            let e = match outcome {
                Ok(v) => {
                    let appended = crate::feed::take_appended();
                    if appended > 0 {
                        self.feed.after_local_commit(appended);
                    }
                    return Ok(v);
                }
                Err(e) => e,
            };
            let failure = e.db_error().map(classify);
            let again = match failure {
                Some(Failure::Unavailable) => {
                    self.found_dead(&mut conn);
                    // A lost answer to COMMIT: it may have committed; don't write twice.
                    !body_done && attempt < 2
                }
                Some(Failure::Contended) | Some(Failure::Taken(_)) => attempt < WRITE_ATTEMPTS,
                _ => false,
            };
            if !again {
                return Err(e);
            }
            drop(conn);
            if failure == Some(Failure::Contended) {
                // Let the transaction that won finish; spread the retries out a little.
                std::thread::sleep(Duration::from_millis(u64::from(attempt) * 2));
            }
        }
    }

    /// Runs `f` on a pooled connection, outside any explicit transaction; once more on a
    /// live connection when the first one turned out dead.
    pub fn read<T, E>(&self, mut f: impl FnMut(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DieselError> + AsDbError,
    {
        let mut conn = self.checkout()?;
        match f(&mut conn.conn) {
            Err(e) if e.db_error().map(classify) == Some(Failure::Unavailable) => {
                self.found_dead(&mut conn);
                drop(conn);
                let mut conn = self.checkout()?;
                let again = f(&mut conn.conn);
                if let Err(e) = &again {
                    if e.db_error().map(classify) == Some(Failure::Unavailable) {
                        self.found_dead(&mut conn);
                    }
                }
                again
            }
            other => other,
        }
    }
}

fn run_migrations(conn: &mut AnyConnection) -> QueryResult<()> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        DieselError::QueryBuilderError(format!("cannot apply database migrations: {e}").into())
    };
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let ran = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            ran.map_err(failed)
        }
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn an_unreachable_database_is_unavailable_not_a_panic() {
        // Port 9 (discard) is closed on loopback: connecting is refused at once.
        let db = Database::open_lazily("postgres://127.0.0.1:9/none").expect("lazy open");
        let e = db.read(ping).expect_err("nothing listens");
        assert_eq!(classify(&e), Failure::Unavailable);
        assert!(Database::open("postgres://127.0.0.1:9/none").is_err());
    }

    #[test]
    fn a_write_that_keeps_failing_on_its_own_is_not_retried() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::open(&format!("{}/t.db", dir.path().display())).expect("open");
        let mut runs = 0;
        let r: QueryResult<()> = db.write(|c| {
            runs += 1;
            c.batch_execute("SELECT * FROM no_such_table")
        });
        assert!(r.is_err());
        assert_eq!(runs, 1);
    }
}
