//! Per-segment tables of exact-value ordinals: each document's term ordinals for one field,
//! read once from tantivy's column and kept while the segment lives. Segments never change
//! (a merge makes a new one), so a table stays valid until its segment leaves the index.
//! Counting a facet or checking visibility is then a read from a flat array per document
//! instead of a column decode (the idea of Lucene's field cache and Solr's UnInvertedField).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use tantivy::columnar::{Cardinality, StrColumn};
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, InvertedIndexReader, SegmentReader, Term};

/// Term ordinals, stored as narrow as the segment's dictionary allows: most facet fields
/// (organizations, formats, visibility) have a few hundred values at most, and a narrow
/// array keeps a search's reads within fewer cache lines.
enum Ords {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Ords {
    /// Ordinals below `num_terms`, plus `num_terms` itself as "no value".
    fn with_capacity(num_terms: usize, n: usize) -> Ords {
        if num_terms < usize::from(u8::MAX) {
            Ords::U8(Vec::with_capacity(n))
        } else if num_terms < usize::from(u16::MAX) {
            Ords::U16(Vec::with_capacity(n))
        } else {
            Ords::U32(Vec::with_capacity(n))
        }
    }

    /// One bit per term for `num_terms` ≤ 32: u8, u16 or u32 masks.
    fn masks_with_capacity(num_terms: usize, n: usize) -> Ords {
        match num_terms {
            0..=8 => Ords::U8(Vec::with_capacity(n)),
            9..=16 => Ords::U16(Vec::with_capacity(n)),
            _ => Ords::U32(Vec::with_capacity(n)),
        }
    }

    fn push(&mut self, ord: u32) {
        // The width was chosen so that every ordinal (and the "no value" mark) fits.
        match self {
            Ords::U8(v) => v.push(u8::try_from(ord).unwrap_or(u8::MAX)),
            Ords::U16(v) => v.push(u16::try_from(ord).unwrap_or(u16::MAX)),
            Ords::U32(v) => v.push(ord),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Ords::U8(v) => v.capacity(),
            Ords::U16(v) => v.capacity() * 2,
            Ords::U32(v) => v.capacity() * 4,
        }
    }
}

/// Documents with at most this many values get fixed slots (no offsets to read).
const MAX_SLOTS: usize = 8;
/// Dictionaries of at most this many terms are kept in their tables as strings (a few
/// hundred kilobytes at most): organizations, groups, tags, formats, licences.
const CACHED_VALUES: usize = 1 << 12;
/// Counters for byte ordinals (and byte masks): one per possible byte.
const BYTE_COUNTERS: usize = 256;
/// Fields with at most this many terms in a segment, and several values per document, are
/// kept as one bit mask per document.
const MAX_MASK_TERMS: usize = 32;

/// Where each document's values are.
enum Layout {
    /// Every document has `n` slots, `ords[d * n..(d + 1) * n]`; unused slots hold the "no
    /// value" mark. One array read per document, usually within a cache line its neighbours
    /// share: the layout for fields with few values per dataset (all of CKAN's facets but
    /// tags, and tags in most catalogues).
    Slots(usize),
    /// `ords[d]` is a bit mask: bit `t` set when document `d` holds term `t`. For fields of
    /// few terms and several values per dataset (resource formats): one small read per
    /// document whatever its number of values.
    Mask,
    /// Document `d`'s values are `ords[starts[d]..starts[d + 1]]`.
    Starts(Vec<u32>),
}

/// One field's values in one segment, as term ordinals of the segment's dictionary.
pub struct OrdTable {
    column: StrColumn,
    /// The values by ordinal, for a dictionary of at most `CACHED_VALUES` terms: merging a
    /// search's facet counts then borrows them instead of walking the dictionary each time.
    values: Option<Vec<Box<str>>>,
    layout: Layout,
    ords: Ords,
    /// The mark of an unused slot: the number of terms, one past the last ordinal.
    none: u32,
}

impl OrdTable {
    fn read(column: StrColumn, max_doc: DocId) -> OrdTable {
        let num_terms = column.num_terms();
        let none = u32::try_from(num_terms).unwrap_or(u32::MAX);
        // One pass over the column; the layout is chosen once the largest count is known.
        let mut starts: Vec<u32> = Vec::with_capacity(max_doc as usize + 1);
        let mut all: Vec<u32> = Vec::with_capacity(max_doc as usize);
        starts.push(0);
        for doc in 0..max_doc {
            all.extend(
                column
                    .ords()
                    .values_for_doc(doc)
                    .map(|o| u32::try_from(o).unwrap_or(none)),
            );
            starts.push(u32::try_from(all.len()).unwrap_or(u32::MAX));
        }
        let most = starts
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0);
        let (layout, ords) = if most > 1 && num_terms <= MAX_MASK_TERMS {
            let mut ords = Ords::masks_with_capacity(num_terms, max_doc as usize);
            for w in starts.windows(2) {
                let values = all.get(w[0] as usize..w[1] as usize).unwrap_or(&[]);
                let mask = values
                    .iter()
                    .filter(|&&o| o < none)
                    .fold(0u32, |m, &o| m | 1u32.checked_shl(o).unwrap_or(0));
                ords.push(mask);
            }
            (Layout::Mask, ords)
        } else if most <= MAX_SLOTS {
            let n = most.max(1);
            let mut ords = Ords::with_capacity(num_terms, max_doc as usize * n);
            for w in starts.windows(2) {
                let values = all.get(w[0] as usize..w[1] as usize).unwrap_or(&[]);
                values.iter().for_each(|&o| ords.push(o));
                (values.len()..n).for_each(|_| ords.push(none));
            }
            (Layout::Slots(n), ords)
        } else {
            let mut ords = Ords::with_capacity(num_terms, all.len());
            all.iter().for_each(|&o| ords.push(o));
            (Layout::Starts(starts), ords)
        };
        let values = (num_terms <= CACHED_VALUES).then(|| {
            let mut values = Vec::with_capacity(num_terms);
            let all: Vec<u64> = (0..num_terms as u64).collect();
            read_values(&column, &all, |v| values.push(v.into()));
            values
        });
        OrdTable {
            column,
            values,
            layout,
            ords,
            none,
        }
    }

