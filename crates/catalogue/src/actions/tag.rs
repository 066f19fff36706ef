//! Tag actions: tag_list, tag_show, tag_autocomplete. Only tags on public active datasets are
//! listed, so private datasets' tags never leak.

use super::inputs::{TagAutocomplete, TagList, TagShow as TagShowInput};
use super::{to_value, Ctx};
use crate::dict::TagShow;
use crate::error::{Error, Result};
use crate::store::schema::{package_tags, packages, tags};
use crate::validate::fold_diacritics;
use diesel::prelude::*;
use serde_json::Value;

/// (id, name) of the tags on public active datasets, by name. The search engine knows them
/// from its tags facet; without it, the database is scanned.
fn public_tags(ctx: &Ctx) -> Result<Vec<(String, String)>> {
    if let Some(counts) = super::search::public_facet(ctx.cat, "tags")? {
        let names: Vec<String> = counts.into_iter().map(|(n, _)| n).collect();
        let mut rows: Vec<(String, String)> = vec![];
        for chunk in names.chunks(500) {
            rows.extend(ctx.cat.db.read(|c| {
                tags::table
                    .filter(tags::name.eq_any(chunk))
                    .select((tags::id, tags::name))
                    .load::<(String, String)>(c)
            })?);
        }
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        return Ok(rows);
    }
    let mut rows: Vec<(String, String)> = ctx.cat.db.read(|c| {
        package_tags::table
            .inner_join(tags::table)
            .inner_join(packages::table)
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .select((tags::id, tags::name))
            .distinct()
            .load(c)
    })?;
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(rows)
}

fn matches(name: &str, q: &str) -> bool {
    q.is_empty()
        || fold_diacritics(name)
            .to_lowercase()
            .contains(&fold_diacritics(q).to_lowercase())
}

pub fn tag_list(ctx: &Ctx, input: TagList) -> Result<Value> {
    let q = input.q.or(input.query).unwrap_or_default();
    let all_fields = input.all_fields;
    let rows: Vec<(String, String)> = public_tags(ctx)?
        .into_iter()
        .filter(|(_, n)| matches(n, &q))
        .collect();
    if all_fields {
        let dicts: Vec<TagShow> = rows
            .into_iter()
            .map(|(id, name)| TagShow {
                id,
                display_name: name.clone(),
                name,
                vocabulary_id: None,
            })
            .collect();
        return to_value(&dicts);
    }
    to_value(&rows.into_iter().map(|(_, n)| n).collect::<Vec<_>>())
}

pub fn tag_show(ctx: &Ctx, input: TagShowInput) -> Result<Value> {
    let id = input.id;
    let found: Option<(String, String)> = ctx.cat.db.read(|c| {
        tags::table
            .filter(tags::id.eq(&id).or(tags::name.eq(&id)))
            .select((tags::id, tags::name))
            .first(c)
            .optional()
    })?;
    let (id, name) = found.ok_or_else(|| Error::not_found("Could not find tag"))?;
    let mut shown = to_value(&TagShow {
        id,
        display_name: name.clone(),
        name: name.clone(),
        vocabulary_id: None,
    })?;
    if input.include_datasets {
        // The datasets the caller may read that carry the tag, best first (CKAN: up to 1000).
        let q = format!("tags:\"{}\"", super::search::escape_query(&name));
        let found = super::search::readable_matches(ctx, &q, 1000)?.unwrap_or_default();
        if let Value::Object(m) = &mut shown {
            m.insert("packages".into(), Value::Array(found));
        }
    }
    Ok(shown)
}

pub fn tag_autocomplete(ctx: &Ctx, input: TagAutocomplete) -> Result<Value> {
    let q = input.q.or(input.query).unwrap_or_default();
    let limit = input.limit as usize;
    if q.trim().is_empty() {
        return to_value(&Vec::<String>::new());
    }
    let names: Vec<String> = public_tags(ctx)?
        .into_iter()
        .map(|(_, n)| n)
        .filter(|n| matches(n, &q))
        .take(limit)
        .collect();
    to_value(&names)
}
