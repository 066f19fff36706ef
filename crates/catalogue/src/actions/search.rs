//! package_search: CKAN's parameters and result shape. The catalogue parses and checks the
//! request and works out what the caller may see; a [`Searcher`] (the `search` crate's tantivy
//! engine, installed by the server) finds the datasets.

use super::{Ctx, Param};
use crate::actor::Actor;
use crate::authz::{self, Role};
use crate::error::{Error, Result};
use crate::params::{self, Params};
use crate::store::schema::groups;
use crate::Catalogue;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

pub const PARAMS: &[Param] = &[
    Param {
        name: "q",
        ty: "string",
        required: false,
        doc: "Solr-style query (default *:*): words, field:value, \"phrases\", AND/OR/NOT, ranges",
    },
    Param {
        name: "fq",
        ty: "string",
        required: false,
        doc: "filter query, e.g. organization:ha-noi tags:\"y tế\"",
    },
    Param {
        name: "fq_list",
        ty: "array",
        required: false,
        doc: "several filter queries",
    },
    Param {
        name: "sort",
        ty: "string",
        required: false,
        doc: "default: score desc, metadata_modified desc",
    },
    Param {
        name: "rows",
        ty: "integer",
        required: false,
        doc: "default 10, capped at the configured maximum (1000)",
    },
    Param {
        name: "start",
        ty: "integer",
        required: false,
        doc: "results to skip",
    },
    Param {
        name: "facet",
        ty: "boolean",
        required: false,
        doc: "default true",
    },
    Param {
        name: "facet.field",
        ty: "array",
        required: false,
        doc: "JSON list of fields to count",
    },
    Param {
        name: "facet.limit",
        ty: "integer",
        required: false,
        doc: "default 50; negative for all",
    },
    Param {
        name: "facet.mincount",
        ty: "integer",
        required: false,
        doc: "default 1",
    },
    Param {
        name: "include_private",
        ty: "boolean",
        required: false,
        doc: "private datasets the caller may read",
    },
    Param {
        name: "include_drafts",
        ty: "boolean",
        required: false,
        doc: "the caller's drafts (all drafts for sysadmins)",
    },
    Param {
        name: "include_deleted",
        ty: "boolean",
        required: false,
        doc: "deleted datasets (sysadmins)",
    },
    Param {
        name: "fl",
        ty: "string",
        required: false,
        doc: "fields to return, e.g. name,title",
    },
    Param {
        name: "cursor",
        ty: "string",
        required: false,
        doc:
            "Cổng extension: keyset paging; pass the previous answer's next_cursor (\"*\" to start)",
    },
];

const ACCEPTED: &[&str] = &[
    "q",
    "fq",
    "fq_list",
    "sort",
    "rows",
    "start",
    "facet",
    "facet.field",
    "facet.limit",
    "facet.mincount",
    "include_private",
    "include_drafts",
    "include_deleted",
    "use_default_schema",
    "fl",
    "qf",
    "wt",
    "bf",
    "boost",
    "tie",
    "defType",
    "mm",
    "df",
    "cursor",
];

pub const DEFAULT_SORT: &str = "score desc, metadata_modified desc";

/// A checked package_search request.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub fq: Vec<String>,
    /// (field, descending), as given (the engine rejects fields it cannot sort by).
    pub sort: Vec<(String, bool)>,
    pub sort_text: String,
    pub rows: usize,
    pub start: usize,
    pub facet_fields: Vec<String>,
    /// `None`: all values.
    pub facet_limit: Option<usize>,
    pub facet_mincount: u64,
    pub cursor: Option<String>,
}

/// What the caller may see. Private datasets: members of their organization and sysadmins;
/// drafts: their creator and sysadmins; deleted: sysadmins who ask.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    pub sysadmin: bool,
    pub user_id: Option<String>,
    /// Organizations whose private datasets the caller asked for and may read.
    pub private_orgs: Vec<String>,
    pub include_private: bool,
    pub include_drafts: bool,
    pub include_deleted: bool,
}

/// Facet counts: field → (value, count), by count descending.
pub type FacetCounts = Vec<(String, Vec<(String, u64)>)>;

/// What a searcher finds: stored package_show dicts and raw facet counts.
#[derive(Debug, Clone, Default)]
pub struct SearchHits {
    pub count: usize,
    /// The datasets' package_show dicts, as JSON text.
    pub results: Vec<Box<RawValue>>,
    pub facets: FacetCounts,
    pub next_cursor: Option<String>,
    /// The change-feed sequence number the index reflected when it answered.
    pub generation: i64,
}

