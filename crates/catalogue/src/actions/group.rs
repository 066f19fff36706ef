//! Organization and group actions. Both are rows of `groups`; `is_organization` tells them
//! apart, and every action here takes which one it serves.

use super::inputs::{Autocomplete, ById, GroupDict, GroupList, GroupShow, IdOrName, OrgsForUser};
use super::load::{display_name, find_group, group_type, package_dicts, user_dict};
use super::package_store::purge_package;
use super::{to_value, Ctx};
use crate::authz::{self, Role};
use crate::dict::{ckan_time, Extra, Group, OrganizationForUser, User};
use crate::error::{Error, FieldErrors, Result};
use crate::feed::{self, ChangeKind};
use crate::input::Input;
use crate::params::{self, Params};
use crate::store::rows::{GroupRow, MemberRow, PackageRow, UserRow};
use crate::store::schema::{groups, members, packages, users};
use crate::store::AnyConnection;
use crate::validate::{self, fold_diacritics};
use diesel::prelude::*;
use serde_json::{json, Map, Value};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Organization,
    Group,
}

impl Kind {
    fn is_org(self) -> bool {
        self == Kind::Organization
    }
    fn noun(self) -> &'static str {
        if self.is_org() {
            "organization"
        } else {
            "group"
        }
    }
    fn not_found(self) -> Error {
        Error::not_found(if self.is_org() {
            "Organization was not found."
        } else {
            "Group was not found."
        })
    }
}

/// Ids of the datasets an organization owns or a group holds (any state but purged).
fn dataset_ids(conn: &mut AnyConnection, g: &GroupRow) -> QueryResult<Vec<String>> {
    if g.is_organization {
        packages::table
            .filter(packages::owner_org.eq(&g.id))
            .select(packages::id)
            .load(conn)
    } else {
        members::table
            .filter(members::group_id.eq(&g.id))
            .filter(members::table_name.eq("package"))
            .filter(members::state.eq("active"))
            .select(members::table_id)
            .load(conn)
    }
}

/// The group's active datasets that the actor may see, as a query: public ones, and private
/// ones of organizations the actor belongs to (all of them for sysadmins).
fn visible_query<'a>(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    g: &'a GroupRow,
) -> Result<packages::BoxedQuery<'a, crate::store::conn::MultiBackend>> {
    let mut q = packages::table
        .filter(packages::state.eq("active"))
        .filter(packages::type_.eq("dataset"))
        .into_boxed();
    q = if g.is_organization {
        q.filter(packages::owner_org.eq(&g.id))
    } else {
        q.filter(
            packages::id.eq_any(
                members::table
                    .filter(members::group_id.eq(&g.id))
                    .filter(members::table_name.eq("package"))
                    .filter(members::state.eq("active"))
                    .select(members::table_id),
            ),
        )
    };
    if !ctx.actor.is_sysadmin() {
        let readable = authz::organizations_with_role(conn, ctx.actor, Role::Member)?;
        q = q.filter(
            packages::private
                .eq(false)
                .or(packages::owner_org.eq_any(readable)),
        );
    }
    Ok(q)
}

struct ShowOptions {
    package_count: bool,
    extras: bool,
    users: bool,
    groups: bool,
    datasets: bool,
}

fn group_dict(conn: &mut AnyConnection, ctx: &Ctx, g: &GroupRow, o: &ShowOptions) -> Result<Group> {
    let package_count = if o.package_count {
        Some(
            visible_query(conn, ctx, g)?
                .count()
                .get_result::<i64>(conn)?,
        )
    } else {
        None
    };
    let users = if o.users {
        Some(group_users(conn, g)?)
    } else {
        None
    };
    let packages = if o.datasets {
        let rows: Vec<PackageRow> = visible_query(conn, ctx, g)?
            .order(packages::metadata_modified.desc())
            .limit(10)
            .select(PackageRow::as_select())
            .load(conn)?;
        Some(package_dicts(conn, rows)?)
    } else {
        None
    };
    Ok(Group {
        approval_status: g.approval_status.clone(),
        created: ckan_time(&g.created),
        description: g.description.clone(),
        display_name: display_name(&g.title, &g.name),
        id: g.id.clone(),
        image_display_url: g.image_url.clone(),
        image_url: g.image_url.clone(),
        is_organization: g.is_organization,
        name: g.name.clone(),
        num_followers: 0,
        package_count,
        state: g.state.clone(),
        title: g.title.clone(),
        type_: group_type(g).into(),
        extras: o.extras.then(|| super::load::extras_of(&g.extras)),
        packages,
        users,
        groups: o.groups.then(Vec::new),
    })
}

