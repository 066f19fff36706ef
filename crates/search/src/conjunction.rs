//! Counting the matches of plain words: a conjunction of terms on the catch-all field, the
//! most common search there is. tantivy's general intersection seeks every other term's
//! postings for each document of the rarest; when a word is in a large part of the catalogue
//! ("du" is in two datasets of three), each seek decodes a block to find one document. Here
//! the rarest term's postings are read block by block, and each common term is checked in a
//! bit set of its documents, built once per segment and kept with the ordinal tables.

use crate::collect::{Counts, Matches};
use crate::tables::Tables;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Searcher, Term};

/// A term is "common" in a segment, and checked in a bit set, when it is in at least one
/// document in this many.
const COMMON: u32 = 16;

/// What `matches` collects over the documents holding every one of `terms` (all of one field).
pub fn count(
    searcher: &Searcher,
    tables: &Tables,
    terms: &[Term],
    matches: &Matches,
) -> tantivy::Result<(usize, Counts)> {
    let Some(field) = terms.first().map(Term::field) else {
        return matches.merge_fruits(vec![]);
    };
    let mut fruits = vec![];
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let mut collected = matches.for_segment(ord as u32, segment)?;
        let postings = segment.inverted_index(field)?;
        let mut infos = vec![];
        for term in terms {
            match postings.get_term_info(term)? {
                Some(info) => infos.push((term, info)),
                None => break,
            }
        }
        if infos.len() < terms.len() {
            // A word this segment doesn't hold: no match here.
            fruits.push(collected.harvest());
            continue;
        }
        infos.sort_by_key(|(_, info)| info.doc_freq);
        let ((_, rarest), others) = match infos.split_first() {
            Some(split) => split,
            None => continue,
        };
        let mut bits = vec![];
        let mut seeks = vec![];
        for (term, info) in others {
            if info.doc_freq.saturating_mul(COMMON) >= segment.max_doc() {
                bits.push(tables.term_bits(segment, &postings, term, info)?);
            } else {
                seeks.push(postings.read_postings_from_terminfo(info, IndexRecordOption::Basic)?);
            }
        }
        // Visibility is one more bit set to test, in the same pass.
        match collected.hand_over_check() {
            Some(Some(visible)) => bits.push(visible),
            Some(None) => {
                fruits.push(collected.harvest());
                continue;
            }
            None => {}
        }
        let alive = segment.alive_bitset();
        let max_doc = segment.max_doc();
        let mut block =
            postings.read_block_postings_from_terminfo(rarest, IndexRecordOption::Basic)?;
        // Room for a block's documents, written in place: kept at its length (a block
        // never holds more than 128), so no block pays for clearing it.
        let mut kept: Vec<DocId> = vec![0; 128];
        let mut read = 0;
        while read < rarest.doc_freq && !block.docs().is_empty() {
            let docs = block.docs();
            if kept.len() < docs.len() {
                kept.resize(docs.len(), 0);
            }
            // Without branches on the outcome: whether a document of the rarest word holds
            // the common ones is a coin toss for the CPU, and mispredicted branches cost
            // more than the bit tests. Each document is written, and kept by moving on.
            let mut n = 0;
            for &doc in docs {
                let inside = doc < max_doc;
                let at = if inside { doc } else { 0 };
                let mut holds = inside;
                for b in &bits {
                    holds &= b.contains(at);
                }
                if let Some(a) = alive {
                    holds &= a.is_alive(at);
                }
                if let Some(slot) = kept.get_mut(n) {
                    *slot = doc;
                }
                n += usize::from(holds);
            }
            let found = kept.get(..n).unwrap_or_default();
            if seeks.is_empty() {
                collected.collect_block(found);
            } else {
                let mut found = found.to_vec();
                found.retain(|&doc| {
                    seeks
                        .iter_mut()
                        .all(|postings| postings.doc() <= doc && postings.seek(doc) == doc)
                });
                collected.collect_block(&found);
            }
            read += docs.len() as u32;
            block.advance();
        }
        fruits.push(collected.harvest());
    }
    matches.merge_fruits(fruits)
}

#[cfg(test)]
mod tests {
    use super::count;
    use crate::collect::{Matches, OnlyWhere};
    use crate::tables::Tables;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{Index, TantivyDocument, Term};

    /// Document `d` (of 200) holds "all", "even" when d is even, "seven" when d % 7 == 0,
    /// "few" when d % 40 == 0 and "rare" when d % 100 == 0; documents 0 and 14 are then
    /// deleted.
    #[test]
    fn counts_as_the_brute_force_does() {
        let mut b = Schema::builder();
        let f = b.add_text_field("text", STRING);
        let index = Index::create_in_ram(b.build());
        let mut w = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let words = |d: u32| {
            let mut w = vec!["all".to_string(), format!("id{d}")];
            for (word, every) in [("even", 2), ("seven", 7), ("few", 40), ("rare", 100)] {
                if d.is_multiple_of(every) {
                    w.push(word.to_string());
                }
            }
            w
        };
        for d in 0..200 {
            let mut doc = TantivyDocument::default();
            for word in words(d) {
                doc.add_text(f, word);
            }
            w.add_document(doc).expect("add");
        }
        w.commit().expect("commit");
        for gone in ["id0", "id14"] {
            w.delete_term(Term::from_field_text(f, gone));
        }
        w.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let tables = Tables::default();
        let live = |d: u32| d != 0 && d != 14;
        // Visibility as the engine applies it: only documents holding a value count ("seven"
        // stands for "public"; a value no document holds hides everything).
        for only in [None, Some("seven"), Some("few"), Some("nowhere")] {
            let matches = Matches {
                tables: &tables,
                facets: vec![],
                only: only.map(|value| OnlyWhere {
                    field: "text",
                    value,
                }),
            };
            let visible = |d: u32| only.is_none_or(|v| words(d).iter().any(|w| w == v));
            // The rarest word leads; common ones (in 1 document of 16 or more: all, even,
            // seven) are checked in bit sets, "few" (5 of 200) after "rare" by seeking its
            // postings; a word no document holds matches nothing.
            for query in [
                vec!["all"],
                vec!["even", "all"],
                vec!["few", "even"],
                vec!["few", "seven"],
                vec!["seven", "even", "all"],
                vec!["rare", "few"],
                vec!["few", "rare", "even"],
                vec!["even", "nowhere"],
            ] {
                let terms: Vec<Term> = query.iter().map(|w| Term::from_field_text(f, w)).collect();
                let (n, _) = count(&searcher, &tables, &terms, &matches).expect("count");
                let expected = (0..200)
                    .filter(|&d| {
                        live(d)
                            && visible(d)
                            && query.iter().all(|q| words(d).iter().any(|w| w == q))
                    })
                    .count();
                assert_eq!(n, expected, "{query:?} seen where {only:?}");
            }
        }
    }
}
