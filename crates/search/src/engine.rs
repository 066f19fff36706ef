//! The index on disk and the engine around it: opened (or rebuilt when missing, corrupt or
//! of an older schema) at start-up, kept current by tailing the catalogue's change feed, and
//! searched with CKAN's semantics.

use crate::aliases::Aliases;
use crate::build_query::{QueryBuilder, RankedWords, EXACT_BOOST};
use crate::cache::SearchCache;
use crate::collect::{self, BestByScore, Matches, OnlyWhere, Optional};
use crate::error::Error;
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::tables::Tables;
use crate::{analyzer, conjunction, document, listing, query};
use catalogue::actions::search::{FacetCounts, SearchHits, SearchRequest, Visibility};
use catalogue::feed;
use catalogue::Catalogue;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tantivy::collector::sort_key::SortByErasedType;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, Bm25Weight, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query,
    RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, OwnedValue, Value as _};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

/// Changes applied per index commit while catching up.
const FEED_BATCH: i64 = 2000;
/// Datasets read per batch while rebuilding.
const REBUILD_BATCH: i64 = 500;

/// What the index remembers in its commit payload.
#[derive(Serialize, Deserialize)]
struct Payload {
    schema: u32,
    seq: i64,
}

pub struct Engine {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    aliases: Aliases,
    /// The last change-feed sequence number the index reflects.
    applied: AtomicI64,
    dir: PathBuf,
    cache: SearchCache,
    /// Per-segment ordinal tables for facets and visibility.
    tables: Tables,
}

/// How the index was found at start-up.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    Existing,
    /// Created empty (first run, corrupt, or schema changed): it must be rebuilt.
    Fresh,
}