fn group_users(conn: &mut AnyConnection, g: &GroupRow) -> Result<Vec<User>> {
    let rows: Vec<(UserRow, String)> = members::table
        .inner_join(users::table.on(users::id.eq(members::table_id)))
        .filter(members::group_id.eq(&g.id))
        .filter(members::table_name.eq("user"))
        .filter(members::state.eq("active"))
        .filter(users::state.eq("active"))
        .order(users::name.asc())
        .select((UserRow::as_select(), members::capacity))
        .load(conn)?;
    rows.into_iter()
        .map(|(u, cap)| {
            let mut d = user_dict(conn, &u, false)?;
            d.capacity = Some(cap);
            Ok(d)
        })
        .collect()
}

fn list(ctx: &Ctx, input: GroupList, kind: Kind) -> Result<Value> {
    let all_fields = input.all_fields;
    let max = ctx.cat.config.list_max;
    let default_limit = if all_fields { 25 } else { max };
    let limit = input.limit.unwrap_or(default_limit).min(max) as usize;
    let offset = input.offset as usize;
    let q = input.q.unwrap_or_default();
    let sort = input.sort;
    let include_count = input.include_dataset_count;
    let include_extras = input.include_extras;
    let (sort_field, desc) = match sort.split_whitespace().collect::<Vec<_>>().as_slice() {
        [f] => (f.to_string(), false),
        [f, d] => (f.to_string(), *d == "desc"),
        _ => ("title".into(), false),
    };
    if !["name", "title", "package_count"].contains(&sort_field.as_str()) {
        return Err(FieldErrors::single(
            "sort",
            format!("Cannot sort by field `{sort_field}`"),
        ));
    }
    ctx.cat.db.read(|c| {
        let rows: Vec<GroupRow> = groups::table
            .filter(groups::is_organization.eq(kind.is_org()))
            .filter(groups::state.eq("active"))
            .select(GroupRow::as_select())
            .load(c)?;
        let needle = fold_diacritics(&q).to_lowercase();
        let rows: Vec<GroupRow> = rows
            .into_iter()
            .filter(|g| {
                needle.is_empty()
                    || fold_diacritics(&format!("{} {}", g.name, g.title))
                        .to_lowercase()
                        .contains(&needle)
            })
            .collect();
        let opts = ShowOptions {
            package_count: include_count || sort_field == "package_count",
            extras: include_extras,
            users: false,
            groups: false,
            datasets: false,
        };
        let mut dicts: Vec<Group> = rows
            .iter()
            .map(|g| group_dict(c, ctx, g, &opts))
            .collect::<Result<_>>()?;
        dicts.sort_by(|a, b| {
            let ord = match sort_field.as_str() {
                "name" => a.name.cmp(&b.name),
                "package_count" => a.package_count.cmp(&b.package_count),
                _ => a
                    .title
                    .to_lowercase()
                    .cmp(&b.title.to_lowercase())
                    .then(a.name.cmp(&b.name)),
            };
            if desc {
                ord.reverse()
            } else {
                ord
            }
        });
        let page = dicts.into_iter().skip(offset).take(limit);
        if all_fields {
            let v: Vec<Group> = page
                .map(|mut g| {
                    if !include_count {
                        g.package_count = None;
                    }
                    g
                })
                .collect();
            to_value(&v)
        } else {
            to_value(&page.map(|g| g.name).collect::<Vec<_>>())
        }
    })
}

