//! The CKAN actions, one file per family; [`ACTIONS`] names them all for dispatch and docs.

mod group;
pub mod inputs;
pub mod load;
mod member;
pub mod package;
pub mod package_input;
pub mod package_store;
mod resource;
pub mod search;
mod site;
mod tag;
pub mod user;

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::params::Params;
use crate::Catalogue;
use inputs::*;
use serde::Serialize;
use serde_json::Value;

/// What every action receives: the catalogue and who is calling.
pub struct Ctx<'a> {
    pub cat: &'a Catalogue,
    pub actor: &'a Actor,
    /// A file the server has stored for this request (multipart `upload`), for resource_*.
    pub upload: Option<&'a crate::files::Upload>,
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()))
}

/// Whether an action only reads (GET allowed) or writes (POST only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// One documented parameter of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    /// JSON type: "string", "integer", "boolean", "array", "object".
    pub ty: &'static str,
    pub required: bool,
    pub doc: &'static str,
    /// The value used when the parameter is absent, as Rust writes it.
    pub default: Option<&'static str>,
}

/// The result's shape, by schema name (see `dict`), for the OpenAPI document.
#[derive(Debug, Clone, Copy)]
pub enum Returns {
    /// A named schema from `dict` (e.g. "Package").
    Schema(&'static str),
    /// A list of a named schema.
    ListOf(&'static str),
    /// A list of strings.
    Names,
    /// `null`.
    Null,
    /// Any JSON object.
    Object,
}

pub type Handler = fn(&Ctx, Params) -> Result<Value>;

/// An answer already serialised as JSON text, or `None` to run the ordinary handler.
pub type FastHandler = fn(&Ctx, &Params) -> Result<Option<String>>;

pub struct Action {
    pub name: &'static str,
    pub kind: Kind,
    pub run: Handler,
    /// A cheaper way to the same answer for common cases (package_show of public datasets).
    pub fast: Option<FastHandler>,
    pub summary: &'static str,
    /// Its parameters, from its typed input.
    pub params: fn() -> Vec<Param>,
    pub returns: Returns,
}

const fn p(name: &'static str, ty: &'static str, required: bool, doc: &'static str) -> Param {
    Param {
        name,
        ty,
        required,
        doc,
        default: None,
    }
}

pub(crate) const DATASET_FIELDS: &[Param] = &[
    p(
        "name",
        "string",
        true,
        "URL name: 2-100 characters, lowercase a-z, 0-9, - and _",
    ),
    p("title", "string", false, "defaults to the name"),
    p(
        "owner_org",
        "string",
        false,
        "organization id or name (required unless unowned datasets are allowed)",
    ),
    p(
        "private",
        "boolean",
        false,
        "only members of the organization can see it",
    ),
    p("notes", "string", false, "description (Markdown)"),
    p("license_id", "string", false, "an id from license_list"),
    p("author", "string", false, ""),
    p("author_email", "string", false, ""),
    p("maintainer", "string", false, ""),
    p("maintainer_email", "string", false, ""),
    p("url", "string", false, "source page"),
    p("version", "string", false, ""),
    p("state", "string", false, "active, draft or deleted"),
    p("tags", "array", false, "list of {name}"),
    p(
        "tag_string",
        "string",
        false,
        "comma-separated tags, when tags is absent",
    ),
    p("extras", "array", false, "list of {key, value}"),
    p("resources", "array", false, "list of resource dicts"),
    p("groups", "array", false, "list of {id} or {name}"),
];
pub(crate) const RESOURCE_FIELDS: &[Param] = &[
    p("package_id", "string", true, "dataset id or name"),
    p("url", "string", false, "link to the data"),
    p("name", "string", false, ""),
    p("description", "string", false, ""),
    p(
        "format",
        "string",
        false,
        "CSV, JSON, … (guessed from the URL when empty)",
    ),
    p(
        "mimetype",
        "string",
        false,
        "guessed from the URL when empty",
    ),
    p("size", "integer", false, "bytes"),
];
pub(crate) const GROUP_FIELDS: &[Param] = &[
    p(
        "name",
        "string",
        true,
        "URL name, unique among organizations and groups",
    ),
    p("title", "string", false, ""),
    p("description", "string", false, ""),
    p("image_url", "string", false, ""),
    p("extras", "array", false, "list of {key, value}"),
    p("users", "array", false, "list of {name, capacity}"),
];

use Kind::{Read, Write};

/// The fields user_update reads; absent ones keep their value.
pub(crate) const USER_UPDATE_FIELDS: &[Param] = &[
    p("id", "string", true, "the user's id or name"),
    p("email", "string", false, ""),
    p("fullname", "string", false, ""),
    p("about", "string", false, ""),
    p("image_url", "string", false, ""),
    p("password", "string", false, "at least 8 characters"),
    p("sysadmin", "boolean", false, "sysadmins only"),
];
use Returns::*;

/// Declares one action: its typed input (which parses and documents its parameters) feeds
/// its handler, so the handler reads exactly what the documentation lists.
macro_rules! action {
    ($name:literal, $kind:ident, $input:ty => $run:path $(, fast = $fast:path)?, $summary:literal, $returns:expr) => {
        Action {
            name: $name,
            kind: $kind,
            run: |ctx, p| $run(ctx, <$input as Input>::parse(&p)?),
            fast: action!(@fast $($fast)?),
            summary: $summary,
            params: <$input as Input>::params,
            returns: $returns,
        }
    };
    (@fast) => { None };
    (@fast $fast:path) => { Some($fast) };
}

/// Every action Cổng answers, as CKAN names it.
pub static ACTIONS: &[Action] = &[
    action!("status_show", Read, NoInput => site::status_show, "Site status and version", Object),
    action!("help_show", Read, HelpShow => site::help_show, "Documentation of an action", Object),
    action!("license_list", Read, NoInput => site::license_list, "Licences datasets may use", ListOf("License")),
    action!("package_list", Read, Paging => package::package_list, "Names of public active datasets, sorted", Names),
    action!("package_show", Read, PackageShow => package::package_show, fast = package::package_show_json, "One dataset", Schema("Package")),
    action!("package_create", Write, DatasetDict => package::package_create, "Create a dataset", Schema("Package")),
    action!("package_update", Write, DatasetDict => package::package_update, "Replace a dataset (absent resources and groups are kept)", Schema("Package")),
    action!("package_patch", Write, DatasetDict => package::package_patch, "Change only the given fields of a dataset", Schema("Package")),
    action!("package_revise", Write, PackageRevise => package::package_revise, "Match, filter and deep-update a dataset", Object),
    action!("package_delete", Write, ById => package::package_delete, "Mark a dataset deleted", Null),
    action!("dataset_purge", Write, ById => package::dataset_purge, "Remove a dataset for good (sysadmin)", Null),
    action!("current_package_list_with_resources", Read, Paging => package::current_package_list_with_resources, "Newest public datasets, full dicts", ListOf("Package")),
    action!("package_autocomplete", Read, Autocomplete => package::package_autocomplete, "Datasets whose name or title matches", ListOf("AutocompletePackage")),
    action!("package_owner_org_update", Write, OwnerOrgUpdate => package::package_owner_org_update, "Move a dataset to another organization", Null),
    action!("package_search", Read, search::SearchInput => search::package_search, fast = search::package_search_json, "Search datasets", Object),
    action!("resource_show", Read, IdOnly => resource::resource_show, "One resource", Schema("Resource")),
    action!("resource_create", Write, ResourceDict => resource::resource_create, "Add a resource to a dataset", Schema("Resource")),
    action!("resource_update", Write, ResourceDict => resource::resource_update, "Replace a resource", Schema("Resource")),
    action!("resource_patch", Write, ResourceDict => resource::resource_patch, "Change only the given fields of a resource", Schema("Resource")),
    action!("resource_delete", Write, IdOnly => resource::resource_delete, "Remove a resource", Null),
    action!("package_resource_reorder", Write, ResourceReorder => resource::package_resource_reorder, "Reorder a dataset's resources", Object),
    action!("format_autocomplete", Read, Autocomplete => resource::format_autocomplete, "Resource formats in use that match", Names),
    action!("organization_list", Read, GroupList => group::organization_list, "Organizations", Names),
    action!("organization_show", Read, GroupShow => group::organization_show, "One organization", Schema("Group")),
    action!("organization_create", Write, GroupDict => group::organization_create, "Create an organization (sysadmin)", Schema("Group")),
    action!("organization_update", Write, GroupDict => group::organization_update, "Replace an organization", Schema("Group")),
    action!("organization_patch", Write, GroupDict => group::organization_patch, "Change only the given fields of an organization", Schema("Group")),
    action!("organization_delete", Write, ById => group::organization_delete, "Mark an organization deleted", Null),
    action!("organization_purge", Write, ById => group::organization_purge, "Remove an organization for good (sysadmin)", Null),
    action!("organization_list_for_user", Read, OrgsForUser => group::organization_list_for_user, "Organizations where a user has a permission", ListOf("OrganizationForUser")),
    action!("organization_autocomplete", Read, Autocomplete => group::organization_autocomplete, "Organizations whose name or title matches", Object),
    action!("group_list", Read, GroupList => group::group_list, "Groups", Names),
    action!("group_show", Read, GroupShow => group::group_show, "One group", Schema("Group")),
    action!("group_create", Write, GroupDict => group::group_create, "Create a group", Schema("Group")),
    action!("group_update", Write, GroupDict => group::group_update, "Replace a group", Schema("Group")),
    action!("group_patch", Write, GroupDict => group::group_patch, "Change only the given fields of a group", Schema("Group")),
    action!("group_delete", Write, ById => group::group_delete, "Mark a group deleted", Null),
    action!("group_purge", Write, ById => group::group_purge, "Remove a group for good (sysadmin)", Null),
    action!("group_autocomplete", Read, Autocomplete => group::group_autocomplete, "Groups whose name or title matches", Object),
    action!("organization_member_create", Write, UserMemberCreate => member::organization_member_create, "Give a user a role in an organization", Schema("Member")),
    action!("organization_member_delete", Write, UserMemberDelete => member::organization_member_delete, "Remove a user from an organization", Null),
    action!("group_member_create", Write, UserMemberCreate => member::group_member_create, "Give a user a role in a group", Schema("Member")),
    action!("group_member_delete", Write, UserMemberDelete => member::group_member_delete, "Remove a user from a group", Null),
    action!("member_create", Write, MemberCreate => member::member_create, "Add a user (with a role) or a dataset to a group or organization", Schema("Member")),
    action!("member_delete", Write, MemberDelete => member::member_delete, "Remove a member from a group", Null),
    action!("member_list", Read, MemberList => member::member_list, "Members of a group as [id, type, Capacity]", Object),
    action!("tag_list", Read, TagList => tag::tag_list, "Tags in use on public datasets", Names),
    action!("tag_show", Read, TagShow => tag::tag_show, "One tag", Schema("TagShow")),
    action!("tag_autocomplete", Read, TagAutocomplete => tag::tag_autocomplete, "Tags that match", Names),
    action!("user_show", Read, UserShow => user::user_show, "One user", Schema("User")),
    action!("user_list", Read, UserList => user::user_list, "Users", ListOf("User")),
    action!("user_create", Write, UserCreate => user::user_create, "Create a user (sysadmin)", Schema("User")),
    action!("user_update", Write, UserDict => user::user_update, "Change a user (themself or sysadmin)", Schema("User")),
    action!("user_delete", Write, ById => user::user_delete, "Mark a user deleted (sysadmin)", Null),
    action!("api_token_create", Write, ApiTokenCreate => user::api_token_create, "Create an API token (shown once)", Schema("NewApiToken")),
    action!("api_token_list", Read, ApiTokenList => user::api_token_list, "A user's API tokens (never the secrets)", ListOf("ApiToken")),
    action!("api_token_revoke", Write, ApiTokenRevoke => user::api_token_revoke, "Revoke an API token", Null),
];

pub fn find(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// Runs the named action for `actor`.
pub fn call(cat: &Catalogue, actor: &Actor, action: &Action, params: Params) -> Result<Value> {
    crate::input_text::check(&params)?;
    (action.run)(
        &Ctx {
            cat,
            actor,
            upload: None,
        },
        params,
    )
}

/// Runs the named action with an uploaded file attached (resource_create/update/patch).
pub fn call_with_upload(
    cat: &Catalogue,
    actor: &Actor,
    action: &Action,
    params: Params,
    upload: &crate::files::Upload,
) -> Result<Value> {
    crate::input_text::check(&params)?;
    (action.run)(
        &Ctx {
            cat,
            actor,
            upload: Some(upload),
        },
        params,
    )
}

/// Runs the action's fast path, if it has one and it applies.
pub fn call_fast(
    cat: &Catalogue,
    actor: &Actor,
    action: &Action,
    params: &Params,
) -> Result<Option<String>> {
    match action.fast {
        Some(f) => {
            crate::input_text::check(params)?;
            f(
                &Ctx {
                    cat,
                    actor,
                    upload: None,
                },
                params,
            )
        }
        None => Ok(None),
    }
}

/// Whether an action can release stored files (a resource replaced or removed, a dataset
/// purged): after it, the server deletes what the trash holds. Others leave the trash alone.
pub fn may_release_files(action: &Action) -> bool {
    matches!(
        action.name,
        "resource_update"
            | "resource_patch"
            | "resource_delete"
            | "package_update"
            | "package_patch"
            | "package_revise"
            | "dataset_purge"
            | "organization_purge"
    )
}

/// Whether an action takes a multipart `upload` file.
pub fn accepts_upload(action: &Action) -> bool {
    matches!(
        action.name,
        "resource_create" | "resource_update" | "resource_patch"
    )
}
