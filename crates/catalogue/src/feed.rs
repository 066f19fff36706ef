//! The change feed: every write that changes how a dataset looks appends (seq, dataset, kind)
//! in the same transaction. The search index tails it with [`changes_since`].

use crate::store::rows::ChangeRow;
use crate::store::schema::change_feed;
use crate::store::AnyConnection;
use diesel::prelude::*;

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
    for chunk in rows.chunks(1000) {
        crate::per_backend!(conn, c => diesel::insert_into(change_feed::table).values(chunk).execute(c))?;
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
