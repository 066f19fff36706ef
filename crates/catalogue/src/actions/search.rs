//! package_search: CKAN's parameters and result shape. The catalogue parses and checks the
//! request and works out what the caller may see; a [`Searcher`] (the `search` crate's tantivy
//! engine, installed by the server) finds the datasets.

use super::Ctx;
use crate::actor::Actor;
use crate::authz::{self, Role};
use crate::error::{Error, Result};
use crate::input::Input;
use crate::params::{self, Params};
use crate::store::schema::groups;
use crate::Catalogue;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

crate::action_input! {
    /// package_search's parameters: CKAN's, and Cổng's `cursor`. Any other parameter (but
    /// `ext_*`) is a Search Query Error, as in CKAN.
    pub struct SearchParams {
        /// Solr-style query (default *:*): words, field:value, "phrases", AND/OR/NOT, ranges
        q: Option<String>,
        /// filter query, e.g. organization:ha-noi tags:"y tế" (repeat the parameter for several)
        fq: Option<TextOrList>,
        /// several filter queries
        fq_list: Option<Vec<String>>,
        /// e.g. metadata_modified desc (default: score desc, metadata_modified desc)
        sort: Option<String>,
        /// results per page, capped at the configured maximum (1000)
        rows: i64 = 10,
        /// results to skip
        start: i64 = 0,
        /// whether to count facets
        facet: bool = true,
        /// JSON list of fields to count, e.g. ["organization","tags"]
        facet_field as "facet.field": Option<JsonList>,
        /// values per facet; negative for all
        facet_limit as "facet.limit": Integer = Integer(50),
        /// least count of a facet value shown
        facet_mincount as "facet.mincount": i64 = 1,
        /// private datasets the caller may read
        include_private: bool = false,
        /// the caller's drafts (all drafts for sysadmins)
        include_drafts: bool = false,
        /// deleted datasets (sysadmins)
        include_deleted: bool = false,
        /// accepted, as in CKAN
        use_default_schema: bool = false,
        /// fields to return, e.g. name,title
        fl: Option<String>,
        /// dismax query fields and boosts for bare words, e.g. "title^4 notes" (default
        /// CKAN's name^4 title^4 tags^2 groups^2 text)
        qf: Option<String>,
        /// Solr's response writer (accepted, not used)
        wt: Option<String>,
        /// Solr's boost functions (accepted, not used)
        bf: Option<String>,
        /// Solr's boost query (accepted, not used)
        boost: Option<String>,
        /// dismax tie breaker between query fields, 0 to 1 (default 0.1)
        tie: Option<String>,
        /// "lucene" makes every bare word required; otherwise bare words are dismax
        def_type as "defType": Option<String>,
        /// how many bare words must match, Solr syntax (default 2<-1 5<80%)
        mm: Option<String>,
        /// default field (accepted, not used)
        df: Option<String>,
        /// Cổng extension: keyset paging; pass the previous answer's next_cursor ("*" to start)
        cursor: Option<String>,
    }
}

/// A parameter given as one string or as a list of strings (a repeated key).
#[derive(Debug, Clone, Default)]
pub struct TextOrList(pub Vec<String>);

impl crate::input::ParamValue for TextOrList {
    const JSON_TYPE: &'static str = "string";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        Ok(match p.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(list)) => Some(TextOrList(
                list.iter()
                    .filter_map(|v| params::value_text(v).ok().flatten())
                    .collect(),
            )),
            Some(_) => params::text(p, key)?.map(|t| TextOrList(vec![t])),
        })
    }
}

/// A list given as JSON (CKAN answers 409 `Could not parse as valid JSON` otherwise).
#[derive(Debug, Clone, Default)]
pub struct JsonList(pub Vec<String>);

impl crate::input::ParamValue for JsonList {
    const JSON_TYPE: &'static str = "array";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        if let Some(Value::String(s)) = p.get(key) {
            if serde_json::from_str::<Vec<Value>>(s).is_err() {
                return Err(crate::FieldErrors::single(
                    key,
                    "Could not parse as valid JSON",
                ));
            }
        }
        Ok(params::list(p, key)?.map(|items| {
            JsonList(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            )
        }))
    }
}

crate::plain_slot!(TextOrList, JsonList, Integer);

/// package_search's input: its parameters checked (none unknown) and parsed once here, the
/// request kept as given for the answer's own parsing.
pub struct SearchInput(pub Params);

impl Input for SearchInput {
    fn params() -> Vec<super::Param> {
        SearchParams::params()
    }
    fn parse(p: &Params) -> Result<Self> {
        check_known(p)?;
        SearchParams::parse(p)?;
        Ok(SearchInput(p.clone()))
    }
}

