//! Collectors over the per-segment ordinal tables: how many documents match and their facet
//! counts, and the best matches by score; both can check visibility per document.
//!
//! Visibility for the common case (a caller who may see public datasets only) is checked
//! here, per matching document, rather than intersected as one more posting list: the list
//! of public datasets is nearly the whole index, and leaving it out of the query keeps a
//! plain conjunction of words eligible for tantivy's block-max pruning.

use crate::tables::{OrdTable, Tables};
use std::borrow::Cow;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{BitSet, DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// Per field (in the request's order): (value, number of matching documents), by value.
pub type Counts = Vec<Vec<(String, u64)>>;

/// Documents whose `field` holds `value`, e.g. `vis_dataset` = `public`.
#[derive(Clone, Copy)]
pub struct OnlyWhere {
    pub field: &'static str,
    pub value: &'static str,
}

/// `OnlyWhere` bound to one segment: the documents holding the value, as a bit set (a few
/// hundred kilobytes that stay in the CPU cache, where a table of the field's values would
/// not).
pub(crate) struct SegmentCheck(Option<Arc<BitSet>>);

impl SegmentCheck {
    pub(crate) fn new(
        only: Option<OnlyWhere>,
        tables: &Tables,
        reader: &SegmentReader,
    ) -> tantivy::Result<Option<Self>> {
        let Some(only) = only else { return Ok(None) };
        let bits = tables.docs_holding(reader, only.field, only.value)?;
        Ok(Some(SegmentCheck(bits)))
    }

    #[inline]
    fn allows(&self, doc: DocId) -> bool {
        self.0.as_ref().is_some_and(|bits| bits.contains(doc))
    }
}

#[inline]
pub(crate) fn allowed(check: &Option<SegmentCheck>, doc: DocId) -> bool {
    check.as_ref().is_none_or(|c| c.allows(doc))
}

/// Counts the matches and, for each requested field, how many matches hold each value.
pub struct Matches<'a> {
    pub tables: &'a Tables,
    /// `None` for a field without exact values (text, dates, numbers): it counts nothing.
    pub facets: Vec<Option<&'static str>>,
    pub only: Option<OnlyWhere>,
}

pub struct MatchesSegment {
    check: Option<SegmentCheck>,
    count: usize,
    /// Scratch space for one block of documents.
    visible: Vec<DocId>,
    facets: Vec<Option<(Arc<OrdTable>, Vec<u32>)>>,
}

impl MatchesSegment {
    /// Hands the visibility check over to a caller that will pass on only the documents in
    /// the returned bit set (`Some(None)`: none of the segment's); the segment stops checking.
    pub fn hand_over_check(&mut self) -> Option<Option<Arc<BitSet>>> {
        self.check.take().map(|c| c.0)
    }

    fn add(&mut self, docs: &[DocId]) {
        let docs = match &self.check {
            None => docs,
            Some(check) => {
                self.visible.clear();
                self.visible
                    .extend(docs.iter().copied().filter(|&d| check.allows(d)));
                &self.visible
            }
        };
        self.count += docs.len();
        for (table, counts) in self.facets.iter_mut().flatten() {
            table.count_into(docs, counts);
        }
    }
}

