//! CKAN's default authorization: sysadmins pass everything; organization roles admin, editor,
//! member; anonymous users read active public datasets only.

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::store::rows::PackageRow;
use crate::store::schema::{groups, members};
use crate::store::AnyConnection;
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Editor,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

/// The actor's role in an organization or group (none for anonymous or non-members).
pub fn role_in(conn: &mut AnyConnection, actor: &Actor, group_id: &str) -> Result<Option<Role>> {
    let Some(user_id) = actor.user_id() else {
        return Ok(None);
    };
    let caps: Vec<String> = members::table
        .filter(members::group_id.eq(group_id))
        .filter(members::table_name.eq("user"))
        .filter(members::table_id.eq(user_id))
        .filter(members::state.eq("active"))
        .select(members::capacity)
        .load(conn)?;
    Ok(caps.iter().filter_map(|c| Role::parse(c)).max())
}

/// Whether the actor holds at least `min` in the group, or is a sysadmin.
pub fn has_role(
    conn: &mut AnyConnection,
    actor: &Actor,
    group_id: &str,
    min: Role,
) -> Result<bool> {
    Ok(actor.is_sysadmin() || role_in(conn, actor, group_id)?.is_some_and(|r| r >= min))
}

/// Ids of the active organizations where the actor holds at least `min`.
pub fn organizations_with_role(
    conn: &mut AnyConnection,
    actor: &Actor,
    min: Role,
) -> Result<Vec<String>> {
    let Some(user_id) = actor.user_id() else {
        return Ok(vec![]);
    };
    let rows: Vec<(String, String)> = members::table
        .inner_join(groups::table)
        .filter(members::table_name.eq("user"))
        .filter(members::table_id.eq(user_id))
        .filter(members::state.eq("active"))
        .filter(groups::is_organization.eq(true))
        .filter(groups::state.eq("active"))
        .select((members::group_id, members::capacity))
        .load(conn)?;
    let mut ids: Vec<String> = rows
        .into_iter()
        .filter(|(_, c)| Role::parse(c).is_some_and(|r| r >= min))
        .map(|(g, _)| g)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Who may read a dataset: anyone when it is active and public; otherwise members of its
/// organization (any role), its creator when it has none, and sysadmins.
pub fn can_read_package(conn: &mut AnyConnection, actor: &Actor, pkg: &PackageRow) -> Result<bool> {
    if pkg.state == "active" && !pkg.private {
        return Ok(true);
    }
    if actor.is_sysadmin() {
        return Ok(true);
    }
    match &pkg.owner_org {
        Some(org) => Ok(role_in(conn, actor, org)?.is_some()),
        None => Ok(actor.user_id().is_some() && actor.user_id() == pkg.creator_user_id.as_deref()),
    }
}

pub fn check_read_package(conn: &mut AnyConnection, actor: &Actor, pkg: &PackageRow) -> Result<()> {
    if can_read_package(conn, actor, pkg)? {
        Ok(())
    } else {
        Err(Error::denied(
            actor.name(),
            &format!("read package {}", pkg.id),
        ))
    }
}

/// Who may change a dataset: editors and admins of its organization, its creator when it has
/// none, and sysadmins.
pub fn can_edit_package(conn: &mut AnyConnection, actor: &Actor, pkg: &PackageRow) -> Result<bool> {
    if actor.is_sysadmin() {
        return Ok(true);
    }
    match &pkg.owner_org {
        Some(org) => has_role(conn, actor, org, Role::Editor),
        None => Ok(actor.user_id().is_some() && actor.user_id() == pkg.creator_user_id.as_deref()),
    }
}

pub fn check_edit_package(
    conn: &mut AnyConnection,
    actor: &Actor,
    pkg: &PackageRow,
    what: &str,
) -> Result<()> {
    if can_edit_package(conn, actor, pkg)? {
        Ok(())
    } else {
        Err(Error::denied(
            actor.name(),
            &format!("{what} package {}", pkg.id),
        ))
    }
}

/// A logged-in user is needed for anything that writes.
pub fn require_user(actor: &Actor, what: &str) -> Result<()> {
    match actor {
        Actor::Anonymous => Err(Error::denied("", what)),
        Actor::User(_) | Actor::System => Ok(()),
    }
}

pub fn require_sysadmin(actor: &Actor, what: &str) -> Result<()> {
    if actor.is_sysadmin() {
        Ok(())
    } else {
        Err(Error::denied(actor.name(), what))
    }
}
