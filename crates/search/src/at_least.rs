//! At least `k` of several clauses: CKAN's `mm` for bare words. tantivy's own minimum-match
//! disjunction walks every posting of every clause through a heap; with common syllables
//! ("so", "cong" are in most generated datasets) that is millions of postings a query.
//!
//! A document holding at least `k` of `n` clauses holds at least one of any `n - k + 1` of
//! them (it misses at most `n - k`). So the `n - k + 1` cheapest clauses ("leads") propose
//! the candidates, in document order, and the others ("tails") are only asked about those
//! candidates, by seeking: the common clauses are never walked. The score is the sum of the
//! matching clauses' scores, as tantivy's disjunction makes it.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

/// Documents matching at least `k` of `clauses` (`k` ≥ 1).
#[derive(Debug)]
pub struct AtLeast {
    clauses: Vec<Box<dyn Query>>,
    k: usize,
}

impl Clone for AtLeast {
    fn clone(&self) -> Self {
        AtLeast {
            clauses: self.clauses.iter().map(|q| q.box_clone()).collect(),
            k: self.k,
        }
    }
}

impl AtLeast {
    pub fn new(clauses: Vec<Box<dyn Query>>, k: usize) -> AtLeast {
        AtLeast {
            clauses,
            k: k.max(1),
        }
    }
}

impl Query for AtLeast {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|q| q.weight(scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(AtLeastWeight { weights, k: self.k }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for q in &self.clauses {
            q.query_terms(visitor);
        }
    }
}

struct AtLeastWeight {
    weights: Vec<Box<dyn Weight>>,
    k: usize,
}

impl Weight for AtLeastWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = vec![];
        for w in &self.weights {
            let s = w.scorer(reader, boost)?;
            if s.doc() != TERMINATED {
                scorers.push(s);
            }
        }
        if scorers.len() < self.k {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(AtLeastScorer::new(scorers, self.k)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut s = self.scorer(reader, 1.0)?;
        if s.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        Ok(Explanation::new("at least k of the words", s.score()))
    }
}

pub struct AtLeastScorer {
    /// The `n - k + 1` cheapest clauses: every match is on one of them.
    leads: Vec<Box<dyn Scorer>>,
    /// Where each lead is (kept here: asking a boxed scorer costs a call each time).
    lead_docs: Vec<DocId>,
    /// The others, asked by seeking.
    tails: Vec<Box<dyn Scorer>>,
    tail_docs: Vec<DocId>,
    k: usize,
    doc: DocId,
}

impl AtLeastScorer {
    fn new(mut scorers: Vec<Box<dyn Scorer>>, k: usize) -> AtLeastScorer {
        scorers.sort_by_key(|s| s.cost());
        let tails = scorers.split_off(scorers.len() + 1 - k);
        let mut s = AtLeastScorer {
            lead_docs: scorers.iter().map(|s| s.doc()).collect(),
            leads: scorers,
            tail_docs: tails.iter().map(|s| s.doc()).collect(),
            tails,
            k,
            doc: 0,
        };
        s.settle();
        s
    }

    /// Moves to the first candidate, at or after the leads' positions, that holds `k`
    /// clauses.
    fn settle(&mut self) -> DocId {
        loop {
            let d = self.lead_docs.iter().copied().min().unwrap_or(TERMINATED);
            if d == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            let mut held = self.lead_docs.iter().filter(|&&x| x == d).count();
            let mut unasked = self.tails.len();
            for (t, at) in self.tails.iter_mut().zip(self.tail_docs.iter_mut()) {
                if held + unasked < self.k {
                    break;
                }
                unasked -= 1;
                if *at < d {
                    *at = t.seek(d);
                }
                held += usize::from(*at == d);
            }
            if held >= self.k {
                self.doc = d;
                return d;
            }
            self.advance_leads_on(d);
        }
    }

