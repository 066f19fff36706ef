//! Plain words with CKAN's `mm`, or with filters, counted with bit sets. Each word's term is a
//! bit set of the segment's documents (cached with the ordinal tables); the documents that
//! hold at least `k` of `n` terms come out of a saturating count of misses, 64 documents at
//! a time, and the filters (`fq`) and visibility are more bit sets to AND in. A million
//! documents is 15,625 words of 64 bits: a few microseconds per term, whatever the terms'
//! frequencies, where walking "so" (in 98% of the generated datasets) took milliseconds.
//!
//! The matches are then counted and faceted, and kept per segment for ranking: the best are
//! found over the union of the words (block-max WAND), keeping only these documents.

use crate::collect::{Counts, Matches};
use crate::tables::Tables;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query, TermQuery};
use tantivy::{BitSet, DocId, Searcher, SegmentReader, Term};

/// More words than this take the general path (the miss counter has one plane per miss
/// allowed).
pub const MAX_WORDS: usize = 16;

/// A segment's matching documents, 64 to a word.
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    /// How many documents.
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn contains(&self, doc: DocId) -> bool {
        self.words
            .get((doc / 64) as usize)
            .is_some_and(|w| w & (1u64 << (doc % 64)) != 0)
    }

    /// Each document, in increasing order.
    pub fn each(&self, mut f: impl FnMut(DocId)) {
        for (i, &w) in self.words.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                let bit = w.trailing_zeros();
                f(i as DocId * 64 + bit);
                w &= w - 1;
            }
        }
    }
}

/// Per segment (by ordinal): the matches, `None` where there are none.
pub type MatchSets = Vec<Option<Arc<Bits>>>;

/// The 64 documents from `64 * i` of a tantivy bit set, as a word.
#[inline]
fn word_of(bits: &BitSet, i: usize) -> u64 {
    u64::from_le_bytes(bits.tinyset(i as u32).into_bytes())
}

/// The documents of each segment holding at least `at_least` of the words (distinct; each a
/// term, or its stem) and matching every filter; counted and faceted by `matches` (which hands its visibility
/// check over), and returned for ranking.
pub fn count(
    searcher: &Searcher,
    tables: &Tables,
    words: &[(Term, Option<Term>)],
    at_least: usize,
    filters: &[Box<dyn Query>],
    matches: &Matches,
) -> tantivy::Result<((usize, Counts), MatchSets)> {
    let mut fruits = vec![];
    let mut sets = vec![];
    let filter_weights = filters
        .iter()
        .map(|f| f.weight(EnableScoring::disabled_from_searcher(searcher)))
        .collect::<tantivy::Result<Vec<_>>>()?;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let mut collected = matches.for_segment(ord as u32, segment)?;
        let visible = match collected.hand_over_check() {
            Some(Some(bits)) => Some(bits),
            Some(None) => {
                fruits.push(collected.harvest());
                sets.push(None);
                continue;
            }
            None => None,
        };
        // Each word's documents: its term's, and its stem's.
        let mut required: Vec<Vec<Arc<BitSet>>> = vec![];
        let mut absent = 0;
        for (term, stem) in words {
            let mut either = vec![];
            for t in std::iter::once(term).chain(stem) {
                either.extend(term_bits(tables, segment, t)?);
            }
            if either.is_empty() {
                absent += 1;
            } else {
                required.push(either);
            }
        }
        let mut filter_bits = vec![];
        for (f, w) in filters.iter().zip(&filter_weights) {
            filter_bits.push(filter_set(tables, segment, f.as_ref(), w.as_ref())?);
        }
        let allowed_misses = words.len() - at_least;
        if absent > allowed_misses || filter_bits.iter().any(Option::is_none) {
            fruits.push(collected.harvest());
            sets.push(None);
            continue;
        }
        let filter_bits: Vec<Arc<BitSet>> = filter_bits.into_iter().flatten().collect();
        let found = at_least_of(
            &required,
            allowed_misses - absent,
            visible.as_deref(),
            &filter_bits,
            segment,
        );
        let mut block: Vec<DocId> = Vec::with_capacity(128);
        found.each(|doc| {
            block.push(doc);
            if block.len() == 128 {
                collected.collect_block(&block);
                block.clear();
            }
        });
        if !block.is_empty() {
            collected.collect_block(&block);
        }
        fruits.push(collected.harvest());
        sets.push(Some(Arc::new(found)));
    }
    Ok((matches.merge_fruits(fruits)?, sets))
}

