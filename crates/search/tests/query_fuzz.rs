//! Property test: random query strings (syntax characters, field names, Vietnamese and other
//! Unicode, control characters) fed to the parser and to a real engine over a small catalogue,
//! through the catalogue's package_search action exactly as the server calls it. Nothing may
//! panic, and every answer is either results or a query error (CKAN's `Search Error` /
//! `Search Query Error`, or a validation error for bad numbers) — never an internal error.
//!
//! The generator is a fixed-seed xorshift, so a failure is reproducible; set
//! `CONG_FUZZ_SEED` to explore other sequences and `CONG_FUZZ_ROUNDS` for longer runs.

use catalogue::actions::{self, search::Visibility};
use catalogue::actor::Actor;
use catalogue::{Catalogue, Config, Error as CatError};
use serde_json::{json, Map, Value};
use std::sync::Arc;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
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
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

const SYNTAX: &[&str] = &[
    "(", ")", "\"", ":", "[", "]", "{", "}", "*", "?", " TO ", "TO", " AND ", " OR ", " NOT ",
    "AND", "OR", "NOT", "+", "-", "!", "\\", "&&", "||", "^", "~", "^2", "~1", "/", " ", " ", "  ",
    "\t", "\n", "*:*", "*:", ":*", "\\:", "\\\"", "\"\"", "()", "[]", "{}", "[* TO *]", "{* TO *}",
    "[ TO ]", "[a TO b]", "[1 TO *]", "[* TO 3]",
];

const FIELDS: &[&str] = &[
    "title:",
    "notes:",
    "text:",
    "name:",
    "tags:",
    "groups:",
    "organization:",
    "owner_org:",
    "res_format:",
    "res_name:",
    "res_description:",
    "license_id:",
    "state:",
    "private:",
    "type:",
    "dataset_type:",
    "author:",
    "maintainer:",
    "metadata_created:",
    "metadata_modified:",
    "num_resources:",
    "num_tags:",
    "extras_nam:",
    "extras_:",
    "extras_khong_co:",
    "id:",
    "capacity:",
    "url:",
    "urls:",
    "res_url:",
    "creator_user_id:",
    "title_string:",
    "foo:",
    "dict:",
    "extras:",
    "text_en:",
    "title_exact:",
    "score:",
    "_version_:",
    "Đà:",
    "*:",
];

const VALUES: &[&str] = &[
    "a",
    "x",
    "da",
    "nang",
    "Đà",
    "Nẵng",
    "ĐÀ NẴNG",
    "dữ",
    "liệu",
    "dân",
    "cư",
    "Bình",
    "Dương",
    "schools",
    "school",
    "csv",
    "CSV",
    "cc-by",
    "fuzz-org",
    "du-lieu-0",
    "true",
    "false",
    "active",
    "deleted",
    "draft",
    "dataset",
    "2024-01-01T00:00:00Z",
    "2026-11-23T04:27:30.593566Z",
    "2024-01-01",
    "2024",
    "NOW",
    "NOW-1DAY",
    "0",
    "1",
    "3",
    "-1",
    "18446744073709551616",
    "1.5",
    "1e9",
    "*",
    "truong*",
    "*uong",
    "t*g",
    "**",
    "2020",
    "nam",
    "public",
    "private",
    "ñ",
    "ß",
    "İ",
    "ﬁ",
    "\u{0301}",
    "a\u{0300}",
    "D\u{0323}\u{0302}",
    "\u{200b}",
    "\u{feff}",
    "\u{0}",
    "\u{7f}",
    "\u{202e}",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "😀",
    "🇻🇳",
    "中文",
    "עברית",
    "\u{3000}",
    "\u{a0}",
    "\u{10ffff}",
    "%",
    "%20",
    "&",
    "=",
    "'",
    ";",
    "<script>",
    "../",
    "\\u0000",
    "null",
    "{}",
];

fn random_char(r: &mut Rng) -> char {
    // Control characters are refused before a search runs (a validation error): rare, so
    // that most queries reach the engine.
    if r.chance(2) {
        return char::from_u32(r.below(0x20) as u32).unwrap_or('\0');
    }
    match r.below(4) {
        0 => char::from_u32(0x20 + r.below(0x60) as u32).unwrap_or('a'),
        1 => char::from_u32(0xC0 + r.below(0x250) as u32).unwrap_or('ê'),
        2 => char::from_u32(0x1E00 + r.below(0x100) as u32).unwrap_or('ạ'),
        _ => loop {
            if let Some(c) = char::from_u32(r.below(0x11_0000) as u32) {
                break c;
            }
        },
    }
}

fn random_query(r: &mut Rng) -> String {
    let mut s = String::new();
    let pieces = 1 + r.below(12);
    for _ in 0..pieces {
        match r.below(10) {
            0..=2 => s.push_str(r.pick(SYNTAX)),
            3..=4 => s.push_str(r.pick(FIELDS)),
            5..=7 => s.push_str(r.pick(VALUES)),
            8 => {
                for _ in 0..1 + r.below(4) {
                    s.push(random_char(r));
                }
            }
            _ => s.push(' '),
        }
    }
    if r.chance(3) {
        // Deep nesting and long inputs.
        let depth = r.below(80);
        s = format!("{}{s}{}", "(".repeat(depth), ")".repeat(r.below(80)));
    }
    if r.chance(1) {
        s = s.repeat(1 + r.below(2000));
    }
    s
}

