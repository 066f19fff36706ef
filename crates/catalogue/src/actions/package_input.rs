//! Validating a dataset dict from a client into what `package_create`/`package_update` store.

use super::load::{find_group, find_package};
use crate::actor::Actor;
use crate::authz::{self, Role};
use crate::dict::Extra;
use crate::error::{Error, FieldErrors, Result};
use crate::params::{self, Params};
use crate::store::rows::{GroupRow, PackageRow};
use crate::store::AnyConnection;
use crate::validate;
use crate::Config;
use serde_json::{Map, Value};

/// A resource as given by the client, before it is stored.
#[derive(Debug, Clone)]
pub struct ResourceInput {
    pub id: Option<String>,
    pub url: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub format: Option<String>,
    pub mimetype: Option<String>,
    pub mimetype_inner: Option<String>,
    pub hash: String,
    pub size: Option<i64>,
    pub last_modified: Option<chrono::NaiveDateTime>,
    pub cache_url: Option<String>,
    pub cache_last_updated: Option<chrono::NaiveDateTime>,
    pub resource_type: Option<String>,
    pub url_type: Option<String>,
    pub extras: Map<String, Value>,
}

/// Keys of a resource dict that are columns (or computed), never free extras.
pub const RESOURCE_CORE_KEYS: [&str; 22] = [
    "id",
    "package_id",
    "url",
    "name",
    "description",
    "format",
    "mimetype",
    "mimetype_inner",
    "hash",
    "size",
    "last_modified",
    "cache_url",
    "cache_last_updated",
    "resource_type",
    "url_type",
    "created",
    "metadata_modified",
    "position",
    "state",
    "upload",
    "tracking_summary",
    "versions",
];

/// What a validated dataset write will store. `None` lists keep what is stored.
pub struct PackageInput {
    pub row: PackageRow,
    pub resources: Option<Vec<ResourceInput>>,
    pub tags: Vec<String>,
    pub groups: Option<Vec<GroupRow>>,
    /// A deleted dataset holds the wanted name: it gives it up (CKAN renames it to its id).
    pub frees_name_of: Option<String>,
}

/// CKAN's format normalisation: known formats in their usual spelling, others as given.
pub fn normalize_format(format: &str) -> String {
    let f = format.trim();
    let known = [
        "CSV", "JSON", "GeoJSON", "XML", "XLSX", "XLS", "PDF", "ZIP", "HTML", "TXT", "RDF", "KML",
        "SHP", "ODS", "DOCX", "DOC", "API", "WMS", "WFS", "Parquet", "JSON-LD", "TSV", "GPX",
    ];
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(f) || k.eq_ignore_ascii_case(f.trim_start_matches('.')))
        .map(|k| k.to_string())
        .unwrap_or_else(|| f.to_string())
}

/// Guesses a format from a URL's extension (used when `format` is empty).
pub fn format_from_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let (_, ext) = last.rsplit_once('.')?;
    let f = normalize_format(ext);
    (!f.is_empty() && f.len() <= 10).then_some(f)
}

/// Guesses a MIME type from a URL's extension.
pub fn mimetype_from_url(url: &str) -> Option<String> {
    let fmt = format_from_url(url)?.to_ascii_lowercase();
    let m = match fmt.as_str() {
        "csv" => "text/csv",
        "json" => "application/json",
        "geojson" => "application/geo+json",
        "xml" => "application/xml",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "html" => "text/html",
        "txt" => "text/plain",
        "rdf" => "application/rdf+xml",
        "kml" => "application/vnd.google-earth.kml+xml",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "doc" => "application/msword",
        "tsv" => "text/tab-separated-values",
        _ => return None,
    };
    Some(m.to_string())
}

fn time_field(
    m: &Map<String, Value>,
    key: &str,
    errs: &mut FieldErrors,
) -> Option<chrono::NaiveDateTime> {
    match m.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => crate::dict::parse_ckan_time(s).or_else(|| {
            errs.add(key, "Date format incorrect");
            None
        }),
        Some(_) => {
            errs.add(key, "Date format incorrect");
            None
        }
    }
}

