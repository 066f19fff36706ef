//! Listing every visible dataset in the order of a date or number field: CKAN's default
//! listing (`*:*`, newest first, what the dataset page and a harvester's first request ask)
//! and any sort by one such field without query words or filters.
//!
//! tantivy's `TopDocs` reads the sort value of every visible document to find the first page,
//! about 8 ms per million datasets. Here each segment's documents are kept in the field's
//! order (built once per segment, see `Tables::order`), and a page is the first visible
//! documents of that order: a few dozen reads. The count is the size of the visibility bit
//! set.

use crate::collect::OnlyWhere;
use crate::tables::Tables;
use std::cmp::Ordering;
use tantivy::{DocAddress, Searcher};

/// The first `k` documents visible as `only` says, by `field` (descending when `desc`), ties
/// by address ascending (as `TopDocs` orders them); `None` when some segment has a document
/// without a value, which the general path handles.
pub fn first_by(
    searcher: &Searcher,
    tables: &Tables,
    field: &'static str,
    desc: bool,
    k: usize,
    only: OnlyWhere,
) -> tantivy::Result<Option<Vec<DocAddress>>> {
    let mut firsts: Vec<(u64, DocAddress)> = vec![];
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let Some(order) = tables.order(segment, field, desc)? else {
            return Ok(None);
        };
        let Some(visible) = tables.docs_holding(segment, only.field, only.value)? else {
            continue;
        };
        let Some((column, _)) = segment.fast_fields().u64_lenient(field)? else {
            continue;
        };
        let alive = segment.alive_bitset();
        firsts.extend(
            order
                .iter()
                .copied()
                .filter(|&doc| visible.contains(doc) && alive.is_none_or(|a| a.is_alive(doc)))
                .take(k)
                .map(|doc| {
                    let value = column.values.get_val(doc);
                    (value, DocAddress::new(ord as u32, doc))
                }),
        );
    }
    let by_value = |a: &u64, b: &u64| if desc { b.cmp(a) } else { a.cmp(b) };
    firsts.sort_by(|a, b| match by_value(&a.0, &b.0) {
        Ordering::Equal => a.1.cmp(&b.1),
        other => other,
    });
    firsts.truncate(k);
    Ok(Some(firsts.into_iter().map(|(_, addr)| addr).collect()))
}

/// How many live documents are visible as `only` says.
pub fn count_visible(
    searcher: &Searcher,
    tables: &Tables,
    only: OnlyWhere,
) -> tantivy::Result<usize> {
    let mut count = 0;
    for segment in searcher.segment_readers() {
        let Some(visible) = tables.docs_holding(segment, only.field, only.value)? else {
            continue;
        };
        count += match segment.alive_bitset() {
            None => visible.len(),
            Some(alive) => alive.iter_alive().filter(|&d| visible.contains(d)).count(),
        };
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::{count_visible, first_by};
    use crate::collect::OnlyWhere;
    use crate::tables::Tables;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, Schema, FAST, INDEXED, STRING};
    use tantivy::{doc, Index, Order, Term};

    /// Three segments of documents with repeated values (ties), some private, some deleted:
    /// every page of the listing equals what `TopDocs` finds over the public documents.
    #[test]
    fn pages_equal_topdocs_over_visible_documents() {
        let mut b = Schema::builder();
        let n = b.add_u64_field("n", INDEXED | FAST);
        let vis = b.add_text_field("vis", STRING);
        let key = b.add_text_field("key", STRING);
        let index = Index::create_in_ram(b.build());
        let mut w = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        for segment in 0..3u64 {
            for i in 0..40u64 {
                let d = segment * 40 + i;
                let visibility = if d % 5 == 0 { "private" } else { "public" };
                // Three values: long runs of ties, which a page cuts through.
                w.add_document(doc!(n => d % 3, vis => visibility, key => format!("k{d}")))
                    .expect("add");
            }
            w.commit().expect("commit");
        }
        for gone in ["k3", "k44", "k45", "k118"] {
            w.delete_term(Term::from_field_text(key, gone));
        }
        w.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let tables = Tables::default();
        let only = OnlyWhere {
            field: "vis",
            value: "public",
        };
        let public = TermQuery::new(
            Term::from_field_text(vis, "public"),
            IndexRecordOption::Basic,
        );
        let visible = searcher.search(&public, &Count).expect("count");
        assert_eq!(
            count_visible(&searcher, &tables, only).expect("count"),
            visible
        );
        for order in [Order::Desc, Order::Asc] {
            for (start, rows) in [(0, 10), (10, 10), (25, 7), (90, 10), (200, 5)] {
                let expected: Vec<_> = searcher
                    .search(
                        &public,
                        &TopDocs::with_limit(rows)
                            .and_offset(start)
                            .order_by_fast_field::<u64>("n", order),
                    )
                    .expect("topdocs")
                    .into_iter()
                    .map(|(_, addr)| addr)
                    .collect();
                let desc = order == Order::Desc;
                let listed: Vec<_> = first_by(&searcher, &tables, "n", desc, start + rows, only)
                    .expect("listing")
                    .expect("every document has a value")
                    .into_iter()
                    .skip(start)
                    .collect();
                assert_eq!(listed, expected, "{order:?} from {start}, {rows} rows");
            }
        }
    }
}
