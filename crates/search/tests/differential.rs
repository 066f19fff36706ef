//! Differential property test: every fast path of the engine against the plain path
//! (`Engine::search_reference`: one BooleanQuery with the visibility clause, TopDocs, facets
//! read document by document). Thousands of datasets over several segments, with private,
//! draft and deleted ones and deletions inside segments; random q / fq / sort / rows / start /
//! cursor / facets / visibility. The answers must be the same: the same count, the same facet
//! counts, the same datasets in the same order (under relevance, positions whose scores tie
//! within rounding may hold either dataset). A fast path that leaked a private dataset into a
//! page, a count or a facet would differ here.
//!
//! Fixed-seed generator: `CONG_DIFF_SEED` explores other sequences, `CONG_DIFF_ROUNDS` runs
//! longer.

use catalogue::actions::search::{parse_sort, SearchHits, SearchRequest, Visibility};
use catalogue::actions::{self};
use catalogue::actor::Actor;
use catalogue::{Catalogue, Config};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run(cat: &Catalogue, action: &str, params: Value) -> Value {
    let a = actions::find(action).expect("action");
    let Value::Object(p) = params else {
        panic!("params must be an object")
    };
    actions::call(cat, &Actor::System, a, p).unwrap_or_else(|e| panic!("{action}: {e:?}"))
}

/// The catalogue: generated datasets in several commits (so several segments), then some
/// made private, drafts, deleted, purged, moved into groups, and edited (deletions inside
/// segments, distinct modification times).
fn build(dir: &std::path::Path, n: usize) -> (Arc<Catalogue>, Arc<search::Engine>, Vec<String>) {
    let cat = Catalogue::open(
        &format!("sqlite://{}/diff.db", dir.display()),
        Config::default(),
    )
    .expect("open");
    let cat = Arc::new(cat);
    let (engine, _) = search::Engine::open(&dir.join("index"), 15).expect("open index");
    let engine = Arc::new(engine);
    cat.install_searcher(engine.clone());
    for part in 1..=4 {
        catalogue::demo::generate(&cat, n * part / 4, 2, 3, |_| {}).expect("generate");
        engine.sync(&cat).expect("sync");
    }
    for g in ["giao-thong", "y-te", "moi-truong"] {
        run(&cat, "group_create", json!({"name": g, "title": g}));
    }
    let names: Vec<String> = (0..n).map(|i| format!("bench-{i:07}")).collect();
    let mut r = Rng(7);
    for (i, name) in names.iter().enumerate() {
        let roll = r.below(100);
        let change = match roll {
            0..=9 => Some(json!({"id": name, "private": true})),
            10..=13 => Some(json!({"id": name, "state": "draft"})),
            14..=19 => Some(
                json!({"id": name, "groups": [{"name": *r.pick(&["giao-thong", "y-te", "moi-truong"])}]}),
            ),
            20..=24 => {
                Some(json!({"id": name, "notes": format!("Cập nhật lần {i}: giao thông đô thị")}))
            }
            _ => None,
        };
        if let Some(c) = change {
            run(&cat, "package_patch", c);
        }
        match roll {
            25..=27 => {
                run(&cat, "package_delete", json!({"id": name}));
            }
            28 => {
                run(&cat, "dataset_purge", json!({"id": name}));
            }
            _ => {}
        }
        if i % (n / 3).max(1) == 0 {
            engine.sync(&cat).expect("sync");
        }
    }
    engine.sync(&cat).expect("sync");
    let orgs: Vec<String> = run(
        &cat,
        "organization_list",
        json!({"all_fields": true, "limit": 100}),
    )
    .as_array()
    .expect("orgs")
    .iter()
    .filter_map(|o| o["id"].as_str().map(str::to_string))
    .collect();
    (cat, engine, orgs)
}

/// Words of the stored titles and notes, with and without diacritics.
/// Words in at least a fifth of the first datasets' titles and notes.
fn common_words(engine: &search::Engine) -> Vec<String> {
    let all = engine
        .search_reference(
            &request("", vec![], "metadata_modified desc", 300, 0),
            &Visibility::default(),
        )
        .expect("all");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for raw in &all.hits.results {
        let d: Value = serde_json::from_str(raw.get()).expect("json");
        let mut words: Vec<String> = vec![];
        for text in [&d["title"], &d["notes"]] {
            for w in text
                .as_str()
                .unwrap_or("")
                .split(|c: char| !c.is_alphanumeric())
            {
                let w = w.to_lowercase();
                if w.chars().count() > 1 && !words.contains(&w) {
                    words.push(w);
                }
            }
        }
        for w in words {
            *seen.entry(w).or_default() += 1;
        }
    }
    let mut common: Vec<String> = seen
        .into_iter()
        .filter(|(_, n)| *n * 5 >= all.hits.results.len())
        .map(|(w, _)| w)
        .collect();
    common.sort();
    common
}

