//! Organization and group actions. Both are rows of `groups`; `is_organization` tells them
//! apart, and every action here takes which one it serves. Reading (`read`: dicts, lists,
//! autocomplete) apart from writing (`write`: create, update, patch, delete, purge, members).

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

mod read;
mod write;
use read::*;
pub(crate) use write::set_member;
use write::*;

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
