//! Running a search: the query built from q and fq, the visibility scope, then the cheapest
//! way to the page, the count and the facets (see `plan.rs` for the choice). Every fast path
//! here must answer exactly as the plain path in `reference.rs`; the differential test in
//! `tests/differential.rs` holds them to it.

use crate::build_query::{PlainWords, QueryBuilder, RankedWords};
use crate::collect::{self, BestByScore, Matches, OnlyWhere, Optional};
use crate::cursor::encode_cursor;
use crate::engine::Engine;
use crate::error::Error;
use crate::plan::{fast_plan, Plan};
use crate::rank_within::BestWithin;
use crate::schema;
use crate::scope::Scope;
use crate::{conjunction, listing, query, word_bits};
use catalogue::actions::search::{FacetCounts, SearchHits, SearchRequest, Visibility};
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, Bm25Weight, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query,
    TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value as _};
use tantivy::{DocAddress, Order, TantivyDocument, Term};

impl Engine {
    /// Runs a search; the caller has synced first when it needs read-your-writes.
    pub fn search(&self, req: &SearchRequest, vis: &Visibility) -> Result<SearchHits, Error> {
        let searcher = self.reader.searcher();
        let mut qb = self.query_builder(req, &searcher)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
        let q = req.q.trim();
        // `*:*` (or nothing) adds no clause: the visibility filter below already bounds the set.
        let parsed = query::parse(q).map_err(|e| Error::Query(e.0))?;
        // The words' query alone: how the plain path scores a match.
        let mut q_query: Option<Box<dyn Query>> = None;
        match &parsed {
            None | Some(query::Node::All) => {}
            Some(node) => {
                let built = qb.build_q(node).map_err(Error::Query)?;
                q_query = Some(built.box_clone());
                clauses.push((Occur::Must, built));
            }
        }
        let mut mentions_type = false;
        // The filters alone, for plain words counted with bit sets.
        let mut filters: Vec<Box<dyn Query>> = vec![];
        for fq in &req.fq {
            mentions_type |= fq.contains("dataset_type:") || fq.contains("type:");
            if let Some(node) = query::parse(fq).map_err(|e| Error::Query(e.0))? {
                let filter = qb.build(&node).map_err(Error::Query)?;
                filters.push(filter.box_clone());
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
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
        // Plain words seen by public eyes only: all of them and no filter, counted by walking
        // the words' postings (`conjunction`); `mm` of them or with filters, with bit sets
        // (`word_bits`) when their ranking splits into words and optional terms.
        let (words, bit_words) = match (&parsed, only, &req.cursor) {
            (Some(node), Some(_), None) => match qb.plain_words(node) {
                // One word alone, no filter, no stem: its postings walked (measured at
                // 1,000,000 datasets: for two words or more the bit sets are faster).
                Some(w)
                    if w.words.len() == 1
                        && filters.is_empty()
                        && w.words.iter().all(|(_, stem)| stem.is_none()) =>
                {
                    (Some(w), None)
                }
                Some(w) if !w.repeated && w.words.len() <= word_bits::MAX_WORDS => (None, Some(w)),
                _ => (None, None),
            },
            _ => (None, None),
        };
        // Past the last document every page is empty: don't let a huge `start` size the
        // collector (it allocates `start + rows` slots).
        // A cursor positions the page itself; `*` (the first cursor) honours `start`, so a
        // walk may begin at an offset and go on by keyset.
        let start = if req.cursor.as_deref().is_some_and(|c| c != "*") {
            0
        } else {
            req.start
        }
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
        let count = |matches: &Matches| -> tantivy::Result<(_, Option<word_bits::MatchSets>)> {
            match (&words, &bit_words) {
                (_, Some(w)) => {
                    let (counted, sets) = word_bits::count(
                        &searcher,
                        &self.tables,
                        &w.words,
                        w.at_least,
                        &filters,
                        matches,
                    )?;
                    Ok((counted, Some(sets)))
                }
                (Some(w), None) => Ok((
                    conjunction::count(&searcher, &self.tables, &w.terms, matches)?,
                    None,
                )),
                (None, None) => Ok((searcher.search(&query, matches)?, None)),
            }
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
            (vec![], count(&matches(only))?.0, None)
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
                    let (counted, sets) = count(&matches(only))?;
                    let k = start.saturating_add(req.rows);
                    let ranked = words.as_ref().and_then(|w| w.ranked.as_ref());
                    let hits = match (&bit_words, &sets, &q_query, ranked) {
                        // The matches are known: ranked among the union of their words and
                        // optional terms (see `rank_within`).
                        (Some(words), Some(sets), Some(exact), _) => {
                            let union = ranking_union(words);
                            let scoring = EnableScoring::enabled_from_searcher(&searcher);
                            let terms = ranking_terms(&searcher, words)?;
                            let within = BestWithin {
                                tables: &self.tables,
                                k,
                                only,
                                sets,
                                terms,
                                exact: exact.weight(scoring)?,
                            };
                            searcher.search(&union, &within)?
                        }
                        // Words typed with diacritics: the folded words ranked with pruning,
                        // their exact matches added where they can change the page.
                        (_, _, _, Some(words)) => {
                            let (required, optional) = ranking(&searcher, words)?;
                            let best = BestByScore {
                                tables: &self.tables,
                                k,
                                only,
                                optional: Some(optional),
                            };
                            searcher.search(&required, &best)?
                        }
                        _ => {
                            let best = BestByScore {
                                tables: &self.tables,
                                k,
                                only,
                                optional: None,
                            };
                            searcher.search(&query, &best)?
                        }
                    };
                    let addrs = hits.into_iter().skip(start).map(|s| s.2).collect();
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

    /// The query builder for `req`: its dismax parameters, and the index to tell typos by.
    pub(crate) fn query_builder(
        &self,
        req: &SearchRequest,
        searcher: &tantivy::Searcher,
    ) -> Result<QueryBuilder<'_>, Error> {
        let d = &req.dismax;
        let dismax = crate::dismax::Dismax::from_params(
            d.mm.as_deref(),
            d.qf.as_deref(),
            d.tie.as_deref(),
            d.def_type.as_deref(),
        )
        .map_err(Error::Query)?;
        Ok(QueryBuilder::new(&self.fields).with(dismax, searcher.clone()))
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

    pub(crate) fn stored_dict(
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
}

pub(crate) fn addresses<K>(hits: Vec<(K, DocAddress)>) -> Vec<DocAddress> {
    hits.into_iter().map(|(_, a)| a).collect()
}

pub(crate) fn facet_counts(req: &SearchRequest, counted: collect::Counts) -> FacetCounts {
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
pub(crate) fn facet_field(name: &str) -> &str {
    match name {
        "dataset_type" => "type",
        f => f,
    }
}

/// How much a word's English stem adds, relative to the word (as `dismax` builds it).
const STEM_BOOST: f32 = 0.5;

/// Every word's terms and every optional term (boosted) as one disjunction: scored as the
/// plain query scores its matches (but for the order of additions), and eligible for
/// block-max WAND.
fn ranking_union(words: &PlainWords) -> BooleanQuery {
    let term = |t: &Term| -> Box<dyn Query> {
        Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs))
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
    for (folded, stem) in &words.words {
        clauses.push((Occur::Should, term(folded)));
        if let Some(stem) = stem {
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(term(stem), STEM_BOOST)),
            ));
        }
    }
    for (t, boost) in &words.optional {
        clauses.push((Occur::Should, Box::new(BoostQuery::new(term(t), *boost))));
    }
    BooleanQuery::new(clauses)
}

/// The terms of `ranking_union` one by one, with the most each can score.
fn ranking_terms(
    searcher: &tantivy::Searcher,
    words: &PlainWords,
) -> Result<Vec<crate::rank_within::TermWeight>, Error> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let mut all: Vec<(&Term, f32)> = vec![];
    for (folded, stem) in &words.words {
        all.push((folded, 1.0));
        if let Some(stem) = stem {
            all.push((stem, STEM_BOOST));
        }
    }
    all.extend(words.optional.iter().map(|(t, b)| (t, *b)));
    let mut out = vec![];
    for (t, boost) in all {
        let q = BoostQuery::new(
            Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)),
            boost,
        );
        let most = Bm25Weight::for_terms(searcher, std::slice::from_ref(t))?
            .boost_by(boost)
            .max_score();
        out.push((q.weight(scoring)?, most));
    }
    Ok(out)
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
    for (t, boost) in &words.optional {
        let clause = BoostQuery::new(term(t), *boost);
        let weight = clause.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let most = Bm25Weight::for_terms(searcher, std::slice::from_ref(t))?
            .boost_by(*boost)
            .max_score();
        clauses.push((weight, most));
    }
    Ok((required, Optional::new(clauses)))
}
