//! Uploaded resource files, as the catalogue records them: every version of a resource's file
//! (the bytes live in a storage backend the server owns), and the trash of objects to delete
//! once the write that released them has committed.

use crate::actions::load::find_package;
use crate::actor::Actor;
use crate::authz;
use crate::dict::ckan_time;
use crate::error::{Error, Result};
use crate::store::rows::{ResourceFileRow, ResourceRow};
use crate::store::schema::{file_trash, resource_files, resources};
use crate::store::AnyConnection;
use crate::Catalogue;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// A file the server has already written to storage, to attach to a resource.
#[derive(Debug, Clone)]
pub struct Upload {
    pub storage_key: String,
    /// Sanitised: safe in a URL path and a Content-Disposition header.
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    pub mimetype: String,
}

/// One stored version of a resource's file (the `versions` list, a Cổng extension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileVersion {
    pub version: i32,
    pub filename: String,
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub hash: String,
    pub mimetype: String,
    pub created: String,
}

impl From<&ResourceFileRow> for FileVersion {
    fn from(r: &ResourceFileRow) -> Self {
        FileVersion {
            version: r.version,
            filename: r.filename.clone(),
            size: r.size,
            hash: r.sha256.clone(),
            mimetype: r.mimetype.clone(),
            created: ckan_time(&r.created),
        }
    }
}

/// Where a resource's file is downloaded from.
pub fn download_url(site_url: &str, package_id: &str, resource_id: &str, filename: &str) -> String {
    format!("{site_url}/dataset/{package_id}/resource/{resource_id}/download/{filename}")
}

/// Records `upload` as the next version of the resource's file; returns its version number.
pub fn record_version(
    conn: &mut AnyConnection,
    resource_id: &str,
    upload: &Upload,
) -> QueryResult<i32> {
    // Concurrent replacements of one resource's file take turns from here: this no-op UPDATE
    // holds the resource's row lock until commit in PostgreSQL (SQLite writers are serialised
    // anyway), so each reads the version the one before it wrote instead of failing on the
    // primary key. A resource being created has no row yet, and no rival.
    diesel::update(resources::table.find(resource_id))
        .set(resources::position.eq(resources::position))
        .execute(conn)?;
    let last: Option<i32> = resource_files::table
        .filter(resource_files::resource_id.eq(resource_id))
        .select(diesel::dsl::max(resource_files::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    let row = ResourceFileRow {
        resource_id: resource_id.to_string(),
        version,
        storage_key: upload.storage_key.clone(),
        filename: upload.filename.clone(),
        size: upload.size,
        sha256: upload.sha256.clone(),
        mimetype: upload.mimetype.clone(),
        created: crate::now(),
    };
    diesel::insert_into(resource_files::table)
        .values(&row)
        .execute(conn)?;
    Ok(version)
}

/// File versions of the given resources, oldest first.
pub fn versions_of(
    conn: &mut AnyConnection,
    resource_ids: &[&str],
) -> QueryResult<Vec<ResourceFileRow>> {
    let mut out = vec![];
    for chunk in resource_ids.chunks(500) {
        out.extend(
            resource_files::table
                .filter(resource_files::resource_id.eq_any(chunk))
                .order((
                    resource_files::resource_id.asc(),
                    resource_files::version.asc(),
                ))
                .select(ResourceFileRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// The resources' files are no longer needed: their rows go, their objects go to the trash.
pub fn release(conn: &mut AnyConnection, resource_ids: &[String]) -> QueryResult<()> {
    if resource_ids.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = resource_files::table
        .filter(resource_files::resource_id.eq_any(resource_ids))
        .select(resource_files::storage_key)
        .load(conn)?;
    let now = crate::now();
    for key in keys {
        diesel::insert_into(file_trash::table)
            .values((
                file_trash::storage_key.eq(&key),
                file_trash::trashed_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::delete(resource_files::table.filter(resource_files::resource_id.eq_any(resource_ids)))
        .execute(conn)?;
    Ok(())
}

/// Storage keys waiting to be deleted.
pub fn trash(cat: &Catalogue) -> Result<Vec<String>> {
    Ok(cat
        .db
        .read(|c| file_trash::table.select(file_trash::storage_key).load(c))?)
}

/// Forgets trash entries whose objects are gone.
pub fn empty_trash(cat: &Catalogue, keys: &[String]) -> Result<()> {
    cat.db.write(|c| {
        diesel::delete(file_trash::table.filter(file_trash::storage_key.eq_any(keys))).execute(c)
    })?;
    Ok(())
}

/// Every storage key a resource refers to, with the resource (for `cong files check`).
pub fn referenced(cat: &Catalogue) -> Result<Vec<(String, String, i32)>> {
    Ok(cat.db.read(|c| {
        resource_files::table
            .select((
                resource_files::storage_key,
                resource_files::resource_id,
                resource_files::version,
            ))
            .load(c)
    })?)
}

/// What a download serves.
#[derive(Debug, Clone)]
pub struct Download {
    pub storage_key: String,
    pub version: FileVersion,
    /// `Some(url)` when the resource is a link rather than an upload: redirect there.
    pub redirect: Option<String>,
}

/// Resolves a download: the resource must belong to the dataset (id or name), the actor must
/// be allowed to read the dataset, and the version must exist (default: the newest).
pub fn download(
    cat: &Catalogue,
    actor: &Actor,
    dataset: &str,
    resource_id: &str,
    version: Option<i32>,
) -> Result<Download> {
    cat.db.read(|c| {
        let pkg = find_package(c, dataset)?.ok_or(Error::NotFound(None))?;
        let res: ResourceRow = resources::table
            .find(resource_id)
            .select(ResourceRow::as_select())
            .first(c)
            .optional()?
            .filter(|r| r.package_id == pkg.id)
            .ok_or(Error::NotFound(None))?;
        authz::check_read_package(c, actor, &pkg)?;
        let files = versions_of(c, &[res.id.as_str()])?;
        if res.url_type.as_deref() != Some("upload") && version.is_none() {
            return Ok(Download {
                storage_key: String::new(),
                version: FileVersion {
                    version: 0,
                    filename: String::new(),
                    size: 0,
                    hash: String::new(),
                    mimetype: String::new(),
                    created: String::new(),
                },
                redirect: Some(res.url),
            });
        }
        let row = match version {
            Some(v) => files.iter().find(|f| f.version == v),
            None => files.last(),
        }
        .ok_or_else(|| Error::not_found("File version was not found"))?;
        Ok(Download {
            storage_key: row.storage_key.clone(),
            version: row.into(),
            redirect: None,
        })
    })
}
