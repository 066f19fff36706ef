//! Dataset actions: package_show, package_create, package_update, package_patch,
//! package_revise, package_delete, dataset_purge, package_list,
//! current_package_list_with_resources, package_autocomplete, package_owner_org_update.

use super::inputs::{
    Autocomplete, ById, DatasetDict, IdOrName, OwnerOrgUpdate, PackageRevise, PackageShow, Paging,
};
use super::load::{find_group, find_package, lock_package, package_dict, package_dicts};
use super::package_input::parse_package;
use super::package_store::{purge_package, replace_groups, save_package};
use super::{to_value, Ctx};
use crate::authz::{self, Role};
use crate::dict::{AutocompletePackage, Package};
use crate::error::{Error, FieldErrors, Result};
use crate::feed::{self, ChangeKind};
use crate::input::Input;
use crate::params::{self, Params};
use crate::store::rows::PackageRow;
use crate::store::schema::packages;
use crate::store::AnyConnection;
use crate::validate::fold_diacritics;
use diesel::prelude::*;
use serde_json::{Map, Value};

/// package_show's fast path: a public active dataset's stored dict, as JSON text, straight
/// from the search engine; `None` sends the request down the ordinary path.
pub fn package_show_json(ctx: &Ctx, p: &Params) -> Result<Option<String>> {
    let Some(searcher) = ctx.cat.searcher() else {
        return Ok(None);
    };
    let Ok(key) = PackageShow::parse(p).and_then(|input| input.key()) else {
        return Ok(None);
    };
    searcher.public_dataset_json(ctx.cat, &key)
}

pub fn package_show(ctx: &Ctx, input: PackageShow) -> Result<Value> {
    let id = input.key()?;
    let pkg = ctx.cat.db.read(|c| {
        let row = find_package(c, id.trim())?.ok_or(Error::NotFound(None))?;
        authz::check_read_package(c, ctx.actor, &row)?;
        Ok::<_, Error>(package_dict(c, row)?)
    })?;
    to_value(&pkg)
}

/// Who may create a dataset at all: sysadmins, editors and admins of some organization, and
/// anyone when unowned datasets are allowed.
fn check_may_create(conn: &mut AnyConnection, ctx: &Ctx) -> Result<()> {
    authz::require_user(ctx.actor, "create packages")?;
    if ctx.actor.is_sysadmin() || ctx.cat.config.create_unowned_dataset {
        return Ok(());
    }
    if authz::organizations_with_role(conn, ctx.actor, Role::Editor)?.is_empty() {
        return Err(Error::denied(ctx.actor.name(), "create packages"));
    }
    Ok(())
}

/// CKAN's package_create auth, second half: a given organization must let the caller create
/// datasets in it (an unknown one does not), before the dict is validated.
fn check_may_create_in(conn: &mut AnyConnection, ctx: &Ctx, p: &Params) -> Result<()> {
    if ctx.actor.is_sysadmin() {
        return Ok(());
    }
    let given = p
        .get("owner_org")
        .and_then(|v| params::value_text(v).ok().flatten());
    let Some(org) = given.filter(|o| !o.trim().is_empty()) else {
        return Ok(());
    };
    let allowed = match find_group(conn, org.trim(), None)? {
        Some(g) => authz::has_role(conn, ctx.actor, &g.id, Role::Editor)?,
        None => false,
    };
    if !allowed {
        return Err(Error::denied(
            ctx.actor.name(),
            "add dataset to this organization",
        ));
    }
    Ok(())
}

pub fn package_create(ctx: &Ctx, input: DatasetDict) -> Result<Value> {
    let p = input.into_params();
    let pkg = ctx.cat.db.write(|c| {
        check_may_create(c, ctx)?;
        check_may_create_in(c, ctx, &p)?;
        let input = parse_package(c, &ctx.cat.config, ctx.actor, &p, None)?;
        let id = input.row.id.clone();
        save_package(c, input, None)?;
        let row = find_package(c, &id)?.ok_or(Error::NotFound(None))?;
        Ok::<_, Error>(package_dict(c, row)?)
    })?;
    to_value(&pkg)
}

/// Why a write transaction ended without committing: an error, or nothing to change.
enum WriteOutcome {
    Failed(Error),
    Unchanged(Box<Package>),
}

impl From<diesel::result::Error> for WriteOutcome {
    fn from(e: diesel::result::Error) -> Self {
        WriteOutcome::Failed(e.into())
    }
}

impl crate::store::AsDbError for WriteOutcome {
    fn db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            WriteOutcome::Failed(e) => crate::store::AsDbError::db_error(e),
            WriteOutcome::Unchanged(_) => None,
        }
    }
}

impl From<Error> for WriteOutcome {
    fn from(e: Error) -> Self {
        WriteOutcome::Failed(e)
    }
}