fn random_sort(r: &mut Rng) -> String {
    const KEYS: &[&str] = &[
        "score",
        "metadata_modified",
        "metadata_created",
        "name",
        "title",
        "id",
        "num_resources",
        "num_tags",
        "tags",
        "notes",
        "foo",
        "",
        "state",
        "license_id",
        "organization",
        "extras_nam",
        "dataset_type",
        "private",
    ];
    const DIRS: &[&str] = &["asc", "desc", "", "ASC", "sideways", "asc desc"];
    (0..1 + r.below(5))
        .map(|_| format!("{} {}", r.pick(KEYS), r.pick(DIRS)))
        .collect::<Vec<_>>()
        .join(if r.chance(80) { ", " } else { "," })
}

fn random_params(r: &mut Rng, last_cursor: &Option<String>) -> Map<String, Value> {
    let mut p = Map::new();
    if r.chance(90) {
        p.insert("q".into(), json!(random_query(r)));
    }
    if r.chance(40) {
        p.insert("fq".into(), json!(random_query(r)));
    }
    if r.chance(15) {
        let list: Vec<String> = (0..r.below(4)).map(|_| random_query(r)).collect();
        p.insert("fq_list".into(), json!(list));
    }
    if r.chance(40) {
        p.insert("sort".into(), json!(random_sort(r)));
    }
    if r.chance(40) {
        let rows: &[Value] = &[
            json!(0),
            json!(1),
            json!(5),
            json!(1000),
            json!(5000),
            json!("7"),
        ];
        p.insert("rows".into(), r.pick(rows));
    }
    if r.chance(30) {
        let starts: &[Value] = &[
            json!(0),
            json!(3),
            json!(29),
            json!(100_000_000_000_u64),
            json!(u64::MAX),
            json!("2"),
        ];
        p.insert("start".into(), r.pick(starts));
    }
    if r.chance(30) {
        const FACETS: &[&str] = &[
            "organization",
            "tags",
            "groups",
            "res_format",
            "license_id",
            "title",
            "foo",
            "metadata_modified",
            "num_resources",
            "extras_nam",
            "dataset_type",
            "state",
            "",
        ];
        let list: Vec<&str> = (0..r.below(4)).map(|_| r.pick(FACETS)).collect();
        p.insert("facet.field".into(), json!(list));
        let limits: &[Value] = &[json!(-1), json!(0), json!(2), json!(50), json!(i64::MAX)];
        if r.chance(50) {
            p.insert("facet.limit".into(), r.pick(limits));
        }
        if r.chance(30) {
            p.insert("facet.mincount".into(), json!(r.below(4)));
        }
    }
    if r.chance(20) {
        let cursors: Vec<String> = vec![
            "*".into(),
            "".into(),
            "garbage".into(),
            "W10".into(),                                     // base64 of []
            "WyJhIiwiYiIsImMiLCJkIl0".into(),                 // ["a","b","c","d"]
            "WzEsMiwzLDRd".into(),                            // [1,2,3,4]
            "WyJhIixudWxsLHRydWUsMS41XQ".into(),              // ["a",null,true,1.5]
            "WzE4NDQ2NzQ0MDczNzA5NTUxNjE1LC0xLDAsMF0".into(), // [u64::MAX,-1,0,0]
            last_cursor.clone().unwrap_or_default(),
            random_query(r),
        ];
        p.insert("cursor".into(), json!(r.pick(&cursors)));
    }
    for flag in ["include_private", "include_drafts", "include_deleted"] {
        if r.chance(15) {
            p.insert(flag.into(), json!(r.chance(50)));
        }
    }
    p
}

