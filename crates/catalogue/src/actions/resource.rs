//! Resource actions: resource_show, resource_create, resource_update, resource_patch,
//! resource_delete, package_resource_reorder, format_autocomplete.

use super::inputs::{Autocomplete, IdOnly, ResourceDict, ResourceReorder};
use super::load::{find_package, lock_package, resource_dict, upload_versions};
use super::package_input::{mimetype_from_url, parse_resource};
use super::package_store::{renumber_resources, resource_row};
use super::{to_value, Ctx};
use crate::authz;
use crate::error::{Error, FieldErrors, Result};
use crate::feed::{self, ChangeKind};
use crate::params;
use crate::store::rows::{PackageRow, ResourceRow};
use crate::store::schema::{packages, resources};
use crate::store::AnyConnection;
use diesel::prelude::*;
use serde_json::{Map, Value};

fn find_resource(conn: &mut AnyConnection, id: &str) -> Result<(ResourceRow, PackageRow)> {
    let res = resources::table
        .find(id)
        .select(ResourceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::not_found("Resource was not found."))?;
    let pkg = find_package(conn, &res.package_id)?
        .ok_or_else(|| Error::not_found("Resource was not found."))?;
    Ok((res, pkg))
}

/// Like [`find_resource`], for a write: the dataset is locked first (see `lock_package`),
/// then the resource is read again as the lock holder left it.
fn lock_resource(conn: &mut AnyConnection, id: &str) -> Result<(ResourceRow, PackageRow)> {
    let (_, pkg) = find_resource(conn, id)?;
    lock_package(conn, &pkg.id)?.ok_or_else(|| Error::not_found("Resource was not found."))?;
    find_resource(conn, id)
}

/// The resource's dict, with its file versions when it is an upload.
fn dict_of(conn: &mut AnyConnection, row: ResourceRow) -> Result<Value> {
    let files = upload_versions(conn, std::slice::from_ref(&row))?;
    to_value(&resource_dict(row, &files))
}

pub fn resource_show(ctx: &Ctx, input: IdOnly) -> Result<Value> {
    let id = input.id;
    ctx.cat.db.read(|c| {
        let (res, pkg) = find_resource(c, &id)?;
        authz::check_read_package(c, ctx.actor, &pkg)?;
        dict_of(c, res)
    })
}

/// Makes `row` the new version of an uploaded file: CKAN's upload fields, and a version row.
fn attach_upload(conn: &mut AnyConnection, ctx: &Ctx, row: &mut ResourceRow) -> Result<()> {
    let Some(up) = ctx.upload else { return Ok(()) };
    row.url_type = Some("upload".into());
    row.url = crate::files::download_url(
        &ctx.cat.config.site_url,
        &row.package_id,
        &row.id,
        &up.filename,
    );
    row.size = Some(up.size);
    row.hash = up.sha256.clone();
    row.mimetype = Some(up.mimetype.clone());
    if row.format.as_deref().is_none_or(str::is_empty) {
        row.format = super::package_input::format_from_url(&up.filename);
    }
    if row.name.as_deref().is_none_or(str::is_empty) {
        row.name = Some(up.filename.clone());
    }
    let now = crate::now();
    row.last_modified = Some(now);
    row.metadata_modified = Some(now);
    crate::files::record_version(conn, &row.id, up)?;
    Ok(())
}

/// A dataset write through one of its resources bumps the dataset and feeds the change.
fn touch_package(conn: &mut AnyConnection, package_id: &str) -> Result<()> {
    diesel::update(packages::table.find(package_id))
        .set(packages::metadata_modified.eq(crate::now()))
        .execute(conn)?;
    feed::append(conn, package_id, ChangeKind::Changed)?;
    Ok(())
}