impl Engine {
    /// Opens the index in `dir`, or creates it empty when it is missing, unreadable or of
    /// another schema version. `writer_mb` is the indexing memory budget.
    pub fn open(dir: &Path, writer_mb: usize) -> Result<(Engine, Opened), Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Engine(format!("cannot create {}: {e}", dir.display())))?;
        let fields = schema::build();
        let (index, reader, seq, opened) = match open_existing(dir, &fields) {
            Some((index, reader, seq)) => (index, reader, seq, Opened::Existing),
            None => {
                if dir.join("meta.json").exists() {
                    tracing::warn!(dir = %dir.display(), "search index unreadable or outdated: rebuilding it");
                }
                clear_dir(dir)?;
                // Small doc-store blocks: reading one dataset decompresses ~8 KiB, not 16.
                let settings = tantivy::IndexSettings {
                    docstore_blocksize: 8192,
                    ..Default::default()
                };
                let index = Index::builder()
                    .schema(fields.schema.clone())
                    .settings(settings)
                    .create_in_dir(dir)?;
                analyzer::register(&index);
                let reader = open_reader(&index)?;
                (index, reader, 0, Opened::Fresh)
            }
        };
        let writer = index.writer_with_num_threads(1, writer_mb.max(15) * 1_000_000)?;
        let engine = Engine {
            reader,
            writer: Mutex::new(writer),
            fields,
            aliases: Aliases::shipped(),
            applied: AtomicI64::new(seq),
            dir: dir.to_path_buf(),
            cache: SearchCache::new(0),
            tables: Tables::default(),
        };
        Ok((engine, opened))
    }

    /// Keeps answers to repeated searches, up to `bytes` (estimated), until the index changes.
    pub fn with_cache(mut self, bytes: usize) -> Self {
        self.cache = SearchCache::new(bytes);
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn applied_seq(&self) -> i64 {
        self.applied.load(Ordering::SeqCst)
    }

    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<(), Error> {
        let mut prepared = writer.prepare_commit()?;
        let payload = serde_json::to_string(&Payload {
            schema: SCHEMA_VERSION,
            seq,
        })
        .map_err(|e| Error::Engine(e.to_string()))?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        let live: HashSet<_> = self
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        self.tables.retain_segments(&live);
        self.applied.store(seq, Ordering::SeqCst);
        Ok(())
    }

    fn id_term(&self, id: &str) -> Result<Term, Error> {
        let f = self
            .fields
            .get("id")
            .ok_or_else(|| Error::Engine("no id field".into()))?;
        Ok(Term::from_field_text(f, id))
    }

    /// Applies every change the feed holds beyond what the index reflects; returns how many
    /// feed rows were applied. Cheap when there is nothing new (one `max(seq)` query).
    pub fn sync(&self, cat: &Catalogue) -> Result<usize, Error> {
        let newest = cat.newest_change()?;
        if newest <= self.applied_seq() {
            return Ok(0);
        }
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut applied = 0;
        loop {
            let from = self.applied_seq();
            let changes = cat
                .db
                .read(|c| feed::changes_since(c, from, FEED_BATCH))
                .map_err(catalogue::Error::from)?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            let mut ids: Vec<String> = changes.iter().map(|c| c.package_id.clone()).collect();
            ids.sort();
            ids.dedup();
            let dicts = cat
                .db
                .read(|c| feed::current_dicts(c, &ids))
                .map_err(catalogue::Error::from)?;
            for (id, dict) in dicts {
                writer.delete_term(self.id_term(&id)?);
                if let Some(p) = dict {
                    writer.add_document(document::build(&self.fields, &self.aliases, &p)?)?;
                }
            }
            self.commit(&mut writer, last)?;
            applied += changes.len();
        }
        Ok(applied)
    }

    /// Rebuilds the index from the database; `progress(done, total)` is called per batch.
    pub fn rebuild(
        &self,
        cat: &Catalogue,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<u64, Error> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // Changes made while rebuilding have higher sequence numbers and are applied after.
        let seq = cat
            .db
            .read(feed::last_seq)
            .map_err(catalogue::Error::from)?;
        let total = cat
            .db
            .read(feed::dataset_count)
            .map_err(catalogue::Error::from)? as u64;
        writer.delete_all_documents()?;
        let mut after = String::new();
        let mut done = 0u64;
        loop {
            let ids = cat
                .db
                .read(|c| feed::dataset_ids_after(c, &after, REBUILD_BATCH))
                .map_err(catalogue::Error::from)?;
            let Some(last) = ids.last().cloned() else {
                break;
            };
            for (_, dict) in cat
                .db
                .read(|c| feed::current_dicts(c, &ids))
                .map_err(catalogue::Error::from)?
            {
                if let Some(p) = dict {
                    writer.add_document(document::build(&self.fields, &self.aliases, &p)?)?;
                }
            }
            done += ids.len() as u64;
            progress(done, total);
            after = last;
        }
        self.commit(&mut writer, seq)?;
        drop(writer);
        self.sync(cat)?;
        Ok(done)
    }

    /// Runs a search; the caller has synced first when it needs read-your-writes.
    pub fn search(&self, req: &SearchRequest, vis: &Visibility) -> Result<SearchHits, Error> {
        let mut qb = QueryBuilder::new(&self.fields);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
        let q = req.q.trim();
        // `*:*` (or nothing) adds no clause: the visibility filter below already bounds the set.
        let parsed = query::parse(q).map_err(|e| Error::Query(e.0))?;
        match &parsed {
            None | Some(query::Node::All) => {}
            Some(node) => clauses.push((Occur::Must, qb.build(node).map_err(Error::Query)?)),
        }
        let mut mentions_type = false;
        for fq in &req.fq {
            mentions_type |= fq.contains("dataset_type:") || fq.contains("type:");
            if let Some(node) = query::parse(fq).map_err(|e| Error::Query(e.0))? {
                clauses.push((
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(
                        qb.build(&node).map_err(Error::Query)?,
                        0.0,
                    )),
                ));
            }
        }
        // CKAN searches datasets of the default type unless a filter names a type; the
        // `vis_dataset` field carries visibility for exactly those.
        let visibility_field = if mentions_type {
            "visibility"
        } else {
            "vis_dataset"
        };
        let relevance = !matches!(q, "" | "*:*");
        let plan = fast_plan(req, relevance);
        // Every dataset, in the order of one date or number field (CKAN's default listing).
        let listing = matches!(parsed, None | Some(query::Node::All))
            && req.fq.is_empty()
            && req.cursor.is_none()
            && matches!(plan, Some(Plan::Date(..) | Plan::Number(..)));
        // Public datasets only (anonymous callers, and everyone who asks for nothing more):
        // when ranking by relevance, listing or only counting, checked per match by the
        // collectors (so that a conjunction of words stays prunable) or in the listing order.
        // Another sort by field reads every match anyway, and intersecting the list of
        // public datasets is then the cheaper check.
        let per_match = req.rows == 0 || listing || matches!(plan, Some(Plan::Score));
        let only = match self.visibility(vis, visibility_field)? {
            Scope::Public(_) if per_match => Some(OnlyWhere {
                field: visibility_field,
                value: "public",
            }),
            Scope::Public(q) | Scope::Wider(q) => {
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
                None
            }
        };

        let sort = self.sort_keys(req)?;
        if let Some(cursor) = req.cursor.as_deref().filter(|c| *c != "*") {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(self.after_cursor(&sort, cursor)?, 0.0)),
            ));
        }
        // One clause stands alone, so that a conjunction of words stays a plain term
        // intersection (which tantivy can prune); no clause at all means every dataset.
        let query: Box<dyn Query> = match clauses.len() {
            0 => Box::new(AllQuery),
            1 => clauses.remove(0).1,
            _ => Box::new(BooleanQuery::new(clauses)),
        };
        // Plain words seen by public eyes only: counted by walking the words' postings.
        let words = match (&parsed, only, req.fq.is_empty(), &req.cursor) {
            (Some(node), Some(_), true, None) => qb.plain_words(node),
            _ => None,
        };
        let searcher = self.reader.searcher();
        // Past the last document every page is empty: don't let a huge `start` size the
        // collector (it allocates `start + rows` slots).
        let start = if req.cursor.is_some() { 0 } else { req.start }
            .min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
        // A listing's page, from each segment's documents in the field's order.
        let listed = match (&plan, only) {
            (Some(Plan::Date(field, order) | Plan::Number(field, order)), Some(only))
                if listing && req.rows > 0 =>
            {
                let k = start.saturating_add(req.rows);
                let desc = *order == Order::Desc;
                listing::first_by(&searcher, &self.tables, field, desc, k, only)?
            }
            _ => None,
        };
        // A segment without that order (a document without a value): the general path
        // below, with visibility as a clause again.
        let query: Box<dyn Query> = match (&listed, only) {
            (None, Some(_)) if listing && req.rows > 0 => Box::new(ConstScoreQuery::new(
                self.filter_term(visibility_field, "public")?,
                0.0,
            )),
            _ => query,
        };
        let count = |matches: &Matches| match &words {
            Some(words) => conjunction::count(&searcher, &self.tables, &words.terms, matches),
            None => searcher.search(&query, matches),
        };
        let matches = |only| Matches {
            tables: &self.tables,
            facets: req
                .facet_fields
                .iter()
                .map(|f| {
                    let f = facet_field(f);
                    schema::STRING_FIELDS.iter().copied().find(|s| *s == f)
                })
                .collect(),
            only,
        };
        let (addrs, (count, facets), last_key) = if req.rows == 0 {
            (vec![], count(&matches(only))?, None)
        } else if let (Some(firsts), Some(only)) = (listed, only) {
            let counted = if req.facet_fields.is_empty() {
                (
                    listing::count_visible(&searcher, &self.tables, only)?,
                    vec![],
                )
            } else {
                searcher.search(&query, &matches(Some(only)))?
            };
            (firsts.into_iter().skip(start).collect(), counted, None)
        } else {
            let top = TopDocs::with_limit(req.rows).and_offset(start);
            match plan {
                Some(Plan::Score) => {
                    // Two passes: counting and facets need every match but no scores, and
                    // tantivy then skips BM25 entirely; the best matches alone can skip
                    // documents that cannot make the page (block-max pruning).
                    let counted = count(&matches(only))?;
                    let mut best = BestByScore {
                        tables: &self.tables,
                        k: start.saturating_add(req.rows),
                        only,
                        optional: None,
                    };
                    let hits = match words.as_ref().and_then(|w| w.ranked.as_ref()) {
                        // Words typed with diacritics: the folded words ranked with pruning,
                        // their exact matches added where they can change the page.
                        Some(words) => {
                            let (required, optional) = ranking(&searcher, words)?;
                            best.optional = Some(optional);
                            searcher.search(&required, &best)?
                        }
                        None => searcher.search(&query, &best)?,
                    };
                    let addrs = hits.into_iter().skip(start).map(|s| s.1).collect();
                    (addrs, counted, None)
                }
                Some(Plan::Date(field, order)) => {
                    let c = top.order_by_fast_field::<tantivy::DateTime>(field, order);
                    let (hits, counted) = searcher.search(&query, &(c, matches(None)))?;
                    (addresses(hits), counted, None)
                }
                Some(Plan::Number(field, order)) => {
                    let c = top.order_by_fast_field::<u64>(field, order);
                    let (hits, counted) = searcher.search(&query, &(c, matches(None)))?;
                    (addresses(hits), counted, None)
                }
                Some(Plan::Text(field, order)) => {
                    let c = top.order_by_string_fast_field(field, order);
                    let (hits, counted) = searcher.search(&query, &(c, matches(None)))?;
                    (addresses(hits), counted, None)
                }
                None => {
                    let c = top.order_by(sort.computer());
                    let (hits, counted) = searcher.search(&query, &(c, matches(None)))?;
                    let last = hits.last().map(|(k, _)| k.clone());
                    (addresses(hits), counted, last)
                }
            }
        };
        let mut results = Vec::with_capacity(addrs.len());
        for addr in &addrs {
            results.push(self.stored_dict(&searcher, *addr)?);
        }
        let next_cursor = match (&req.cursor, last_key) {
            (Some(_), Some(k)) if addrs.len() == req.rows => Some(encode_cursor(&k)),
            _ => None,
        };
        Ok(SearchHits {
            count,
            results,
            facets: facet_counts(req, facets),
            next_cursor,
            generation: self.applied_seq(),
        })
    }

    /// The stored dict (JSON text) of the public active dataset whose id or name is `key`.
    pub fn public_json(&self, key: &str) -> Result<Option<String>, Error> {
        let searcher = self.reader.searcher();
        let id_or_name = BooleanQuery::new(vec![
            (Occur::Should, self.filter_term("id", key)?),
            (Occur::Should, self.filter_term("name", key)?),
        ]);
        let q = BooleanQuery::new(vec![
            (Occur::Must, Box::new(id_or_name) as Box<dyn Query>),
            (Occur::Must, self.filter_term("visibility", "public")?),
        ]);
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(*addr)?;
        Ok(doc
            .get_first(self.fields.dict)
            .and_then(|v| v.as_str())
            .map(str::to_string))
    }

    fn stored_dict(
        &self,
        searcher: &tantivy::Searcher,
        addr: DocAddress,
    ) -> Result<Box<serde_json::value::RawValue>, Error> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let json = doc
            .get_first(self.fields.dict)
            .and_then(|v| v.as_str())
            .unwrap_or("null");
        serde_json::value::RawValue::from_string(json.to_string())
            .map_err(|e| Error::Engine(format!("stored dataset is not JSON: {e}")))
    }

    fn filter_term(&self, field: &str, value: &str) -> Result<Box<dyn Query>, Error> {
        let f = self
            .fields
            .get(field)
            .ok_or_else(|| Error::Engine(format!("no field {field}")))?;
        Ok(Box::new(TermQuery::new(
            Term::from_field_text(f, value),
            IndexRecordOption::Basic,
        )))
    }

    fn all_of(&self, terms: &[(&str, &str)]) -> Result<Box<dyn Query>, Error> {
        let qs = terms
            .iter()
            .map(|(f, v)| self.filter_term(f, v).map(|q| (Occur::Must, q)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(BooleanQuery::new(qs)))
    }

    /// What the caller may see: CKAN's permission labels, enforced in the engine so that
    /// counts and facets obey them too.
    fn visibility(&self, v: &Visibility, field: &str) -> Result<Scope, Error> {
        // One indexed term says who may see a dataset: "public", "private", "draft", "deleted".
        let mut allowed: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Should, self.filter_term(field, "public")?)];
        if v.include_private {
            if v.sysadmin {
                allowed.push((Occur::Should, self.filter_term(field, "private")?));
            } else if !v.private_orgs.is_empty() {
                let owner = self
                    .fields
                    .get("owner_org")
                    .ok_or_else(|| Error::Engine("no owner_org".into()))?;
                let orgs = TermSetQuery::new(
                    v.private_orgs
                        .iter()
                        .map(|o| Term::from_field_text(owner, o)),
                );
                allowed.push((
                    Occur::Should,
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, self.filter_term(field, "private")?),
                        (Occur::Must, Box::new(orgs)),
                    ])),
                ));
            }
        }
        if v.include_drafts {
            match (&v.user_id, v.sysadmin) {
                (_, true) => allowed.push((Occur::Should, self.filter_term(field, "draft")?)),
                (Some(uid), false) => allowed.push((
                    Occur::Should,
                    self.all_of(&[(field, "draft"), ("creator_user_id", uid)])?,
                )),
                (None, false) => {}
            }
        }
        if v.include_deleted && v.sysadmin {
            allowed.push((Occur::Should, self.filter_term(field, "deleted")?));
        }
        if allowed.len() == 1 {
            let (_, public) = allowed.remove(0);
            return Ok(Scope::Public(public));
        }
        Ok(Scope::Wider(Box::new(BooleanQuery::new(allowed))))
    }

    fn sort_keys(&self, req: &SearchRequest) -> Result<SortKeys, Error> {
        let mut keys: Vec<(String, bool)> = req.sort.clone();
        if req.cursor.is_some() {
            // Keyset paging needs a total order without relevance: fall back to recency.
            keys.retain(|(f, _)| f != "score");
            if keys.is_empty() {
                keys.push(("metadata_modified".into(), true));
            }
        }
        let mut out = vec![];
        for (field, desc) in keys {
            let field = match field.as_str() {
                "title" => "title_string".to_string(),
                "dataset_type" => "type".to_string(),
                f => f.to_string(),
            };
            let sortable = field == "score"
                || schema::STRING_FIELDS.contains(&field.as_str())
                    && field != "tags"
                    && field != "groups"
                    && field != "res_format"
                    && field != "res_url"
                || schema::DATE_FIELDS.contains(&field.as_str())
                || schema::NUMBER_FIELDS.contains(&field.as_str());
            if !sortable {
                return Err(Error::BadSort);
            }
            let unique = field == "id";
            out.push((field, desc));
            if unique {
                // Keys after the (unique) id never decide anything.
                break;
            }
        }
        // Three keys of the caller's choice, or four when the last is the id.
        let ends_with_id = out.last().is_some_and(|(f, _)| f == "id");
        if out.len() > 4 || out.len() == 4 && !ends_with_id {
            return Err(Error::BadSort);
        }
        // The dataset id breaks ties, so paging neither skips nor repeats.
        while out.len() < 4 {
            out.push(("id".into(), false));
        }
        Ok(SortKeys(out))
    }

    /// Datasets strictly after the cursor's sort key in the sort order.
    fn after_cursor(&self, sort: &SortKeys, cursor: &str) -> Result<Box<dyn Query>, Error> {
        let values = decode_cursor(cursor).ok_or(Error::Query("invalid cursor".into()))?;
        if values.len() != sort.0.len() {
            return Err(Error::Query("invalid cursor".into()));
        }
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![];
        for i in 0..sort.0.len() {
            let mut all: Vec<(Occur, Box<dyn Query>)> = vec![];
            for ((field, _), value) in sort.0.iter().zip(&values).take(i) {
                let t = self.cursor_term(field, value)?;
                // Equal to the cursor's value. Dates as a range on the fast field: the inverted
                // index keeps them to the second only, so a term would never equal microseconds.
                let equal: Box<dyn Query> = if schema::DATE_FIELDS.contains(&field.as_str()) {
                    Box::new(RangeQuery::new(
                        std::ops::Bound::Included(t.clone()),
                        std::ops::Bound::Included(t),
                    ))
                } else {
                    Box::new(TermQuery::new(t, IndexRecordOption::Basic))
                };
                all.push((Occur::Must, equal));
            }
            let (field, desc) = &sort.0[i];
            let t = self.cursor_term(field, &values[i])?;
            let range = if *desc {
                RangeQuery::new(std::ops::Bound::Unbounded, std::ops::Bound::Excluded(t))
            } else {
                RangeQuery::new(std::ops::Bound::Excluded(t), std::ops::Bound::Unbounded)
            };
            all.push((Occur::Must, Box::new(range)));
            alternatives.push((Occur::Should, Box::new(BooleanQuery::new(all))));
        }
        Ok(Box::new(BooleanQuery::new(alternatives)))
    }

    fn cursor_term(&self, field: &str, v: &serde_json::Value) -> Result<Term, Error> {
        let f = self
            .fields
            .get(field)
            .ok_or(Error::Query("invalid cursor".into()))?;
        let bad = || Error::Query("invalid cursor".into());
        Ok(if schema::DATE_FIELDS.contains(&field) {
            Term::from_field_date(
                f,
                tantivy::DateTime::from_timestamp_nanos(v.as_i64().ok_or_else(bad)?),
            )
        } else if schema::NUMBER_FIELDS.contains(&field) {
            Term::from_field_u64(f, v.as_u64().ok_or_else(bad)?)
        } else {
            Term::from_field_text(f, v.as_str().ok_or_else(bad)?)
        })
    }

    /// How much disk the index takes, in bytes.
    pub fn size_on_disk(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

fn addresses<K>(hits: Vec<(K, DocAddress)>) -> Vec<DocAddress> {
    hits.into_iter().map(|(_, a)| a).collect()
}

/// Which datasets a search may return, as a query.
enum Scope {
    /// Public ones only: the search may check this per match instead (see `collect`).
    Public(Box<dyn Query>),
    /// Public ones and more (private, drafts, deleted).
    Wider(Box<dyn Query>),
}

/// Up to four sort keys: what the request asked for, then the id.
struct SortKeys(Vec<(String, bool)>);

type Key = (SortByErasedType, Order);

impl SortKeys {
    fn key(&self, i: usize) -> Key {
        let (field, desc) = &self.0[i];
        let computer = if field == "score" {
            SortByErasedType::for_score()
        } else {
            SortByErasedType::for_field(field)
        };
        (computer, if *desc { Order::Desc } else { Order::Asc })
    }

    /// Nested pairs, not a 4-tuple: tantivy 0.27's 4-tuple sort key ignores the keys' orders
    /// (`name asc` came back descending, and paging repeated datasets); pairs honour them.
    fn computer(&self) -> (Key, (Key, (Key, Key))) {
        (self.key(0), (self.key(1), (self.key(2), self.key(3))))
    }
}

type SortValue = (OwnedValue, (OwnedValue, (OwnedValue, OwnedValue)));

fn owned_to_json(v: &OwnedValue) -> serde_json::Value {
    match v {
        OwnedValue::Str(s) => serde_json::Value::String(s.clone()),
        OwnedValue::U64(n) => serde_json::Value::from(*n),
        OwnedValue::I64(n) => serde_json::Value::from(*n),
        OwnedValue::F64(n) => serde_json::Value::from(*n),
        OwnedValue::Date(d) => serde_json::Value::from(d.into_timestamp_nanos()),
        _ => serde_json::Value::Null,
    }
}

fn encode_cursor(k: &SortValue) -> String {
    use base64::Engine as _;
    let values = serde_json::json!([
        owned_to_json(&k.0),
        owned_to_json(&k.1 .0),
        owned_to_json(&k.1 .1 .0),
        owned_to_json(&k.1 .1 .1)
    ]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(values.to_string())
}

fn decode_cursor(c: &str) -> Option<Vec<serde_json::Value>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn facet_counts(req: &SearchRequest, counted: collect::Counts) -> FacetCounts {
    req.facet_fields
        .iter()
        .zip(counted)
        .map(|(field, values)| {
            let mut counts: Vec<(String, u64)> = values
                .into_iter()
                .filter(|(_, n)| *n >= req.facet_mincount.max(1))
                .collect();
            counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            if let Some(limit) = req.facet_limit {
                counts.truncate(limit);
            }
            (field.clone(), counts)
        })
        .collect()
}

/// The index field a facet counts (CKAN's `dataset_type` is our `type`). Fields that have no
/// exact values (text, dates) count nothing, as in Solr.
fn facet_field(name: &str) -> &str {
    match name {
        "dataset_type" => "type",
        f => f,
    }
}

/// The two parts of a plain-word query typed with diacritics, as `BestByScore` ranks it: the
/// conjunction of folded terms, and the exact terms' optional clauses. Scores as `build`'s
/// query does (see `RankedWords`).
fn ranking(
    searcher: &tantivy::Searcher,
    words: &RankedWords,
) -> Result<(Box<dyn Query>, Optional), Error> {
    let term = |t: &Term| -> Box<dyn Query> {
        Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs))
    };
    let required: Box<dyn Query> = match words.required.as_slice() {
        [one] => term(one),
        many => Box::new(BooleanQuery::new(
            many.iter().map(|t| (Occur::Must, term(t))).collect(),
        )),
    };
    let mut clauses = vec![];
    for t in &words.optional {
        let clause = BoostQuery::new(term(t), EXACT_BOOST);
        let weight = clause.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let most = Bm25Weight::for_terms(searcher, std::slice::from_ref(t))?
            .boost_by(EXACT_BOOST)
            .max_score();
        clauses.push((weight, most));
    }
    Ok((required, Optional::new(clauses)))
}

