//! Rows that concurrent writers may both create: inserted with `ON CONFLICT`, so the second
//! writer finds the first's row instead of failing on the unique constraint (PostgreSQL runs
//! such writers side by side; SQLite serialises them, and the same SQL serves both).

use super::rows::{MemberRow, TagRow};
use super::schema::{members, tags};
use super::AnyConnection;
use diesel::prelude::*;
use diesel::upsert::excluded;

/// The id of the free tag `name`, created if it is new.
pub fn tag_id(conn: &mut AnyConnection, name: &str) -> QueryResult<String> {
    let mut ids = tag_ids(conn, &[name.to_string()])?;
    ids.pop().ok_or(diesel::result::Error::NotFound)
}

/// The ids of the free tags `names` (in that order), those that are new created: one insert
/// and one select, however many tags.
pub fn tag_ids(conn: &mut AnyConnection, names: &[String]) -> QueryResult<Vec<String>> {
    if names.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<TagRow> = names
        .iter()
        .map(|name| TagRow {
            id: crate::new_id(),
            name: name.clone(),
        })
        .collect();
    // One statement for all on PostgreSQL (a round trip each would add up); SQLite, in
    // process, takes them one by one (diesel has no batch upsert for it).
    match conn {
        AnyConnection::Postgresql(c) => {
            diesel::insert_into(tags::table)
                .values(&rows)
                .on_conflict(tags::name)
                .do_nothing()
                .execute(c)?;
        }
        AnyConnection::Sqlite(c) => {
            for row in &rows {
                diesel::insert_into(tags::table)
                    .values(row)
                    .on_conflict(tags::name)
                    .do_nothing()
                    .execute(c)?;
            }
        }
    }
    let found: Vec<(String, String)> = tags::table
        .filter(tags::name.eq_any(names))
        .select((tags::name, tags::id))
        .load(conn)?;
    names
        .iter()
        .map(|n| {
            found
                .iter()
                .find(|(name, _)| name == n)
                .map(|(_, id)| id.clone())
                .ok_or(diesel::result::Error::NotFound)
        })
        .collect()
}

/// Adds the membership `m`, or gives the existing one (same group and object) `m`'s capacity
/// and makes it active.
pub fn upsert_member(conn: &mut AnyConnection, m: &MemberRow) -> QueryResult<()> {
    crate::per_backend!(conn, c => diesel::insert_into(members::table)
        .values(m)
        .on_conflict((members::group_id, members::table_name, members::table_id))
        .do_update()
        .set((
            members::capacity.eq(excluded(members::capacity)),
            members::state.eq(excluded(members::state)),
        ))
        .execute(c))?;
    Ok(())
}
