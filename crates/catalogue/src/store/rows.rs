//! Storage rows: one struct per table, as diesel reads and writes them. API shapes live in `dict`.

use super::schema::*;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_null = true)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub fullname: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub about: Option<String>,
    pub image_url: Option<String>,
    pub sysadmin: bool,
    pub state: String,
    pub created: NaiveDateTime,
    pub last_active: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_access: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = groups)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub image_url: String,
    pub is_organization: bool,
    pub approval_status: String,
    pub state: String,
    pub created: NaiveDateTime,
    /// JSON list of `{"key", "value"}`.
    pub extras: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = packages)]
#[diesel(treat_none_as_null = true)]
pub struct PackageRow {
    pub id: String,
    pub name: String,
    pub title: Option<String>,
    pub type_: String,
    pub state: String,
    pub private: bool,
    pub owner_org: Option<String>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    pub license_id: Option<String>,
    pub notes: Option<String>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub creator_user_id: Option<String>,
    pub metadata_created: NaiveDateTime,
    pub metadata_modified: NaiveDateTime,
    /// JSON list of `{"key", "value"}`.
    pub extras: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    pub id: String,
    pub group_id: String,
    pub table_name: String,
    pub table_id: String,
    pub capacity: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = resources)]
#[diesel(treat_none_as_null = true)]
pub struct ResourceRow {
    pub id: String,
    pub package_id: String,
    pub position: i32,
    pub url: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub format: Option<String>,
    pub mimetype: Option<String>,
    pub mimetype_inner: Option<String>,
    pub hash: String,
    pub size: Option<i64>,
    pub last_modified: Option<NaiveDateTime>,
    pub cache_url: Option<String>,
    pub cache_last_updated: Option<NaiveDateTime>,
    pub resource_type: Option<String>,
    pub url_type: Option<String>,
    pub created: NaiveDateTime,
    pub metadata_modified: Option<NaiveDateTime>,
    /// JSON object of the resource's free keys, returned top-level.
    pub extras: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tags)]
pub struct TagRow {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = change_feed)]
pub struct ChangeRow {
    pub seq: i64,
    pub package_id: String,
    pub kind: String,
    pub changed_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = resource_files)]
pub struct ResourceFileRow {
    pub resource_id: String,
    pub version: i32,
    pub storage_key: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    pub mimetype: String,
    pub created: NaiveDateTime,
}