/// A search engine over the catalogue's datasets.
pub trait Searcher: Send + Sync {
    fn search(&self, cat: &Catalogue, req: &SearchRequest, vis: &Visibility) -> Result<SearchHits>;

    /// The package_show dict, as JSON text, of the *public active* dataset with this id or
    /// name (`None` when there is none: private, draft, deleted, purged or unknown). The engine
    /// stores every dataset's dict, so the commonest read needs no SQL beyond the feed check.
    fn public_dataset_json(&self, cat: &Catalogue, id_or_name: &str) -> Result<Option<String>>;
}

pub fn parse_sort(sort: &str) -> Result<Vec<(String, bool)>> {
    sort.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|part| {
            let mut it = part.split_whitespace();
            let field = it.next().unwrap_or("").to_string();
            let desc = match it.next().unwrap_or("asc").to_ascii_lowercase().as_str() {
                "asc" => false,
                "desc" => true,
                _ => return Err(Error::SearchQuery("'Invalid \"sort\" parameter'".into())),
            };
            if it.next().is_some() {
                return Err(Error::SearchQuery("'Invalid \"sort\" parameter'".into()));
            }
            Ok((field, desc))
        })
        .collect()
}

/// Checks CKAN's parameters (unknown ones are a Search Query Error, as in CKAN).
pub fn parse_request(p: &Params, rows_max: usize) -> Result<SearchRequest> {
    let unknown: Vec<String> = p
        .keys()
        .filter(|k| !ACCEPTED.contains(&k.as_str()) && !k.starts_with("ext_"))
        .map(|k| format!("'{k}'"))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::SearchQuery(format!(
            "\"Invalid search parameters: [{}]\"",
            unknown.join(", ")
        )));
    }
    let rows = (params::natural(p, "rows", Some(10))?.unwrap_or(10) as usize).min(rows_max);
    let start = params::natural(p, "start", Some(0))?.unwrap_or(0) as usize;
    let facet_on = params::boolean(p, "facet", true)?;
    // facet.field must be a JSON list (CKAN answers 409 otherwise).
    if let Some(Value::String(s)) = p.get("facet.field") {
        if serde_json::from_str::<Vec<Value>>(s).is_err() {
            return Err(crate::FieldErrors::single(
                "facet.field",
                "Could not parse as valid JSON",
            ));
        }
    }
    let facet_fields: Vec<String> = if facet_on {
        params::list(p, "facet.field")?
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    } else {
        vec![]
    };
    let facet_limit = match p.get("facet.limit") {
        None | Some(Value::Null) => Some(50),
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        {
            Some(n) if n < 0 => None,
            Some(n) => Some(n as usize),
            None => return Err(crate::FieldErrors::single("facet.limit", "Invalid integer")),
        },
    };
    let facet_mincount = params::natural(p, "facet.mincount", Some(1))?.unwrap_or(1) as u64;
    let q = params::text(p, "q")?.unwrap_or_default();
    let mut fq: Vec<String> = vec![];
    match p.get("fq") {
        Some(Value::Array(list)) => {
            fq.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)))
        }
        _ => fq.extend(params::text(p, "fq")?),
    }
    fq.extend(
        params::list(p, "fq_list")?
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string)),
    );
    fq.retain(|f| !f.trim().is_empty());
    let sort_text = params::text(p, "sort")?
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SORT.into());
    let sort = parse_sort(&sort_text)?;
    let cursor = params::text(p, "cursor")?.filter(|s| !s.is_empty());
    Ok(SearchRequest {
        q,
        fq,
        sort,
        sort_text,
        rows,
        start,
        facet_fields,
        facet_limit,
        facet_mincount,
        cursor,
    })
}

pub fn visibility(ctx: &Ctx, p: &Params) -> Result<Visibility> {
    let include_private = params::boolean(p, "include_private", false)?;
    let include_drafts = params::boolean(p, "include_drafts", false)?;
    let include_deleted = params::boolean(p, "include_deleted", false)?;
    let private_orgs = if include_private && !ctx.actor.is_sysadmin() {
        ctx.cat
            .db
            .read(|c| authz::organizations_with_role(c, ctx.actor, Role::Member))?
    } else {
        vec![]
    };
    Ok(Visibility {
        sysadmin: ctx.actor.is_sysadmin(),
        user_id: ctx.actor.user_id().map(str::to_string),
        private_orgs,
        include_private,
        include_drafts: include_drafts && !matches!(ctx.actor, Actor::Anonymous),
        include_deleted: include_deleted && ctx.actor.is_sysadmin(),
    })
}