/// The parts of a dict that say whether a write changed anything.
fn comparable(pkg: &Package) -> Value {
    let mut v = serde_json::to_value(pkg).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata_modified");
        if let Some(Value::Array(rs)) = m.get_mut("resources") {
            rs.iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(|r| {
                    r.remove("metadata_modified");
                });
        }
    }
    v
}

/// package_update's core, shared by patch and revise: locks the dataset `id_or_name`, builds
/// the parameters to store from its current dict (`params_from`, inside the same transaction,
/// so that a patch merges into the latest version), validates and stores them. An update
/// that changes nothing leaves the dataset (and its `metadata_modified`) as it was.
pub(crate) fn update_package(
    ctx: &Ctx,
    id_or_name: &str,
    params_from: impl Fn(Map<String, Value>) -> Result<Params>,
) -> Result<Package> {
    let outcome = ctx.cat.db.write(|c| {
        let existing = lock_package(c, id_or_name)?
            .ok_or_else(|| Error::not_found("Package was not found."))?;
        authz::check_edit_package(c, ctx.actor, &existing, "edit")?;
        let before = package_dict(c, existing.clone())?;
        let p = params_from(dict_map(&before)?)?;
        let input = parse_package(c, &ctx.cat.config, ctx.actor, &p, Some(&existing))?;
        save_package(c, input, Some(&existing))?;
        let row = find_package(c, &existing.id)?.ok_or(Error::NotFound(None))?;
        let after = package_dict(c, row)?;
        if comparable(&before) == comparable(&after) {
            return Err(WriteOutcome::Unchanged(Box::new(before)));
        }
        Ok(after)
    });
    match outcome {
        Ok(pkg) => Ok(pkg),
        Err(WriteOutcome::Unchanged(before)) => Ok(*before),
        Err(WriteOutcome::Failed(e)) => Err(e),
    }
}

fn dict_map(pkg: &Package) -> Result<Map<String, Value>> {
    match serde_json::to_value(pkg) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::Internal("dataset dict is not an object".into())),
    }
}

fn id_or_name(p: &Params) -> Result<String> {
    params::required_id(p, "id")
}

pub fn package_update(ctx: &Ctx, input: DatasetDict) -> Result<Value> {
    let p = input.into_params();
    let id = id_or_name(&p)?;
    to_value(&update_package(ctx, &id, |_| Ok(p.clone()))?)
}

pub fn package_patch(ctx: &Ctx, input: DatasetDict) -> Result<Value> {
    let p = input.into_params();
    let id = id_or_name(&p)?;
    to_value(&update_package(ctx, &id, |mut current| {
        for (k, v) in &p {
            current.insert(k.clone(), v.clone());
        }
        Ok(current)
    })?)
}

pub fn package_revise(ctx: &Ctx, input: PackageRevise) -> Result<Value> {
    let match_ = input.r#match;
    let key = ["id", "name"]
        .iter()
        .find_map(|k| match_.get(*k).and_then(Value::as_str))
        .ok_or_else(|| FieldErrors::single("match", "Must include id or name"))?
        .to_string();
    let filters = input.filter.unwrap_or_default();
    let update = input.update;
    let pkg = update_package(ctx, &key, |mut current| {
        let mismatched: Vec<Value> = match_
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(*v))
            .map(|(k, _)| Value::String(k.clone()))
            .collect();
        if !mismatched.is_empty() {
            let mut e = FieldErrors::new();
            e.set("match", Value::Array(mismatched));
            return Err(Error::Validation(e));
        }
        for f in &filters {
            if let Some(path) = f.strip_prefix('-') {
                remove_path(&mut current, path);
            }
        }
        if let Some(update) = &update {
            deep_merge(&mut current, update.clone());
        }
        Ok(current)
    })?;
    let mut out = Map::new();
    out.insert("package".into(), to_value(&pkg)?);
    Ok(Value::Object(out))
}

/// Removes `a__b__1` style paths (list items by index).
fn remove_path(m: &mut Map<String, Value>, path: &str) {
    let parts: Vec<&str> = path.split("__").collect();
    fn walk(v: &mut Value, parts: &[&str]) {
        let [first, rest @ ..] = parts else { return };
        match v {
            Value::Object(m) if rest.is_empty() => {
                m.remove(*first);
            }
            Value::Object(m) => {
                if let Some(next) = m.get_mut(*first) {
                    walk(next, rest);
                }
            }
            Value::Array(a) => {
                if let Ok(i) = first.parse::<usize>() {
                    if rest.is_empty() {
                        if i < a.len() {
                            a.remove(i);
                        }
                    } else if let Some(next) = a.get_mut(i) {
                        walk(next, rest);
                    }
                }
            }
            _ => {}
        }
    }
    let mut v = Value::Object(std::mem::take(m));
    walk(&mut v, &parts);
    if let Value::Object(back) = v {
        *m = back;
    }
}

