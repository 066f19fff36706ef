//! The plain way to answer a search, with none of the fast paths: one BooleanQuery (q, the
//! filters, the visibility clause, the cursor), TopDocs with the general sort, every match
//! counted, facets read from each match's fast-field values. Slow, and obviously right: the
//! differential test (`tests/differential.rs`) holds every fast path in `execute.rs` to it. A
//! fast path that let a private dataset through, or counted one, would differ from it.

use crate::cursor::{encode_cursor, sort_values};
use crate::engine::Engine;
use crate::error::Error;
use crate::execute::facet_field;
use crate::scope::Scope;
use crate::{query, schema};
use catalogue::actions::search::{SearchHits, SearchRequest, Visibility};
use std::collections::{BTreeMap, BTreeSet};
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::DocAddress;

/// What the plain path found: the answer, and every match's sort key.
pub struct Reference {
    pub hits: SearchHits,
    /// Every matching dataset id with the values of the request's sort keys (relevance as a
    /// number), the ids that only break ties left out: two datasets with equal keys may come
    /// in either order.
    pub keys: Vec<(String, Vec<serde_json::Value>)>,
}

impl Engine {
    /// Answers `req` the plain way (see the module comment). For tests and diagnosis.
    pub fn search_reference(
        &self,
        req: &SearchRequest,
        vis: &Visibility,
    ) -> Result<Reference, Error> {
        let searcher = self.reader.searcher();
        let mut qb = self.query_builder(req, &searcher)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
        match query::parse(req.q.trim()).map_err(|e| Error::Query(e.0))? {
            None | Some(query::Node::All) => {}
            Some(node) => clauses.push((Occur::Must, qb.build_q(&node).map_err(Error::Query)?)),
        }
        let mut mentions_type = false;
        for fq in &req.fq {
            mentions_type |= fq.contains("dataset_type:") || fq.contains("type:");
            if let Some(node) = query::parse(fq).map_err(|e| Error::Query(e.0))? {
                let filter = qb.build(&node).map_err(Error::Query)?;
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
            }
        }
        let field = if mentions_type {
            "visibility"
        } else {
            "vis_dataset"
        };
        let (Scope::Public(allowed) | Scope::Wider(allowed)) = self.visibility(vis, field)?;
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(allowed, 0.0))));
        let sort = self.sort_keys(req)?;
        if let Some(cursor) = req.cursor.as_deref().filter(|c| *c != "*") {
            let after = self.after_cursor(&sort, cursor)?;
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(after, 0.0))));
        }
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        };

        let everything = usize::try_from(searcher.num_docs())
            .unwrap_or(usize::MAX)
            .max(1);
        let matches = searcher.search(&query, &DocSetCollector)?;
        let start = if req.cursor.as_deref().is_some_and(|c| c != "*") {
            0
        } else {
            req.start
        };
        let (page, last_key) = if req.rows == 0 {
            (vec![], None)
        } else {
            let top = TopDocs::with_limit(req.rows)
                .and_offset(start.min(everything))
                .order_by(sort.computer());
            let hits = searcher.search(&query, &top)?;
            let last = hits.last().map(|(k, _)| k.clone());
            (hits.into_iter().map(|(_, a)| a).collect::<Vec<_>>(), last)
        };
        let mut results = Vec::with_capacity(page.len());
        for addr in &page {
            results.push(self.stored_dict(&searcher, *addr)?);
        }
        let next_cursor = match (&req.cursor, last_key) {
            (Some(_), Some(k)) if page.len() == req.rows => Some(encode_cursor(&k)),
            _ => None,
        };
        let all = TopDocs::with_limit(everything).order_by(sort.computer());
        let asked = req.sort.len().min(4);
        let mut keys = vec![];
        for (value, addr) in searcher.search(&query, &all)? {
            let mut values = sort_values(&value);
            values.truncate(asked);
            for (v, (field, _)) in values.iter_mut().zip(&sort.0) {
                if field == "id" {
                    *v = serde_json::Value::Null;
                }
            }
            keys.push((self.dataset_id(&searcher, addr)?, values));
        }
        let counted = self.plain_facets(&searcher, req, &matches)?;
        Ok(Reference {
            hits: SearchHits {
                count: matches.len(),
                results,
                facets: crate::execute::facet_counts(req, counted),
                next_cursor,
                generation: self.applied_seq(),
            },
            keys,
        })
    }

    /// The dataset id of a document, from the `id` column.
    fn dataset_id(&self, searcher: &tantivy::Searcher, addr: DocAddress) -> Result<String, Error> {
        let segment = searcher.segment_reader(addr.segment_ord);
        let mut id = String::new();
        if let Some(column) = segment.fast_fields().str("id")? {
            if let Some(ord) = column.term_ords(addr.doc_id).next() {
                column
                    .ord_to_str(ord, &mut id)
                    .map_err(|e| Error::Engine(e.to_string()))?;
            }
        }
        Ok(id)
    }

    /// Facet counts read document by document from the fast fields' columns.
    fn plain_facets(
        &self,
        searcher: &tantivy::Searcher,
        req: &SearchRequest,
        matches: &std::collections::HashSet<DocAddress>,
    ) -> Result<Vec<Vec<(String, u64)>>, Error> {
        let mut out = vec![];
        for name in &req.facet_fields {
            let field = facet_field(name);
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            if schema::STRING_FIELDS.contains(&field) {
                for addr in matches {
                    let segment = searcher.segment_reader(addr.segment_ord);
                    let Some(column) = segment.fast_fields().str(field)? else {
                        continue;
                    };
                    let mut values = BTreeSet::new();
                    for ord in column.term_ords(addr.doc_id) {
                        let mut s = String::new();
                        column
                            .ord_to_str(ord, &mut s)
                            .map_err(|e| Error::Engine(e.to_string()))?;
                        values.insert(s);
                    }
                    for v in values {
                        *counts.entry(v).or_default() += 1;
                    }
                }
            }
            out.push(counts.into_iter().collect());
        }
        Ok(out)
    }
}
