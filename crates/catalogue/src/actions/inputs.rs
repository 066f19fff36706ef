//! What each action reads: one typed input per action (see `crate::input`), which parses the
//! request and documents it for `help_show` and the OpenAPI document. Actions that take a
//! whole dict (a dataset, a resource, a group, a user) are documented by the fields their
//! validator reads, listed beside it.

use crate::action_input;
use crate::input::{DictFields, DictInput};
use serde_json::{Map, Value};

/// An object id or name, read from `id` or else `name` (CKAN accepts either).
pub trait IdOrName {
    fn given(&self) -> (Option<&String>, Option<&String>);

    /// The id or name; `{key: ["Missing value"]}` when neither is given.
    fn id_or_name(&self, key: &str) -> crate::Result<String> {
        let (id, name) = self.given();
        id.filter(|s| !s.trim().is_empty())
            .or(name.filter(|s| !s.trim().is_empty()))
            .map(|s| s.trim().to_string())
            .ok_or_else(|| crate::FieldErrors::single(key, "Missing value"))
    }
}

macro_rules! id_or_name {
    ($($t:ty),*) => {$(
        impl IdOrName for $t {
            fn given(&self) -> (Option<&String>, Option<&String>) {
                (self.id.as_ref(), self.name.as_ref())
            }
        }
    )*};
}

action_input! {
    /// No parameters.
    pub struct NoInput {}
}

action_input! {
    /// help_show
    pub struct HelpShow {
        /// the action's name
        name: String,
    }
}

action_input! {
    /// A list with paging.
    pub struct Paging {
        /// maximum number of items
        limit: Option<i64>,
        /// items to skip
        offset: i64 = 0,
    }
}

action_input! {
    /// Names that match some text.
    pub struct Autocomplete {
        /// text to match
        q: Option<String>,
        /// maximum number of items
        limit: Option<i64>,
    }
}

action_input! {
    /// package_show
    pub struct PackageShow {
        /// the dataset's id or name
        id: Option<String>,
        /// the dataset's id or name (older clients)
        name_or_id: Option<String>,
        /// accepted, as in CKAN
        use_default_schema: bool = false,
        /// accepted, as in CKAN
        include_plugin_data: bool = false,
    }
}

impl PackageShow {
    /// `id`, else `name_or_id`; CKAN reports `{"name_or_id": ["Missing value"]}`.
    pub fn key(&self) -> crate::Result<String> {
        self.id
            .as_ref()
            .filter(|s| !s.trim().is_empty())
            .or(self.name_or_id.as_ref())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| crate::FieldErrors::single("name_or_id", "Missing value"))
    }
}

action_input! {
    /// An object named by id or name.
    pub struct ById {
        /// id or name
        id: Option<String>,
        /// name (instead of id)
        name: Option<String>,
    }
}
id_or_name!(ById);

action_input! {
    /// An object named by id only.
    pub struct IdOnly {
        /// the id
        id: String,
    }
}

action_input! {
    /// package_revise
    pub struct PackageRevise {
        /// fields the dataset must have, holding its id or name
        #[doc = ""]
        r#match as "match": Map<String, Value>,
        /// paths to remove, e.g. -resources__1
        filter: Option<Vec<String>>,
        /// values to merge into the dataset (objects key by key, lists item by item)
        update: Option<Map<String, Value>>,
        /// accepted, as in CKAN
        include: Option<Vec<String>>,
    }
}

action_input! {
    /// package_owner_org_update
    pub struct OwnerOrgUpdate {
        /// the dataset's id or name
        id: Option<String>,
        /// the dataset's name (instead of id)
        name: Option<String>,
        /// the new organization's id or name ("none" for no organization)
        organization_id: Option<String>,
    }
}
id_or_name!(OwnerOrgUpdate);

action_input! {
    /// package_resource_reorder
    pub struct ResourceReorder {
        /// the dataset's id or name
        id: String,
        /// resource ids, first first
        order: Vec<String>,
    }
}

action_input! {
    /// organization_list, group_list
    pub struct GroupList {
        /// name|title|package_count, then asc|desc
        sort: String = "title asc",
        /// maximum number of items (default 1000; 25 with all_fields)
        limit: Option<i64>,
        /// items to skip
        offset: i64 = 0,
        /// dicts instead of names
        all_fields: bool = false,
        /// with package_count
        include_dataset_count: bool = true,
        /// with extras
        include_extras: bool = false,
        /// text to match
        q: Option<String>,
    }
}

action_input! {
    /// organization_show, group_show
    pub struct GroupShow {
        /// id or name
        id: String,
        /// up to 10 datasets as `packages`
        include_datasets: bool = false,
        /// members with their capacity
        include_users: bool = true,
        /// extras
        include_extras: bool = true,
        /// the groups it belongs to
        include_groups: bool = true,
        /// accepted, as in CKAN
        include_followers: bool = false,
        /// accepted, as in CKAN
        include_dataset_count: bool = true,
    }
}

