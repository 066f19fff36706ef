//! The CKAN actions, one file per family; [`ACTIONS`] names them all for dispatch and docs.

mod group;
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
use crate::params::Params;
use crate::Catalogue;
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
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    /// JSON type: "string", "integer", "boolean", "array", "object".
    pub ty: &'static str,
    pub required: bool,
    pub doc: &'static str,
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
    pub params: &'static [Param],
    pub returns: Returns,
}

const fn p(name: &'static str, ty: &'static str, required: bool, doc: &'static str) -> Param {
    Param {
        name,
        ty,
        required,
        doc,
    }
}

const ID: Param = p("id", "string", true, "id or name");
const LIMIT: Param = p("limit", "integer", false, "maximum number of items");
const OFFSET: Param = p("offset", "integer", false, "items to skip");
const Q: Param = p("q", "string", false, "text to match");
const DATASET_FIELDS: &[Param] = &[
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
const RESOURCE_FIELDS: &[Param] = &[
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
const GROUP_FIELDS: &[Param] = &[
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
const GROUP_LIST: &[Param] = &[
    p(
        "sort",
        "string",
        false,
        "name|title|package_count, asc|desc (default title asc)",
    ),
    LIMIT,
    OFFSET,
    p(
        "all_fields",
        "boolean",
        false,
        "return dicts instead of names",
    ),
    p("include_dataset_count", "boolean", false, ""),
    p("include_extras", "boolean", false, ""),
    Q,
];
const GROUP_SHOW: &[Param] = &[
    ID,
    p(
        "include_datasets",
        "boolean",
        false,
        "add up to 10 datasets as `packages`",
    ),
    p("include_users", "boolean", false, "default true"),
    p("include_extras", "boolean", false, "default true"),
];

use Kind::{Read, Write};
use Returns::*;

/// Every action Cổng answers, as CKAN names it.
pub static ACTIONS: &[Action] = &[
    Action {
        name: "status_show",
        kind: Read,
        run: site::status_show,
        fast: None,
        summary: "Site status and version",
        params: &[],
        returns: Object,
    },
    Action {
        name: "help_show",
        kind: Read,
        run: site::help_show,
        fast: None,
        summary: "Documentation of an action",
        params: &[p("name", "string", true, "action name")],
        returns: Object,
    },
    Action {
        name: "license_list",
        kind: Read,
        run: site::license_list,
        fast: None,
        summary: "Licences datasets may use",
        params: &[],
        returns: ListOf("License"),
    },
    Action {
        name: "package_list",
        kind: Read,
        run: package::package_list,
        fast: None,
        summary: "Names of public active datasets, sorted",
        params: &[LIMIT, OFFSET],
        returns: Names,
    },
    Action {
        name: "package_show",
        kind: Read,
        run: package::package_show,
        fast: Some(package::package_show_json),
        summary: "One dataset",
        params: &[ID, p("use_default_schema", "boolean", false, "")],
        returns: Schema("Package"),
    },
    Action {
        name: "package_create",
        kind: Write,
        run: package::package_create,
        fast: None,
        summary: "Create a dataset",
        params: DATASET_FIELDS,
        returns: Schema("Package"),
    },
    Action {
        name: "package_update",
        kind: Write,
        run: package::package_update,
        fast: None,
        summary: "Replace a dataset (absent resources and groups are kept)",
        params: DATASET_FIELDS,
        returns: Schema("Package"),
    },
    Action {
        name: "package_patch",
        kind: Write,
        run: package::package_patch,
        fast: None,
        summary: "Change only the given fields of a dataset",
        params: DATASET_FIELDS,
        returns: Schema("Package"),
    },
    Action {
        name: "package_revise",
        kind: Write,
        run: package::package_revise,
        fast: None,
        summary: "Match, filter and deep-update a dataset",
        params: &[
            p("match", "object", true, "must hold id or name"),
            p(
                "filter",
                "array",
                false,
                "paths to remove, e.g. -resources__1",
            ),
            p("update", "object", false, "deep merge"),
            p("include", "array", false, ""),
        ],
        returns: Object,
    },
    Action {
        name: "package_delete",
        kind: Write,
        run: package::package_delete,
        fast: None,
        summary: "Mark a dataset deleted",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "dataset_purge",
        kind: Write,
        run: package::dataset_purge,
        fast: None,
        summary: "Remove a dataset for good (sysadmin)",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "current_package_list_with_resources",
        kind: Read,
        run: package::current_package_list_with_resources,
        fast: None,
        summary: "Newest public datasets, full dicts",
        params: &[LIMIT, OFFSET],
        returns: ListOf("Package"),
    },
    Action {
        name: "package_autocomplete",
        kind: Read,
        run: package::package_autocomplete,
        fast: None,
        summary: "Datasets whose name or title matches",
        params: &[Q, LIMIT],
        returns: ListOf("AutocompletePackage"),
    },
    Action {
        name: "package_owner_org_update",
        kind: Write,
        run: package::package_owner_org_update,
        fast: None,
        summary: "Move a dataset to another organization",
        params: &[ID, p("organization_id", "string", true, "")],
        returns: Null,
    },
    Action {
        name: "package_search",
        kind: Read,
        run: search::package_search,
        fast: Some(search::package_search_json),
        summary: "Search datasets",
        params: search::PARAMS,
        returns: Object,
    },
    Action {
        name: "resource_show",
        kind: Read,
        run: resource::resource_show,
        fast: None,
        summary: "One resource",
        params: &[ID],
        returns: Schema("Resource"),
    },
    Action {
        name: "resource_create",
        kind: Write,
        run: resource::resource_create,
        fast: None,
        summary: "Add a resource to a dataset",
        params: RESOURCE_FIELDS,
        returns: Schema("Resource"),
    },
    Action {
        name: "resource_update",
        kind: Write,
        run: resource::resource_update,
        fast: None,
        summary: "Replace a resource",
        params: RESOURCE_FIELDS,
        returns: Schema("Resource"),
    },
    Action {
        name: "resource_patch",
        kind: Write,
        run: resource::resource_patch,
        fast: None,
        summary: "Change only the given fields of a resource",
        params: RESOURCE_FIELDS,
        returns: Schema("Resource"),
    },
    Action {
        name: "resource_delete",
        kind: Write,
        run: resource::resource_delete,
        fast: None,
        summary: "Remove a resource",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "package_resource_reorder",
        kind: Write,
        run: resource::package_resource_reorder,
        fast: None,
        summary: "Reorder a dataset's resources",
        params: &[ID, p("order", "array", true, "resource ids, first first")],
        returns: Object,
    },
    Action {
        name: "format_autocomplete",
        kind: Read,
        run: resource::format_autocomplete,
        fast: None,
        summary: "Resource formats in use that match",
        params: &[Q, LIMIT],
        returns: Names,
    },
    Action {
        name: "organization_list",
        kind: Read,
        run: group::organization_list,
        fast: None,
        summary: "Organizations",
        params: GROUP_LIST,
        returns: Names,
    },
    Action {
        name: "organization_show",
        kind: Read,
        run: group::organization_show,
        fast: None,
        summary: "One organization",
        params: GROUP_SHOW,
        returns: Schema("Group"),
    },
    Action {
        name: "organization_create",
        kind: Write,
        run: group::organization_create,
        fast: None,
        summary: "Create an organization (sysadmin)",
        params: GROUP_FIELDS,
        returns: Schema("Group"),
    },
    Action {
        name: "organization_update",
        kind: Write,
        run: group::organization_update,
        fast: None,
        summary: "Replace an organization",
        params: GROUP_FIELDS,
        returns: Schema("Group"),
    },
    Action {
        name: "organization_patch",
        kind: Write,
        run: group::organization_patch,
        fast: None,
        summary: "Change only the given fields of an organization",
        params: GROUP_FIELDS,
        returns: Schema("Group"),
    },
    Action {
        name: "organization_delete",
        kind: Write,
        run: group::organization_delete,
        fast: None,
        summary: "Mark an organization deleted",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "organization_purge",
        kind: Write,
        run: group::organization_purge,
        fast: None,
        summary: "Remove an organization for good (sysadmin)",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "organization_list_for_user",
        kind: Read,
        run: group::organization_list_for_user,
        fast: None,
        summary: "Organizations where a user has a permission",
        params: &[
            p("id", "string", false, "user (default: caller)"),
            p(
                "permission",
                "string",
                false,
                "manage_group (default), create_dataset, read",
            ),
        ],
        returns: ListOf("OrganizationForUser"),
    },
    Action {
        name: "organization_autocomplete",
        kind: Read,
        run: group::organization_autocomplete,
        fast: None,
        summary: "Organizations whose name or title matches",
        params: &[Q, LIMIT],
        returns: Object,
    },
    Action {
        name: "group_list",
        kind: Read,
        run: group::group_list,
        fast: None,
        summary: "Groups",
        params: GROUP_LIST,
        returns: Names,
    },
    Action {
        name: "group_show",
        kind: Read,
        run: group::group_show,
        fast: None,
        summary: "One group",
        params: GROUP_SHOW,
        returns: Schema("Group"),
    },
    Action {
        name: "group_create",
        kind: Write,
        run: group::group_create,
        fast: None,
        summary: "Create a group",
        params: GROUP_FIELDS,
        returns: Schema("Group"),
    },
    Action {
        name: "group_update",
        kind: Write,
        run: group::group_update,
        fast: None,
        summary: "Replace a group",
        params: GROUP_FIELDS,
        returns: Schema("Group"),
    },
    Action {
        name: "group_patch",
        kind: Write,
        run: group::group_patch,
        fast: None,
        summary: "Change only the given fields of a group",
        params: GROUP_FIELDS,
        returns: Schema("Group"),
    },
    Action {
        name: "group_delete",
        kind: Write,
        run: group::group_delete,
        fast: None,
        summary: "Mark a group deleted",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "group_purge",
        kind: Write,
        run: group::group_purge,
        fast: None,
        summary: "Remove a group for good (sysadmin)",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "group_autocomplete",
        kind: Read,
        run: group::group_autocomplete,
        fast: None,
        summary: "Groups whose name or title matches",
        params: &[Q, LIMIT],
        returns: Object,
    },
    Action {
        name: "organization_member_create",
        kind: Write,
        run: member::organization_member_create,
        fast: None,
        summary: "Give a user a role in an organization",
        params: &[
            ID,
            p("username", "string", true, ""),
            p("role", "string", true, "member, editor or admin"),
        ],
        returns: Schema("Member"),
    },
    Action {
        name: "organization_member_delete",
        kind: Write,
        run: member::organization_member_delete,
        fast: None,
        summary: "Remove a user from an organization",
        params: &[ID, p("username", "string", true, "")],
        returns: Null,
    },
    Action {
        name: "group_member_create",
        kind: Write,
        run: member::group_member_create,
        fast: None,
        summary: "Give a user a role in a group",
        params: &[
            ID,
            p("username", "string", true, ""),
            p("role", "string", true, "member, editor or admin"),
        ],
        returns: Schema("Member"),
    },
    Action {
        name: "group_member_delete",
        kind: Write,
        run: member::group_member_delete,
        fast: None,
        summary: "Remove a user from a group",
        params: &[ID, p("username", "string", true, "")],
        returns: Null,
    },
    Action {
        name: "member_create",
        kind: Write,
        run: member::member_create,
        fast: None,
        summary: "Add a user (with a role) or a dataset to a group or organization",
        params: &[
            ID,
            p("object", "string", true, "id or name"),
            p("object_type", "string", true, "user or package"),
            p("capacity", "string", true, ""),
        ],
        returns: Schema("Member"),
    },
    Action {
        name: "member_delete",
        kind: Write,
        run: member::member_delete,
        fast: None,
        summary: "Remove a member from a group",
        params: &[
            ID,
            p("object", "string", true, ""),
            p("object_type", "string", true, ""),
        ],
        returns: Null,
    },
    Action {
        name: "member_list",
        kind: Read,
        run: member::member_list,
        fast: None,
        summary: "Members of a group as [id, type, Capacity]",
        params: &[
            ID,
            p("object_type", "string", false, ""),
            p("capacity", "string", false, ""),
        ],
        returns: Object,
    },
    Action {
        name: "tag_list",
        kind: Read,
        run: tag::tag_list,
        fast: None,
        summary: "Tags in use on public datasets",
        params: &[Q, p("all_fields", "boolean", false, "")],
        returns: Names,
    },
    Action {
        name: "tag_show",
        kind: Read,
        run: tag::tag_show,
        fast: None,
        summary: "One tag",
        params: &[ID, p("include_datasets", "boolean", false, "")],
        returns: Schema("TagShow"),
    },
    Action {
        name: "tag_autocomplete",
        kind: Read,
        run: tag::tag_autocomplete,
        fast: None,
        summary: "Tags that match",
        params: &[Q, LIMIT],
        returns: Names,
    },
    Action {
        name: "user_show",
        kind: Read,
        run: user::user_show,
        fast: None,
        summary: "One user",
        params: &[ID],
        returns: Schema("User"),
    },
    Action {
        name: "user_list",
        kind: Read,
        run: user::user_list,
        fast: None,
        summary: "Users",
        params: &[
            Q,
            p("order_by", "string", false, "name (default), created"),
            LIMIT,
            OFFSET,
            p("all_fields", "boolean", false, "default true"),
        ],
        returns: ListOf("User"),
    },
    Action {
        name: "user_create",
        kind: Write,
        run: user::user_create,
        fast: None,
        summary: "Create a user (sysadmin)",
        params: &[
            p("name", "string", true, ""),
            p("email", "string", true, ""),
            p("password", "string", true, "at least 8 characters"),
            p("fullname", "string", false, ""),
            p("about", "string", false, ""),
            p("sysadmin", "boolean", false, ""),
        ],
        returns: Schema("User"),
    },
    Action {
        name: "user_update",
        kind: Write,
        run: user::user_update,
        fast: None,
        summary: "Change a user (themself or sysadmin)",
        params: &[
            ID,
            p("email", "string", false, ""),
            p("fullname", "string", false, ""),
            p("about", "string", false, ""),
            p("password", "string", false, ""),
        ],
        returns: Schema("User"),
    },
    Action {
        name: "user_delete",
        kind: Write,
        run: user::user_delete,
        fast: None,
        summary: "Mark a user deleted (sysadmin)",
        params: &[ID],
        returns: Null,
    },
    Action {
        name: "api_token_create",
        kind: Write,
        run: user::api_token_create,
        fast: None,
        summary: "Create an API token (shown once)",
        params: &[
            p("user", "string", true, "user id or name"),
            p("name", "string", true, "label"),
        ],
        returns: Schema("NewApiToken"),
    },
    Action {
        name: "api_token_list",
        kind: Read,
        run: user::api_token_list,
        fast: None,
        summary: "A user's API tokens (never the secrets)",
        params: &[p(
            "user_id",
            "string",
            false,
            "user id or name (default: caller)",
        )],
        returns: ListOf("ApiToken"),
    },
    Action {
        name: "api_token_revoke",
        kind: Write,
        run: user::api_token_revoke,
        fast: None,
        summary: "Revoke an API token",
        params: &[
            p("token", "string", false, "the token"),
            p("jti", "string", false, "the token's id"),
        ],
        returns: Null,
    },
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

/// Whether an action takes a multipart `upload` file.
pub fn accepts_upload(action: &Action) -> bool {
    matches!(
        action.name,
        "resource_create" | "resource_update" | "resource_patch"
    )
}
