//! Membership actions: organization_/group_member_create/delete, member_create/delete,
//! member_list.

use super::group::set_member;
use super::inputs::{MemberCreate, MemberDelete, MemberList, UserMemberCreate, UserMemberDelete};
use super::load::{find_group, find_package, lock_package};
use super::package_store::replace_groups;
use super::{to_value, Ctx};
use crate::authz::{self, Role};
use crate::dict::Member;
use crate::error::{Error, FieldErrors, Result};
use crate::feed::{self, ChangeKind};
use crate::store::rows::{GroupRow, MemberRow, UserRow};
use crate::store::schema::members;
use crate::store::AnyConnection;
use diesel::prelude::*;
use serde_json::Value;

fn member_dict(m: MemberRow) -> Member {
    Member {
        id: m.id,
        table_name: m.table_name,
        table_id: m.table_id,
        capacity: m.capacity,
        group_id: m.group_id,
        state: m.state,
    }
}

fn find_user(conn: &mut AnyConnection, who: &str) -> Result<UserRow> {
    super::load::find_user(conn, who)?
        .filter(|u| u.state == "active")
        .ok_or_else(|| Error::not_found("User not found"))
}

fn group_for_admin(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: &str,
    is_org: Option<bool>,
) -> Result<GroupRow> {
    let g = find_group(conn, id, is_org)?
        .filter(|g| g.state == "active")
        .ok_or_else(|| Error::not_found("Group was not found."))?;
    if !authz::has_role(conn, ctx.actor, &g.id, Role::Admin)? {
        return Err(Error::denied(
            ctx.actor.name(),
            &format!("edit group {}", g.id),
        ));
    }
    Ok(g)
}

fn role_param(r: &str, key: &str) -> Result<Role> {
    Role::parse(r).ok_or_else(|| FieldErrors::single(key, format!("Role {r} does not exist")))
}

fn user_member_create(ctx: &Ctx, input: UserMemberCreate, is_org: bool) -> Result<Value> {
    let UserMemberCreate { id, username, role } = input;
    let role = role_param(&role, "role")?;
    ctx.cat.db.write(|c| {
        let g = group_for_admin(c, ctx, &id, Some(is_org))?;
        let u = find_user(c, &username)?;
        to_value(&member_dict(set_member(c, &g.id, &u.id, role)?))
    })
}

fn user_member_delete(ctx: &Ctx, input: UserMemberDelete, is_org: bool) -> Result<Value> {
    let UserMemberDelete { id, username } = input;
    ctx.cat.db.write(|c| {
        let g = find_group(c, &id, Some(is_org))?
            .ok_or_else(|| Error::not_found("Group was not found."))?;
        let u = find_user(c, &username)?;
        // Members may leave on their own; otherwise only admins remove people.
        if ctx.actor.user_id() != Some(u.id.as_str())
            && !authz::has_role(c, ctx.actor, &g.id, Role::Admin)?
        {
            return Err(Error::denied(
                ctx.actor.name(),
                &format!("edit group {}", g.id),
            ));
        }
        diesel::delete(
            members::table
                .filter(members::group_id.eq(&g.id))
                .filter(members::table_name.eq("user"))
                .filter(members::table_id.eq(&u.id)),
        )
        .execute(c)?;
        Ok(Value::Null)
    })
}

pub fn organization_member_create(ctx: &Ctx, input: UserMemberCreate) -> Result<Value> {
    user_member_create(ctx, input, true)
}
pub fn group_member_create(ctx: &Ctx, input: UserMemberCreate) -> Result<Value> {
    user_member_create(ctx, input, false)
}
pub fn organization_member_delete(ctx: &Ctx, input: UserMemberDelete) -> Result<Value> {
    user_member_delete(ctx, input, true)
}
pub fn group_member_delete(ctx: &Ctx, input: UserMemberDelete) -> Result<Value> {
    user_member_delete(ctx, input, false)
}