/// CKAN's revise merge: objects merge key by key, lists of objects merge item by item.
fn deep_merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            (Some(Value::Array(a)), Value::Array(b)) if b.iter().all(Value::is_object) => {
                for (i, item) in b.into_iter().enumerate() {
                    match (a.get_mut(i), item) {
                        (Some(Value::Object(x)), Value::Object(y)) => deep_merge(x, y),
                        (_, item) => a.push(item),
                    }
                }
            }
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

pub fn package_delete(ctx: &Ctx, input: ById) -> Result<Value> {
    let id = input.id_or_name("id")?;
    ctx.cat.db.write(|c| {
        let row =
            lock_package(c, &id)?.ok_or_else(|| Error::not_found("Package was not found."))?;
        authz::check_edit_package(c, ctx.actor, &row, "delete")?;
        diesel::update(packages::table.find(&row.id))
            .set(packages::state.eq("deleted"))
            .execute(c)?;
        // CKAN drops group memberships only when called with the dataset's id.
        if id == row.id {
            replace_groups(c, &row.id, &[])?;
        }
        feed::append(c, &row.id, ChangeKind::Changed)?;
        Ok::<_, Error>(())
    })?;
    Ok(Value::Null)
}

pub fn dataset_purge(ctx: &Ctx, input: ById) -> Result<Value> {
    let id = input.id_or_name("id")?;
    authz::require_sysadmin(ctx.actor, "purge package")?;
    ctx.cat.db.write(|c| {
        let row = lock_package(c, &id)?.ok_or_else(|| Error::not_found("Dataset was not found"))?;
        purge_package(c, &row.id)?;
        Ok::<_, Error>(())
    })?;
    Ok(Value::Null)
}

fn public_active() -> packages::BoxedQuery<'static, crate::store::conn::MultiBackend> {
    packages::table
        .filter(packages::state.eq("active"))
        .filter(packages::private.eq(false))
        .filter(packages::type_.eq("dataset"))
        .into_boxed()
}

pub fn package_list(ctx: &Ctx, input: Paging) -> Result<Value> {
    let Paging { limit, offset } = input;
    let names: Vec<String> = ctx.cat.db.read(|c| {
        // SQLite has no OFFSET without LIMIT: "no limit" is the largest one.
        public_active()
            .select(packages::name)
            .order(packages::name.asc())
            .limit(limit.unwrap_or(i64::MAX))
            .offset(offset)
            .load(c)
    })?;
    to_value(&names)
}

pub fn current_package_list_with_resources(ctx: &Ctx, input: Paging) -> Result<Value> {
    let limit = input.limit.unwrap_or(10).min(1000);
    let offset = input.offset;
    // CKAN searches with `include_private` for sysadmins (ckan/logic/action/get.py).
    let sysadmin = ctx.actor.is_sysadmin();
    let pkgs = ctx.cat.db.read(|c| {
        let query = if sysadmin {
            packages::table
                .filter(packages::state.eq("active"))
                .filter(packages::type_.eq("dataset"))
                .into_boxed()
        } else {
            public_active()
        };
        let rows: Vec<PackageRow> = query
            .order(packages::metadata_modified.desc())
            .limit(limit)
            .offset(offset)
            .select(PackageRow::as_select())
            .load(c)?;
        package_dicts(c, rows)
    })?;
    to_value(&pkgs)
}

pub fn package_autocomplete(ctx: &Ctx, input: Autocomplete) -> Result<Value> {
    let q = input.q.unwrap_or_default();
    let limit = input.limit.unwrap_or(10) as usize;
    if q.trim().is_empty() {
        return to_value(&Vec::<AutocompletePackage>::new());
    }
    if let Some(found) = autocomplete_by_engine(ctx, q.trim(), limit)? {
        return to_value(&found);
    }
    let needle = fold_diacritics(q.trim()).to_lowercase();
    let rows: Vec<(String, Option<String>)> = ctx.cat.db.read(|c| {
        public_active()
            .select((packages::name, packages::title))
            .order(packages::name.asc())
            .load(c)
    })?;
    let mut by_name = vec![];
    let mut by_title = vec![];
    for (name, title) in rows {
        let title = title.unwrap_or_default();
        if name.contains(&needle) {
            by_name.push(AutocompletePackage {
                match_field: "name".into(),
                match_displayed: name.clone(),
                name,
                title,
            });
        } else if fold_diacritics(&title).to_lowercase().contains(&needle) {
            by_title.push(AutocompletePackage {
                match_field: "title".into(),
                match_displayed: format!("{title} ({name})"),
                name,
                title,
            });
        }
    }
    by_name.extend(by_title);
    by_name.truncate(limit);
    to_value(&by_name)
}

