//! The best of matches already known (`word_bits`'s sets), by the query's score. Two ways
//! to find them, by how many there are in a segment:
//! - many: walk the union of the query's terms with block-max WAND, which skips what cannot
//!   beat the page's worst, and keep only documents of the set;
//! - few (a filter left a handful among hundreds of thousands): score each document of the
//!   set term by term; the union would be walked nearly whole to find them.
//!
//! Both compute scores in their own order of addition, which may differ from the query's in
//! the last bits, enough to reorder documents that tie (generated datasets often do). So the
//! documents whose approximate score comes near enough the page are scored again, at the end,
//! by the query itself, exactly as the plain path scores them, and ranked by that score.

use crate::collect::{allowed, Modified, OnlyWhere, Scored, SegmentCheck, TopK};
use crate::tables::Tables;
use crate::word_bits::{Bits, MatchSets};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::AliveBitSet;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// When at most one document of the segment in this many matches, it is scored match by
/// match (measured at 1,000,000 datasets: 16 and 256 both slower than 64).
const SPARSE: usize = 64;

/// Bounds on what terms can add, rounded up: additions in another order never make a
/// document lose a place it ties for.
const BOUND_MARGIN: Score = 1.001;

/// How far below the page's worst score an approximate score may be and still be scored
/// again (relative): far more than the rounding differences of a few additions.
const SLACK: Score = 1e-4;

/// One term's weight, with the most it can add to a score.
pub type TermWeight = (Box<dyn Weight>, Score);

pub struct BestWithin<'a> {
    pub tables: &'a Tables,
    pub k: usize,
    pub only: Option<OnlyWhere>,
    pub sets: &'a MatchSets,
    /// The query's terms one by one (boosts applied), with the most each can score, for
    /// scoring a few matches directly.
    pub terms: Vec<TermWeight>,
    /// The query as the plain path runs it, for the exact score.
    pub exact: Box<dyn Weight>,
}

/// Below `threshold` by the slack: what an approximate score must beat to be looked at.
fn loosened(threshold: Score) -> Score {
    if threshold == Score::MIN {
        return threshold;
    }
    threshold - threshold.abs() * SLACK - SLACK
}

/// The `k`-th best approximate score so far (`Score::MIN` until there are `k`).
struct KthBest {
    k: usize,
    heap: BinaryHeap<Reverse<OrderedScore>>,
}

struct OrderedScore(Score);
impl PartialEq for OrderedScore {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for OrderedScore {}
impl PartialOrd for OrderedScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl KthBest {
    fn offer(&mut self, score: Score) {
        self.heap.push(Reverse(OrderedScore(score)));
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(Reverse(s)) if self.heap.len() >= self.k => s.0,
            _ => Score::MIN,
        }
    }
}

/// One segment's candidates: every match whose approximate score was near enough the best
/// `k` when it was seen, scored exactly at the end.
struct Page {
    set: Arc<Bits>,
    check: Option<SegmentCheck>,
    best: KthBest,
    candidates: Vec<(DocId, Score)>,
}

impl Page {
    /// Offers `doc` (in increasing order) whose approximate score is `approx`; returns what
    /// a later document must beat.
    fn offer(&mut self, doc: DocId, approx: Score, alive: Option<&AliveBitSet>) -> Score {
        let live = alive.is_none_or(|a| a.is_alive(doc));
        if live
            && self.set.contains(doc)
            && allowed(&self.check, doc)
            && approx > loosened(self.best.threshold())
        {
            self.best.offer(approx);
            self.candidates.push((doc, approx));
            if self.candidates.len() > 4 * self.best.k + 64 {
                let floor = loosened(self.best.threshold());
                self.candidates.retain(|(_, a)| *a > floor);
            }
        }
        loosened(self.best.threshold())
    }
}

/// What `BestWithin` collects per segment when tantivy asks for one (it does not: see
/// `collect_segment`).
pub struct Unused;

impl SegmentCollector for Unused {
    type Fruit = Vec<Scored>;
    fn collect(&mut self, _doc: DocId, _score: Score) {}
    fn harvest(self) -> Vec<Scored> {
        vec![]
    }
}

impl Collector for BestWithin<'_> {
    type Fruit = Vec<Scored>;
    type Child = Unused;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<Unused> {
        Ok(Unused)
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
        let Some(set) = self.sets.get(segment as usize).cloned().flatten() else {
            return Ok(vec![]);
        };
        if self.k == 0 || set.len() == 0 {
            return Ok(vec![]);
        }
        let mut page = Page {
            set: set.clone(),
            check: SegmentCheck::new(self.only, self.tables, reader)?,
            best: KthBest {
                k: self.k,
                heap: BinaryHeap::with_capacity(self.k.min(10_000) + 1),
            },
            candidates: vec![],
        };
        let alive = reader.alive_bitset();
        if set.len() * SPARSE <= reader.max_doc() as usize {
            // The terms that can score most first: once the page is full, a document whose
            // score so far plus the most the rest could add cannot beat it is left before
            // its common words are sought.
            let mut terms = self
                .terms
                .iter()
                .map(|(w, most)| Ok((w.scorer(reader, 1.0)?, *most)))
                .collect::<tantivy::Result<Vec<_>>>()?;
            terms.sort_by(|a, b| b.1.total_cmp(&a.1));
            let mut rest: Vec<Score> = vec![0.0; terms.len()];
            for i in (0..terms.len().saturating_sub(1)).rev() {
                rest[i] = rest[i + 1] + terms[i + 1].1;
            }
            set.each(|doc| {
                let floor = loosened(page.best.threshold());
                let mut approx: Score = 0.0;
                for ((t, _), rest) in terms.iter_mut().zip(&rest) {
                    if t.doc() < doc {
                        t.seek(doc);
                    }
                    if t.doc() == doc {
                        approx += t.score();
                    }
                    if approx + rest * BOUND_MARGIN <= floor {
                        return;
                    }
                }
                page.offer(doc, approx, alive);
            });
        } else {
            weight.for_each_pruning(Score::MIN, reader, &mut |doc, approx| {
                page.offer(doc, approx, alive)
            })?;
        }
        // The candidates still near enough, scored exactly, in document order.
        let floor = loosened(page.best.threshold());
        let mut exact = self.exact.scorer(reader, 1.0)?;
        let modified = Modified::of(reader);
        let mut top = TopK::new(self.k);
        for (doc, approx) in page.candidates {
            if approx <= floor {
                continue;
            }
            if exact.doc() < doc {
                exact.seek(doc);
            }
            if exact.doc() == doc {
                let score = exact.score();
                top.offer(score, DocAddress::new(segment, doc), || modified.at(doc));
            }
        }
        Ok(top.into_best_first())
    }

    fn merge_fruits(&self, segments: Vec<Vec<Scored>>) -> tantivy::Result<Vec<Scored>> {
        let mut all: Vec<Scored> = segments.into_iter().flatten().collect();
        all.sort_by(|a, b| b.cmp(a));
        all.truncate(self.k);
        Ok(all)
    }
}