fn show(ctx: &Ctx, input: GroupShow, kind: Kind) -> Result<Value> {
    let id = input.id;
    let opts = ShowOptions {
        package_count: true,
        extras: input.include_extras,
        users: input.include_users,
        groups: input.include_groups,
        datasets: input.include_datasets,
    };
    ctx.cat.db.read(|c| {
        let g = find_group(c, &id, Some(kind.is_org()))?.ok_or(Error::NotFound(None))?;
        if g.state != "active" && !authz::has_role(c, ctx.actor, &g.id, Role::Admin)? {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("read group {}", g.id),
            ));
        }
        to_value(&group_dict(c, ctx, &g, &opts)?)
    })
}

/// Validated fields of a group/organization dict.
struct GroupInput {
    name: String,
    title: String,
    description: String,
    image_url: String,
    extras: Vec<Extra>,
    users: Option<Vec<(String, Role)>>,
}

fn parse_group(
    conn: &mut AnyConnection,
    p: &Params,
    existing: Option<&GroupRow>,
) -> Result<GroupInput> {
    let mut errs = FieldErrors::new();
    let name = match (params::text(p, "name")?, existing) {
        (Some(n), _) if !n.is_empty() => n,
        (None, Some(e)) => e.name.clone(),
        _ => {
            errs.add("name", "Missing value");
            String::new()
        }
    };
    if !name.is_empty() {
        let problems = validate::name_problems(&name);
        if problems.is_empty() {
            let taken: Option<String> = groups::table
                .filter(groups::name.eq(&name))
                .select(groups::id)
                .first(conn)
                .optional()?;
            if taken.is_some_and(|id| existing.is_none_or(|e| e.id != id)) {
                errs.add("name", "Group name already exists in database");
            }
        } else {
            problems.into_iter().for_each(|m| errs.add("name", m));
        }
    }
    let keep = |key: &str, old: Option<&str>| -> Result<String> {
        Ok(match params::text(p, key)? {
            Some(v) => v,
            None if p.contains_key(key) => String::new(),
            None => old.unwrap_or("").to_string(),
        })
    };
    let title = keep("title", existing.map(|e| e.title.as_str()))?;
    let description = keep("description", existing.map(|e| e.description.as_str()))?;
    let image_url = keep("image_url", existing.map(|e| e.image_url.as_str()))?;
    let mut extras: Vec<Extra> = vec![];
    for item in params::list_of_objects(p, "extras")?.unwrap_or_default() {
        let key = item
            .get("key")
            .and_then(|v| params::value_text(v).ok().flatten())
            .unwrap_or_default();
        if key.is_empty() {
            errs.add("extras", "Missing value");
            continue;
        }
        let value = match item.get("value") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => String::new(),
            Some(v) => v.to_string(),
        };
        extras.push(Extra { key, value });
    }
    let users = match params::list_of_objects(p, "users")? {
        None => None,
        Some(list) => {
            let mut out = vec![];
            for u in list {
                let who = ["name", "id"]
                    .iter()
                    .find_map(|k| u.get(*k).and_then(Value::as_str))
                    .unwrap_or("")
                    .to_string();
                let cap = u
                    .get("capacity")
                    .and_then(Value::as_str)
                    .unwrap_or("member");
                match Role::parse(cap) {
                    Some(r) => out.push((who, r)),
                    None => errs.add("users", format!("Role {cap} does not exist")),
                }
            }
            Some(out)
        }
    };
    errs.check()?;
    Ok(GroupInput {
        name,
        title,
        description,
        image_url,
        extras,
        users,
    })
}

fn find_user(conn: &mut AnyConnection, id_or_name: &str) -> Result<Option<UserRow>> {
    Ok(super::load::find_user(conn, id_or_name)?)
}

/// Sets `user`'s role in `group_id`, replacing any earlier one (an upsert: two concurrent
/// calls leave one membership, with the role of the later).
pub(crate) fn set_member(
    conn: &mut AnyConnection,
    group_id: &str,
    user_id: &str,
    role: Role,
) -> Result<MemberRow> {
    let m = MemberRow {
        id: crate::new_id(),
        group_id: group_id.to_string(),
        table_name: "user".into(),
        table_id: user_id.to_string(),
        capacity: role.as_str().into(),
        state: "active".into(),
    };
    crate::store::upsert_member(conn, &m)?;
    Ok(members::table
        .filter(members::group_id.eq(group_id))
        .filter(members::table_name.eq("user"))
        .filter(members::table_id.eq(user_id))
        .select(MemberRow::as_select())
        .first(conn)?)
}