fn catalogue(dir: &std::path::Path) -> Catalogue {
    let url = format!("sqlite://{}/fuzz.db", dir.display());
    let cat = Catalogue::open(&url, Config::default()).expect("open catalogue");
    let run = |action: &str, params: Value| {
        let a = actions::find(action).expect("action exists");
        let Value::Object(p) = params else {
            panic!("params must be an object")
        };
        actions::call(&cat, &Actor::System, a, p)
            .unwrap_or_else(|e| panic!("{action} failed: {e:?}"));
    };
    run(
        "organization_create",
        json!({"name": "fuzz-org", "title": "Thành phố Đà Nẵng"}),
    );
    run(
        "organization_create",
        json!({"name": "ho-chi-minh", "title": "Thành phố Hồ Chí Minh"}),
    );
    run("group_create", json!({"name": "y-te", "title": "Y tế"}));
    let titles = [
        "Dữ liệu dân cư",
        "Dư liều dân cư",
        "Thành phố Đà Nẵng – ngân sách",
        "Danh sách trường học (schools)",
        "Statistics of hospitals",
        "",
    ];
    const FORMATS: [&str; 3] = ["CSV", "JSON", "XLSX"];
    for i in 0..30 {
        let org = if i % 2 == 0 {
            "fuzz-org"
        } else {
            "ho-chi-minh"
        };
        let mut d = json!({
            "name": format!("du-lieu-{i}"),
            "title": titles[i % titles.len()],
            "notes": format!("Ghi chú số {i}: dữ liệu mở, open data"),
            "owner_org": org,
            "private": i % 5 == 0,
            "tags": [{"name": format!("tag-{}", i % 4)}, {"name": "dữ liệu"}],
            "extras": [{"key": "nam", "value": format!("{}", 2000 + i % 7)}],
            "resources": (0..i % 3).map(|k| json!({
                "url": format!("https://example.gov.vn/{i}/{k}.csv"),
                "format": FORMATS[k % 3],
                "name": format!("Tệp {k}"),
            })).collect::<Vec<_>>(),
        });
        if i % 3 == 0 {
            d["license_id"] = json!("cc-by");
        }
        if i % 7 == 0 {
            d["groups"] = json!([{"name": "y-te"}]);
        }
        if i == 29 {
            d["state"] = json!("draft");
        }
        run("package_create", d);
    }
    run("package_delete", json!({"id": "du-lieu-1"}));
    cat
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_queries_never_panic_and_only_fail_as_query_errors() {
    let seed = env_u64("CONG_FUZZ_SEED", 0x00C0_FFEE_D15E_A5E5).max(1);
    let rounds = env_u64("CONG_FUZZ_ROUNDS", 1500) as usize;
    let mut r = Rng(seed);

    // The parser alone, on many more inputs than the engine gets.
    for _ in 0..rounds * 10 {
        let q = random_query(&mut r);
        let _ = search::query::parse(&q);
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let cat = Arc::new(catalogue(dir.path()));
    let (engine, opened) = search::Engine::open(&dir.path().join("index"), 15).expect("open index");
    assert_eq!(opened, search::Opened::Fresh);
    engine.rebuild(&cat, |_, _| {}).expect("rebuild");
    let engine = Arc::new(engine);
    cat.install_searcher(engine.clone());
    let search_action = actions::find("package_search").expect("package_search");

    // Sanity: the catalogue is searchable at all.
    let all = actions::call(&cat, &Actor::System, search_action, Map::new()).expect("*:*");
    assert_eq!(
        all["count"],
        json!(22),
        "30 datasets − 6 private − 1 draft − 1 deleted"
    );

    let (mut ok, mut query_errors) = (0usize, 0usize);
    let mut last_cursor: Option<String> = None;
    for round in 0..rounds {
        let params = random_params(&mut r, &last_cursor);
        let actor = if r.chance(50) {
            Actor::System
        } else {
            Actor::Anonymous
        };
        let shown = Value::Object(params.clone()).to_string();
        match actions::call(&cat, &actor, search_action, params) {
            Ok(v) => {
                ok += 1;
                assert!(v["count"].is_u64(), "round {round}: {shown} → {v}");
                assert!(v["results"].is_array(), "round {round}: {shown} → {v}");
                if let Some(c) = v.get("next_cursor").and_then(Value::as_str) {
                    last_cursor = Some(c.to_string());
                }
            }
            Err(CatError::Search(_) | CatError::SearchQuery(_) | CatError::Validation(_)) => {
                query_errors += 1
            }
            Err(e) => panic!("round {round}: {shown} → not a query error: {e:?}"),
        }
        // Straight into the engine as well, bypassing the action's parameter checks.
        if round % 4 == 0 {
            let req = catalogue::actions::search::SearchRequest {
                q: random_query(&mut r),
                fq: (0..r.below(3)).map(|_| random_query(&mut r)).collect(),
                sort: vec![("metadata_modified".into(), true)],
                sort_text: String::new(),
                rows: r.below(50),
                start: if r.chance(10) {
                    usize::MAX
                } else {
                    r.below(40)
                },
                facet_fields: vec!["tags".into(), "organization".into()],
                facet_limit: if r.chance(50) { None } else { Some(usize::MAX) },
                facet_mincount: r.next(),
                cursor: None,
                dismax: Default::default(),
            };
            let vis = Visibility {
                sysadmin: r.chance(50),
                include_private: r.chance(50),
                include_drafts: r.chance(50),
                include_deleted: r.chance(50),
                ..Visibility::default()
            };
            match engine.search(&req, &vis) {
                Ok(_) | Err(search::Error::Query(_)) | Err(search::Error::BadSort) => {}
                Err(e) => panic!("engine: {req:?} → {e:?}"),
            }
        }
    }
    // The generator must exercise both outcomes, or it tests nothing.
    assert!(ok > rounds / 10, "only {ok} of {rounds} searches succeeded");
    assert!(
        query_errors > rounds / 10,
        "only {query_errors} of {rounds} searches were query errors"
    );
}