/// The documents missing at most `misses` of the words (each one or more sets, any of which
/// holds it), in every filter set, visible (when a set is given) and alive.
fn at_least_of(
    words: &[Vec<Arc<BitSet>>],
    misses: usize,
    visible: Option<&BitSet>,
    filters: &[Arc<BitSet>],
    segment: &SegmentReader,
) -> Bits {
    let max_doc = segment.max_doc();
    let n_words = (max_doc as usize).div_ceil(64);
    let mut out: Vec<u64> = Vec::with_capacity(n_words);
    // planes[j]: the documents missing more than j terms (a saturating unary counter).
    let mut planes = [0u64; MAX_WORDS + 1];
    let planes = &mut planes[..=misses.min(MAX_WORDS)];
    for i in 0..n_words {
        planes.fill(0);
        for either in words {
            let missing = !either.iter().fold(0u64, |held, t| held | word_of(t, i));
            for j in (1..planes.len()).rev() {
                planes[j] |= planes[j - 1] & missing;
            }
            planes[0] |= missing;
        }
        let mut w = !planes[planes.len() - 1];
        if let Some(v) = visible {
            w &= word_of(v, i);
        }
        for f in filters {
            w &= word_of(f, i);
        }
        out.push(w);
    }
    // Past the last document, and deleted documents: never matches.
    if let Some(last) = out.last_mut() {
        let used = max_doc % 64;
        if used != 0 {
            *last &= (1u64 << used) - 1;
        }
    }
    if let Some(alive) = segment.alive_bitset() {
        for (i, w) in out.iter_mut().enumerate() {
            let mut bits = *w;
            while bits != 0 {
                let bit = bits.trailing_zeros();
                if alive.is_deleted(i as DocId * 64 + bit) {
                    *w &= !(1u64 << bit);
                }
                bits &= bits - 1;
            }
        }
    }
    let len = out.iter().map(|w| w.count_ones() as usize).sum();
    Bits { words: out, len }
}

/// A term in fewer than one document in this many of a segment is read from its postings
/// each time (cheap) rather than kept: the cache holds the common terms every query reuses.
const KEPT_FROM: u32 = 16;

/// A term's documents in the segment (`None` when it has none).
fn term_bits(
    tables: &Tables,
    segment: &SegmentReader,
    term: &Term,
) -> tantivy::Result<Option<Arc<BitSet>>> {
    let postings = segment.inverted_index(term.field())?;
    let Some(info) = postings.get_term_info(term)? else {
        return Ok(None);
    };
    if info.doc_freq.saturating_mul(KEPT_FROM) >= segment.max_doc() {
        return Ok(Some(tables.term_bits(segment, &postings, term, &info)?));
    }
    let mut bits = BitSet::with_max_value(segment.max_doc());
    let mut block = postings
        .read_block_postings_from_terminfo(&info, tantivy::schema::IndexRecordOption::Basic)?;
    let mut read = 0;
    while read < info.doc_freq && !block.docs().is_empty() {
        for &doc in block.docs() {
            bits.insert(doc);
        }
        read += block.docs().len() as u32;
        block.advance();
    }
    Ok(Some(Arc::new(bits)))
}

