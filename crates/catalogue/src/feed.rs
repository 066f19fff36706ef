//! The change feed: every write that changes how a dataset looks appends (seq, dataset, kind)
//! in the same transaction. The search index tails it with [`changes_since`].

use crate::store::rows::ChangeRow;
use crate::store::schema::change_feed;
use crate::store::{AnyConnection, Backend};
use diesel::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// The PostgreSQL channel on which each feed append announces its newest sequence number is
/// this prefix and the schema's name: notifications are per database, and two portals may
/// share one database in different schemas.
pub const CHANNEL_PREFIX: &str = "cong_feed_";

thread_local! {
    /// The newest sequence number the write transaction running on this thread appended (0:
    /// none). A write transaction runs on one thread from start to commit, so the database
    /// layer reads it after the commit without asking the database.
    static APPENDED: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// Forgets what this thread appended (before a write transaction starts), returning it.
pub(crate) fn take_appended() -> i64 {
    APPENDED.with(|a| a.replace(0))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The dataset is new or its dict changed (including through its organization or groups).
    Changed,
    /// The dataset was purged: drop it from any index.
    Purged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Changed => "changed",
            ChangeKind::Purged => "purged",
        }
    }
}

/// Appends one change. On PostgreSQL it first takes a transaction-scoped advisory lock, so
/// feed rows commit in `seq` order across nodes and a reader that remembers the last `seq`
/// it applied never skips a row that commits late.
pub fn append(conn: &mut AnyConnection, package_id: &str, kind: ChangeKind) -> QueryResult<()> {
    append_all(conn, &[package_id.to_string()], kind)
}

/// Appends a change for each dataset in `ids`.
pub fn append_all(conn: &mut AnyConnection, ids: &[String], kind: ChangeKind) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    if let AnyConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7041966)").execute(c)?;
    }
    let now = crate::now();
    let rows: Vec<_> = ids
        .iter()
        .map(|id| {
            (
                change_feed::package_id.eq(id),
                change_feed::kind.eq(kind.as_str()),
                change_feed::changed_at.eq(now),
            )
        })
        .collect();
    let mut newest = 0;
    for chunk in rows.chunks(1000) {
        let seqs: Vec<i64> = crate::per_backend!(conn, c => diesel::insert_into(change_feed::table)
            .values(chunk)
            .returning(change_feed::seq)
            .get_results(c))?;
        newest = newest.max(seqs.into_iter().max().unwrap_or(0));
    }
    APPENDED.with(|a| a.set(a.get().max(newest)));
    // Other nodes (and this one's listener) learn of it when the transaction commits.
    if let AnyConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT pg_notify($1 || current_schema(), $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL_PREFIX)
            .bind::<diesel::sql_types::Text, _>(newest.to_string())
            .execute(c)?;
    }
    Ok(())
}

/// Up to `limit` changes after `seq`, oldest first.
pub fn changes_since(
    conn: &mut AnyConnection,
    seq: i64,
    limit: i64,
) -> QueryResult<Vec<ChangeRow>> {
    change_feed::table
        .filter(change_feed::seq.gt(seq))
        .order(change_feed::seq.asc())
        .limit(limit)
        .select(ChangeRow::as_select())
        .load(conn)
}

/// The newest sequence number, 0 when the feed is empty. Asked before every search, so it
/// runs on the concrete connection, whose statement cache keeps it prepared (through
/// `AnyConnection` it would be parsed and planned again each time).
pub fn last_seq(conn: &mut AnyConnection) -> QueryResult<i64> {
    let newest = change_feed::table.select(diesel::dsl::max(change_feed::seq));
    crate::per_backend!(conn, c => newest.first::<Option<i64>>(c)).map(|s| s.unwrap_or(0))
}

/// What the search index reads: each dataset's current dict, `None` once purged.
pub fn current_dicts(
    conn: &mut AnyConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, Option<crate::dict::Package>)>> {
    use crate::store::rows::PackageRow;
    use crate::store::schema::packages;
    let mut rows: Vec<PackageRow> = vec![];
    for chunk in ids.chunks(500) {
        rows.extend(
            packages::table
                .filter(packages::id.eq_any(chunk))
                .select(PackageRow::as_select())
                .load(conn)?,
        );
    }
    let mut dicts: std::collections::HashMap<String, crate::dict::Package> =
        crate::actions::load::package_dicts(conn, rows)?
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect();
    Ok(ids
        .iter()
        .map(|id| (id.clone(), dicts.remove(id)))
        .collect())
}

/// Dataset ids in id order after `after`, for rebuilding an index in batches.
pub fn dataset_ids_after(
    conn: &mut AnyConnection,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    use crate::store::schema::packages;
    packages::table
        .filter(packages::id.gt(after))
        .order(packages::id.asc())
        .limit(limit)
        .select(packages::id)
        .load(conn)
}

/// How many datasets there are, in any state.
pub fn dataset_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    use crate::store::schema::packages;
    packages::table.count().get_result(conn)
}