/// Validates a resource dict; the MIME type is guessed from the URL when absent on a new
/// resource or a new URL (CKAN leaves an old resource's empty mimetype alone).
fn validated(
    m: &Map<String, Value>,
    old_url: Option<&str>,
) -> Result<super::package_input::ResourceInput> {
    let mut r = parse_resource(m).map_err(Error::Validation)?;
    if r.mimetype.is_none() && old_url != Some(r.url.as_str()) {
        r.mimetype = mimetype_from_url(&r.url);
    }
    Ok(r)
}

pub fn resource_create(ctx: &Ctx, input: ResourceDict) -> Result<Value> {
    let p = input.into_params();
    let package_id = params::required(&p, "package_id")?;
    ctx.cat.db.write(|c| {
        let pkg = lock_package(c, &package_id)?
            .ok_or_else(|| Error::not_found("Package was not found."))?;
        authz::check_edit_package(c, ctx.actor, &pkg, "edit")?;
        let input = validated(&p, None)?;
        if let Some(id) = input.id.as_deref() {
            let taken: i64 = resources::table.find(id).count().get_result(c)?;
            if taken > 0 {
                return Err(FieldErrors::single("id", "Resource id already exists"));
            }
        }
        let count: i64 = resources::table
            .filter(resources::package_id.eq(&pkg.id))
            .count()
            .get_result(c)?;
        let mut row = resource_row(&pkg.id, count as i32, input, None);
        attach_upload(c, ctx, &mut row)?;
        diesel::insert_into(resources::table)
            .values(&row)
            .execute(c)?;
        touch_package(c, &pkg.id)?;
        dict_of(c, row)
    })
}

/// Replaces a resource with the dict `build` makes from the stored one (inside the write
/// transaction, with the dataset locked, so that a patch merges into the latest version).
fn write_resource(
    ctx: &Ctx,
    id: &str,
    build: impl Fn(&ResourceRow) -> Result<Map<String, Value>>,
) -> Result<Value> {
    ctx.cat.db.write(|c| {
        let (old, pkg) = lock_resource(c, id)?;
        authz::check_edit_package(c, ctx.actor, &pkg, "edit")?;
        let m = build(&old)?;
        let mut input = validated(&m, Some(&old.url))?;
        input.id = Some(old.id.clone());
        // A new link replaces an uploaded file; the old versions stay addressable.
        if old.url_type.as_deref() == Some("upload") && input.url != old.url && ctx.upload.is_none()
        {
            input.url_type = None;
        }
        let mut row = resource_row(&pkg.id, old.position, input, Some(&old));
        attach_upload(c, ctx, &mut row)?;
        if row != old {
            diesel::update(resources::table.find(&row.id))
                .set(&row)
                .execute(c)?;
            touch_package(c, &pkg.id)?;
        }
        dict_of(c, row)
    })
}

pub fn resource_update(ctx: &Ctx, input: ResourceDict) -> Result<Value> {
    let p = input.into_params();
    let id = params::required(&p, "id")?;
    write_resource(ctx, &id, |old| {
        // Free keys (and datastore_active) survive an update that omits them only when CKAN
        // keeps them: datastore_active is kept, other extras are dropped.
        let mut m = p.clone();
        if !m.contains_key("datastore_active") {
            let extras: Map<String, Value> = serde_json::from_str(&old.extras).unwrap_or_default();
            if let Some(v) = extras.get("datastore_active") {
                m.insert("datastore_active".into(), v.clone());
            }
        }
        Ok(m)
    })
}

