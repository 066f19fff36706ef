//! A dataset dict as an index document.

use crate::aliases::Aliases;
use crate::analyzer::nfc;
use crate::expand::Expansions;
use crate::schema::Fields;
use catalogue::dict::{parse_ckan_time, Package};
use std::collections::BTreeMap;
use tantivy::schema::OwnedValue;
use tantivy::{DateTime, TantivyDocument};

fn date(s: &str) -> DateTime {
    parse_ckan_time(s).map(date_time).unwrap_or(DateTime::MIN)
}

/// A time as the index stores it. Tantivy counts nanoseconds in an i64 (years 1677 to 2262):
/// times outside are held at the nearest end, so a query for the year 2999 asks for "after
/// everything" instead of overflowing.
pub(crate) fn date_time(t: chrono::NaiveDateTime) -> DateTime {
    const LIMIT: i64 = i64::MAX / 1_000;
    DateTime::from_timestamp_micros(t.and_utc().timestamp_micros().clamp(-LIMIT, LIMIT))
}

pub fn build(
    f: &Fields,
    aliases: &Aliases,
    expansions: &Expansions,
    p: &Package,
) -> tantivy::Result<TantivyDocument> {
    let mut doc = TantivyDocument::new();
    let field = |name: &str| {
        f.get(name)
            .ok_or_else(|| tantivy::TantivyError::FieldNotFound(name.to_string()))
    };
    let add_text = |doc: &mut TantivyDocument, name: &str, text: &str| -> tantivy::Result<()> {
        if !text.is_empty() {
            let t = nfc(text);
            doc.add_text(field(name)?, &t);
            doc.add_text(field(&format!("{name}_exact"))?, &t);
        }
        Ok(())
    };
    let title = p.title.clone().unwrap_or_default();
    let notes = p.notes.clone().unwrap_or_default();
    add_text(&mut doc, "title", &title)?;
    add_text(&mut doc, "notes", &notes)?;
    add_text(&mut doc, "name_text", &p.name)?;
    add_text(&mut doc, "author", p.author.as_deref().unwrap_or(""))?;
    add_text(
        &mut doc,
        "maintainer",
        p.maintainer.as_deref().unwrap_or(""),
    )?;
    for r in &p.resources {
        add_text(&mut doc, "res_name", r.name.as_deref().unwrap_or(""))?;
        add_text(
            &mut doc,
            "res_description",
            r.description.as_deref().unwrap_or(""),
        )?;
    }

    // The catch-all `text` field: everything a citizen might type, plus the former names of
    // the dataset's organization (provinces merged in 2025 remain searchable).
    let mut text: Vec<String> = vec![p.name.clone(), title.clone(), notes];
    text.extend(p.tags.iter().map(|t| t.name.clone()));
    text.extend(
        p.groups
            .iter()
            .flat_map(|g| [g.name.clone(), g.title.clone()]),
    );
    if let Some(o) = &p.organization {
        text.push(o.name.clone());
        text.push(o.title.clone());
        text.extend(aliases.of(&o.name, &o.title).iter().cloned());
    }
    text.extend(p.resources.iter().flat_map(|r| {
        [
            r.name.clone().unwrap_or_default(),
            r.description.clone().unwrap_or_default(),
        ]
    }));
    text.extend(p.extras.iter().map(|e| e.value.clone()));
    text.extend(
        [p.author.clone(), p.maintainer.clone()]
            .into_iter()
            .flatten(),
    );
    let text = nfc(&text.join(" \n "));
    // Field weights as CKAN's `qf` gives them (title^4, tags^2), expressed in the catch-all
    // itself: the title three more times, the tags once more, each copy a separate value (no
    // phrase spans two copies). A match in the title then outranks one in the notes, and a
    // query of plain words stays a single-field conjunction that tantivy can prune.
    let title = nfc(&title);
    let tags = nfc(&p
        .tags
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(" \n "));
    // Other names for what the dataset mentions (places, everyday terms), from what a citizen
    // reads first: the title, the description, the tags and the publisher.
    let org_title = p
        .organization
        .as_ref()
        .map(|o| o.title.as_str())
        .unwrap_or("");
    let notes = p.notes.as_deref().unwrap_or("");
    let also = nfc(&expansions
        .of(&[&title, notes, &tags, org_title])
        .join(" \n "));
    let weighted = [&text, &title, &title, &title, &tags, &also];
    for name in ["text", "text_exact", "text_en"] {
        for value in weighted.iter().filter(|v| !v.is_empty()) {
            doc.add_text(field(name)?, value.as_str());
        }
    }

    let mut add_str = |name: &str, v: &str| -> tantivy::Result<()> {
        doc.add_text(field(name)?, v);
        Ok(())
    };
    add_str("id", &p.id)?;
    add_str("name", &p.name)?;
    add_str("state", &p.state)?;
    add_str("type", &p.type_)?;
    add_str("private", if p.private { "true" } else { "false" })?;
    add_str("capacity", if p.private { "private" } else { "public" })?;
    let visibility = match (p.state.as_str(), p.private) {
        ("active", false) => "public",
        ("active", true) => "private",
        ("draft", _) => "draft",
        _ => "deleted",
    };
    add_str("visibility", visibility)?;
    // The same, for datasets of the default type only: searches that don't name a type (nearly
    // all) filter on this one term instead of intersecting two.
    if p.type_ == "dataset" {
        add_str("vis_dataset", visibility)?;
    }
    // A dataset without a licence has no license_id value (Solr indexes no null), so it is
    // no "" facet; an empty string given as the licence is one.
    if let Some(l) = &p.license_id {
        add_str("license_id", l)?;
    }
    add_str("title_string", &nfc(&title).to_lowercase())?;
    if let Some(o) = &p.organization {
        add_str("organization", &o.name)?;
    }
    if let Some(o) = &p.owner_org {
        add_str("owner_org", o)?;
    }
    if let Some(c) = &p.creator_user_id {
        add_str("creator_user_id", c)?;
    }
    let mut seen: Vec<String> = vec![];
    let mut add_once = |doc: &mut TantivyDocument, name: &str, v: &str| -> tantivy::Result<()> {
        let key = format!("{name}\u{0}{v}");
        if !seen.contains(&key) {
            doc.add_text(field(name)?, nfc(v));
            seen.push(key);
        }
        Ok(())
    };
    for t in &p.tags {
        add_once(&mut doc, "tags", &t.name)?;
    }
    for g in &p.groups {
        add_once(&mut doc, "groups", &g.name)?;
    }
    for r in &p.resources {
        if let Some(fmt) = r.format.as_deref().filter(|f| !f.is_empty()) {
            add_once(&mut doc, "res_format", fmt)?;
        }
        if !r.url.is_empty() {
            add_once(&mut doc, "res_url", &r.url)?;
        }
    }
    doc.add_date(field("metadata_created")?, date(&p.metadata_created));
    doc.add_date(field("metadata_modified")?, date(&p.metadata_modified));
    doc.add_u64(field("num_resources")?, p.num_resources as u64);
    doc.add_u64(field("num_tags")?, p.num_tags as u64);
    let extras: BTreeMap<String, OwnedValue> = p
        .extras
        .iter()
        .map(|e| (e.key.clone(), OwnedValue::Str(nfc(&e.value))))
        .collect();
    if !extras.is_empty() {
        doc.add_object(f.extras, extras);
    }
    let json = serde_json::to_string(p)
        .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
    doc.add_text(f.dict, json);
    Ok(doc)
}
