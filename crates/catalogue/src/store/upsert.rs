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
    let row = TagRow {
        id: crate::new_id(),
        name: name.to_string(),
    };
    crate::per_backend!(conn, c => diesel::insert_into(tags::table)
        .values(&row)
        .on_conflict(tags::name)
        .do_nothing()
        .execute(c))?;
    tags::table
        .filter(tags::name.eq(name))
        .select(tags::id)
        .first(conn)
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