fn vocabulary(engine: &search::Engine) -> Vec<String> {
    let all = engine
        .search_reference(
            &request("", vec![], "metadata_modified desc", 300, 0),
            &Visibility {
                sysadmin: true,
                include_private: true,
                ..Visibility::default()
            },
        )
        .expect("all");
    let mut words: Vec<String> = vec![];
    for raw in &all.hits.results {
        let d: Value = serde_json::from_str(raw.get()).expect("json");
        for text in [&d["title"], &d["notes"]] {
            for w in text
                .as_str()
                .unwrap_or("")
                .split(|c: char| !c.is_alphanumeric())
            {
                if w.chars().count() > 1 && !words.iter().any(|x| x == w) {
                    words.push(w.to_string());
                }
            }
        }
    }
    words
}

fn request(q: &str, fq: Vec<String>, sort: &str, rows: usize, start: usize) -> SearchRequest {
    SearchRequest {
        q: q.to_string(),
        fq,
        sort: parse_sort(sort).expect("sort"),
        sort_text: sort.to_string(),
        rows,
        start,
        facet_fields: vec![],
        facet_limit: Some(50),
        facet_mincount: 1,
        cursor: None,
        dismax: Default::default(),
    }
}

const SORTS: &[&str] = &[
    "score desc, metadata_modified desc",
    "score desc, metadata_modified desc",
    "metadata_modified desc",
    "metadata_modified asc",
    "metadata_created desc",
    "name asc",
    "name desc",
    "title asc",
    "title_string desc",
    "num_resources desc, name asc",
    "license_id asc, metadata_modified desc",
    "organization asc, id asc",
    "id asc",
];

const FACETS: &[&str] = &[
    "organization",
    "tags",
    "groups",
    "res_format",
    "license_id",
    "dataset_type",
    "state",
];

