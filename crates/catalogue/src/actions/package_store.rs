//! Writing a validated dataset: the row, its resources, tags and group memberships.

use super::package_input::{PackageInput, ResourceInput};
use crate::feed::{self, ChangeKind};
use crate::store::rows::{MemberRow, PackageRow, ResourceRow};
use crate::store::schema::{members, package_tags, packages, resources};
use crate::store::AnyConnection;
use diesel::prelude::*;

/// Stores `input` (a new dataset when `existing` is `None`) and appends to the change feed.
pub fn save_package(
    conn: &mut AnyConnection,
    input: PackageInput,
    existing: Option<&PackageRow>,
) -> QueryResult<()> {
    if let Some(old) = &input.frees_name_of {
        diesel::update(packages::table.find(old))
            .set(packages::name.eq(old))
            .execute(conn)?;
    }
    let row = &input.row;
    match existing {
        None => {
            diesel::insert_into(packages::table)
                .values(row)
                .execute(conn)?;
        }
        Some(_) => {
            diesel::update(packages::table.find(&row.id))
                .set(row)
                .execute(conn)?;
        }
    }
    // A new dataset has no resources, tags or memberships yet to replace.
    let fresh = existing.is_none();
    if let Some(list) = input.resources {
        replace_resources(conn, &row.id, list, fresh)?;
    }
    replace_tags(conn, &row.id, &input.tags, fresh)?;
    if let Some(groups) = input.groups {
        let ids: Vec<String> = groups.into_iter().map(|g| g.id).collect();
        if !fresh {
            drop_other_groups(conn, &row.id, &ids)?;
        }
        add_groups(conn, &row.id, &ids)?;
    }
    feed::append(conn, &row.id, ChangeKind::Changed)
}

/// Builds the row for a resource input; `old` is the stored resource it replaces, if any.
pub fn resource_row(
    package_id: &str,
    position: i32,
    r: ResourceInput,
    old: Option<&ResourceRow>,
) -> ResourceRow {
    let now = crate::now();
    let mut row = ResourceRow {
        id: r.id.clone().unwrap_or_else(crate::new_id),
        package_id: package_id.to_string(),
        position,
        url: r.url,
        name: r.name,
        description: r.description,
        format: r.format,
        mimetype: r.mimetype,
        mimetype_inner: r.mimetype_inner,
        hash: r.hash,
        size: r.size,
        last_modified: r.last_modified,
        cache_url: r.cache_url,
        cache_last_updated: r.cache_last_updated,
        resource_type: r.resource_type,
        url_type: r.url_type,
        created: old.map(|o| o.created).unwrap_or(now),
        metadata_modified: old.and_then(|o| o.metadata_modified),
        extras: serde_json::to_string(&r.extras).unwrap_or_else(|_| "{}".into()),
    };
    // Only a stored file makes an upload: a client cannot claim one (e.g. a dict copied from
    // another portal keeps its remote URL as a plain link).
    if row.url_type.as_deref() == Some("upload")
        && old.and_then(|o| o.url_type.as_deref()) != Some("upload")
    {
        row.url_type = None;
    }
    // Bump the resource's own modification time only when something in it changed.
    if old != Some(&row) {
        row.metadata_modified = Some(now);
    }
    row
}

fn replace_resources(
    conn: &mut AnyConnection,
    package_id: &str,
    list: Vec<ResourceInput>,
    fresh: bool,
) -> QueryResult<()> {
    let old: Vec<ResourceRow> = if fresh {
        vec![]
    } else {
        resources::table
            .filter(resources::package_id.eq(package_id))
            .select(ResourceRow::as_select())
            .load(conn)?
    };
    let mut keep: Vec<String> = vec![];
    let mut rows: Vec<ResourceRow> = vec![];
    // Ids of other datasets' resources were refused by validation (`parse_resources`).
    for (i, r) in list.into_iter().enumerate() {
        let prior =
            r.id.as_deref()
                .and_then(|id| old.iter().find(|o| o.id == id));
        let row = resource_row(package_id, i as i32, r, prior);
        keep.push(row.id.clone());
        rows.push(row);
    }
    let dropped: Vec<String> = old
        .iter()
        .filter(|o| !keep.contains(&o.id))
        .map(|o| o.id.clone())
        .collect();
    if !fresh {
        crate::files::release(conn, &dropped)?;
        diesel::delete(
            resources::table
                .filter(resources::package_id.eq(package_id))
                .filter(resources::id.ne_all(&keep)),
        )
        .execute(conn)?;
    }
    let (kept, new): (Vec<ResourceRow>, Vec<ResourceRow>) = rows
        .into_iter()
        .partition(|row| old.iter().any(|o| o.id == row.id));
    for row in kept.iter().filter(|row| !old.contains(row)) {
        diesel::update(resources::table.find(&row.id))
            .set(row)
            .execute(conn)?;
    }
    if !new.is_empty() {
        crate::per_backend!(conn, c => diesel::insert_into(resources::table)
            .values(&new)
            .execute(c))?;
    }
    Ok(())
}

