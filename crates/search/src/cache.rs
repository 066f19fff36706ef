//! Answers to repeated searches, valid for one index generation (the change-feed sequence the
//! index reflects): any write that reaches the index makes every cached answer stale. Solr keeps
//! the same kind of cache (queryResultCache); a portal's home page and popular searches repeat.

use catalogue::actions::search::{SearchHits, SearchRequest, Visibility};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Bytes a cached answer is estimated to take per result and per facet value.
const BYTES_PER_RESULT: usize = 4096;
const BYTES_PER_FACET_VALUE: usize = 64;

pub struct SearchCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: i64,
    used: usize,
    entries: HashMap<String, (Arc<SearchHits>, usize)>,
    order: VecDeque<String>,
}

fn key(req: &SearchRequest, vis: &Visibility) -> String {
    format!("{req:?}\u{0}{vis:?}")
}

fn size_of(hits: &SearchHits) -> usize {
    hits.results.len() * BYTES_PER_RESULT
        + hits
            .facets
            .iter()
            .map(|(_, values)| values.len() * BYTES_PER_FACET_VALUE)
            .sum::<usize>()
}

impl SearchCache {
    /// A cache of at most `budget` (estimated) bytes; 0 turns it off.
    pub fn new(budget: usize) -> Self {
        SearchCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn get(
        &self,
        generation: i64,
        req: &SearchRequest,
        vis: &Visibility,
    ) -> Option<Arc<SearchHits>> {
        if self.budget == 0 {
            return None;
        }
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.generation != generation {
            return None;
        }
        inner
            .entries
            .get(&key(req, vis))
            .map(|(hits, _)| hits.clone())
    }

    pub fn put(
        &self,
        generation: i64,
        req: &SearchRequest,
        vis: &Visibility,
        hits: Arc<SearchHits>,
    ) {
        let size = size_of(&hits);
        if self.budget == 0 || size > self.budget / 8 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.generation != generation {
            // The index moved on: everything cached describes an older catalogue.
            *inner = Inner {
                generation,
                ..Inner::default()
            };
        }
        let k = key(req, vis);
        if inner.entries.contains_key(&k) {
            return;
        }
        while inner.used + size > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, s)) = inner.entries.remove(&oldest) {
                inner.used -= s;
            }
        }
        inner.used += size;
        inner.order.push_back(k.clone());
        inner.entries.insert(k, (hits, size));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &str) -> SearchRequest {
        SearchRequest {
            q: q.into(),
            fq: vec![],
            sort: vec![],
            sort_text: String::new(),
            rows: 10,
            start: 0,
            facet_fields: vec![],
            facet_limit: None,
            facet_mincount: 1,
            cursor: None,
            dismax: Default::default(),
        }
    }

    fn hits(n: usize) -> Arc<SearchHits> {
        Arc::new(SearchHits {
            count: n,
            results: (0..n)
                .filter_map(|_| serde_json::value::RawValue::from_string("null".into()).ok())
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn answers_hold_for_one_generation_and_one_caller() {
        let c = SearchCache::new(1 << 20);
        let public = Visibility::default();
        let admin = Visibility {
            sysadmin: true,
            include_private: true,
            ..Default::default()
        };
        c.put(7, &req("a"), &public, hits(3));
        assert_eq!(c.get(7, &req("a"), &public).map(|h| h.count), Some(3));
        assert!(
            c.get(7, &req("a"), &admin).is_none(),
            "another caller's view is not shared"
        );
        assert!(c.get(7, &req("b"), &public).is_none());
        assert!(
            c.get(8, &req("a"), &public).is_none(),
            "a newer index makes it stale"
        );
        c.put(8, &req("b"), &public, hits(1));
        assert!(
            c.get(7, &req("a"), &public).is_none(),
            "older generations are dropped"
        );
    }

    #[test]
    fn the_budget_bounds_memory() {
        let c = SearchCache::new(10 * BYTES_PER_RESULT * 8);
        for i in 0..100 {
            c.put(1, &req(&i.to_string()), &Visibility::default(), hits(10));
        }
        let inner = c.inner.lock().expect("lock");
        assert!(inner.used <= 10 * BYTES_PER_RESULT * 8);
        assert!(inner
            .entries
            .contains_key(&key(&req("99"), &Visibility::default())));
        drop(inner);
        assert!(SearchCache::new(0)
            .get(1, &req("99"), &Visibility::default())
            .is_none());
    }
}
