//! Turning rows into the dicts CKAN clients read.

use crate::dict::{self, ckan_time, Extra, GroupRef, OrganizationSummary, Package, Resource, Tag};
use crate::files::{self, FileVersion};
use crate::license;
use crate::store::rows::{GroupRow, PackageRow, ResourceFileRow, ResourceRow, UserRow};
use crate::store::schema::{groups, members, package_tags, packages, resources, tags};
use crate::store::AnyConnection;
use diesel::prelude::*;
use serde_json::{Map, Value};

pub fn extras_of(json: &str) -> Vec<Extra> {
    serde_json::from_str(json).unwrap_or_default()
}

/// A resource's dict; `files` may hold file versions of any resources (those of this one are
/// listed as `versions` when it is an upload).
pub fn resource_dict(row: ResourceRow, files: &[ResourceFileRow]) -> Resource {
    let extras: Map<String, Value> = serde_json::from_str(&row.extras).unwrap_or_default();
    let versions = (row.url_type.as_deref() == Some("upload")).then(|| {
        files
            .iter()
            .filter(|f| f.resource_id == row.id)
            .map(FileVersion::from)
            .collect()
    });
    Resource {
        cache_last_updated: row.cache_last_updated.as_ref().map(ckan_time),
        cache_url: row.cache_url,
        created: ckan_time(&row.created),
        description: row.description,
        format: row.format,
        hash: row.hash,
        id: row.id,
        last_modified: row.last_modified.as_ref().map(ckan_time),
        metadata_modified: row.metadata_modified.as_ref().map(ckan_time),
        mimetype: row.mimetype,
        mimetype_inner: row.mimetype_inner,
        name: row.name,
        package_id: row.package_id,
        position: row.position,
        resource_type: row.resource_type,
        size: row.size,
        state: "active".into(),
        url: row.url,
        url_type: row.url_type,
        versions,
        extras,
    }
}

pub fn organization_summary(g: &GroupRow) -> OrganizationSummary {
    OrganizationSummary {
        id: g.id.clone(),
        name: g.name.clone(),
        title: g.title.clone(),
        type_: group_type(g).into(),
        description: g.description.clone(),
        image_url: g.image_url.clone(),
        created: ckan_time(&g.created),
        is_organization: g.is_organization,
        approval_status: g.approval_status.clone(),
        state: g.state.clone(),
    }
}

pub fn group_type(g: &GroupRow) -> &'static str {
    if g.is_organization {
        "organization"
    } else {
        "group"
    }
}

pub fn display_name(title: &str, name: &str) -> String {
    if title.is_empty() { name } else { title }.to_string()
}