/// A package_search answer, serialized in CKAN's key order. The datasets are the index's
/// stored package_show dicts, passed through as JSON text.
#[derive(Serialize)]
struct Answer<'a> {
    count: usize,
    facets: Pairs<&'a str, Pairs<&'a str, u64>>,
    results: &'a [Box<RawValue>],
    sort: &'a str,
    search_facets: Pairs<&'a str, SearchFacet<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<&'a str>,
}

/// Written as a JSON object, keys in this order (facets keep the engine's count order).
struct Pairs<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[derive(Serialize)]
struct SearchFacet<'a> {
    title: &'a str,
    items: Vec<FacetItem<'a>>,
}

#[derive(Serialize)]
struct FacetItem<'a> {
    name: &'a str,
    display_name: String,
    count: u64,
}

/// Runs the search `p` asks for; `then` receives the answer.
fn search<T>(ctx: &Ctx, p: &Params, then: impl FnOnce(&Answer) -> Result<T>) -> Result<T> {
    let req = parse_request(p, ctx.cat.config.search_rows_max)?;
    let vis = visibility(ctx, p)?;
    let searcher = ctx
        .cat
        .searcher()
        .ok_or_else(|| Error::Internal("no search engine is installed".into()))?;
    let hits = searcher.search(ctx.cat, &req, &vis)?;
    let mut facets = Pairs(vec![]);
    let mut search_facets = Pairs(vec![]);
    for (field, counts) in &hits.facets {
        // A field asked for twice is answered once, as a JSON object holds a key once.
        if facets.0.iter().any(|(f, _)| f == field) {
            continue;
        }
        let names: Vec<&str> = counts.iter().map(|(v, _)| v.as_str()).collect();
        let display = display_names(ctx, field, &names, hits.generation)?;
        facets.0.push((
            field.as_str(),
            Pairs(counts.iter().map(|(v, c)| (v.as_str(), *c)).collect()),
        ));
        let mut items: Vec<FacetItem> = counts
            .iter()
            .zip(display)
            .map(|((v, c), d)| FacetItem {
                name: v,
                display_name: d,
                count: *c,
            })
            .collect();
        // CKAN lists search_facets items by display name, descending (ties keep count order).
        items.sort_by(|a, b| b.display_name.cmp(&a.display_name));
        search_facets.0.push((
            field.as_str(),
            SearchFacet {
                title: field,
                items,
            },
        ));
    }
    then(&Answer {
        count: hits.count,
        facets,
        results: &hits.results,
        sort: &req.sort_text,
        search_facets,
        next_cursor: hits.next_cursor.as_deref(),
    })
}

/// package_search's fast path: the answer as JSON text, each dataset copied as stored rather
/// than parsed and written again (most of the work for a harvester's 1000-row pages). With
/// `fl`, which trims the datasets, the request takes the ordinary path.
pub fn package_search_json(ctx: &Ctx, p: &Params) -> Result<Option<String>> {
    if p.contains_key("fl") {
        return Ok(None);
    }
    search(ctx, p, |answer| {
        serde_json::to_string(answer)
            .map(Some)
            .map_err(|e| Error::Internal(format!("search answer: {e}")))
    })
}