    fn advance_leads_on(&mut self, d: DocId) {
        for (l, at) in self.leads.iter_mut().zip(self.lead_docs.iter_mut()) {
            if *at == d {
                *at = l.advance();
            }
        }
    }
}

impl DocSet for AtLeastScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.advance_leads_on(self.doc);
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for (l, at) in self.leads.iter_mut().zip(self.lead_docs.iter_mut()) {
            if *at < target {
                *at = l.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.leads
            .iter()
            .map(|s| s.size_hint())
            .fold(0u32, u32::saturating_add)
    }
}

impl Scorer for AtLeastScorer {
    fn score(&mut self) -> Score {
        let d = self.doc;
        // Every tail was asked about a match (none is left behind it), so the clauses on
        // `d` are exactly the matching ones.
        let leads = self.leads.iter_mut().zip(&self.lead_docs);
        let tails = self.tails.iter_mut().zip(&self.tail_docs);
        leads
            .chain(tails)
            .filter(|(_, at)| **at == d)
            .map(|(s, _)| s.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::AtLeast;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{DocAddress, Index, TantivyDocument, Term};

    /// Document d holds word w{i} when d is a multiple of i + 1 (w0 everywhere, w4 in one
    /// of five) and w9 never; several segments, some deletions.
    fn index() -> (Index, tantivy::schema::Field) {
        let mut b = Schema::builder();
        let f = b.add_text_field("text", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut w = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        for d in 0..600u32 {
            let mut doc = TantivyDocument::default();
            let words: Vec<String> = (0..8)
                .filter(|i| d % (i + 1) == 0)
                .map(|i| format!("w{i}"))
                .chain([format!("id{d}")])
                .collect();
            doc.add_text(f, words.join(" "));
            w.add_document(doc).expect("add");
            if d % 200 == 199 {
                w.commit().expect("commit");
            }
        }
        w.delete_term(Term::from_field_text(f, "id12"));
        w.commit().expect("commit");
        (index, f)
    }

    /// The same matches, in the same order, with the same scores, as tantivy's own
    /// minimum-match disjunction.
    #[test]
    fn matches_and_scores_as_tantivys_disjunction() {
        let (index, f) = index();
        let searcher = index.reader().expect("reader").searcher();
        let term = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, w),
                IndexRecordOption::WithFreqs,
            ))
        };
        for (words, k) in [
            (vec!["w0", "w1", "w2"], 2),
            (vec!["w1", "w2", "w4", "w6"], 3),
            (vec!["w3", "w5", "w7", "w9"], 2),
            (vec!["w0", "w4", "w5", "w6", "w7"], 4),
            (vec!["w2", "w3"], 1),
            (vec!["w9", "w7"], 2),
        ] {
            let ours = AtLeast::new(words.iter().map(|w| term(w)).collect(), k);
            let theirs = BooleanQuery::with_minimum_required_clauses(
                words.iter().map(|w| (Occur::Should, term(w))).collect(),
                k,
            );
            let top = TopDocs::with_limit(1000).order_by_score();
            let a: Vec<(f32, DocAddress)> = searcher.search(&ours, &top).expect("ours");
            let b: Vec<(f32, DocAddress)> = searcher.search(&theirs, &top).expect("theirs");
            assert_eq!(a.len(), b.len(), "{words:?} k={k}");
            // Scores equal but for the last bits (sums in another order): compare each
            // document's score, then the ranking with scores rounded.
            let by_doc = |v: &[(f32, DocAddress)]| {
                let mut v: Vec<(DocAddress, f32)> = v.iter().map(|(s, d)| (*d, *s)).collect();
                v.sort_by_key(|(d, _)| *d);
                v
            };
            for (x, y) in by_doc(&a).iter().zip(&by_doc(&b)) {
                assert_eq!(x.0, y.0, "{words:?} k={k}");
                assert!(
                    (x.1 - y.1).abs() < 1e-4,
                    "{words:?} k={k}: {} vs {}",
                    x.1,
                    y.1
                );
            }
            let n = searcher.search(&ours, &Count).expect("count");
            assert_eq!(n, searcher.search(&theirs, &Count).expect("count"));
        }
    }
}