/// Validates one resource dict. Errors are keyed by the resource's own fields.
pub fn parse_resource(m: &Map<String, Value>) -> std::result::Result<ResourceInput, FieldErrors> {
    let mut errs = FieldErrors::new();
    let mut text = |key: &str| match m.get(key).map(params::value_text) {
        None => None,
        Some(Ok(v)) => v,
        Some(Err(msg)) => {
            errs.add(key, msg);
            None
        }
    };
    let url = text("url").unwrap_or_default();
    let name = text("name");
    let description = text("description");
    let format = text("format");
    let mimetype = text("mimetype");
    let mimetype_inner = text("mimetype_inner");
    let hash = text("hash").unwrap_or_default();
    let cache_url = text("cache_url");
    let resource_type = text("resource_type");
    let url_type = text("url_type").filter(|s| !s.is_empty());
    let id = text("id").filter(|s| !s.is_empty());
    if id.as_deref().is_some_and(|i| !validate::is_valid_id(i)) {
        errs.add("id", validate::ID_MESSAGE);
    }
    let size = match m.get("size") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_i64().or_else(|| {
            errs.add("size", "Invalid integer");
            None
        }),
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => s.trim().parse().ok().or_else(|| {
            errs.add("size", "Invalid integer");
            None
        }),
        Some(_) => {
            errs.add("size", "Invalid integer");
            None
        }
    };
    let last_modified = time_field(m, "last_modified", &mut errs);
    let cache_last_updated = time_field(m, "cache_last_updated", &mut errs);
    let format = match format.filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(normalize_format(&f)),
        None => format_from_url(&url).or(Some(String::new())),
    };
    let extras = m
        .iter()
        .filter(|(k, _)| !RESOURCE_CORE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(ResourceInput {
        id,
        url,
        name,
        description,
        format,
        mimetype,
        mimetype_inner,
        hash,
        size,
        last_modified,
        cache_url,
        cache_last_updated,
        resource_type,
        url_type,
        extras,
    })
}