    /// Where `doc`'s values are in `ords`.
    #[inline]
    fn range(&self, doc: DocId) -> std::ops::Range<usize> {
        let d = doc as usize;
        match &self.layout {
            Layout::Slots(n) => d * n..(d + 1) * n,
            Layout::Mask => d..d + 1,
            Layout::Starts(starts) => match (starts.get(d), starts.get(d + 1)) {
                (Some(&a), Some(&b)) => a as usize..b as usize,
                _ => 0..0,
            },
        }
    }

    /// How many counters `count_into` needs. Byte ordinals always get 256: every byte is
    /// then a valid index, so counting needs no bounds check, and the "no value" mark (or a
    /// mask's extra values) fall in counters that `term_counts` leaves out.
    pub fn counters(&self) -> usize {
        match &self.ords {
            Ords::U8(_) => BYTE_COUNTERS,
            _ => self.num_terms(),
        }
    }

    /// Counts the values of the documents in `docs` into `counters` (see `term_counts`).
    pub fn count_into(&self, docs: &[DocId], counters: &mut [u32]) {
        // One loop per width and layout, so that neither is decided again for every value.
        match (
            &self.ords,
            <&mut [u32; BYTE_COUNTERS]>::try_from(&mut *counters),
        ) {
            (Ords::U8(ords), Ok(counters)) => match self.layout {
                // Masks of at most 8 terms: one counter per distinct mask, each document one
                // increment. Counting bit by bit instead, the same few counters are
                // incremented several times per document, each increment waiting for the
                // previous one.
                Layout::Mask => count_rows::<1>(ords, docs, counters),
                Layout::Slots(1) => count_rows::<1>(ords, docs, counters),
                Layout::Slots(2) => count_rows::<2>(ords, docs, counters),
                Layout::Slots(3) => count_rows::<3>(ords, docs, counters),
                Layout::Slots(4) => count_rows::<4>(ords, docs, counters),
                Layout::Slots(5) => count_rows::<5>(ords, docs, counters),
                Layout::Slots(6) => count_rows::<6>(ords, docs, counters),
                Layout::Slots(7) => count_rows::<7>(ords, docs, counters),
                Layout::Slots(_) => count_rows::<MAX_SLOTS>(ords, docs, counters),
                Layout::Starts(_) => self.count_values(ords, docs, counters),
            },
            (Ords::U8(v), Err(_)) => self.count_values(v, docs, counters),
            (Ords::U16(v), _) => self.count_values(v, docs, counters),
            (Ords::U32(v), _) => self.count_values(v, docs, counters),
        }
    }