fn random_q(r: &mut Rng, words: &[String], common: &[String]) -> String {
    let fold = |w: &str| search::analyzer::tokens(&mut search::analyzer::folded(), w).join(" ");
    match r.below(12) {
        // Three to five words most datasets hold: `mm` leaves many matches, ranked over the
        // union of the words (the sparse case is scored match by match).
        10 | 11 if !common.is_empty() => (0..3 + r.below(3))
            .map(|_| r.pick(common).clone())
            .collect::<Vec<_>>()
            .join(" "),
        0 => String::new(),
        1 => "*:*".into(),
        2..=5 => (0..1 + r.below(3))
            .map(|_| {
                let w = r.pick(words).clone();
                if r.chance(40) {
                    fold(&w)
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        6 => format!("title:{}", r.pick(words)),
        7 => format!("\"{} {}\"", r.pick(words), r.pick(words)),
        8 => format!("{} OR {}", r.pick(words), r.pick(words)),
        _ => format!("{} -{}", r.pick(words), r.pick(words)),
    }
}

fn random_fq(r: &mut Rng, orgs: &[String]) -> Vec<String> {
    let mut fq = vec![];
    for _ in 0..r.below(3) {
        fq.push(match r.below(7) {
            0 => format!("owner_org:{}", r.pick(orgs)),
            1 => "res_format:CSV".into(),
            2 => "license_id:cc-by".into(),
            3 => "groups:y-te OR groups:giao-thong".into(),
            4 => "metadata_modified:[2020-01-01T00:00:00Z TO *]".into(),
            5 => "-res_format:JSON".into(),
            _ => "dataset_type:dataset".into(),
        });
    }
    fq
}

fn random_visibility(r: &mut Rng, orgs: &[String]) -> Visibility {
    match r.below(5) {
        0 | 1 => Visibility::default(),
        2 => Visibility {
            sysadmin: true,
            include_private: r.chance(70),
            include_drafts: r.chance(50),
            include_deleted: r.chance(30),
            ..Visibility::default()
        },
        _ => Visibility {
            user_id: Some("someone".into()),
            private_orgs: (0..1 + r.below(5)).map(|_| r.pick(orgs).clone()).collect(),
            include_private: r.chance(80),
            include_drafts: r.chance(30),
            ..Visibility::default()
        },
    }
}

fn ids(hits: &SearchHits) -> Vec<String> {
    hits.results
        .iter()
        .map(|raw| {
            let v: Value = serde_json::from_str(raw.get()).expect("json");
            v["id"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

/// Whether two sort keys are equal, relevance scores but for rounding (the fast ranking adds
/// its terms in another order than BooleanQuery does).
fn same_key(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) if x.fract() != 0.0 || y.fract() != 0.0 => {
                    (x - y).abs() <= 1e-4 * x.abs().max(y.abs()).max(1.0)
                }
                _ => x == y,
            })
}

/// Runs `req` both ways and compares: same count, facets and cursor; on the page, at each
/// position the same dataset, or one whose sort key ties with it (ties may come in either
/// order: the fast paths break them by index order, the plain one by id).
fn compare(
    engine: &search::Engine,
    req: &SearchRequest,
    vis: &Visibility,
    what: &str,
) -> SearchHits {
    let fast = engine
        .search(req, vis)
        .unwrap_or_else(|e| panic!("{what}: fast: {e:?}"));
    let plain = engine
        .search_reference(req, vis)
        .unwrap_or_else(|e| panic!("{what}: reference: {e:?}"));
    assert_eq!(fast.count, plain.hits.count, "{what}: count");
    assert_eq!(fast.facets, plain.hits.facets, "{what}: facets");
    let (got, want) = (ids(&fast), ids(&plain.hits));
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: page size: {got:?} / {want:?}"
    );
    let key: HashMap<&str, &Vec<Value>> =
        plain.keys.iter().map(|(id, k)| (id.as_str(), k)).collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let (kg, kw) = (key.get(g.as_str()), key.get(w.as_str()));
        assert!(
            kg.is_some(),
            "{what}: position {i}: {g} is not a match of the plain path"
        );
        assert!(
            g == w || matches!((kg, kw), (Some(a), Some(b)) if same_key(a, b)),
            "{what}: position {i}: {g} ({kg:?}) where the plain path has {w} ({kw:?})"
        );
    }
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        got.len(),
        "{what}: a dataset twice on one page"
    );
    assert_eq!(
        fast.next_cursor, plain.hits.next_cursor,
        "{what}: next cursor"
    );
    fast
}

#[test]
fn fast_paths_answer_as_the_plain_path() {
    let seed = env_u64("CONG_DIFF_SEED", 0x5EED_D1FF).max(1);
    let rounds = env_u64("CONG_DIFF_ROUNDS", 400) as usize;
    let datasets = env_u64("CONG_DIFF_DATASETS", 2000) as usize;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_cat, engine, orgs) = build(dir.path(), datasets);
    let words = vocabulary(&engine);
    assert!(words.len() > 20, "vocabulary: {words:?}");
    let common = common_words(&engine);
    assert!(common.len() >= 3, "common words: {common:?}");
    let mut r = Rng(seed);
    for round in 0..rounds {
        let sort: &str = SORTS[r.below(SORTS.len())];
        let mut req = request(
            &random_q(&mut r, &words, &common),
            if r.chance(40) {
                random_fq(&mut r, &orgs)
            } else {
                vec![]
            },
            sort,
            *r.pick(&[0, 1, 5, 10, 10, 20, 50]),
            *r.pick(&[0, 0, 0, 3, 10, 40]),
        );
        if r.chance(50) {
            req.facet_fields = (0..1 + r.below(3))
                .map(|_| r.pick(FACETS).to_string())
                .collect();
            req.facet_limit = *r.pick(&[None, Some(5), Some(50)]);
            req.facet_mincount = *r.pick(&[1, 1, 2]);
        }
        let vis = random_visibility(&mut r, &orgs);
        let what = format!("round {round}: {req:?} {vis:?}");
        if r.chance(15) && req.rows > 0 {
            // Keyset paging: the first page, then two more through next_cursor.
            req.cursor = Some("*".into());
            for page in 0..3 {
                let hits = compare(&engine, &req, &vis, &format!("{what} page {page}"));
                match hits.next_cursor {
                    Some(c) => req.cursor = Some(c),
                    None => break,
                }
            }
        } else {
            compare(&engine, &req, &vis, &what);
        }
    }
    // The generator must reach the interesting cases, or it tests nothing.
    let public = engine
        .search(
            &request("", vec![], "metadata_modified desc", 0, 0),
            &Visibility::default(),
        )
        .expect("count");
    let everything = engine
        .search(
            &request("", vec![], "metadata_modified desc", 0, 0),
            &Visibility {
                sysadmin: true,
                include_private: true,
                include_drafts: true,
                include_deleted: true,
                ..Visibility::default()
            },
        )
        .expect("count");
    assert!(public.count > 1000, "{}", public.count);
    assert!(
        everything.count > public.count + 300,
        "{} vs {}",
        everything.count,
        public.count
    );
}