fn parse_tags(p: &Params, errs: &mut FieldErrors) -> Result<Vec<String>> {
    let mut names: Vec<String> = vec![];
    if let Some(list) = params::list_of_objects(p, "tags")? {
        for t in list {
            match t.get("name").map(params::value_text) {
                Some(Ok(Some(n))) => names.push(n),
                _ => errs.add("tags", "Missing value"),
            }
        }
    } else if let Some(s) = params::text(p, "tag_string")? {
        names.extend(
            s.split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        );
    }
    let mut out: Vec<String> = vec![];
    for n in names {
        let n = n.trim().to_string();
        for problem in validate::tag_problems(&n) {
            errs.add("tags", problem);
        }
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

fn parse_extras(p: &Params, errs: &mut FieldErrors) -> Result<Vec<Extra>> {
    let Some(list) = params::list_of_objects(p, "extras")? else {
        return Ok(vec![]);
    };
    let mut out: Vec<Extra> = vec![];
    let mut item_errors: Vec<Value> = vec![];
    let mut any = false;
    for item in &list {
        let mut e = FieldErrors::new();
        let key = item
            .get("key")
            .and_then(|v| params::value_text(v).ok().flatten())
            .unwrap_or_default();
        if key.is_empty() {
            e.add("key", "Missing value");
        } else if validate::PACKAGE_CORE_FIELDS.contains(&key.as_str()) {
            e.add("key", "There is a schema field with the same name");
        }
        let value = match item.get("value") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        any |= !e.is_empty();
        item_errors.push(Value::Object(e.into_map()));
        if item.get("deleted").and_then(params::parse_bool) == Some(true) {
            continue;
        }
        if out.iter().any(|x| x.key == key) && !key.is_empty() {
            errs.add("extras_validation", format!("Duplicate key \"{key}\""));
        }
        out.push(Extra { key, value });
    }
    if any {
        errs.set("extras", Value::Array(item_errors));
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// The `resources` list of a dataset dict. An id given for a new resource must be free: one
/// of another dataset's resources (or given twice) is refused, never silently replaced.
fn parse_resources(
    conn: &mut AnyConnection,
    p: &Params,
    dataset_id: Option<&str>,
    errs: &mut FieldErrors,
) -> Result<Option<Vec<ResourceInput>>> {
    let Some(list) = params::list_of_objects(p, "resources")? else {
        return Ok(None);
    };
    let mut out: Vec<ResourceInput> = vec![];
    let mut item_errors = vec![];
    let mut any = false;
    let given: Vec<String> = list
        .iter()
        .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    let owners = resource_owners(conn, &given)?;
    for m in &list {
        let parsed = match parse_resource(m) {
            Ok(r) => {
                let taken = match r.id.as_deref() {
                    Some(id) if out.iter().any(|o| o.id.as_deref() == Some(id)) => true,
                    Some(id) => owners
                        .iter()
                        .any(|(rid, owner)| rid == id && Some(owner.as_str()) != dataset_id),
                    None => false,
                };
                if taken {
                    Err(single_field("id", "Resource id already exists"))
                } else {
                    Ok(r)
                }
            }
            Err(e) => Err(e),
        };
        match parsed {
            Ok(r) => {
                out.push(r);
                item_errors.push(Value::Object(Map::new()));
            }
            Err(e) => {
                any = true;
                item_errors.push(Value::Object(e.into_map()));
            }
        }
    }
    if any {
        errs.set("resources", Value::Array(item_errors));
    }
    Ok(Some(out))
}

fn parse_groups(conn: &mut AnyConnection, p: &Params) -> Result<Option<Vec<GroupRow>>> {
    let Some(list) = params::list_of_objects(p, "groups")? else {
        return Ok(None);
    };
    let mut out: Vec<GroupRow> = vec![];
    for g in list {
        let key = ["id", "name"]
            .iter()
            .find_map(|k| g.get(*k).and_then(|v| params::value_text(v).ok().flatten()))
            .unwrap_or_default();
        let group = find_group(conn, &key, Some(false))?
            .filter(|g| g.state == "active")
            .ok_or_else(|| Error::not_found("Group was not found."))?;
        if !out.iter().any(|x| x.id == group.id) {
            out.push(group);
        }
    }
    Ok(Some(out))
}

/// Text field: absent → `None`; a list or object → a field error.
fn field(p: &Params, key: &str, errs: &mut FieldErrors) -> Option<String> {
    match p.get(key).map(params::value_text) {
        None => None,
        Some(Ok(v)) => v,
        Some(Err(m)) => {
            errs.add(key, m);
            None
        }
    }
}

/// Validates a dataset dict. `existing` is the stored dataset for updates.
pub fn parse_package(
    conn: &mut AnyConnection,
    config: &Config,
    actor: &Actor,
    p: &Params,
    existing: Option<&PackageRow>,
) -> Result<PackageInput> {
    let mut errs = FieldErrors::new();
    let now = crate::now();

    // id: only sysadmins choose it on create (ckanapi load keeps ids).
    let mut id = existing.map(|e| e.id.clone());
    if existing.is_none() {
        if let Some(given) = field(p, "id", &mut errs).filter(|s| !s.is_empty()) {
            if !actor.is_sysadmin() {
                errs.add("id", "The input field id was not expected.");
            } else if !validate::is_valid_id(&given) {
                errs.add("id", validate::ID_MESSAGE);
            } else if find_package(conn, &given)?.is_some() {
                errs.add("id", "Dataset id already exists");
            } else {
                id = Some(given);
            }
        }
    }

    // name
    let name = match (field(p, "name", &mut errs), existing) {
        (Some(n), _) if !n.is_empty() => Some(n),
        (_, Some(e)) if !p.contains_key("name") => Some(e.name.clone()),
        _ => {
            if !errs.contains("name") {
                errs.add("name", "Missing value");
            }
            None
        }
    };
    let mut frees_name_of = None;
    if let Some(n) = &name {
        let problems = validate::name_problems(n);
        if problems.is_empty() {
            if let Some(other) = find_by_name(conn, n)? {
                let is_self = existing.is_some_and(|e| e.id == other.id);
                if !is_self {
                    if other.state == "deleted" {
                        frees_name_of = Some(other.id);
                    } else {
                        errs.add("name", "That URL is already in use.");
                    }
                }
            }
        } else {
            problems.into_iter().for_each(|m| errs.add("name", m));
        }
    }

    let text_fields = [
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "license_id",
        "notes",
        "url",
        "version",
    ];
    let mut values: Vec<Option<String>> =
        text_fields.iter().map(|k| field(p, k, &mut errs)).collect();
    for (i, key) in text_fields.iter().enumerate() {
        if key.ends_with("_email") {
            if let Some(e) = values[i].as_deref().filter(|e| !e.is_empty()) {
                if !validate::is_valid_email(e) {
                    errs.add(key, format!("Email {e} is not a valid format"));
                }
            }
        }
    }
    let mut take = |i: usize| values[i].take();
    let (author, author_email, maintainer, maintainer_email) = (take(0), take(1), take(2), take(3));
    let (license_id, notes, url, version) = (take(4), take(5), take(6), take(7));
    let title = field(p, "title", &mut errs)
        .filter(|t| !t.is_empty())
        .or_else(|| name.clone());

    // owner_org
    let owner_org = if p.contains_key("owner_org") || existing.is_none() {
        match field(p, "owner_org", &mut errs).filter(|s| !s.trim().is_empty()) {
            Some(o) => match find_group(conn, &o, Some(true))?.filter(|g| g.state == "active") {
                Some(org) => {
                    let unchanged =
                        existing.is_some_and(|e| e.owner_org.as_deref() == Some(org.id.as_str()));
                    if !unchanged && !authz::has_role(conn, actor, &org.id, Role::Editor)? {
                        errs.add("owner_org", "You cannot add a dataset to this organization");
                    }
                    Some(org.id)
                }
                None => {
                    errs.add("owner_org", "Organization does not exist");
                    None
                }
            },
            None => {
                if !config.create_unowned_dataset {
                    errs.add("owner_org", "An organization must be provided");
                }
                None
            }
        }
    } else {
        existing.and_then(|e| e.owner_org.clone())
    };

    let private = match p.get("private") {
        None => existing.is_some_and(|e| e.private),
        Some(v) => match params::parse_bool(v) {
            Some(b) => b,
            None => {
                errs.add("private", "Unsupported value for a boolean");
                false
            }
        },
    };
    // CKAN's datasets_with_no_organization_cannot_be_private runs whatever owner_org_validator
    // said, and only looks at whether an organization was given.
    let owner_org_given = matches!(p.get("owner_org").map(params::value_text), Some(Ok(Some(o))) if !o.trim().is_empty());
    if private && owner_org.is_none() && !owner_org_given {
        errs.add("private", "Datasets with no organization can't be private.");
    }

    let state = match field(p, "state", &mut errs).filter(|s| !s.is_empty()) {
        Some(s) if ["active", "draft", "deleted"].contains(&s.as_str()) => s,
        Some(_) => {
            errs.add("state", "Unknown state");
            "active".into()
        }
        None => existing
            .map(|e| e.state.clone())
            .unwrap_or_else(|| "active".into()),
    };
    let type_ = match existing {
        Some(e) => e.type_.clone(),
        None => field(p, "type", &mut errs)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "dataset".into()),
    };

    let tags = parse_tags(p, &mut errs)?;
    let extras = parse_extras(p, &mut errs)?;
    let resources = parse_resources(conn, p, existing.map(|e| e.id.as_str()), &mut errs)?;
    errs.check()?;
    // Unknown groups are a 404 in CKAN, after validation passed.
    let groups = parse_groups(conn, p)?;
    if let Some(gs) = &groups {
        for g in gs {
            let already = existing.is_some()
                && is_in_group(conn, existing.map(|e| e.id.as_str()).unwrap_or(""), &g.id)?;
            if !already && !authz::has_role(conn, actor, &g.id, Role::Member)? {
                return Err(Error::denied(actor.name(), "edit these groups"));
            }
        }
    }

    let row = PackageRow {
        id: id.unwrap_or_else(crate::new_id),
        name: name.unwrap_or_default(),
        title,
        type_,
        state,
        private,
        owner_org,
        author,
        author_email,
        maintainer,
        maintainer_email,
        license_id,
        notes,
        url,
        version,
        creator_user_id: match existing {
            Some(e) => e.creator_user_id.clone(),
            None => actor.user_id().map(str::to_string),
        },
        metadata_created: existing.map(|e| e.metadata_created).unwrap_or(now),
        metadata_modified: now,
        extras: serde_json::to_string(&extras).unwrap_or_else(|_| "[]".into()),
    };
    Ok(PackageInput {
        row,
        resources,
        tags,
        groups,
        frees_name_of,
    })
}

fn find_by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<PackageRow>> {
    use crate::store::schema::packages;
    use diesel::prelude::*;
    Ok(packages::table
        .filter(packages::name.eq(name))
        .select(PackageRow::as_select())
        .first(conn)
        .optional()?)
}

fn is_in_group(conn: &mut AnyConnection, package_id: &str, group_id: &str) -> Result<bool> {
    use crate::store::schema::members;
    use diesel::prelude::*;
    let n: i64 = members::table
        .filter(members::table_name.eq("package"))
        .filter(members::table_id.eq(package_id))
        .filter(members::group_id.eq(group_id))
        .filter(members::state.eq("active"))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// (resource id, its dataset) of the ids in `ids` that are taken.
pub fn resource_owners(
    conn: &mut AnyConnection,
    ids: &[String],
) -> diesel::QueryResult<Vec<(String, String)>> {
    use crate::store::schema::resources;
    use diesel::prelude::*;
    if ids.is_empty() {
        return Ok(vec![]);
    }
    resources::table
        .filter(resources::id.eq_any(ids))
        .select((resources::id, resources::package_id))
        .load(conn)
}

fn single_field(field: &str, message: &str) -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add(field, message);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_normalized_and_guessed() {
        assert_eq!(normalize_format("csv"), "CSV");
        assert_eq!(normalize_format("geojson"), "GeoJSON");
        assert_eq!(normalize_format("Shapefile"), "Shapefile");
        assert_eq!(
            format_from_url("https://x.vn/a/b.json?x=1"),
            Some("JSON".into())
        );
        assert_eq!(format_from_url("https://x.vn/a/"), None);
        assert_eq!(
            mimetype_from_url("https://x.vn/b.json").as_deref(),
            Some("application/json")
        );
    }
}