/// CKAN refuses parameters it does not know (but `ext_*`) with a Search Query Error.
fn check_known(p: &Params) -> Result<()> {
    let known = SearchParams::params();
    let unknown: Vec<String> = p
        .keys()
        .filter(|k| !known.iter().any(|d| d.name == k.as_str()) && !k.starts_with("ext_"))
        .map(|k| format!("'{k}'"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::SearchQuery(format!(
        "\"Invalid search parameters: [{}]\"",
        unknown.join(", ")
    )))
}

/// An integer of either sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integer(pub i64);

impl From<i64> for Integer {
    fn from(n: i64) -> Self {
        Integer(n)
    }
}

impl crate::input::ParamValue for Integer {
    const JSON_TYPE: &'static str = "integer";
    fn read(p: &Params, key: &str) -> Result<Option<Self>> {
        match p.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .map(|n| Some(Integer(n)))
                .ok_or_else(|| crate::FieldErrors::single(key, "Invalid integer")),
        }
    }
}

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
    /// Solr's dismax parameters for bare-word queries, as given.
    pub dismax: DismaxParams,
}

impl SearchRequest {
    /// Every dataset the caller may see, in `field`'s order, counted but no row returned:
    /// callers set what else they need (`rows`, `fq`, `facet_fields` …) with `..`.
    pub fn every_dataset(field: &str, desc: bool) -> SearchRequest {
        let order = if desc { "desc" } else { "asc" };
        SearchRequest {
            q: String::new(),
            fq: vec![],
            sort: vec![(field.to_string(), desc)],
            sort_text: format!("{field} {order}"),
            rows: 0,
            start: 0,
            facet_fields: vec![],
            facet_limit: None,
            facet_mincount: 1,
            cursor: None,
            dismax: DismaxParams::default(),
        }
    }
}

/// `mm`, `qf`, `tie` and `defType` as the request gave them (the engine checks them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DismaxParams {
    pub mm: Option<String>,
    pub qf: Option<String>,
    pub tie: Option<String>,
    pub def_type: Option<String>,
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
pub fn parse_request(p: &Params, rows_max: usize) -> Result<(SearchRequest, SearchParams)> {
    check_known(p)?;
    let input = SearchParams::parse(p)?;
    let mut fq: Vec<String> = input.fq.clone().unwrap_or_default().0;
    fq.extend(input.fq_list.clone().unwrap_or_default());
    fq.retain(|f| !f.trim().is_empty());
    let sort_text = input
        .sort
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SORT.into());
    let sort = parse_sort(&sort_text)?;
    let request = SearchRequest {
        q: input.q.clone().unwrap_or_default(),
        fq,
        sort,
        sort_text,
        rows: (input.rows as usize).min(rows_max),
        start: input.start as usize,
        facet_fields: match (&input.facet_field, input.facet) {
            (Some(f), true) => f.0.clone(),
            _ => vec![],
        },
        facet_limit: usize::try_from(input.facet_limit.0).ok(),
        facet_mincount: input.facet_mincount as u64,
        cursor: input.cursor.clone().filter(|s| !s.is_empty()),
        dismax: DismaxParams {
            mm: input.mm.clone(),
            qf: input.qf.clone(),
            tie: input.tie.clone(),
            def_type: input.def_type.clone(),
        },
    };
    Ok((request, input))
}

pub fn visibility(ctx: &Ctx, input: &SearchParams) -> Result<Visibility> {
    let private_orgs = if input.include_private && !ctx.actor.is_sysadmin() {
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
        include_private: input.include_private,
        include_drafts: input.include_drafts && !matches!(ctx.actor, Actor::Anonymous),
        include_deleted: input.include_deleted && ctx.actor.is_sysadmin(),
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
    let (req, input) = parse_request(p, ctx.cat.config.search_rows_max)?;
    let vis = visibility(ctx, &input)?;
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

pub fn package_search(ctx: &Ctx, SearchInput(p): SearchInput) -> Result<Value> {
    let fl: Vec<String> = SearchParams::parse(&p)?
        .fl
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
        sort: vec![],
        sort_text: DEFAULT_SORT.into(),
        facet_fields: vec![field.to_string()],
        ..SearchRequest::every_dataset("metadata_modified", true)
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
        dismax: DismaxParams::default(),
    };
    // What the caller may read: CKAN's package_autocomplete searches with the caller's
    // permission labels, so members see their organizations' private datasets.
    let mut p = Params::new();
    p.insert("include_private".into(), Value::Bool(true));
    let vis = visibility(ctx, &SearchParams::parse(&p)?)?;
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