/// What this process knows of the feed's newest sequence number, so that reads need not ask
/// the database each time, and a way to wake whoever follows the feed (the search index).
///
/// - Local writes: after each commit the database layer reports the newest sequence number
///   (PostgreSQL) or just wakes the follower (SQLite, where reads ask `max(seq)` anyway: an
///   in-process query, and other processes on the same file write too).
/// - Other nodes (PostgreSQL): a LISTEN connection ([`listen`]) hears every append. While it is
///   connected, [`FeedWatch::trusted`] is true and readers trust [`FeedWatch::newest`]; while it
///   is not, readers ask the database.
pub struct FeedWatch {
    backend: Backend,
    newest: AtomicI64,
    listening: AtomicBool,
    /// A counter bumped at every change, and the condition followers wait on.
    changed: Mutex<u64>,
    wake: Condvar,
}

impl FeedWatch {
    pub fn new(backend: Backend) -> Self {
        FeedWatch {
            backend,
            newest: AtomicI64::new(0),
            listening: AtomicBool::new(false),
            changed: Mutex::new(0),
            wake: Condvar::new(),
        }
    }

    /// The newest sequence number known to exist.
    pub fn newest(&self) -> i64 {
        self.newest.load(Ordering::Acquire)
    }

    /// Whether [`newest`](Self::newest) is kept current without asking the database.
    pub fn trusted(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    pub(crate) fn set_listening(&self, on: bool) {
        self.listening.store(on, Ordering::Release);
    }

    /// Records that `seq` exists; wakes followers when it is news.
    pub fn advance(&self, seq: i64) {
        if self.newest.fetch_max(seq, Ordering::AcqRel) < seq {
            self.poke();
        }
    }

    /// Wakes followers.
    pub fn poke(&self) {
        let mut n = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.wrapping_add(1);
        self.wake.notify_all();
    }

    /// Waits until something changed after `seen` (a value this returned before), or
    /// `timeout`; returns the value to pass next time.
    pub fn wait(&self, seen: u64, timeout: Duration) -> u64 {
        let n = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        let (n, _) = self
            .wake
            .wait_timeout_while(n, timeout, |n| *n == seen)
            .unwrap_or_else(|p| p.into_inner());
        *n
    }

    /// Called by the database layer after a committed write that appended up to `seq`.
    pub(crate) fn after_local_commit(&self, seq: i64) {
        match self.backend {
            Backend::Postgres => self.advance(seq),
            // Readers ask the database anyway; only the follower needs to know.
            Backend::Sqlite => self.poke(),
        }
    }
}

/// How often the LISTEN connection is read, and how often it is tested with a query.
const LISTEN_POLL: Duration = Duration::from_millis(1);
const LISTEN_HEARTBEAT: Duration = Duration::from_secs(1);
const LISTEN_RECONNECT: Duration = Duration::from_millis(500);

/// PostgreSQL: follows other nodes' appends on a dedicated connection, in a thread of its
/// own, for as long as the process runs; reconnects when the connection is lost. Nothing on
/// SQLite.
pub fn listen(cat: std::sync::Arc<crate::Catalogue>) -> std::io::Result<()> {
    if cat.db.backend() != Backend::Postgres {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("feed-listener".into())
        .spawn(move || loop {
            if let Err(e) = listen_once(&cat.db) {
                tracing::debug!(error = %e, "change-feed listener reconnecting");
            }
            cat.db.feed.set_listening(false);
            std::thread::sleep(LISTEN_RECONNECT);
        })
        .map(|_| ())
}

fn listen_once(db: &crate::Database) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    let mut c = match db.connector().connect_postgres() {
        Some(Ok(c)) => c,
        Some(Err(e)) => return Err(e.to_string()),
        None => return Ok(()),
    };
    let newest_now = |c: &mut diesel::PgConnection| -> Result<i64, String> {
        change_feed::table
            .select(diesel::dsl::max(change_feed::seq))
            .first::<Option<i64>>(c)
            .map(|s| s.unwrap_or(0))
            .map_err(|e| e.to_string())
    };
    #[derive(diesel::QueryableByName)]
    struct Schema {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let schema: Schema = diesel::sql_query("SELECT current_schema() AS name")
        .get_result(&mut c)
        .map_err(|e| e.to_string())?;
    let channel = format!("{CHANNEL_PREFIX}{}", schema.name).replace('"', "\"\"");
    c.batch_execute(&format!("LISTEN \"{channel}\""))
        .map_err(|e| e.to_string())?;
    // Listening from here on; what was appended before is read once.
    db.feed.advance(newest_now(&mut c)?);
    db.feed.set_listening(true);
    let mut last_check = std::time::Instant::now();
    loop {
        for n in c.notifications_iter() {
            let n = n.map_err(|e| e.to_string())?;
            if let Ok(seq) = n.payload.parse::<i64>() {
                db.feed.advance(seq);
            }
        }
        if last_check.elapsed() >= LISTEN_HEARTBEAT {
            // A silently dropped connection would otherwise be trusted forever.
            db.feed.set_listening(false);
            db.feed.advance(newest_now(&mut c)?);
            db.feed.set_listening(true);
            last_check = std::time::Instant::now();
        }
        std::thread::sleep(LISTEN_POLL);
    }
}