/// The `package_show` dict of a stored dataset.
pub fn package_dict(conn: &mut AnyConnection, row: PackageRow) -> QueryResult<Package> {
    let res: Vec<ResourceRow> = resources::table
        .filter(resources::package_id.eq(&row.id))
        .order(resources::position.asc())
        .select(ResourceRow::as_select())
        .load(conn)?;
    let mut tag_rows: Vec<(String, String)> = package_tags::table
        .inner_join(tags::table)
        .filter(package_tags::package_id.eq(&row.id))
        .select((tags::id, tags::name))
        .load(conn)?;
    tag_rows.sort_by(|a, b| a.1.cmp(&b.1));
    let group_rows: Vec<GroupRow> = members::table
        .inner_join(groups::table)
        .filter(members::table_name.eq("package"))
        .filter(members::table_id.eq(&row.id))
        .filter(members::state.eq("active"))
        .filter(groups::is_organization.eq(false))
        .filter(groups::state.eq("active"))
        .order(groups::name.asc())
        .select(GroupRow::as_select())
        .load(conn)?;
    let org = match &row.owner_org {
        Some(id) => groups::table
            .find(id)
            .select(GroupRow::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    let files = upload_versions(conn, &res)?;
    Ok(assemble(row, res, &files, tag_rows, group_rows, org))
}

/// File versions of the uploaded resources among `res`.
pub fn upload_versions(
    conn: &mut AnyConnection,
    res: &[ResourceRow],
) -> QueryResult<Vec<ResourceFileRow>> {
    let ids: Vec<&str> = res
        .iter()
        .filter(|r| r.url_type.as_deref() == Some("upload"))
        .map(|r| r.id.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    files::versions_of(conn, &ids)
}

fn assemble(
    row: PackageRow,
    res: Vec<ResourceRow>,
    files: &[ResourceFileRow],
    tag_rows: Vec<(String, String)>,
    group_rows: Vec<GroupRow>,
    org: Option<GroupRow>,
) -> Package {
    let lic = row.license_id.as_deref().and_then(license::find);
    let license_title = match (&row.license_id, lic) {
        (_, Some(l)) => Some(l.title.clone()),
        (Some(id), None) => Some(id.clone()),
        (None, None) => None,
    };
    let license_url = lic.map(|l| l.url.clone()).filter(|u| !u.is_empty());
    let tags: Vec<Tag> = tag_rows
        .into_iter()
        .map(|(id, name)| Tag {
            display_name: name.clone(),
            id,
            name,
            state: "active".into(),
            vocabulary_id: None,
        })
        .collect();
    let groups = group_rows
        .iter()
        .map(|g| GroupRef {
            description: g.description.clone(),
            display_name: display_name(&g.title, &g.name),
            id: g.id.clone(),
            image_display_url: g.image_url.clone(),
            name: g.name.clone(),
            title: g.title.clone(),
        })
        .collect();
    let resources: Vec<Resource> = res.into_iter().map(|r| resource_dict(r, files)).collect();
    Package {
        author: row.author,
        author_email: row.author_email,
        creator_user_id: row.creator_user_id,
        id: row.id,
        isopen: lic.is_some_and(|l| l.is_open()),
        license_id: row.license_id,
        license_title,
        license_url,
        maintainer: row.maintainer,
        maintainer_email: row.maintainer_email,
        metadata_created: ckan_time(&row.metadata_created),
        metadata_modified: ckan_time(&row.metadata_modified),
        name: row.name,
        notes: row.notes,
        num_resources: resources.len(),
        num_tags: tags.len(),
        organization: org.as_ref().map(organization_summary),
        owner_org: row.owner_org,
        private: row.private,
        state: row.state,
        title: row.title,
        type_: row.type_,
        url: row.url,
        version: row.version,
        extras: extras_of(&row.extras),
        groups,
        resources,
        tags,
        relationships_as_subject: vec![],
        relationships_as_object: vec![],
    }
}

/// Loads many datasets' dicts, in the order of `rows`, with one query per related table
/// instead of one per dataset (lists, reindexing).
pub fn package_dicts(conn: &mut AnyConnection, rows: Vec<PackageRow>) -> QueryResult<Vec<Package>> {
    use std::collections::HashMap;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut res_by: HashMap<String, Vec<ResourceRow>> = HashMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let res: Vec<ResourceRow> = resources::table
            .filter(resources::package_id.eq_any(chunk))
            .order((resources::package_id.asc(), resources::position.asc()))
            .select(ResourceRow::as_select())
            .load(conn)?;
        for r in res {
            res_by.entry(r.package_id.clone()).or_default().push(r);
        }
    }
    let mut tags_by: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut groups_by: HashMap<String, Vec<GroupRow>> = HashMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let t: Vec<(String, String, String)> = package_tags::table
            .inner_join(tags::table)
            .filter(package_tags::package_id.eq_any(chunk))
            .select((package_tags::package_id, tags::id, tags::name))
            .load(conn)?;
        for (pid, id, name) in t {
            tags_by.entry(pid).or_default().push((id, name));
        }
        let g: Vec<(String, GroupRow)> = members::table
            .inner_join(groups::table)
            .filter(members::table_name.eq("package"))
            .filter(members::table_id.eq_any(chunk))
            .filter(members::state.eq("active"))
            .filter(groups::is_organization.eq(false))
            .filter(groups::state.eq("active"))
            .order(groups::name.asc())
            .select((members::table_id, GroupRow::as_select()))
            .load(conn)?;
        for (pid, row) in g {
            groups_by.entry(pid).or_default().push(row);
        }
    }
    let mut org_ids: Vec<&str> = rows.iter().filter_map(|r| r.owner_org.as_deref()).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let mut orgs: HashMap<String, GroupRow> = HashMap::new();
    for chunk in org_ids.chunks(IN_CHUNK) {
        let found: Vec<GroupRow> = groups::table
            .filter(groups::id.eq_any(chunk))
            .select(GroupRow::as_select())
            .load(conn)?;
        orgs.extend(found.into_iter().map(|g| (g.id.clone(), g)));
    }
    let all_res: Vec<ResourceRow> = res_by.values().flatten().cloned().collect();
    let files = upload_versions(conn, &all_res)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let res = res_by.remove(&row.id).unwrap_or_default();
            let mut t = tags_by.remove(&row.id).unwrap_or_default();
            t.sort_by(|a, b| a.1.cmp(&b.1));
            let g = groups_by.remove(&row.id).unwrap_or_default();
            let org = row.owner_org.as_ref().and_then(|o| orgs.get(o)).cloned();
            assemble(row, res, &files, t, g, org)
        })
        .collect())
}