/// Active datasets the caller may read whose name contains `slug` (CKAN matches n-grams of the
/// name, so text inside a name counts), by name.
fn readable_names_containing(ctx: &Ctx, slug: &str, limit: usize) -> Result<Vec<(String, String)>> {
    if slug.is_empty() {
        return Ok(vec![]);
    }
    ctx.cat.db.read(|c| {
        // A slug holds only a-z, 0-9 and `-`: nothing LIKE would read as a wildcard.
        let mut q = packages::table
            .filter(packages::state.eq("active"))
            .filter(packages::type_.eq("dataset"))
            .filter(packages::name.like(format!("%{slug}%")))
            .into_boxed();
        if !ctx.actor.is_sysadmin() {
            let orgs = authz::organizations_with_role(c, ctx.actor, Role::Member)?;
            q = q.filter(
                packages::private
                    .eq(false)
                    .or(packages::owner_org.eq_any(orgs)),
            );
        }
        let rows: Vec<(String, Option<String>)> = q
            .select((packages::name, packages::title))
            .order(packages::name.asc())
            .limit(limit as i64)
            .load(c)?;
        Ok(rows
            .into_iter()
            .map(|(n, t)| (n, t.unwrap_or_default()))
            .collect())
    })
}

/// package_autocomplete through the search engine: names containing the text, then titles
/// containing its words (the last one as a prefix), among the datasets the caller may read;
/// `None` when no engine is installed.
fn autocomplete_by_engine(
    ctx: &Ctx,
    q: &str,
    limit: usize,
) -> Result<Option<Vec<AutocompletePackage>>> {
    use super::search::{escape_query, readable_matches};
    let words: Vec<String> = q.split_whitespace().map(escape_query).collect();
    let Some((last, rest)) = words.split_last() else {
        return Ok(Some(vec![]));
    };
    let mut title: Vec<String> = rest.to_vec();
    title.push(format!("{last}*"));
    let slug = crate::validate::slugify(q);
    let mut query = format!("title:({})", title.join(" AND "));
    if !slug.is_empty() {
        query = format!("name:{}* OR {query}", escape_query(&slug));
    }
    let Some(results) = readable_matches(ctx, &query, limit * 3)? else {
        return Ok(None);
    };
    let needle = fold_diacritics(q).to_lowercase();
    let mut by_name = vec![];
    let mut by_title: Vec<AutocompletePackage> = vec![];
    let found = results.into_iter().map(|r| {
        let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        (text("name"), text("title"))
    });
    for (name, title) in readable_names_containing(ctx, &slug, limit)?
        .into_iter()
        .chain(found)
    {
        if by_name
            .iter()
            .chain(&by_title)
            .any(|p: &AutocompletePackage| p.name == name)
        {
            continue;
        }
        if !slug.is_empty() && name.contains(&slug) || name.contains(&needle) {
            by_name.push(AutocompletePackage {
                match_field: "name".into(),
                match_displayed: name.clone(),
                name,
                title,
            });
        } else {
            by_title.push(AutocompletePackage {
                match_field: "title".into(),
                match_displayed: format!("{title} ({name})"),
                name,
                title,
            });
        }
    }
    by_name.extend(by_title);
    by_name.truncate(limit);
    Ok(Some(by_name))
}

pub fn package_owner_org_update(ctx: &Ctx, input: OwnerOrgUpdate) -> Result<Value> {
    let id = input.id_or_name("id")?;
    let org = input.organization_id.clone().unwrap_or_default();
    ctx.cat.db.write(|c| {
        let row =
            lock_package(c, &id)?.ok_or_else(|| Error::not_found("Package was not found."))?;
        // CKAN's auth function for this action is sysadmin-only; editors move datasets with
        // package_update, where owner_org is validated.
        authz::require_sysadmin(ctx.actor, &format!("edit package {}", row.id))?;
        let new_owner = if org.trim().is_empty() || org == "none" {
            if !ctx.cat.config.create_unowned_dataset {
                return Err(FieldErrors::single(
                    "organization_id",
                    "An organization must be provided",
                ));
            }
            None
        } else {
            let g = find_group(c, &org, Some(true))?
                .filter(|g| g.state == "active")
                .ok_or_else(|| Error::not_found("Organization was not found."))?;
            Some(g.id)
        };
        diesel::update(packages::table.find(&row.id))
            .set((
                packages::owner_org.eq(&new_owner),
                packages::metadata_modified.eq(crate::now()),
            ))
            .execute(c)?;
        feed::append(c, &row.id, ChangeKind::Changed)?;
        Ok(())
    })?;
    Ok(Value::Null)
}