    /// Per term ordinal, the documents `count_into` counted in `counters`.
    pub fn term_counts(&self, counters: &[u32]) -> Vec<u32> {
        let num_terms = self.num_terms();
        match (&self.layout, &self.ords) {
            (Layout::Mask, Ords::U8(_)) => {
                let mut counts = vec![0u32; num_terms];
                for (mask, &n) in counters.iter().enumerate().filter(|(_, n)| **n > 0) {
                    let mut bits = mask;
                    while bits != 0 {
                        if let Some(c) = counts.get_mut(bits.trailing_zeros() as usize) {
                            *c += n;
                        }
                        bits &= bits - 1;
                    }
                }
                counts
            }
            _ => counters.iter().take(num_terms).copied().collect(),
        }
    }

    fn count_values<T: Copy + Into<u32>>(&self, ords: &[T], docs: &[DocId], counts: &mut [u32]) {
        if matches!(self.layout, Layout::Mask) {
            for &doc in docs {
                let mut mask: u32 = ords.get(doc as usize).map_or(0, |&m| m.into());
                while mask != 0 {
                    if let Some(c) = counts.get_mut(mask.trailing_zeros() as usize) {
                        *c += 1;
                    }
                    mask &= mask - 1;
                }
            }
            return;
        }
        for &doc in docs {
            for &o in ords.get(self.range(doc)).unwrap_or(&[]) {
                let o: u32 = o.into();
                if o != self.none {
                    if let Some(c) = counts.get_mut(o as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    pub fn num_terms(&self) -> usize {
        self.column.num_terms()
    }

    /// Calls `f` with each value `count_into` counted in `counters`, and its count, in the
    /// order of the dictionary. Values are borrowed from the table when it keeps them.
    pub fn for_each_count<'a>(&'a self, counters: &[u32], mut f: impl FnMut(Cow<'a, str>, u64)) {
        let counts = self.term_counts(counters);
        let counted = counts.iter().enumerate().filter(|(_, n)| **n > 0);
        match &self.values {
            Some(values) => {
                for (ord, &n) in counted {
                    if let Some(v) = values.get(ord) {
                        f(Cow::Borrowed(v), u64::from(n));
                    }
                }
            }
            None => {
                let (ords, ns): (Vec<u64>, Vec<u32>) =
                    counted.map(|(ord, &n)| (ord as u64, n)).unzip();
                let mut ns = ns.into_iter();
                read_values(&self.column, &ords, |v| {
                    f(Cow::Owned(v.to_string()), ns.next().map_or(0, u64::from));
                });
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.ords.heap_bytes()
            + self
                .values
                .as_ref()
                .map_or(0, |v| v.iter().map(|s| s.len() + 16).sum())
            + match &self.layout {
                Layout::Slots(_) | Layout::Mask => 0,
                Layout::Starts(s) => s.capacity() * 4,
            }
    }
}

/// Calls `f` with the value of each ordinal in `sorted` (ascending), in one walk through the
/// dictionary.
fn read_values(column: &StrColumn, sorted: &[u64], mut f: impl FnMut(&str)) {
    let walked = column.dictionary().sorted_ords_to_term_cb(sorted, |bytes| {
        f(&String::from_utf8_lossy(bytes));
    });
    if let Err(e) = walked {
        tracing::warn!(error = %e, "facet values unreadable in a segment");
    }
}

/// Counts rows of `K` byte ordinals (or one byte mask): row `d` is `ords[d * K..(d + 1) * K]`.
/// With the row length fixed and a counter for every byte, the loop is a load and an
/// increment per value, without bounds checks or tests for the "no value" mark, about twice
/// as fast as the general loop over the slots of a 5-tag catalogue.
fn count_rows<const K: usize>(ords: &[u8], docs: &[DocId], counters: &mut [u32; BYTE_COUNTERS]) {
    for &doc in docs {
        let start = doc as usize * K;
        if let Some(row) = ords.get(start..start + K) {
            for &o in row {
                counters[usize::from(o)] += 1;
            }
        }
    }
}

/// `segment`'s documents by `field` (see `Tables::order`).
fn sort_docs(
    segment: &SegmentReader,
    field: &str,
    desc: bool,
) -> tantivy::Result<Option<Vec<DocId>>> {
    let max_doc = segment.max_doc();
    if max_doc == 0 {
        return Ok(Some(vec![]));
    }
    let Some((column, _)) = segment.fast_fields().u64_lenient(field)? else {
        return Ok(None);
    };
    if column.get_cardinality() != Cardinality::Full {
        return Ok(None);
    }
    let mut keyed: Vec<(u64, DocId)> = (0..max_doc)
        .map(|doc| (column.values.get_val(doc), doc))
        .collect();
    if desc {
        keyed.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    } else {
        keyed.sort_unstable();
    }
    Ok(Some(keyed.into_iter().map(|(_, doc)| doc).collect()))
}

type Slot = Arc<OnceLock<Option<Arc<OrdTable>>>>;

/// Memory for the bit sets of common terms, per index: at 1,000,000 datasets a set takes
/// 125 KB, so about 500 of them.
const TERM_BITS_BUDGET: usize = 64 << 20;

/// The tables in use, by segment and field; built on first use. Also the documents of common
/// terms as bit sets, by segment and term (see `conjunction`).
#[derive(Default)]
pub struct Tables {
    slots: Mutex<HashMap<(SegmentId, &'static str), Slot>>,
    term_bits: Mutex<HashMap<(SegmentId, Term), Arc<BitSet>>>,
    orders: Mutex<HashMap<(SegmentId, &'static str, bool), OrderSlot>>,
}

/// A segment's documents in the order of one field, ascending or descending (see
/// `Tables::order`); `None` when a document lacks a value.
type OrderSlot = Arc<OnceLock<Option<Arc<Vec<DocId>>>>>;

impl Tables {
    /// The table of `field` in `segment`; `None` when no document of the segment has a value
    /// (or the field is not an exact-value field).
    pub fn get(
        &self,
        segment: &SegmentReader,
        field: &'static str,
    ) -> tantivy::Result<Option<Arc<OrdTable>>> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots
                .entry((segment.segment_id(), field))
                .or_default()
                .clone()
        };
        if let Some(table) = slot.get() {
            return Ok(table.clone());
        }
        // Built outside the map's lock; two searches racing on a new segment may both read
        // it, and the first one stored wins.
        let built = segment
            .fast_fields()
            .str(field)?
            .map(|column| Arc::new(OrdTable::read(column, segment.max_doc())));
        if let Some(t) = &built {
            tracing::debug!(
                field,
                docs = segment.max_doc(),
                bytes = t.heap_bytes(),
                "ordinal table built"
            );
        }
        Ok(slot.get_or_init(|| built).clone())
    }

    /// The documents of `segment` holding `value` in the exact-value field `field`, as a bit
    /// set (`None` when none does).
    pub fn docs_holding(
        &self,
        segment: &SegmentReader,
        field: &str,
        value: &str,
    ) -> tantivy::Result<Option<Arc<BitSet>>> {
        let field = segment.schema().get_field(field)?;
        let term = Term::from_field_text(field, value);
        let postings = segment.inverted_index(field)?;
        match postings.get_term_info(&term)? {
            Some(info) => Ok(Some(self.term_bits(segment, &postings, &term, &info)?)),
            None => Ok(None),
        }
    }

    /// `segment`'s documents ordered by the date or number `field` (descending when `desc`),
    /// ties by document id ascending, as tantivy's `TopDocs` orders them. Built on first use
    /// (about 60 ms per million documents) and kept while the segment lives; `None` when
    /// some document has no value.
    pub fn order(
        &self,
        segment: &SegmentReader,
        field: &'static str,
        desc: bool,
    ) -> tantivy::Result<Option<Arc<Vec<DocId>>>> {
        let slot = {
            let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
            orders
                .entry((segment.segment_id(), field, desc))
                .or_default()
                .clone()
        };
        if let Some(order) = slot.get() {
            return Ok(order.clone());
        }
        let built = sort_docs(segment, field, desc)?.map(Arc::new);
        Ok(slot.get_or_init(|| built).clone())
    }

    /// The documents of `segment` whose postings `term_info` lists, as a bit set.
    pub fn term_bits(
        &self,
        segment: &SegmentReader,
        postings: &InvertedIndexReader,
        term: &Term,
        term_info: &TermInfo,
    ) -> tantivy::Result<Arc<BitSet>> {
        let key = (segment.segment_id(), term.clone());
        if let Some(bits) = self.lock_bits().get(&key) {
            return Ok(bits.clone());
        }
        let mut bits = BitSet::with_max_value(segment.max_doc());
        let mut block =
            postings.read_block_postings_from_terminfo(term_info, IndexRecordOption::Basic)?;
        let mut read = 0;
        while read < term_info.doc_freq && !block.docs().is_empty() {
            for &doc in block.docs() {
                bits.insert(doc);
            }
            read += block.docs().len() as u32;
            block.advance();
        }
        let bits = Arc::new(bits);
        let mut all = self.lock_bits();
        // Past the budget, start again: the sets of the terms in use are rebuilt on demand.
        if (all.len() + 1) * (segment.max_doc() as usize / 8) > TERM_BITS_BUDGET {
            all.clear();
        }
        all.insert(key, bits.clone());
        Ok(bits)
    }

    fn lock_bits(&self) -> std::sync::MutexGuard<'_, HashMap<(SegmentId, Term), Arc<BitSet>>> {
        self.term_bits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the tables of segments that are no longer in the index.
    pub fn retain_segments(&self, live: &HashSet<SegmentId>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|(segment, _), _| live.contains(segment));
        self.lock_bits()
            .retain(|(segment, _), _| live.contains(segment));
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        orders.retain(|(segment, _, _), _| live.contains(segment));
    }
}

#[cfg(test)]
mod tests {
    use super::{Layout, Tables};
    use std::collections::BTreeMap;
    use tantivy::schema::{Schema, FAST, STRING};
    use tantivy::{Index, TantivyDocument};

    /// One segment of `docs` (each a list of values); returns the table's layout and, per
    /// value, how many documents `count_into` counted for all documents.
    fn count_all(docs: &[Vec<String>]) -> (&'static str, BTreeMap<String, u32>) {
        let mut b = Schema::builder();
        let f = b.add_text_field("tags", STRING | FAST);
        let index = Index::create_in_ram(b.build());
        let mut w = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        for values in docs {
            let mut d = TantivyDocument::default();
            for v in values {
                d.add_text(f, v);
            }
            w.add_document(d).expect("add");
        }
        w.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let segment = searcher.segment_reader(0);
        let tables = Tables::default();
        let table = tables.get(segment, "tags").expect("table").expect("values");
        let layout = match table.layout {
            Layout::Slots(1) => "single",
            Layout::Slots(_) => "slots",
            Layout::Mask => "mask",
            Layout::Starts(_) => "starts",
        };
        let all: Vec<u32> = (0..segment.max_doc()).collect();
        let mut counters = vec![0u32; table.counters()];
        table.count_into(&all, &mut counters);
        let mut by_value = BTreeMap::new();
        table.for_each_count(&counters, |v, n| {
            by_value.insert(v.into_owned(), n as u32);
        });
        (layout, by_value)
    }

    fn brute(docs: &[Vec<String>]) -> BTreeMap<String, u32> {
        let mut m = BTreeMap::new();
        for values in docs {
            for v in values {
                *m.entry(v.clone()).or_default() += 1;
            }
        }
        m
    }

    fn values(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("{prefix}{i:03}")).collect()
    }

    #[test]
    fn every_layout_counts_exactly() {
        let cases: Vec<(&str, Vec<Vec<String>>)> = vec![
            // one value or none per document
            (
                "single",
                vec![
                    values("a", 0..1),
                    vec![],
                    values("a", 3..4),
                    values("a", 0..1),
                ],
            ),
            // several values, at most 8 terms: a byte mask per document, counted by mask
            (
                "mask",
                vec![
                    values("r", 0..5),
                    values("r", 0..5),
                    vec![],
                    values("r", 3..8),
                    values("r", 7..8),
                ],
            ),
            // several values, at most 32 terms: a bit mask per document (bit 31 included)
            (
                "mask",
                vec![
                    values("f", 0..5),
                    vec![],
                    values("f", 0..32),
                    values("f", 31..32),
                ],
            ),
            // several values, more than 32 terms, at most 8 per document: fixed slots
            (
                "slots",
                (0..40).map(|i| values("t", i..i + 1 + i % 8)).collect(),
            ),
            // more than 255 terms, at most 8 per document: slots of 16-bit ordinals
            (
                "slots",
                (0..300).map(|i| values("w", i..i + 1 + i % 3)).collect(),
            ),
            // a document with more than 8 values and more than 32 terms: offsets
            (
                "starts",
                vec![
                    values("t", 0..40),
                    values("t", 5..7),
                    vec![],
                    values("t", 39..40),
                ],
            ),
        ];
        for (expected_layout, docs) in cases {
            let (layout, counts) = count_all(&docs);
            assert_eq!(layout, expected_layout);
            assert_eq!(counts, brute(&docs), "{expected_layout}");
        }
    }
}
