//! Facet counting over exact-value fields: per segment, one counter per term of the field's
//! dictionary (a dense array indexed by term ordinal), turned into strings once at the end.
//! Exact (unlike sampled top-k), and several times faster than a generic terms aggregation.

use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts, for each field, how many matching documents hold each value.
pub struct FacetCollector {
    /// `None` for a field without exact values (text, dates, numbers): it counts nothing.
    pub fields: Vec<Option<String>>,
}

pub struct FacetSegmentCollector {
    columns: Vec<Option<(StrColumn, Vec<u32>)>>,
}

/// Per field (in the collector's order): value → number of matching documents.
pub type Counts = Vec<HashMap<String, u64>>;

impl Collector for FacetCollector {
    type Fruit = Counts;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let columns = self
            .fields
            .iter()
            .map(|f| {
                let Some(f) = f else { return Ok(None) };
                Ok(reader.fast_fields().str(f)?.map(|col| {
                    let n = col.num_terms();
                    (col, vec![0u32; n])
                }))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(FacetSegmentCollector { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut total: Counts = vec![HashMap::new(); self.fields.len()];
        for seg in segments {
            for (into, from) in total.iter_mut().zip(seg) {
                for (value, n) in from {
                    *into.entry(value).or_default() += n;
                }
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (col, counts) in self.columns.iter_mut().flatten() {
            for ord in col.ords().values_for_doc(doc) {
                if let Some(c) = counts.get_mut(ord as usize) {
                    *c += 1;
                }
            }
        }
    }

    fn harvest(self) -> Counts {
        self.columns
            .into_iter()
            .map(|column| {
                let mut out = HashMap::new();
                if let Some((col, counts)) = column {
                    let mut text = String::new();
                    for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                        text.clear();
                        if col.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                            out.insert(text.clone(), u64::from(n));
                        }
                    }
                }
                out
            })
            .collect()
    }
}