/// Renumbers a dataset's resources 0.. in their current order.
pub fn renumber_resources(conn: &mut AnyConnection, ordered_ids: &[String]) -> QueryResult<()> {
    for (i, id) in ordered_ids.iter().enumerate() {
        diesel::update(resources::table.find(id))
            .set(resources::position.eq(i as i32))
            .execute(conn)?;
    }
    Ok(())
}

fn replace_tags(
    conn: &mut AnyConnection,
    package_id: &str,
    names: &[String],
    fresh: bool,
) -> QueryResult<()> {
    if !fresh {
        diesel::delete(package_tags::table.filter(package_tags::package_id.eq(package_id)))
            .execute(conn)?;
    }
    let links: Vec<_> = crate::store::tag_ids(conn, names)?
        .into_iter()
        .map(|tag_id| {
            (
                package_tags::package_id.eq(package_id),
                package_tags::tag_id.eq(tag_id),
            )
        })
        .collect();
    if !links.is_empty() {
        crate::per_backend!(conn, c => diesel::insert_into(package_tags::table)
            .values(&links)
            .execute(c))?;
    }
    Ok(())
}

/// Sets the dataset's group memberships (not its organization) to exactly `group_ids`.
pub fn replace_groups(
    conn: &mut AnyConnection,
    package_id: &str,
    group_ids: &[String],
) -> QueryResult<()> {
    drop_other_groups(conn, package_id, group_ids)?;
    add_groups(conn, package_id, group_ids)
}

/// Ends the dataset's memberships of groups (not its organization) other than `group_ids`.
fn drop_other_groups(
    conn: &mut AnyConnection,
    package_id: &str,
    group_ids: &[String],
) -> QueryResult<()> {
    use crate::store::schema::groups;
    let groups_only = groups::table
        .filter(groups::is_organization.eq(false))
        .select(groups::id);
    diesel::delete(
        members::table
            .filter(members::table_name.eq("package"))
            .filter(members::table_id.eq(package_id))
            .filter(members::group_id.eq_any(groups_only))
            .filter(members::group_id.ne_all(group_ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// Makes the dataset a member of each of `group_ids`.
fn add_groups(conn: &mut AnyConnection, package_id: &str, group_ids: &[String]) -> QueryResult<()> {
    for gid in group_ids {
        crate::store::upsert_member(
            conn,
            &MemberRow {
                id: crate::new_id(),
                group_id: gid.clone(),
                table_name: "package".into(),
                table_id: package_id.to_string(),
                capacity: "public".into(),
                state: "active".into(),
            },
        )?;
    }
    Ok(())
}

/// Removes a dataset and everything that hangs off it.
pub fn purge_package(conn: &mut AnyConnection, package_id: &str) -> QueryResult<()> {
    let res_ids: Vec<String> = resources::table
        .filter(resources::package_id.eq(package_id))
        .select(resources::id)
        .load(conn)?;
    crate::files::release(conn, &res_ids)?;
    diesel::delete(resources::table.filter(resources::package_id.eq(package_id))).execute(conn)?;
    diesel::delete(package_tags::table.filter(package_tags::package_id.eq(package_id)))
        .execute(conn)?;
    diesel::delete(
        members::table
            .filter(members::table_name.eq("package"))
            .filter(members::table_id.eq(package_id)),
    )
    .execute(conn)?;
    diesel::delete(packages::table.find(package_id)).execute(conn)?;
    feed::append(conn, package_id, ChangeKind::Purged)
}
