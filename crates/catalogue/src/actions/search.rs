//! package_search, answered from the database with CKAN's parameters and result shape. This is
//! the interim engine: it scans visible datasets, so it suits small catalogues; the `search`
//! crate (tantivy, the change feed) replaces it for real catalogues.

use super::load::{display_name, package_dicts};
use super::{to_value, Ctx, Param};
use crate::authz::{self, Role};
use crate::dict::Package;
use crate::error::{Error, Result};
use crate::params::{self, Params};
use crate::store::rows::PackageRow;
use crate::store::schema::packages;
use crate::validate::fold_diacritics;
use diesel::prelude::*;
use serde_json::{json, Map, Value};

pub const PARAMS: &[Param] = &[
    Param { name: "q", ty: "string", required: false, doc: "words to find (default *:*)" },
    Param { name: "fq", ty: "string", required: false, doc: "filters, e.g. organization:ha-noi tags:\"y tế\"" },
    Param { name: "sort", ty: "string", required: false, doc: "default: score desc, metadata_modified desc" },
    Param { name: "rows", ty: "integer", required: false, doc: "default 10, at most 1000" },
    Param { name: "start", ty: "integer", required: false, doc: "results to skip" },
    Param { name: "facet.field", ty: "array", required: false, doc: "JSON list of fields to count" },
    Param { name: "facet.limit", ty: "integer", required: false, doc: "default 50; negative for all" },
    Param { name: "facet.mincount", ty: "integer", required: false, doc: "default 1" },
    Param { name: "include_private", ty: "boolean", required: false, doc: "private datasets the caller may read" },
    Param { name: "include_drafts", ty: "boolean", required: false, doc: "the caller's drafts" },
    Param { name: "fl", ty: "string", required: false, doc: "fields to return" },
];

const ACCEPTED: &[&str] = &[
    "q", "fq", "fq_list", "sort", "rows", "start", "facet", "facet.field", "facet.limit",
    "facet.mincount", "include_private", "include_drafts", "include_deleted", "use_default_schema",
    "fl", "qf", "wt", "bf", "boost", "tie", "defType", "mm", "df", "callback", "_",
];

pub const ROWS_MAX: i64 = 1000;