impl Collector for Matches<'_> {
    type Fruit = (usize, Counts);
    type Child = MatchesSegment;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<MatchesSegment> {
        let facets = self
            .facets
            .iter()
            .map(|f| {
                let Some(f) = f else { return Ok(None) };
                Ok(self.tables.get(reader, f)?.map(|t| {
                    let n = t.counters();
                    (t, vec![0u32; n])
                }))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(MatchesSegment {
            check: SegmentCheck::new(self.only, self.tables, reader)?,
            count: 0,
            visible: vec![],
            facets,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentCounts>) -> tantivy::Result<(usize, Counts)> {
        let count = segments.iter().map(|s| s.count).sum();
        // Segments mostly share their values: each is allocated once per search, at the end.
        let mut fields: Vec<HashMap<Cow<str>, u64>> = vec![HashMap::new(); self.facets.len()];
        for segment in &segments {
            for (all, facet) in fields.iter_mut().zip(&segment.facets) {
                if let Some((table, counters)) = facet {
                    table.for_each_count(counters, |value, n| *all.entry(value).or_default() += n);
                }
            }
        }
        let by_value = |field: HashMap<Cow<str>, u64>| {
            let mut counts: Vec<(String, u64)> = field
                .into_iter()
                .map(|(v, n)| (v.into_owned(), n))
                .collect();
            counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            counts
        };
        Ok((count, fields.into_iter().map(by_value).collect()))
    }
}

/// One segment's matches: how many, and per field the table and its counters.
pub struct SegmentCounts {
    count: usize,
    facets: Vec<Option<(Arc<OrdTable>, Vec<u32>)>>,
}

impl SegmentCollector for MatchesSegment {
    type Fruit = SegmentCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.add(&[doc]);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.add(docs);
    }

    fn harvest(self) -> SegmentCounts {
        SegmentCounts {
            count: self.count,
            facets: self.facets,
        }
    }
}

/// A scored document: its score, its `metadata_modified` (as tantivy's timestamp), its
/// address. Orders as CKAN's default sort, `score desc, metadata_modified desc`: by score, then
/// the newer first; then the lower address first (tantivy's own tie-break).
#[derive(Clone, Copy)]
pub struct Scored(pub Score, pub i64, pub DocAddress);

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    /// Greater is better: a higher score; the same score and newer; or both the same and a
    /// lower address.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| self.1.cmp(&other.1))
            .then_with(|| other.2.cmp(&self.2))
    }
}

/// A segment's `metadata_modified` values, read only for documents that tie their way into
/// the best (the others are decided by score alone).
pub(crate) struct Modified(Option<tantivy::columnar::Column<tantivy::DateTime>>);

impl Modified {
    pub(crate) fn of(reader: &SegmentReader) -> Modified {
        Modified(reader.fast_fields().date("metadata_modified").ok())
    }

    pub(crate) fn at(&self, doc: DocId) -> i64 {
        self.0
            .as_ref()
            .and_then(|c| c.first(doc))
            .map_or(i64::MIN, |d| d.into_timestamp_nanos())
    }
}

/// The `k` best visible matches by score, best first. Collects through the weight's pruning
/// loop, so a conjunction of words skips blocks that cannot reach the page (block-max).
pub struct BestByScore<'a> {
    pub tables: &'a Tables,
    pub k: usize,
    pub only: Option<OnlyWhere>,
    /// Clauses that add to the score of a match without deciding it (words typed with
    /// diacritics: their exact matches).
    pub optional: Option<Optional>,
}

/// Optional clauses of a query, scored apart from its required part (MaxScore): a match of
/// the required part can reach the page only if its score plus the most these can add beats
/// the page's worst, so the required part is still collected with block-max pruning, and
/// these are read only for the matches that can make it.
pub struct Optional {
    weights: Vec<Box<dyn Weight>>,
    /// The most the clauses can add together, rounded up.
    most: Score,
}

impl Optional {
    /// `clauses`: each a weight and the most it can add to a score.
    pub fn new(clauses: Vec<(Box<dyn Weight>, Score)>) -> Optional {
        let most: Score = clauses.iter().map(|(_, m)| m).sum();
        Optional {
            weights: clauses.into_iter().map(|(w, _)| w).collect(),
            // Float sums in another order may differ in the last bits: never prune a match
            // that could tie its way in.
            most: most * 1.001 + 1e-6,
        }
    }
}