/// A filter's documents in the segment (`None` when it has none): a single term's from the
/// cache, anything else by running it.
fn filter_set(
    tables: &Tables,
    segment: &SegmentReader,
    filter: &dyn Query,
    weight: &dyn tantivy::query::Weight,
) -> tantivy::Result<Option<Arc<BitSet>>> {
    if let Some(t) = filter.downcast_ref::<TermQuery>() {
        return term_bits(tables, segment, t.term());
    }
    let mut bits = BitSet::with_max_value(segment.max_doc());
    let mut any = false;
    weight.for_each_no_score(segment, &mut |docs| {
        for &d in docs {
            bits.insert(d);
        }
        any |= !docs.is_empty();
    })?;
    Ok(any.then(|| Arc::new(bits)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::Matches;
    use tantivy::schema::{Schema, STORED, STRING};
    use tantivy::{Index, TantivyDocument};

    /// Document d (of 300) holds w{i} when d is a multiple of i + 2, and "odd" when d is
    /// odd; two segments, one deletion.
    #[test]
    fn at_least_k_of_n_with_filters_as_brute_force() {
        let mut b = Schema::builder();
        let f = b.add_text_field("text", STRING | STORED);
        let index = Index::create_in_ram(b.build());
        let mut w = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let holds = |d: u32, word: &str| match word {
            "odd" => d % 2 == 1,
            w => w[1..].parse::<u32>().is_ok_and(|i| d.is_multiple_of(i + 2)),
        };
        for d in 0..300u32 {
            let mut doc = TantivyDocument::default();
            for word in ["w0", "w1", "w2", "w3", "odd"] {
                if holds(d, word) {
                    doc.add_text(f, word);
                }
            }
            doc.add_text(f, format!("id{d}"));
            w.add_document(doc).expect("add");
            if d == 150 {
                w.commit().expect("commit");
            }
        }
        w.commit().expect("commit");
        w.delete_term(Term::from_field_text(f, "id30"));
        w.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let tables = Tables::default();
        let matches = Matches {
            tables: &tables,
            facets: vec![],
            only: None,
        };
        let term = |w: &str| Term::from_field_text(f, w);
        for (words, k, filter) in [
            (vec!["w0", "w1", "w2"], 2, None),
            (vec!["w0", "w1", "w2", "w3"], 3, Some("odd")),
            (vec!["w1", "w3", "nowhere"], 2, None),
            (vec!["w0", "w2"], 2, Some("odd")),
            (vec!["w0", "w1"], 1, Some("nowhere")),
        ] {
            let terms: Vec<(Term, Option<Term>)> = words.iter().map(|w| (term(w), None)).collect();
            let filters: Vec<Box<dyn Query>> = filter
                .map(|v| {
                    Box::new(TermQuery::new(
                        term(v),
                        tantivy::schema::IndexRecordOption::Basic,
                    )) as Box<dyn Query>
                })
                .into_iter()
                .collect();
            let ((n, _), sets) =
                count(&searcher, &tables, &terms, k, &filters, &matches).expect("count");
            let expected: Vec<u32> = (0..300)
                .filter(|&d| d != 30)
                .filter(|&d| words.iter().filter(|w| holds(d, w)).count() >= k)
                .filter(|&d| filter.is_none_or(|v| holds(d, v)))
                .collect();
            assert_eq!(n, expected.len(), "{words:?} {k} {filter:?}");
            let mut seen = vec![];
            for (ord, set) in sets.iter().enumerate() {
                if let Some(set) = set {
                    set.each(|doc| {
                        let stored: TantivyDocument = searcher
                            .doc(tantivy::DocAddress::new(ord as u32, doc))
                            .expect("doc");
                        let id = stored
                            .get_all(f)
                            .filter_map(|v| tantivy::schema::Value::as_str(&v).map(str::to_string))
                            .find(|v| v.starts_with("id"))
                            .expect("id");
                        seen.push(id[2..].parse::<u32>().expect("number"));
                    });
                }
            }
            seen.sort();
            assert_eq!(seen, expected, "{words:?} {k} {filter:?}");
        }
    }
}