/// A sort the index can do with one typed key (much cheaper than the general multi-key sort).
enum Plan {
    Score,
    Date(&'static str, Order),
    Number(&'static str, Order),
    Text(&'static str, Order),
}

/// The typed plan for `req`'s sort, when one key decides it: relevance for text queries
/// (CKAN's default `score desc, metadata_modified desc`), or a single field. Cursor paging
/// needs the full key of the last result, so it always takes the general path.
fn fast_plan(req: &SearchRequest, relevance: bool) -> Option<Plan> {
    if req.cursor.is_some() {
        return None;
    }
    let mut keys: Vec<(&str, bool)> = req.sort.iter().map(|(f, d)| (f.as_str(), *d)).collect();
    if !relevance {
        // Without query words every score is equal: relevance decides nothing.
        keys.retain(|(f, _)| *f != "score");
    }
    let order = |desc: bool| if desc { Order::Desc } else { Order::Asc };
    match keys.as_slice() {
        [] => Some(Plan::Score),
        [("score", true), ..] => Some(Plan::Score),
        [(field, desc)] => {
            let field = if *field == "title" {
                "title_string"
            } else {
                field
            };
            if let Some(f) = schema::DATE_FIELDS.iter().find(|f| **f == field) {
                Some(Plan::Date(f, order(*desc)))
            } else if let Some(f) = schema::NUMBER_FIELDS.iter().find(|f| **f == field) {
                Some(Plan::Number(f, order(*desc)))
            } else {
                SORTABLE_STRINGS
                    .iter()
                    .find(|f| **f == field)
                    .map(|f| Plan::Text(f, order(*desc)))
            }
        }
        _ => None,
    }
}

/// Exact-value fields with one value per dataset, which can order results.
const SORTABLE_STRINGS: [&str; 8] = [
    "id",
    "name",
    "title_string",
    "license_id",
    "state",
    "type",
    "organization",
    "owner_org",
];

/// The index in `dir` with a reader on it and the last feed sequence it reflects, when it is
/// of this schema and every segment opens (a file overwritten with junk fails here, and the
/// caller rebuilds instead of refusing to start or failing searches).
fn open_existing(dir: &Path, fields: &Fields) -> Option<(Index, IndexReader, i64)> {
    let index = Index::open_in_dir(dir).ok()?;
    let payload = index.load_metas().ok()?.payload?;
    let p: Payload = serde_json::from_str(&payload).ok()?;
    if p.schema != SCHEMA_VERSION || index.schema() != fields.schema {
        return None;
    }
    analyzer::register(&index);
    let reader = match open_reader(&index) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "search index segments unreadable");
            return None;
        }
    };
    Some((index, reader, p.seq))
}

fn open_reader(index: &Index) -> tantivy::Result<IndexReader> {
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
}

fn clear_dir(dir: &Path) -> Result<(), Error> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::Engine(e.to_string()))? {
        let path = entry.map_err(|e| Error::Engine(e.to_string()))?.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| Error::Engine(format!("cannot clear {}: {e}", path.display())))?;
    }
    Ok(())
}

impl Engine {
    /// [`Engine::search`] through the cache of answers for this index generation.
    pub fn search_cached(
        &self,
        req: &SearchRequest,
        vis: &Visibility,
    ) -> Result<SearchHits, Error> {
        let generation = self.applied_seq();
        if let Some(hit) = self.cache.get(generation, req, vis) {
            return Ok((*hit).clone());
        }
        let hits = Arc::new(Engine::search(self, req, vis)?);
        self.cache.put(generation, req, vis, hits.clone());
        // Not kept (cache off, or too large): the answer is ours alone, no copy needed.
        Ok(Arc::try_unwrap(hits).unwrap_or_else(|kept| (*kept).clone()))
    }
}