/// Adds a user (with a role) or a dataset to a group or organization.
pub fn member_create(ctx: &Ctx, input: MemberCreate) -> Result<Value> {
    let MemberCreate {
        id,
        object,
        object_type,
        capacity,
    } = input;
    match object_type.as_str() {
        "user" => {
            let q = UserMemberCreate {
                id: id.clone(),
                username: object,
                role: capacity,
            };
            let is_org = ctx
                .cat
                .db
                .read(|c| find_group(c, &id, None))?
                .ok_or_else(|| Error::not_found("Group was not found."))?
                .is_organization;
            user_member_create(ctx, q, is_org)
        }
        "package" => ctx.cat.db.write(|c| {
            let g = find_group(c, &id, Some(false))?
                .filter(|g| g.state == "active")
                .ok_or_else(|| Error::not_found("Group was not found."))?;
            let pkg = lock_package(c, &object)?
                .ok_or_else(|| Error::not_found("Package was not found."))?;
            if !authz::has_role(c, ctx.actor, &g.id, Role::Member)?
                || !authz::can_edit_package(c, ctx.actor, &pkg)?
            {
                return Err(Error::denied(
                    ctx.actor.name(),
                    &format!("edit group {}", g.id),
                ));
            }
            let mut ids: Vec<String> = members::table
                .inner_join(crate::store::schema::groups::table)
                .filter(members::table_name.eq("package"))
                .filter(members::table_id.eq(&pkg.id))
                .filter(members::state.eq("active"))
                .filter(crate::store::schema::groups::is_organization.eq(false))
                .select(members::group_id)
                .load(c)?;
            if !ids.contains(&g.id) {
                ids.push(g.id.clone());
            }
            replace_groups(c, &pkg.id, &ids)?;
            feed::append(c, &pkg.id, ChangeKind::Changed)?;
            let m = members::table
                .filter(members::group_id.eq(&g.id))
                .filter(members::table_name.eq("package"))
                .filter(members::table_id.eq(&pkg.id))
                .select(MemberRow::as_select())
                .first(c)?;
            to_value(&member_dict(m))
        }),
        _ => Err(FieldErrors::single(
            "object_type",
            "Must be user or package",
        )),
    }
}

pub fn member_delete(ctx: &Ctx, input: MemberDelete) -> Result<Value> {
    let MemberDelete {
        id,
        object,
        object_type,
    } = input;
    match object_type.as_str() {
        "user" => {
            let is_org = ctx
                .cat
                .db
                .read(|c| find_group(c, &id, None))?
                .ok_or_else(|| Error::not_found("Group was not found."))?
                .is_organization;
            let q = UserMemberDelete {
                id: id.clone(),
                username: object,
            };
            user_member_delete(ctx, q, is_org)
        }
        "package" => ctx.cat.db.write(|c| {
            let g = find_group(c, &id, Some(false))?
                .ok_or_else(|| Error::not_found("Group was not found."))?;
            let pkg = lock_package(c, &object)?
                .ok_or_else(|| Error::not_found("Package was not found."))?;
            if !authz::has_role(c, ctx.actor, &g.id, Role::Member)?
                && !authz::can_edit_package(c, ctx.actor, &pkg)?
            {
                return Err(Error::denied(
                    ctx.actor.name(),
                    &format!("edit group {}", g.id),
                ));
            }
            diesel::delete(
                members::table
                    .filter(members::group_id.eq(&g.id))
                    .filter(members::table_name.eq("package"))
                    .filter(members::table_id.eq(&pkg.id)),
            )
            .execute(c)?;
            feed::append(c, &pkg.id, ChangeKind::Changed)?;
            Ok(Value::Null)
        }),
        _ => Err(FieldErrors::single(
            "object_type",
            "Must be user or package",
        )),
    }
}

/// `[[id, type, Capacity], …]`; datasets the caller may not read are left out.
pub fn member_list(ctx: &Ctx, input: MemberList) -> Result<Value> {
    let id = input.id;
    let object_type = input.object_type.filter(|s| !s.is_empty());
    let capacity = input.capacity.filter(|s| !s.is_empty());
    ctx.cat.db.read(|c| {
        let g =
            find_group(c, &id, None)?.ok_or_else(|| Error::not_found("Group was not found."))?;
        let mut rows: Vec<MemberRow> = members::table
            .filter(members::group_id.eq(&g.id))
            .filter(members::state.eq("active"))
            .order((members::table_name.asc(), members::table_id.asc()))
            .select(MemberRow::as_select())
            .load(c)?;
        rows.retain(|m| {
            object_type.as_ref().is_none_or(|t| &m.table_name == t)
                && capacity.as_ref().is_none_or(|cap| &m.capacity == cap)
        });
        let mut out = vec![];
        for m in rows {
            if m.table_name == "package" {
                match find_package(c, &m.table_id)? {
                    Some(pkg) if authz::can_read_package(c, ctx.actor, &pkg)? => {}
                    _ => continue,
                }
            }
            // CKAN translates the role names (Admin, Editor, Member); other capacities, such as
            // a dataset's "public", stay as stored.
            let capacity = match Role::parse(&m.capacity) {
                Some(_) => capitalize(&m.capacity),
                None => m.capacity.clone(),
            };
            out.push(serde_json::json!([m.table_id, m.table_name, capacity]));
        }
        Ok(Value::Array(out))
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