fn apply_users(conn: &mut AnyConnection, group_id: &str, list: &[(String, Role)]) -> Result<()> {
    diesel::delete(
        members::table
            .filter(members::group_id.eq(group_id))
            .filter(members::table_name.eq("user")),
    )
    .execute(conn)?;
    for (who, role) in list {
        let u = find_user(conn, who)?.ok_or_else(|| Error::not_found("User not found"))?;
        set_member(conn, group_id, &u.id, *role)?;
    }
    Ok(())
}

/// Sysadmins may choose the id (ckanapi load keeps ids); others may not.
fn chosen_id(conn: &mut AnyConnection, ctx: &Ctx, p: &Params) -> Result<String> {
    let Some(id) = params::text(p, "id")?.filter(|s| !s.trim().is_empty()) else {
        return Ok(crate::new_id());
    };
    if !ctx.actor.is_sysadmin() {
        return Err(FieldErrors::single(
            "id",
            "The input field id was not expected.",
        ));
    }
    if !crate::validate::is_valid_id(&id) {
        return Err(FieldErrors::single("id", crate::validate::ID_MESSAGE));
    }
    let taken: i64 = groups::table.find(&id).count().get_result(conn)?;
    if taken > 0 {
        return Err(FieldErrors::single("id", "Group id already exists"));
    }
    Ok(id)
}

fn create(ctx: &Ctx, input: GroupDict, kind: Kind) -> Result<Value> {
    let p = input.into_params();
    match kind {
        Kind::Organization => authz::require_sysadmin(ctx.actor, "create organizations")?,
        Kind::Group => authz::require_user(ctx.actor, "create groups")?,
    }
    ctx.cat.db.write(|c| {
        let input = parse_group(c, &p, None)?;
        let id = chosen_id(c, ctx, &p)?;
        let row = GroupRow {
            id,
            name: input.name,
            title: input.title,
            description: input.description,
            image_url: input.image_url,
            is_organization: kind.is_org(),
            approval_status: "approved".into(),
            state: "active".into(),
            created: crate::now(),
            extras: serde_json::to_string(&input.extras).unwrap_or_else(|_| "[]".into()),
        };
        diesel::insert_into(groups::table).values(&row).execute(c)?;
        if let Some(list) = &input.users {
            apply_users(c, &row.id, list)?;
        }
        if let Some(uid) = ctx.actor.user_id() {
            set_member(c, &row.id, uid, Role::Admin)?;
        }
        let opts = ShowOptions {
            package_count: true,
            extras: true,
            users: true,
            groups: true,
            datasets: false,
        };
        to_value(&group_dict(c, ctx, &row, &opts)?)
    })
}

fn update_with(ctx: &Ctx, id: &str, p: &Params, kind: Kind) -> Result<Value> {
    ctx.cat.db.write(|c| {
        let old = find_group(c, id, Some(kind.is_org()))?.ok_or_else(|| kind.not_found())?;
        if !authz::has_role(c, ctx.actor, &old.id, Role::Admin)? {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("edit {} {}", kind.noun(), old.id),
            ));
        }
        let input = parse_group(c, p, Some(&old))?;
        let row = GroupRow {
            name: input.name,
            title: input.title,
            description: input.description,
            image_url: input.image_url,
            extras: serde_json::to_string(&input.extras).unwrap_or_else(|_| "[]".into()),
            ..old.clone()
        };
        diesel::update(groups::table.find(&row.id))
            .set(&row)
            .execute(c)?;
        if let Some(list) = &input.users {
            apply_users(c, &row.id, list)?;
        }
        // Datasets embed their organization and groups: their dicts changed too.
        let ids = dataset_ids(c, &row)?;
        feed::append_all(c, &ids, ChangeKind::Changed)?;
        let opts = ShowOptions {
            package_count: true,
            extras: true,
            users: true,
            groups: true,
            datasets: false,
        };
        to_value(&group_dict(c, ctx, &row, &opts)?)
    })
}