pub fn package_search(ctx: &Ctx, p: Params) -> Result<Value> {
    let unknown: Vec<String> =
        p.keys().filter(|k| !ACCEPTED.contains(&k.as_str()) && !k.starts_with("ext_")).map(|k| format!("'{k}'")).collect();
    if !unknown.is_empty() {
        return Err(Error::SearchQuery(format!("\"Invalid search parameters: [{}]\"", unknown.join(", "))));
    }
    let rows = params::natural(&p, "rows", Some(10))?.unwrap_or(10).min(ROWS_MAX) as usize;
    let start = params::natural(&p, "start", Some(0))?.unwrap_or(0) as usize;
    let facet_fields: Vec<String> = params::list(&p, "facet.field")?
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let facet_limit = match p.get("facet.limit").and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))) {
        Some(n) if n < 0 => usize::MAX,
        Some(n) => n as usize,
        None => 50,
    };
    let facet_mincount = params::natural(&p, "facet.mincount", Some(1))?.unwrap_or(1) as usize;
    let include_private = params::boolean(&p, "include_private", false)?;
    let include_drafts = params::boolean(&p, "include_drafts", false)?;
    let q = params::text(&p, "q")?.unwrap_or_default();
    let mut filters: Vec<String> = params::text(&p, "fq")?.into_iter().collect();
    filters.extend(params::list(&p, "fq_list")?.unwrap_or_default().into_iter().filter_map(|v| v.as_str().map(str::to_string)));
    let sort = params::text(&p, "sort")?.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let sort_keys = parse_sort(&sort)?;

    let mut found: Vec<Package> = ctx.cat.db.read(|c| {
        let readable_orgs = if include_private { authz::organizations_with_role(c, ctx.actor, Role::Member)? } else { vec![] };
        let rows: Vec<PackageRow> = packages::table
            .filter(packages::state.eq("active").or(packages::state.eq("draft")))
            .select(PackageRow::as_select())
            .load(c)?;
        let visible: Vec<PackageRow> = rows
            .into_iter()
            .filter(|r| {
                let may_private = !r.private
                    || include_private
                        && (ctx.actor.is_sysadmin() || r.owner_org.as_ref().is_some_and(|o| readable_orgs.contains(o)));
                let may_draft = r.state == "active"
                    || include_drafts && (ctx.actor.is_sysadmin() || r.creator_user_id.as_deref() == ctx.actor.user_id());
                may_private && may_draft
            })
            .collect();
        Ok::<_, Error>(package_dicts(c, visible)?)
    })?;

    let words: Vec<String> = query_words(&q);
    found.retain(|pkg| words.iter().all(|w| haystack(pkg).contains(w)) && filters.iter().all(|f| matches_fq(pkg, f)));
    found.sort_by(|a, b| {
        for (field, desc) in &sort_keys {
            let (x, y) = (sort_value(a, field), sort_value(b, field));
            let ord = if *desc { y.cmp(&x) } else { x.cmp(&y) };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });

    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for field in &facet_fields {
        let (counts, items) = facet(&found, field, facet_limit, facet_mincount);
        facets.insert(field.clone(), counts);
        search_facets.insert(field.clone(), json!({"title": field, "items": items}));
    }
    let count = found.len();
    let page: Vec<Package> = found.into_iter().skip(start).take(rows).collect();
    let fl: Vec<String> = params::text(&p, "fl")?
        .map(|s| s.split([',', ' ']).filter(|f| !f.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    let results: Vec<Value> = page
        .iter()
        .map(|pkg| {
            let v = to_value(pkg)?;
            if fl.is_empty() {
                return Ok(v);
            }
            let m = v.as_object().cloned().unwrap_or_default();
            Ok(Value::Object(m.into_iter().filter(|(k, _)| fl.contains(k)).collect()))
        })
        .collect::<Result<_>>()?;
    Ok(json!({"count": count, "facets": facets, "results": results, "sort": sort, "search_facets": search_facets}))
}

fn parse_sort(sort: &str) -> Result<Vec<(String, bool)>> {
    sort.split(',')
        .map(|part| {
            let mut it = part.split_whitespace();
            let field = it.next().unwrap_or("").to_string();
            let desc = match it.next().unwrap_or("asc") {
                "asc" => false,
                "desc" => true,
                _ => return Err(Error::SearchQuery(format!("\"Invalid sort: {sort}\""))),
            };
            Ok((field, desc))
        })
        .collect()
}

fn sort_value(p: &Package, field: &str) -> String {
    match field {
        "metadata_modified" => p.metadata_modified.clone(),
        "metadata_created" => p.metadata_created.clone(),
        "name" => p.name.clone(),
        "title" | "title_string" => p.title.clone().unwrap_or_default().to_lowercase(),
        "id" => p.id.clone(),
        _ => String::new(),
    }
}

fn fold(s: &str) -> String {
    fold_diacritics(s).to_lowercase()
}

fn query_words(q: &str) -> Vec<String> {
    let q = q.trim();
    if q.is_empty() || q == "*:*" {
        return vec![];
    }
    fold(q).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

fn haystack(p: &Package) -> String {
    let mut s = format!("{} {} {}", p.name, p.title.clone().unwrap_or_default(), p.notes.clone().unwrap_or_default());
    for t in &p.tags {
        s.push(' ');
        s.push_str(&t.name);
    }
    if let Some(o) = &p.organization {
        s.push(' ');
        s.push_str(&o.title);
    }
    fold(&s)
}

fn field_values(p: &Package, field: &str) -> Vec<String> {
    match field {
        "organization" => p.organization.iter().map(|o| o.name.clone()).collect(),
        "owner_org" => p.owner_org.iter().cloned().collect(),
        "groups" => p.groups.iter().map(|g| g.name.clone()).collect(),
        "tags" => p.tags.iter().map(|t| t.name.clone()).collect(),
        "res_format" => p.resources.iter().filter_map(|r| r.format.clone()).collect(),
        "license_id" => vec![p.license_id.clone().unwrap_or_default()],
        "name" => vec![p.name.clone()],
        "id" => vec![p.id.clone()],
        "type" | "dataset_type" => vec![p.type_.clone()],
        "state" => vec![p.state.clone()],
        "private" => vec![p.private.to_string()],
        f => match f.strip_prefix("extras_") {
            Some(k) => p.extras.iter().filter(|e| e.key == k).map(|e| e.value.clone()).collect(),
            None => vec![],
        },
    }
}

/// One `fq`: space-separated `field:value` terms (optionally negated with `-`), all required.
fn matches_fq(p: &Package, fq: &str) -> bool {
    split_terms(fq).iter().all(|term| {
        let (neg, term) = match term.strip_prefix('-') {
            Some(t) => (true, t),
            None => (false, term.strip_prefix('+').unwrap_or(term)),
        };
        let Some((field, value)) = term.split_once(':') else { return true };
        let value = value.trim_matches('"');
        let hit = if field.starts_with("metadata_") && value.starts_with('[') {
            let inner = value.trim_start_matches('[').trim_end_matches(']');
            let (lo, hi) = inner.split_once(" TO ").unwrap_or(("*", "*"));
            let v = if field == "metadata_created" { &p.metadata_created } else { &p.metadata_modified };
            let lo = lo.trim_end_matches('Z');
            let hi = hi.trim_end_matches('Z');
            (lo == "*" || v.as_str() >= lo) && (hi == "*" || v.as_str() <= hi)
        } else {
            value == "*" || field_values(p, field).iter().any(|x| x == value)
        };
        hit != neg
    })
}

/// Splits on spaces outside quotes and brackets; drops bare AND/OR.
fn split_terms(fq: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let (mut quote, mut depth) = (false, 0);
    for c in fq.chars() {
        match c {
            '"' => quote = !quote,
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && !quote && depth == 0 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.retain(|t| t != "AND" && t != "OR");
    out
}

fn facet(found: &[Package], field: &str, limit: usize, mincount: usize) -> (Value, Value) {
    let mut counts: Vec<(String, String, usize)> = vec![];
    for p in found {
        let mut vals = field_values(p, field);
        vals.sort();
        vals.dedup();
        for v in vals {
            match counts.iter_mut().find(|(n, _, _)| *n == v) {
                Some(e) => e.2 += 1,
                None => {
                    let display = facet_display(p, field, &v);
                    counts.push((v, display, 1));
                }
            }
        }
    }
    counts.retain(|c| c.2 >= mincount);
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    counts.truncate(limit);
    let facets: Map<String, Value> = counts.iter().map(|(n, _, c)| (n.clone(), json!(c))).collect();
    let mut items = counts.clone();
    // CKAN orders search_facets items by display name, descending.
    items.sort_by(|a, b| b.1.cmp(&a.1));
    let items: Vec<Value> = items.into_iter().map(|(n, d, c)| json!({"name": n, "display_name": d, "count": c})).collect();
    (Value::Object(facets), Value::Array(items))
}

fn facet_display(p: &Package, field: &str, value: &str) -> String {
    match field {
        "organization" => p.organization.as_ref().map(|o| display_name(&o.title, &o.name)).unwrap_or_else(|| value.into()),
        "groups" => p.groups.iter().find(|g| g.name == value).map(|g| g.display_name.clone()).unwrap_or_else(|| value.into()),
        "license_id" => crate::license::find(value).map(|l| l.title.clone()).unwrap_or_else(|| value.into()),
        _ => value.to_string(),
    }
}
