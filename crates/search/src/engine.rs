//! The index on disk and the engine around it: opened (or rebuilt when missing, corrupt or
//! of an older schema) at start-up, kept current by tailing the catalogue's change feed, and
//! searched with CKAN's semantics.

use crate::aliases::Aliases;
use crate::cache::SearchCache;
use crate::error::Error;
use crate::expand::Expansions;
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::tables::Tables;
use crate::{analyzer, document};
use catalogue::actions::search::{SearchHits, SearchRequest, Visibility};
use catalogue::feed;
use catalogue::Catalogue;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

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
    pub(crate) reader: IndexReader,
    pub(crate) writer: Mutex<IndexWriter>,
    pub(crate) fields: Fields,
    pub(crate) aliases: Aliases,
    /// Place names and everyday terms indexed beside what datasets say.
    pub(crate) expansions: Expansions,
    /// The last change-feed sequence number the index reflects.
    pub(crate) applied: AtomicI64,
    pub(crate) dir: PathBuf,
    pub(crate) cache: SearchCache,
    /// Per-segment ordinal tables for facets and visibility.
    pub(crate) tables: Tables,
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
        writer.set_merge_policy(Box::new(merge_policy()));
        let engine = Engine {
            reader,
            writer: Mutex::new(writer),
            fields,
            aliases: Aliases::shipped(),
            expansions: Expansions::shipped().map_err(Error::Engine)?,
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

    /// Applies the changes the feed holds beyond what the index reflects, up to the newest
    /// one when called (later ones are the next call's: chasing a feed that writers keep
    /// growing would commit a tiny segment per round); returns how many feed rows were
    /// applied. Cheap when there is nothing new (one `max(seq)` query, or none at all).
    pub fn sync(&self, cat: &Catalogue) -> Result<usize, Error> {
        self.sync_to(cat, cat.newest_change()?)
    }

    /// Like [`Engine::sync`], up to `newest`.
    pub fn sync_to(&self, cat: &Catalogue, newest: i64) -> Result<usize, Error> {
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
            let done = last >= newest;
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
                    writer.add_document(document::build(
                        &self.fields,
                        &self.aliases,
                        &self.expansions,
                        &p,
                    )?)?;
                }
            }
            self.commit(&mut writer, last)?;
            applied += changes.len();
            if done {
                break;
            }
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
                    writer.add_document(document::build(
                        &self.fields,
                        &self.aliases,
                        &self.expansions,
                        &p,
                    )?)?;
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

    pub(crate) fn filter_term(&self, field: &str, value: &str) -> Result<Box<dyn Query>, Error> {
        let f = self
            .fields
            .get(field)
            .ok_or_else(|| Error::Engine(format!("no field {field}")))?;
        Ok(Box::new(TermQuery::new(
            Term::from_field_text(f, value),
            IndexRecordOption::Basic,
        )))
    }

    pub(crate) fn all_of(&self, terms: &[(&str, &str)]) -> Result<Box<dyn Query>, Error> {
        let qs = terms
            .iter()
            .map(|(f, v)| self.filter_term(f, v).map(|q| (Occur::Must, q)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(BooleanQuery::new(qs)))
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

/// Segments merge with others of about their size (log-structured): a server commits small
/// segments often, and tantivy's default (every segment under 10,000 documents in one layer)
/// would rewrite the largest of them at every merge, so that a bulk load through the API
/// spent more time merging than indexing.
fn merge_policy() -> tantivy::merge_policy::LogMergePolicy {
    let mut p = tantivy::merge_policy::LogMergePolicy::default();
    p.set_min_layer_size(100);
    p.set_min_num_segments(8);
    // Datasets are edited in place: a segment that is mostly old versions is worth rewriting.
    p.set_del_docs_ratio_before_merge(0.5);
    p
}

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