fn update(ctx: &Ctx, input: GroupDict, kind: Kind) -> Result<Value> {
    let p = input.into_params();
    let id = params::required_id(&p, "id")?;
    update_with(ctx, &id, &p, kind)
}

fn patch(ctx: &Ctx, input: GroupDict, kind: Kind) -> Result<Value> {
    let p = input.into_params();
    let id = params::required_id(&p, "id")?;
    let current = show(ctx, GroupShow::parse(&json_params(&[("id", &id)]))?, kind)?;
    let mut merged: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    merged.remove("users");
    for (k, v) in p {
        merged.insert(k, v);
    }
    update_with(ctx, &id, &merged, kind)
}

fn json_params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}

fn delete(ctx: &Ctx, input: ById, kind: Kind) -> Result<Value> {
    let id = input.id_or_name("id")?;
    ctx.cat.db.write(|c| {
        let g = find_group(c, &id, Some(kind.is_org()))?.ok_or_else(|| kind.not_found())?;
        if !authz::has_role(c, ctx.actor, &g.id, Role::Admin)? {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("delete {} {}", kind.noun(), g.id),
            ));
        }
        let ids = dataset_ids(c, &g)?;
        if kind.is_org() {
            let live: i64 = packages::table
                .filter(packages::id.eq_any(&ids))
                .filter(packages::state.ne("deleted"))
                .count()
                .get_result(c)?;
            if live > 0 {
                return Err(FieldErrors::single_message(
                    "Organization cannot be deleted while it still has datasets",
                ));
            }
        }
        diesel::update(groups::table.find(&g.id))
            .set(groups::state.eq("deleted"))
            .execute(c)?;
        feed::append_all(c, &ids, ChangeKind::Changed)?;
        Ok(Value::Null)
    })
}

fn purge(ctx: &Ctx, input: ById, kind: Kind) -> Result<Value> {
    let id = input.id_or_name("id")?;
    authz::require_sysadmin(ctx.actor, &format!("purge {}", kind.noun()))?;
    ctx.cat.db.write(|c| {
        let g = find_group(c, &id, Some(kind.is_org()))?.ok_or_else(|| kind.not_found())?;
        let ids = dataset_ids(c, &g)?;
        if kind.is_org() {
            // CKAN purges an organization's deleted datasets and refuses while live ones remain.
            let rows: Vec<PackageRow> = packages::table
                .filter(packages::id.eq_any(&ids))
                .select(PackageRow::as_select())
                .load(c)?;
            if rows.iter().any(|r| r.state != "deleted") {
                return Err(FieldErrors::single_message(
                    "Organization cannot be deleted while it still has datasets",
                ));
            }
            for r in rows {
                purge_package(c, &r.id)?;
            }
        }
        diesel::delete(members::table.filter(members::group_id.eq(&g.id))).execute(c)?;
        diesel::delete(groups::table.find(&g.id)).execute(c)?;
        if !kind.is_org() {
            feed::append_all(c, &ids, ChangeKind::Changed)?;
        }
        Ok(Value::Null)
    })
}

fn autocomplete(ctx: &Ctx, input: Autocomplete, kind: Kind) -> Result<Value> {
    let q = input.q.unwrap_or_default();
    let limit = input.limit.unwrap_or(20) as usize;
    let needle = fold_diacritics(q.trim()).to_lowercase();
    let rows: Vec<GroupRow> = ctx.cat.db.read(|c| {
        groups::table
            .filter(groups::is_organization.eq(kind.is_org()))
            .filter(groups::state.eq("active"))
            .order(groups::name.asc())
            .select(GroupRow::as_select())
            .load(c)
    })?;
    let out: Vec<Value> = rows
        .into_iter()
        .filter(|g| {
            !needle.is_empty()
                && fold_diacritics(&format!("{} {}", g.name, g.title))
                    .to_lowercase()
                    .contains(&needle)
        })
        .take(limit)
        .map(|g| json!({"id": g.id, "name": g.name, "title": g.title}))
        .collect();
    Ok(Value::Array(out))
}