pub fn resource_patch(ctx: &Ctx, input: ResourceDict) -> Result<Value> {
    let p = input.into_params();
    let id = params::required(&p, "id")?;
    write_resource(ctx, &id, |old| {
        let mut merged = match to_value(&resource_dict(old.clone(), &[]))? {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        for (k, v) in &p {
            merged.insert(k.clone(), v.clone());
        }
        Ok(merged)
    })
}

pub fn resource_delete(ctx: &Ctx, input: IdOnly) -> Result<Value> {
    let id = input.id;
    ctx.cat.db.write(|c| {
        let (res, pkg) = lock_resource(c, &id)?;
        authz::check_edit_package(c, ctx.actor, &pkg, "delete")?;
        crate::files::release(c, std::slice::from_ref(&res.id))?;
        diesel::delete(resources::table.find(&res.id)).execute(c)?;
        let rest: Vec<String> = resources::table
            .filter(resources::package_id.eq(&pkg.id))
            .order(resources::position.asc())
            .select(resources::id)
            .load(c)?;
        renumber_resources(c, &rest)?;
        // CKAN 2.12 leaves the dataset's metadata_modified as it was here (transcript step 053).
        feed::append(c, &pkg.id, ChangeKind::Changed)?;
        Ok::<_, Error>(())
    })?;
    Ok(Value::Null)
}

pub fn package_resource_reorder(ctx: &Ctx, input: ResourceReorder) -> Result<Value> {
    let ResourceReorder { id, order } = input;
    // CKAN's messages here are strings, not lists.
    let mut unique = order.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != order.len() {
        let mut e = FieldErrors::new();
        e.set(
            "order",
            Value::String("Must supply unique resource_ids".into()),
        );
        return Err(Error::Validation(e));
    }
    let new_order = ctx.cat.db.write(|c| {
        let pkg =
            lock_package(c, &id)?.ok_or_else(|| Error::not_found("Package was not found."))?;
        authz::check_edit_package(c, ctx.actor, &pkg, "edit")?;
        let current: Vec<String> = resources::table
            .filter(resources::package_id.eq(&pkg.id))
            .order(resources::position.asc())
            .select(resources::id)
            .load(c)?;
        if let Some(bad) = order.iter().find(|o| !current.contains(o)) {
            let mut e = FieldErrors::new();
            e.set(
                "order",
                Value::String(format!("resource_id {bad} can not be found")),
            );
            return Err(Error::Validation(e));
        }
        let mut new_order = order.clone();
        new_order.extend(current.into_iter().filter(|r| !order.contains(r)));
        renumber_resources(c, &new_order)?;
        touch_package(c, &pkg.id)?;
        Ok(new_order)
    })?;
    // CKAN answers the whole new order, not just the ids given.
    let mut out = Map::new();
    out.insert("id".into(), Value::String(id));
    out.insert(
        "order".into(),
        Value::Array(new_order.into_iter().map(Value::String).collect()),
    );
    Ok(Value::Object(out))
}

pub fn format_autocomplete(ctx: &Ctx, input: Autocomplete) -> Result<Value> {
    let q = input.q.unwrap_or_default().trim().to_lowercase();
    let limit = input.limit.unwrap_or(5) as usize;
    // The engine counts formats over the public datasets at once; without it, scan.
    if let Some(counts) = super::search::public_facet(ctx.cat, "res_format")? {
        let mut found: Vec<(String, u64)> = vec![];
        for (f, n) in counts {
            let f = f.to_lowercase();
            if f.is_empty() || !f.contains(&q) {
                continue;
            }
            match found.iter_mut().find(|(x, _)| *x == f) {
                Some((_, c)) => *c += n,
                None => found.push((f, n)),
            }
        }
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        return to_value(
            &found
                .into_iter()
                .take(limit)
                .map(|(f, _)| f)
                .collect::<Vec<_>>(),
        );
    }
    let formats: Vec<Option<String>> = ctx.cat.db.read(|c| {
        resources::table
            .inner_join(packages::table)
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .select(resources::format)
            .load(c)
    })?;
    let mut counts: Vec<(String, usize)> = vec![];
    for f in formats
        .into_iter()
        .flatten()
        .map(|f| f.to_lowercase())
        .filter(|f| !f.is_empty() && f.contains(&q))
    {
        match counts.iter_mut().find(|(n, _)| *n == f) {
            Some((_, c)) => *c += 1,
            None => counts.push((f, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    to_value(
        &counts
            .into_iter()
            .take(limit)
            .map(|(f, _)| f)
            .collect::<Vec<_>>(),
    )
}