/// Bound on `IN (…)` lists, well under SQLite's limit on query parameters.
const IN_CHUNK: usize = 500;

/// A dataset by id or name, in any state.
pub fn find_package(conn: &mut AnyConnection, id_or_name: &str) -> QueryResult<Option<PackageRow>> {
    if let Some(p) = packages::table
        .find(id_or_name)
        .select(PackageRow::as_select())
        .first(conn)
        .optional()?
    {
        return Ok(Some(p));
    }
    packages::table
        .filter(packages::name.eq(id_or_name))
        .select(PackageRow::as_select())
        .first(conn)
        .optional()
}

/// Like [`find_package`], and (PostgreSQL) locks the dataset's row until the transaction
/// ends: every write to a dataset or its resources takes this lock first, so concurrent
/// writers of one dataset run one after the other (each sees the other's whole change; none
/// stores a mix). SQLite serialises writers already.
pub fn lock_package(conn: &mut AnyConnection, id_or_name: &str) -> QueryResult<Option<PackageRow>> {
    let Some(found) = find_package(conn, id_or_name)? else {
        return Ok(None);
    };
    match conn {
        AnyConnection::Postgresql(c) => packages::table
            .find(&found.id)
            .select(PackageRow::as_select())
            .for_update()
            .first(c)
            .optional(),
        AnyConnection::Sqlite(_) => Ok(Some(found)),
    }
}

/// A user by id or name, in any state.
pub fn find_user(conn: &mut AnyConnection, id_or_name: &str) -> QueryResult<Option<UserRow>> {
    use crate::store::schema::users;
    users::table
        .filter(users::id.eq(id_or_name).or(users::name.eq(id_or_name)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// An organization (`is_org`) or group by id or name, in any state.
pub fn find_group(
    conn: &mut AnyConnection,
    id_or_name: &str,
    is_org: Option<bool>,
) -> QueryResult<Option<GroupRow>> {
    let row = match groups::table
        .find(id_or_name)
        .select(GroupRow::as_select())
        .first(conn)
        .optional()?
    {
        Some(g) => Some(g),
        None => groups::table
            .filter(groups::name.eq(id_or_name))
            .select(GroupRow::as_select())
            .first(conn)
            .optional()?,
    };
    Ok(row.filter(|g| is_org.is_none_or(|o| g.is_organization == o)))
}

pub fn user_dict(
    conn: &mut AnyConnection,
    u: &UserRow,
    with_email: bool,
) -> QueryResult<dict::User> {
    let created: i64 = packages::table
        .filter(packages::creator_user_id.eq(&u.id))
        .filter(packages::state.eq("active"))
        .filter(packages::private.eq(false))
        .count()
        .get_result(conn)?;
    Ok(dict::User {
        id: u.id.clone(),
        name: u.name.clone(),
        fullname: u.fullname.clone(),
        created: ckan_time(&u.created),
        about: u.about.clone(),
        last_active: u.last_active.as_ref().map(ckan_time),
        activity_streams_email_notifications: false,
        sysadmin: u.sysadmin,
        state: u.state.clone(),
        image_url: u.image_url.clone(),
        display_name: u
            .fullname
            .clone()
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| u.name.clone()),
        email_hash: email_hash(u.email.as_deref().unwrap_or("")),
        number_created_packages: created,
        image_display_url: u.image_url.clone(),
        email: if with_email { u.email.clone() } else { None },
        apikey: if with_email { Some(Value::Null) } else { None },
        capacity: None,
    })
}

/// md5 of the trimmed, lower-cased address, as CKAN (and Gravatar) compute it.
pub fn email_hash(email: &str) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(email.trim().to_lowercase().as_bytes()))
}