pub fn organization_list(ctx: &Ctx, input: GroupList) -> Result<Value> {
    list(ctx, input, Kind::Organization)
}
pub fn group_list(ctx: &Ctx, input: GroupList) -> Result<Value> {
    list(ctx, input, Kind::Group)
}
pub fn organization_show(ctx: &Ctx, input: GroupShow) -> Result<Value> {
    show(ctx, input, Kind::Organization)
}
pub fn group_show(ctx: &Ctx, input: GroupShow) -> Result<Value> {
    show(ctx, input, Kind::Group)
}
pub fn organization_create(ctx: &Ctx, input: GroupDict) -> Result<Value> {
    create(ctx, input, Kind::Organization)
}
pub fn group_create(ctx: &Ctx, input: GroupDict) -> Result<Value> {
    create(ctx, input, Kind::Group)
}
pub fn organization_update(ctx: &Ctx, input: GroupDict) -> Result<Value> {
    update(ctx, input, Kind::Organization)
}
pub fn group_update(ctx: &Ctx, input: GroupDict) -> Result<Value> {
    update(ctx, input, Kind::Group)
}
pub fn organization_patch(ctx: &Ctx, input: GroupDict) -> Result<Value> {
    patch(ctx, input, Kind::Organization)
}
pub fn group_patch(ctx: &Ctx, input: GroupDict) -> Result<Value> {
    patch(ctx, input, Kind::Group)
}
pub fn organization_delete(ctx: &Ctx, input: ById) -> Result<Value> {
    delete(ctx, input, Kind::Organization)
}
pub fn group_delete(ctx: &Ctx, input: ById) -> Result<Value> {
    delete(ctx, input, Kind::Group)
}
pub fn organization_purge(ctx: &Ctx, input: ById) -> Result<Value> {
    purge(ctx, input, Kind::Organization)
}
pub fn group_purge(ctx: &Ctx, input: ById) -> Result<Value> {
    purge(ctx, input, Kind::Group)
}
pub fn organization_autocomplete(ctx: &Ctx, input: Autocomplete) -> Result<Value> {
    autocomplete(ctx, input, Kind::Organization)
}
pub fn group_autocomplete(ctx: &Ctx, input: Autocomplete) -> Result<Value> {
    autocomplete(ctx, input, Kind::Group)
}

pub fn organization_list_for_user(ctx: &Ctx, input: OrgsForUser) -> Result<Value> {
    let permission = input.permission;
    let min = match permission.as_str() {
        "read" | "manage_group" => Role::Member,
        "create_dataset" | "update_dataset" | "delete_dataset" => Role::Editor,
        _ => Role::Admin,
    };
    ctx.cat.db.read(|c| {
        let user = match input.id.clone().filter(|s| !s.is_empty()) {
            Some(id) => find_user(c, &id)?.ok_or_else(|| Error::not_found("User not found"))?,
            None => match ctx.actor.user_id() {
                Some(uid) => {
                    find_user(c, uid)?.ok_or_else(|| Error::not_found("User not found"))?
                }
                None => return to_value(&Vec::<OrganizationForUser>::new()),
            },
        };
        let orgs: Vec<GroupRow> = groups::table
            .filter(groups::is_organization.eq(true))
            .filter(groups::state.eq("active"))
            .order(groups::name.asc())
            .select(GroupRow::as_select())
            .load(c)?;
        let who = crate::Actor::User(crate::actor::AuthUser {
            id: user.id.clone(),
            name: user.name.clone(),
            sysadmin: user.sysadmin,
        });
        let mut out = vec![];
        for g in orgs {
            let role = if user.sysadmin {
                Some(Role::Admin)
            } else {
                authz::role_in(c, &who, &g.id)?
            };
            if let Some(r) = role.filter(|r| *r >= min) {
                out.push(OrganizationForUser {
                    organization: super::load::organization_summary(&g),
                    capacity: r.as_str().into(),
                    display_name: display_name(&g.title, &g.name),
                    image_display_url: g.image_url.clone(),
                });
            }
        }
        to_value(&out)
    })
}