/// The best `k` seen so far, worst on top.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Scored>>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(10_000) + 1),
        }
    }

    /// Offers a document (its `modified` is read only if its score can get it in); returns
    /// the score a document must now beat to get in. Just below the worst score kept: a
    /// document that ties it may still get in, being newer.
    #[inline]
    pub(crate) fn offer(
        &mut self,
        score: Score,
        addr: DocAddress,
        modified: impl FnOnce() -> i64,
    ) -> Score {
        let full = self.heap.len() >= self.k;
        if full
            && self
                .heap
                .peek()
                .is_some_and(|Reverse(worst)| score < worst.0)
        {
            return self.threshold();
        }
        let s = Scored(score, modified(), addr);
        if !full {
            self.heap.push(Reverse(s));
        } else if self.heap.peek().is_some_and(|Reverse(worst)| s > *worst) {
            self.heap.pop();
            self.heap.push(Reverse(s));
        }
        self.threshold()
    }

    pub(crate) fn threshold(&self) -> Score {
        if self.heap.len() < self.k {
            return Score::MIN;
        }
        self.heap
            .peek()
            .map_or(Score::MIN, |Reverse(w)| w.0.next_down())
    }

    pub(crate) fn into_best_first(self) -> Vec<Scored> {
        let mut v: Vec<Scored> = self.heap.into_iter().map(|Reverse(s)| s).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

pub struct BestSegment {
    segment: SegmentOrdinal,
    check: Option<SegmentCheck>,
    top: TopK,
    modified: Modified,
}

impl SegmentCollector for BestSegment {
    type Fruit = Vec<Scored>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if allowed(&self.check, doc) {
            let modified = &self.modified;
            self.top
                .offer(score, DocAddress::new(self.segment, doc), || {
                    modified.at(doc)
                });
        }
    }

    fn harvest(self) -> Vec<Scored> {
        self.top.into_best_first()
    }
}

impl Collector for BestByScore<'_> {
    type Fruit = Vec<Scored>;
    type Child = BestSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<BestSegment> {
        Ok(BestSegment {
            segment,
            check: SegmentCheck::new(self.only, self.tables, reader)?,
            top: TopK::new(self.k),
            modified: Modified::of(reader),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Vec<Scored>> {
        if self.k == 0 {
            return Ok(vec![]);
        }
        let mut seg = self.for_segment(segment, reader)?;
        let alive = reader.alive_bitset();
        let Some(optional) = &self.optional else {
            // The callback returns the score to beat: blocks whose best possible score is
            // lower are skipped without being decoded.
            weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
                let live = alive.is_none_or(|a| a.is_alive(doc));
                if live && allowed(&seg.check, doc) {
                    let modified = &seg.modified;
                    seg.top
                        .offer(score, DocAddress::new(segment, doc), || modified.at(doc))
                } else {
                    seg.top.threshold()
                }
            })?;
            return Ok(seg.harvest());
        };
        let mut extras = optional
            .weights
            .iter()
            .map(|w| w.scorer(reader, 1.0))
            .collect::<tantivy::Result<Vec<_>>>()?;
        // Documents come in increasing order, so each optional scorer only moves forward.
        let beat = |threshold: Score| threshold - optional.most;
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            let live = alive.is_none_or(|a| a.is_alive(doc));
            if !(live && allowed(&seg.check, doc)) {
                return beat(seg.top.threshold());
            }
            let mut total = score;
            for extra in extras.iter_mut() {
                if extra.doc() < doc {
                    extra.seek(doc);
                }
                if extra.doc() == doc {
                    total += extra.score();
                }
            }
            let modified = &seg.modified;
            beat(
                seg.top
                    .offer(total, DocAddress::new(segment, doc), || modified.at(doc)),
            )
        })?;
        Ok(seg.harvest())
    }

    fn merge_fruits(&self, segments: Vec<Vec<Scored>>) -> tantivy::Result<Vec<Scored>> {
        let mut all: Vec<Scored> = segments.into_iter().flatten().collect();
        all.sort_by(|a, b| b.cmp(a));
        all.truncate(self.k);
        Ok(all)
    }
}