action_input! {
    /// organization_list_for_user
    pub struct OrgsForUser {
        /// the user (default: the caller)
        id: Option<String>,
        /// manage_group (default), create_dataset, update_dataset, delete_dataset, read
        permission: String = "manage_group",
        /// accepted, as in CKAN
        include_dataset_count: bool = false,
    }
}

action_input! {
    /// organization_member_create, group_member_create
    pub struct UserMemberCreate {
        /// the organization's or group's id or name
        id: String,
        /// the user's name or id
        username: String,
        /// member, editor or admin
        role: String,
    }
}

action_input! {
    /// organization_member_delete, group_member_delete
    pub struct UserMemberDelete {
        /// the organization's or group's id or name
        id: String,
        /// the user's name or id
        username: String,
    }
}

action_input! {
    /// member_create
    pub struct MemberCreate {
        /// the group's or organization's id or name
        id: String,
        /// the user's or dataset's id or name
        object: String,
        /// user or package
        object_type: String,
        /// the role (users) or "public" (datasets)
        capacity: String,
    }
}

action_input! {
    /// member_delete
    pub struct MemberDelete {
        /// the group's or organization's id or name
        id: String,
        /// the user's or dataset's id or name
        object: String,
        /// user or package
        object_type: String,
    }
}

action_input! {
    /// member_list
    pub struct MemberList {
        /// the group's or organization's id or name
        id: String,
        /// user or package (default: both)
        object_type: Option<String>,
        /// only members with this role
        capacity: Option<String>,
    }
}

action_input! {
    /// tag_list
    pub struct TagList {
        /// text the tags contain
        q: Option<String>,
        /// text the tags contain (older clients)
        query: Option<String>,
        /// dicts instead of names
        all_fields: bool = false,
        /// accepted, as in CKAN (free tags only)
        vocabulary_id: Option<String>,
    }
}

action_input! {
    /// tag_show
    pub struct TagShow {
        /// the tag's name or id
        id: String,
        /// with its public datasets
        include_datasets: bool = false,
    }
}

action_input! {
    /// tag_autocomplete
    pub struct TagAutocomplete {
        /// text to match
        q: Option<String>,
        /// text to match (older clients)
        query: Option<String>,
        /// maximum number of items
        limit: i64 = 10,
    }
}

action_input! {
    /// user_show
    pub struct UserShow {
        /// the user's id or name (default: the caller)
        id: Option<String>,
        /// accepted, as in CKAN
        include_datasets: bool = false,
    }
}

action_input! {
    /// user_list
    pub struct UserList {
        /// text the name or full name contains
        q: Option<String>,
        /// name (default) or created
        order_by: String = "name",
        /// maximum number of items
        limit: Option<i64>,
        /// items to skip
        offset: i64 = 0,
        /// dicts instead of names
        all_fields: bool = true,
    }
}

action_input! {
    /// user_create. Its required fields are checked after the caller's permission, as CKAN
    /// does, so they read as optional here.
    pub struct UserCreate {
        /// login name, required: 2-100 characters, lowercase a-z, 0-9, - and _
        name: Option<String>,
        /// e-mail address, required
        email: Option<String>,
        /// password, required: at least 8 characters
        password: Option<String>,
        /// full name
        fullname: Option<String>,
        /// about the user
        about: Option<String>,
        /// whether the user is a sysadmin (sysadmins only)
        sysadmin: bool = false,
    }
}

action_input! {
    /// api_token_create
    pub struct ApiTokenCreate {
        /// the user's id or name
        user: String,
        /// a label for the token
        name: String,
    }
}

action_input! {
    /// api_token_list
    pub struct ApiTokenList {
        /// the user's id or name (default: the caller)
        user_id: Option<String>,
        /// the user's id or name (older clients)
        user: Option<String>,
    }
}

action_input! {
    /// api_token_revoke
    pub struct ApiTokenRevoke {
        /// the token itself
        token: Option<String>,
        /// the token's id
        jti: Option<String>,
    }
}

/// The fields of a dataset dict (package_create, package_update, package_patch).
pub struct DatasetFields;
pub type DatasetDict = DictInput<DatasetFields>;
impl DictFields for DatasetFields {
    const FIELDS: &'static [super::Param] = super::DATASET_FIELDS;
}

/// The fields of a resource dict (resource_create, resource_update, resource_patch).
pub struct ResourceFields;
pub type ResourceDict = DictInput<ResourceFields>;
impl DictFields for ResourceFields {
    const FIELDS: &'static [super::Param] = super::RESOURCE_FIELDS;
}

/// The fields of an organization or group dict.
pub struct GroupFields;
pub type GroupDict = DictInput<GroupFields>;
impl DictFields for GroupFields {
    const FIELDS: &'static [super::Param] = super::GROUP_FIELDS;
}

/// The fields user_update reads (absent ones stay as they are).
pub struct UserFields;
pub type UserDict = DictInput<UserFields>;
impl DictFields for UserFields {
    const FIELDS: &'static [super::Param] = super::USER_UPDATE_FIELDS;
}
