//! The API shapes CKAN clients read (package_show and friends). Rows are turned into these in
//! `actions`; server, search, dcat and the harvester share them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// CKAN's timestamp format: naive UTC, microseconds, no zone; Python drops `.000000`.
pub fn ckan_time(t: &NaiveDateTime) -> String {
    use chrono::Timelike;
    if t.nanosecond() / 1000 == 0 {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

/// Parses the timestamps CKAN clients send back (with or without fraction or trailing `Z`).
pub fn parse_ckan_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim().trim_end_matches('Z');
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Extra {
    pub key: String,
    pub value: String,
}

/// A dataset, as `package_show` returns it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Package {
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub creator_user_id: Option<String>,
    pub id: String,
    pub isopen: bool,
    pub license_id: Option<String>,
    pub license_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub license_url: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    pub metadata_created: String,
    pub metadata_modified: String,
    pub name: String,
    pub notes: Option<String>,
    pub num_resources: usize,
    pub num_tags: usize,
    pub organization: Option<OrganizationSummary>,
    pub owner_org: Option<String>,
    pub private: bool,
    pub state: String,
    pub title: Option<String>,
    #[serde(rename = "type")]
    pub type_: String,
    pub url: Option<String>,
    pub version: Option<String>,
    pub extras: Vec<Extra>,
    pub groups: Vec<GroupRef>,
    pub resources: Vec<Resource>,
    pub tags: Vec<Tag>,
    #[schema(value_type = Vec<Object>)]
    pub relationships_as_subject: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub relationships_as_object: Vec<Value>,
}

/// The owning organization, as embedded in a dataset.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganizationSummary {
    pub id: String,
    pub name: String,
    pub title: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub description: String,
    pub image_url: String,
    pub created: String,
    pub is_organization: bool,
    pub approval_status: String,
    pub state: String,
}

/// A group, as listed in a dataset's `groups`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupRef {
    pub description: String,
    pub display_name: String,
    pub id: String,
    pub image_display_url: String,
    pub name: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Tag {
    pub display_name: String,
    pub id: String,
    pub name: String,
    pub state: String,
    pub vocabulary_id: Option<String>,
}

/// A resource, as `resource_show` returns it; free keys appear at top level.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    pub cache_last_updated: Option<String>,
    pub cache_url: Option<String>,
    pub created: String,
    pub description: Option<String>,
    pub format: Option<String>,
    pub hash: String,
    pub id: String,
    pub last_modified: Option<String>,
    pub metadata_modified: Option<String>,
    pub mimetype: Option<String>,
    pub mimetype_inner: Option<String>,
    pub name: Option<String>,
    pub package_id: String,
    pub position: i32,
    pub resource_type: Option<String>,
    pub size: Option<i64>,
    pub state: String,
    pub url: String,
    pub url_type: Option<String>,
    /// Cổng extension: every stored version of an uploaded file (absent for links).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub versions: Option<Vec<crate::files::FileVersion>>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extras: Map<String, Value>,
}

/// An organization or group, as `*_show`, `*_create` and `*_list?all_fields=true` return it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub approval_status: String,
    pub created: String,
    pub description: String,
    pub display_name: String,
    pub id: String,
    pub image_display_url: String,
    pub image_url: String,
    pub is_organization: bool,
    pub name: String,
    pub num_followers: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub package_count: Option<i64>,
    pub state: String,
    pub title: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub extras: Option<Vec<Extra>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub packages: Option<Vec<Package>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub users: Option<Vec<User>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub groups: Option<Vec<Value>>,
}

/// An organization as `organization_list_for_user` returns it: the summary plus the caller's
/// capacity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganizationForUser {
    #[serde(flatten)]
    pub organization: OrganizationSummary,
    pub capacity: String,
    pub display_name: String,
    pub image_display_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub name: String,
    pub fullname: Option<String>,
    pub created: String,
    pub about: Option<String>,
    pub last_active: Option<String>,
    pub activity_streams_email_notifications: bool,
    pub sysadmin: bool,
    pub state: String,
    pub image_url: Option<String>,
    pub display_name: String,
    pub email_hash: String,
    pub number_created_packages: i64,
    pub image_display_url: Option<String>,
    /// Only for the user themself and sysadmins.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// Always null (CKAN 2.10+ has no API keys); present where CKAN shows it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[schema(value_type = Option<Object>)]
    pub apikey: Option<Value>,
    /// The user's role, in a group's or organization's `users` list.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub capacity: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub id: String,
    pub table_name: String,
    pub table_id: String,
    pub capacity: String,
    pub group_id: String,
    pub state: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TagShow {
    pub id: String,
    pub name: String,
    pub vocabulary_id: Option<String>,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub created_at: String,
    pub last_access: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewApiToken {
    /// The secret: shown once, stored only as a hash.
    pub token: String,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AutocompletePackage {
    pub name: String,
    pub title: String,
    pub match_field: String,
    pub match_displayed: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_look_like_python_isoformat() {
        let t = parse_ckan_time("2026-11-23T06:16:00.265888").expect("parse");
        assert_eq!(ckan_time(&t), "2026-11-23T06:16:00.265888");
        let whole = parse_ckan_time("2026-11-23T06:16:00Z").expect("parse");
        assert_eq!(ckan_time(&whole), "2026-11-23T06:16:00");
        assert!(parse_ckan_time("yesterday").is_none());
    }
}