pub fn package_search(ctx: &Ctx, p: Params) -> Result<Value> {
    let fl: Vec<String> = params::text(&p, "fl")?
        .map(|s| {
            s.split([',', ' '])
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut out = search(ctx, &p, |answer| {
        serde_json::to_value(answer).map_err(|e| Error::Internal(format!("search answer: {e}")))
    })?;
    if let (false, Some(Value::Array(results))) = (fl.is_empty(), out.get_mut("results")) {
        for dataset in results.iter_mut() {
            if let Value::Object(m) = dataset {
                m.retain(|k, _| fl.contains(k));
            }
        }
    }
    Ok(out)
}

/// Organization and group titles by name, as facets show them, read at one index
/// generation: a title that changes reaches every dataset of its organization or group
/// through the change feed, which moves the generation on and empties the cache.
#[derive(Default)]
pub struct TitleCache(std::sync::Mutex<(i64, std::collections::HashMap<String, String>)>);

impl TitleCache {
    fn lookup(&self, generation: i64, names: &[&str]) -> Vec<Option<String>> {
        let cached = self.0.lock().unwrap_or_else(|p| p.into_inner());
        names
            .iter()
            .map(|n| {
                (cached.0 == generation)
                    .then(|| cached.1.get(*n).cloned())
                    .flatten()
            })
            .collect()
    }

    fn store(&self, generation: i64, titles: Vec<(String, String)>) {
        let mut cached = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if cached.0 != generation {
            *cached = (generation, Default::default());
        }
        cached.1.extend(titles);
    }
}

/// Facet values as people read them: organization and group titles, licence titles.
fn display_names(ctx: &Ctx, field: &str, values: &[&str], generation: i64) -> Result<Vec<String>> {
    match field {
        "organization" | "groups" => {
            let titles = ctx.cat.group_titles();
            let mut shown = titles.lookup(generation, values);
            let missing: Vec<&str> = values
                .iter()
                .zip(&shown)
                .filter(|(_, t)| t.is_none())
                .map(|(v, _)| *v)
                .collect();
            if !missing.is_empty() {
                let rows: Vec<(String, String)> = ctx.cat.db.read(|c| {
                    groups::table
                        .filter(groups::name.eq_any(&missing))
                        .select((groups::name, groups::title))
                        .load(c)
                })?;
                let rows: Vec<(String, String)> = rows
                    .into_iter()
                    .map(|(name, title)| {
                        let t = super::load::display_name(&title, &name);
                        (name, t)
                    })
                    .collect();
                for (slot, v) in shown.iter_mut().zip(values) {
                    if slot.is_none() {
                        *slot = rows.iter().find(|(n, _)| n == v).map(|(_, t)| t.clone());
                    }
                }
                titles.store(generation, rows);
            }
            Ok(shown
                .into_iter()
                .zip(values)
                .map(|(t, v)| t.unwrap_or_else(|| v.to_string()))
                .collect())
        }
        "license_id" => Ok(values
            .iter()
            .map(|v| {
                crate::license::find(v)
                    .map(|l| l.title.clone())
                    .unwrap_or_else(|| v.to_string())
            })
            .collect()),
        _ => Ok(values.iter().map(|v| v.to_string()).collect()),
    }
}

/// All values of a facet over public datasets, by the engine (`None` without one).
pub fn public_facet(cat: &Catalogue, field: &str) -> Result<Option<Vec<(String, u64)>>> {
    let Some(searcher) = cat.searcher() else {
        return Ok(None);
    };
    let req = SearchRequest {
        q: String::new(),
        fq: vec![],
        sort: vec![],
        sort_text: DEFAULT_SORT.into(),
        rows: 0,
        start: 0,
        facet_fields: vec![field.to_string()],
        facet_limit: None,
        facet_mincount: 1,
        cursor: None,
    };
    let hits = searcher.search(cat, &req, &Visibility::default())?;
    Ok(hits.facets.into_iter().next().map(|(_, counts)| counts))
}

/// Datasets the caller may read matching a Solr-syntax query, best first, by the engine
/// (`None` without one).
pub fn readable_matches(ctx: &Ctx, q: &str, rows: usize) -> Result<Option<Vec<Value>>> {
    let cat = ctx.cat;
    let Some(searcher) = cat.searcher() else {
        return Ok(None);
    };
    let req = SearchRequest {
        q: q.to_string(),
        fq: vec![],
        sort: parse_sort(DEFAULT_SORT)?,
        sort_text: DEFAULT_SORT.into(),
        rows,
        start: 0,
        facet_fields: vec![],
        facet_limit: None,
        facet_mincount: 1,
        cursor: None,
    };
    // What the caller may read: CKAN's package_autocomplete searches with the caller's
    // permission labels, so members see their organizations' private datasets.
    let mut p = Params::new();
    p.insert("include_private".into(), Value::Bool(true));
    let vis = visibility(ctx, &p)?;
    searcher
        .search(cat, &req, &vis)?
        .results
        .iter()
        .map(|raw| {
            serde_json::from_str(raw.get())
                .map_err(|e| Error::Internal(format!("stored dataset is not JSON: {e}")))
        })
        .collect::<Result<Vec<Value>>>()
        .map(Some)
}

/// Escapes query syntax in user text, so it is matched as words.
pub fn escape_query(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\+-!():^[]\"{}~*?|&/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
