//! package_search end to end over HTTP, on both backends: every CKAN parameter, the result shape,
//! facet counts against a brute-force count over package_show, sort orders, paging walks with
//! `start` and with `cursor`, the Solr query subset, the harvester's exact requests, visibility
//! per role, Vietnamese matching, invalid queries, read-your-writes after every kind of write,
//! organization renames, crash recovery, a corrupt or missing index, `cong reindex`, and two
//! nodes sharing one PostgreSQL database.
//!
//! CKAN facts come from `shared/ckan-api.md` §6 (CKAN 2.12); where a test pins a Cổng choice
//! CKAN does not make (the `cursor` extension, tie-breaking by id), the comment says so.

#[macro_use]
mod common;

use common::{Backend, TestServer};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The URLs ckanext-harvest 1.6.3 sent to a CKAN source (copy of the shared fixture).
const HARVEST_REQUESTS: &str = include_str!("data/ckanext-harvest-requests.txt");
/// The lower bound in the fixture's incremental requests, as it appears in the URL.
const HARVEST_STAMP: &str = "2026-11-23T04%3A27%3A30.593566Z";

const FACET_FIELDS: [&str; 5] = ["organization", "groups", "tags", "res_format", "license_id"];
const FACET_FIELDS_JSON: &str = r#"["organization", "groups", "tags", "res_format", "license_id"]"#;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The `result` of a successful package_search (GET), or a panic showing the answer.
#[track_caller]
fn search(srv: &TestServer, params: &[(&str, &str)], token: Option<&str>) -> Value {
    let (status, body) = srv.get("package_search", params, token);
    assert!(
        status == 200 && body["success"] == json!(true),
        "package_search {params:?}: HTTP {status}: {body:#}"
    );
    body["result"].clone()
}

/// The names of the results, in order.
fn names(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["name"].as_str().map(String::from))
        .collect()
}

fn set<S: AsRef<str>>(items: &[S]) -> BTreeSet<String> {
    items.iter().map(|s| s.as_ref().to_string()).collect()
}

/// Names found with `params` (plus rows=1000) by the holder of `token`, as a set; also checks
/// that `count` agrees.
#[track_caller]
fn found_as(srv: &TestServer, params: &[(&str, &str)], token: Option<&str>) -> BTreeSet<String> {
    let mut p = params.to_vec();
    p.push(("rows", "1000"));
    let r = search(srv, &p, token);
    let n = names(&r);
    assert_eq!(
        r["count"],
        json!(n.len()),
        "count vs results for {params:?}"
    );
    let s = set(&n);
    assert_eq!(s.len(), n.len(), "duplicate results for {params:?}: {n:?}");
    s
}

/// Names an anonymous `q` finds.
#[track_caller]
fn found(srv: &TestServer, q: &str) -> BTreeSet<String> {
    found_as(srv, &[("q", q)], None)
}

/// The `error` of a failed call after checking the status, the envelope and `__type`.
#[track_caller]
fn failure(answer: (u16, Value), status: u16, type_: &str, what: &str) -> Value {
    let (got, body) = answer;
    assert_eq!(
        got, status,
        "{what}: expected HTTP {status}, got {got}: {body:#}"
    );
    assert_eq!(body["success"], json!(false), "{what}: {body:#}");
    assert_eq!(body["error"]["__type"], json!(type_), "{what}: {body:#}");
    body["error"].clone()
}

/// A 409 `Search Error` (CKAN's answer to a query Solr cannot parse).
#[track_caller]
fn search_error(srv: &TestServer, params: &[(&str, &str)], what: &str) {
    let e = failure(
        srv.get("package_search", params, None),
        409,
        "Search Error",
        what,
    );
    let m = e["message"].as_str().unwrap_or_default();
    assert!(m.starts_with("Search error: "), "{what}: message {m:?}");
}

fn show(srv: &TestServer, id: &str) -> Value {
    srv.ok(srv.get("package_show", &[("id", id)], srv.admin()))
}

fn create(srv: &TestServer, body: Value) -> Value {
    srv.ok(srv.post("package_create", &body, srv.admin()))
}

fn patch(srv: &TestServer, body: Value) -> Value {
    srv.ok(srv.post("package_patch", &body, srv.admin()))
}

fn package_list(srv: &TestServer) -> BTreeSet<String> {
    srv.ok(srv.get("package_list", &[], None))
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

/// A user with a token and `role` in `org`.
fn user_in(srv: &TestServer, name: &str, org: &str, role: &str) -> (String, String) {
    let (id, token) = srv.create_user(name);
    srv.ok(srv.post(
        "organization_member_create",
        &json!({"id": org, "username": name, "role": role}),
        srv.admin(),
    ));
    (id, token)
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// A CKAN timestamp with its microseconds made explicit (Python drops `.000000`), so that
/// timestamps compare as strings.
fn stamp(t: &str) -> String {
    if t.contains('.') {
        t.to_string()
    } else {
        format!("{t}.000000")
    }
}

/// Walks every page with `start`/`rows`; stops at the first empty page.
#[track_caller]
fn walk_with_start(
    srv: &TestServer,
    params: &[(&str, &str)],
    rows: usize,
    token: Option<&str>,
) -> Vec<String> {
    let rows_s = rows.to_string();
    let mut out = vec![];
    let mut start = 0;
    loop {
        let start_s = start.to_string();
        let mut p = params.to_vec();
        p.extend([("rows", rows_s.as_str()), ("start", start_s.as_str())]);
        let page = names(&search(srv, &p, token));
        assert!(page.len() <= rows, "a page longer than rows: {p:?}");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
        start += rows;
        assert!(start < 100_000, "paging does not end: {params:?}");
    }
}

/// Walks every page with the `cursor` extension (`*` first, then each `next_cursor`).
#[track_caller]
fn walk_with_cursor(
    srv: &TestServer,
    params: &[(&str, &str)],
    rows: usize,
    token: Option<&str>,
) -> Vec<String> {
    let rows_s = rows.to_string();
    let mut out = vec![];
    let mut cursor = "*".to_string();
    for _ in 0..10_000 {
        let mut p = params.to_vec();
        p.extend([("rows", rows_s.as_str()), ("cursor", cursor.as_str())]);
        let r = search(srv, &p, token);
        let page = names(&r);
        assert!(page.len() <= rows, "a page longer than rows: {p:?}");
        let full = page.len() == rows;
        out.extend(page);
        match r.get("next_cursor").and_then(Value::as_str) {
            Some(next) => {
                assert!(full, "next_cursor on a short page: {p:?}");
                cursor = next.to_string();
            }
            None => {
                assert!(!full || rows == 0, "a full page without next_cursor: {p:?}");
                return out;
            }
        }
    }
    panic!("cursor paging does not end: {params:?}")
}

/// Asserts a walk saw every expected dataset exactly once.
#[track_caller]
fn assert_walk(walked: &[String], expected: &BTreeSet<String>, what: &str) {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let dups: Vec<&String> = walked
        .iter()
        .filter(|n| !seen.insert((*n).clone()))
        .collect();
    assert!(dups.is_empty(), "{what}: repeated datasets {dups:?}");
    let missing: Vec<&String> = expected.difference(&seen).collect();
    let extra: Vec<&String> = seen.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, unexpected {extra:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The test catalogue
// ---------------------------------------------------------------------------------------------

struct Ds {
    name: &'static str,
    title: &'static str,
    org: &'static str,
    tags: &'static [&'static str],
    formats: &'static [&'static str],
    license: Option<&'static str>,
    extras: &'static [(&'static str, &'static str)],
    groups: &'static [&'static str],
    private: bool,
    notes: &'static str,
}

const ORGS: &[(&str, &str)] = &[
    ("so-tai-chinh", "Sở Tài chính"),
    ("so-giao-duc", "Sở Giáo dục và Đào tạo"),
    ("da-nang", "Thành phố Đà Nẵng"),
    ("ho-chi-minh", "Thành phố Hồ Chí Minh"),
];

const GROUPS: &[(&str, &str)] = &[("kinh-te", "Kinh tế"), ("giao-duc", "Giáo dục")];

const DATASETS: &[Ds] = &[
    Ds {
        name: "ngan-sach-2024",
        title: "Ngân sách tỉnh 2024",
        org: "so-tai-chinh",
        tags: &["tai-chinh", "ngan-sach"],
        formats: &["CSV", "XLSX"],
        license: Some("cc-by"),
        extras: &[("nam", "2024"), ("nguon", "Sở Tài chính")],
        groups: &["kinh-te"],
        private: false,
        notes: "Dự toán và quyết toán ngân sách",
    },
    Ds {
        name: "ngan-sach-2023",
        title: "Ngân sách tỉnh 2023",
        org: "so-tai-chinh",
        tags: &["tai-chinh", "ngan-sach"],
        formats: &["CSV"],
        license: Some("cc-by"),
        extras: &[("nam", "2023")],
        groups: &["kinh-te"],
        private: false,
        notes: "",
    },
    Ds {
        name: "thu-chi",
        title: "Thu chi ngân sách",
        org: "so-tai-chinh",
        tags: &["tai-chinh", "thue"],
        formats: &["JSON"],
        license: Some("odc-by"),
        extras: &[],
        groups: &[],
        private: false,
        notes: "Thu và chi hằng quý",
    },
    Ds {
        name: "bao-cao-mat",
        title: "Báo cáo tài chính nội bộ",
        org: "so-tai-chinh",
        tags: &["tai-chinh", "noi-bo"],
        formats: &["PDF"],
        license: Some("cc-by"),
        extras: &[],
        groups: &[],
        private: true,
        notes: "",
    },
    Ds {
        name: "ke-hoach-thue",
        title: "Kế hoạch thuế nội bộ",
        org: "so-tai-chinh",
        tags: &["thue"],
        formats: &["CSV"],
        license: None,
        extras: &[],
        groups: &["kinh-te"],
        private: true,
        notes: "",
    },
    Ds {
        name: "truong-hoc",
        title: "Danh sách trường học",
        org: "so-giao-duc",
        tags: &["giao-duc", "school"],
        formats: &["CSV", "GeoJSON"],
        license: Some("vn-open-data"),
        extras: &[("nam", "2022")],
        groups: &["giao-duc"],
        private: false,
        notes: "List of schools in the province",
    },
    Ds {
        name: "diem-thi",
        title: "Điểm thi nội bộ",
        org: "so-giao-duc",
        tags: &["giao-duc"],
        formats: &["XLSX"],
        license: Some("cc-by"),
        extras: &[],
        groups: &[],
        private: true,
        notes: "",
    },
    Ds {
        name: "dan-so-da-nang",
        title: "Thành phố Đà Nẵng – dân số 2024",
        org: "da-nang",
        tags: &["dan-so"],
        formats: &["CSV"],
        license: Some("vn-open-data"),
        extras: &[("nam", "2024")],
        groups: &[],
        private: false,
        notes: "",
    },
    Ds {
        name: "giao-thong-da-nang",
        title: "Giao thông Đà Nẵng",
        org: "da-nang",
        tags: &["giao-thong"],
        formats: &["GeoJSON", "JSON"],
        license: Some("odc-by"),
        extras: &[],
        groups: &[],
        private: false,
        notes: "",
    },
    Ds {
        name: "dan-cu-hcm",
        title: "Dữ liệu dân cư",
        org: "ho-chi-minh",
        tags: &["dan-cu"],
        formats: &["XLSX"],
        license: Some("cc-by"),
        extras: &[],
        groups: &[],
        private: false,
        notes: "",
    },
    Ds {
        name: "danh-muc-trong",
        title: "Danh mục chưa có tệp",
        org: "so-giao-duc",
        tags: &[],
        formats: &[],
        license: None,
        extras: &[],
        groups: &[],
        private: false,
        notes: "",
    },
];

/// The dataset with more tags than the default facet.limit (50).
const MANY_TAGS: &str = "nhieu-the";
/// Public, then deleted; a draft by the editor.
const DELETED: &str = "da-xoa";
const DRAFT: &str = "ban-nhap";

struct Fixture {
    member: String,
    editor: String,
    outsider: String,
}

impl Fixture {
    fn public() -> BTreeSet<String> {
        let mut s: BTreeSet<String> = DATASETS
            .iter()
            .filter(|d| !d.private)
            .map(|d| d.name.to_string())
            .collect();
        s.insert(MANY_TAGS.to_string());
        s
    }

    fn private_of(org: &str) -> BTreeSet<String> {
        DATASETS
            .iter()
            .filter(|d| d.private && d.org == org)
            .map(|d| d.name.to_string())
            .collect()
    }

    /// Every dataset's name, in any state.
    fn all() -> Vec<String> {
        let mut v: Vec<String> = DATASETS.iter().map(|d| d.name.to_string()).collect();
        v.extend([MANY_TAGS, DELETED, DRAFT].map(String::from));
        v
    }
}

fn fixture(srv: &TestServer) -> Fixture {
    for (name, title) in ORGS {
        srv.ok(srv.post(
            "organization_create",
            &json!({"name": name, "title": title}),
            srv.admin(),
        ));
    }
    for (name, title) in GROUPS {
        srv.ok(srv.post(
            "group_create",
            &json!({"name": name, "title": title}),
            srv.admin(),
        ));
    }
    for d in DATASETS {
        let mut body = json!({
            "name": d.name,
            "title": d.title,
            "owner_org": d.org,
            "notes": d.notes,
            "private": d.private,
            "tags": d.tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
            "groups": d.groups.iter().map(|g| json!({"name": g})).collect::<Vec<_>>(),
            "extras": d.extras.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "resources": d.formats.iter().enumerate().map(|(i, f)| json!({
                "url": format!("https://data.example.gov.vn/{}/{i}.{}", d.name, f.to_lowercase()),
                "format": f,
                "name": format!("Tệp {i} của {}", d.title),
            })).collect::<Vec<_>>(),
        });
        if let Some(l) = d.license {
            body["license_id"] = json!(l);
        }
        if d.name == "ngan-sach-2024" {
            body["author"] = json!("Nguyễn Văn An");
            body["maintainer"] = json!("Trần Thị Bình");
        }
        create(srv, body);
    }
    let tags: Vec<Value> = (0..55)
        .map(|i| json!({"name": format!("the-{i:02}")}))
        .collect();
    create(
        srv,
        json!({"name": MANY_TAGS, "title": "Bộ dữ liệu nhiều thẻ", "owner_org": "da-nang",
               "tags": tags, "license_id": "cc-by"}),
    );
    create(
        srv,
        json!({"name": DELETED, "title": "Ngân sách đã xoá", "owner_org": "so-tai-chinh",
               "tags": [{"name": "tai-chinh"}]}),
    );
    srv.ok(srv.post("package_delete", &json!({"id": DELETED}), srv.admin()));

    let (_, member) = user_in(srv, "thanh_vien", "so-tai-chinh", "member");
    let (_, editor) = user_in(srv, "bien_tap", "so-tai-chinh", "editor");
    let (_, outsider) = user_in(srv, "nguoi_ngoai", "so-giao-duc", "editor");
    srv.ok(srv.post(
        "package_create",
        &json!({"name": DRAFT, "title": "Ngân sách bản nháp", "owner_org": "so-tai-chinh",
                "state": "draft", "tags": [{"name": "tai-chinh"}]}),
        Some(&editor),
    ));
    Fixture {
        member,
        editor,
        outsider,
    }
}

/// package_show (as the sysadmin) of the named datasets.
fn dicts(srv: &TestServer, names: &BTreeSet<String>) -> Vec<Value> {
    names.iter().map(|n| show(srv, n)).collect()
}

/// Facet value → (count, display name), counted from package_show dicts the way CKAN's Solr
/// schema indexes them (a value counts once per dataset; null values are not indexed).
fn brute_facets(dicts: &[Value], field: &str) -> BTreeMap<String, (u64, String)> {
    let mut out: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let title_or_name = |o: &Value| {
        let name = o["name"].as_str().unwrap_or_default().to_string();
        let title = o["title"].as_str().unwrap_or_default();
        let display = if title.is_empty() {
            name.clone()
        } else {
            title.to_string()
        };
        (name, display)
    };
    for d in dicts {
        let mut values: Vec<(String, String)> = vec![];
        match field {
            "organization" => {
                if d["organization"].is_object() {
                    values.push(title_or_name(&d["organization"]));
                }
            }
            "groups" => values.extend(
                d["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(title_or_name),
            ),
            "tags" => values.extend(
                d["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t["name"].as_str())
                    .map(|t| (t.to_string(), t.to_string())),
            ),
            "res_format" => values.extend(
                d["resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r["format"].as_str())
                    .filter(|f| !f.is_empty())
                    .map(|f| (f.to_string(), f.to_string())),
            ),
            "license_id" => {
                if let Some(l) = d["license_id"].as_str() {
                    let title = d["license_title"].as_str().filter(|t| !t.is_empty());
                    values.push((l.to_string(), title.unwrap_or(l).to_string()));
                }
            }
            other => panic!("no brute force for {other}"),
        }
        values.sort();
        values.dedup();
        for (v, display) in values {
            out.entry(v).or_insert((0, display)).0 += 1;
        }
    }
    out
}

/// Checks `facets` and `search_facets` of a search result against the brute-force count over
/// `dicts` (the datasets the search should have matched), with CKAN's facet.limit/mincount.
#[track_caller]
fn check_facets(result: &Value, dicts: &[Value], limit: Option<usize>, mincount: u64, what: &str) {
    for field in FACET_FIELDS {
        let mut expected: Vec<(String, u64, String)> = brute_facets(dicts, field)
            .into_iter()
            .filter(|(_, (c, _))| *c >= mincount)
            .map(|(v, (c, d))| (v, c, d))
            .collect();
        // By count, descending; ties by value (Solr's index order).
        expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some(l) = limit {
            expected.truncate(l);
        }
        let got: Vec<(String, u64)> = result["facets"][field]
            .as_object()
            .unwrap_or_else(|| panic!("{what}: no facets.{field}: {:#}", result["facets"]))
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(u64::MAX)))
            .collect();
        let want: Vec<(String, u64)> = expected.iter().map(|(v, c, _)| (v.clone(), *c)).collect();
        assert_eq!(got, want, "{what}: facets.{field} (by count, descending)");

        let sf = &result["search_facets"][field];
        assert_eq!(
            sf["title"],
            json!(field),
            "{what}: search_facets.{field}.title"
        );
        let got: Vec<(String, String, u64)> = sf["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no search_facets.{field}.items: {sf:#}"))
            .iter()
            .map(|i| {
                (
                    s(&i["name"]).to_string(),
                    s(&i["display_name"]).to_string(),
                    i["count"].as_u64().unwrap_or(u64::MAX),
                )
            })
            .collect();
        // CKAN lists items by display name, descending, ties in count order (T#029).
        let mut items = expected.clone();
        items.sort_by(|a, b| b.2.cmp(&a.2));
        let want: Vec<(String, String, u64)> =
            items.into_iter().map(|(v, c, d)| (v, d, c)).collect();
        assert_eq!(got, want, "{what}: search_facets.{field}.items");
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters and result shape
// ---------------------------------------------------------------------------------------------

both_backends!(
    parameters_and_result_shape_sqlite,
    parameters_and_result_shape_postgres,
    |srv| {
        fixture(srv);
        let public = Fixture::public();

        // Defaults: everything public and active, CKAN's keys, the default sort echoed, no facets.
        let all = search(srv, &[], None);
        let mut keys: Vec<&str> = all
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort();
        assert_eq!(
            keys,
            ["count", "facets", "results", "search_facets", "sort"]
        );
        assert_eq!(all["count"], json!(public.len()));
        assert_eq!(
            all["results"].as_array().map(Vec::len),
            Some(public.len().min(10)),
            "rows defaults to 10"
        );
        assert_eq!(all["sort"], "score desc, metadata_modified desc");
        assert_eq!(
            (&all["facets"], &all["search_facets"]),
            (&json!({}), &json!({})),
            "T#028"
        );
        assert_eq!(found_as(srv, &[("q", "*:*")], None), public);
        assert_eq!(found_as(srv, &[("q", "")], None), public);
        assert_eq!(package_list(srv), public, "search and package_list agree");

        // results are package_show dicts, byte for byte, for every dataset a sysadmin can find
        let everything = search(
            srv,
            &[
                ("rows", "1000"),
                ("include_private", "true"),
                ("include_drafts", "true"),
                ("include_deleted", "true"),
            ],
            srv.admin(),
        );
        assert_eq!(everything["count"], json!(Fixture::all().len()));
        for r in everything["results"].as_array().into_iter().flatten() {
            assert_eq!(
                r,
                &show(srv, s(&r["id"])),
                "search result vs package_show of {}",
                r["name"]
            );
        }
        let anon = search(srv, &[("q", "name:truong-hoc")], None);
        let anon_show = srv.ok(srv.get("package_show", &[("id", "truong-hoc")], None));
        assert_eq!(
            anon["results"][0], anon_show,
            "anonymous: result vs package_show"
        );

        // q, fq, fq_list (JSON list, and with fq), all ANDed
        let ngan_sach = set(&["ngan-sach-2024", "ngan-sach-2023", "thu-chi"]);
        assert_eq!(found(srv, "ngân sách"), ngan_sach);
        assert_eq!(
            found_as(srv, &[("q", "ngân sách"), ("fq", "tags:ngan-sach")], None),
            set(&["ngan-sach-2024", "ngan-sach-2023"])
        );
        assert_eq!(
            found_as(
                srv,
                &[(
                    "fq_list",
                    r#"["organization:so-tai-chinh", "res_format:CSV"]"#
                )],
                None
            ),
            set(&["ngan-sach-2024", "ngan-sach-2023"])
        );
        assert_eq!(
            found_as(
                srv,
                &[
                    ("fq", "organization:so-tai-chinh"),
                    ("fq_list", r#"["-tags:ngan-sach"]"#)
                ],
                None
            ),
            set(&["thu-chi"])
        );
        let posted = srv.ok(srv.post(
            "package_search",
            &json!({"q": "ngân sách", "fq_list": ["tags:tai-chinh", "res_format:JSON"], "rows": 5}),
            None,
        ));
        assert_eq!(names(&posted), ["thu-chi"], "POST with a JSON body");

        // sort: several keys, asc and desc; the effective sort is echoed; ties go by id
        let public_dicts = dicts(srv, &public);
        let order = |key: &dyn Fn(&Value, &Value) -> std::cmp::Ordering| -> Vec<String> {
            let mut v: Vec<&Value> = public_dicts.iter().collect();
            v.sort_by(|a, b| key(a, b).then_with(|| s(&a["id"]).cmp(s(&b["id"]))));
            v.iter().map(|d| s(&d["name"]).to_string()).collect()
        };
        let num = |d: &Value, k: &str| d[k].as_u64().unwrap_or(0);
        let cases: Vec<(&str, Vec<String>)> = vec![
            ("name asc", order(&|a, b| s(&a["name"]).cmp(s(&b["name"])))),
            ("name desc", order(&|a, b| s(&b["name"]).cmp(s(&a["name"])))),
            (
                "metadata_modified desc",
                order(&|a, b| {
                    stamp(s(&b["metadata_modified"])).cmp(&stamp(s(&a["metadata_modified"])))
                }),
            ),
            (
                "metadata_created asc",
                order(&|a, b| {
                    stamp(s(&a["metadata_created"])).cmp(&stamp(s(&b["metadata_created"])))
                }),
            ),
            (
                "num_resources desc, name asc",
                order(&|a, b| {
                    num(b, "num_resources")
                        .cmp(&num(a, "num_resources"))
                        .then(s(&a["name"]).cmp(s(&b["name"])))
                }),
            ),
            (
                "num_tags asc, metadata_modified desc",
                order(&|a, b| {
                    num(a, "num_tags").cmp(&num(b, "num_tags")).then(
                        stamp(s(&b["metadata_modified"])).cmp(&stamp(s(&a["metadata_modified"]))),
                    )
                }),
            ),
            // Cổng sorts titles case-insensitively (CKAN's title_string is the title as is).
            (
                "title asc",
                order(&|a, b| {
                    s(&a["title"])
                        .to_lowercase()
                        .cmp(&s(&b["title"]).to_lowercase())
                }),
            ),
            (
                "num_resources asc, num_tags desc, name desc",
                order(&|a, b| {
                    num(a, "num_resources")
                        .cmp(&num(b, "num_resources"))
                        .then(num(b, "num_tags").cmp(&num(a, "num_tags")))
                        .then(s(&b["name"]).cmp(s(&a["name"])))
                }),
            ),
            (
                "organization asc, name asc, metadata_modified desc, id asc",
                order(&|a, b| {
                    s(&a["organization"]["name"])
                        .cmp(s(&b["organization"]["name"]))
                        .then(s(&a["name"]).cmp(s(&b["name"])))
                }),
            ),
        ];
        for (sort, want) in &cases {
            let r = search(srv, &[("sort", sort), ("rows", "1000")], None);
            assert_eq!(&names(&r), want, "sort={sort}");
            assert_eq!(r["sort"], json!(sort), "sort is echoed");
        }
        let by_name = &cases[0].1;

        // rows, start (CKAN's paging), rows=0 (count only); start past the end is an empty page
        let page = |start: &str, rows: &str| {
            names(&search(
                srv,
                &[("sort", "name asc"), ("start", start), ("rows", rows)],
                None,
            ))
        };
        assert_eq!(page("0", "3"), by_name[0..3]);
        assert_eq!(page("2", "3"), by_name[2..5]);
        assert_eq!(page("8", "3"), by_name[8..]);
        assert_eq!(page("10", "3"), Vec::<String>::new());
        assert_eq!(
            page("100000000000", "3"),
            Vec::<String>::new(),
            "a huge start is just past the end"
        );
        let zero = search(
            srv,
            &[("rows", "0"), ("facet.field", r#"["organization"]"#)],
            None,
        );
        assert_eq!(
            (zero["count"].clone(), zero["results"].clone()),
            (json!(public.len()), json!([]))
        );
        assert_eq!(
            zero["facets"]["organization"]["so-tai-chinh"], 3,
            "rows=0 still counts facets"
        );

        // fl: only the named fields (T#031)
        let fl = search(srv, &[("q", "name:thu-chi"), ("fl", "name,title")], None);
        assert_eq!(
            fl["results"],
            json!([{"name": "thu-chi", "title": "Thu chi ngân sách"}])
        );
        let fl = search(srv, &[("q", "name:thu-chi"), ("fl", "name")], None);
        assert_eq!(fl["results"], json!([{"name": "thu-chi"}]));

        // facet=false drops facets; parameters CKAN accepts and ignores are accepted
        let nofacet = search(
            srv,
            &[("facet", "false"), ("facet.field", FACET_FIELDS_JSON)],
            None,
        );
        assert_eq!(
            (&nofacet["facets"], &nofacet["search_facets"]),
            (&json!({}), &json!({}))
        );
        let ignored = search(
            srv,
            &[
                ("wt", "json"),
                ("defType", "edismax"),
                ("qf", "title^2"),
                ("mm", "1"),
                ("use_default_schema", "true"),
                ("ext_bbox", "1,2,3,4"),
            ],
            None,
        );
        assert_eq!(ignored["count"], json!(public.len()));

        // cursor (Cổng extension): the same pages as start/rows, then no next_cursor
        for sort in [
            "name asc",
            "metadata_modified desc",
            "num_resources desc, name asc",
        ] {
            let by_cursor = walk_with_cursor(srv, &[("sort", sort)], 3, None);
            let by_start = walk_with_start(srv, &[("sort", sort)], 3, None);
            assert_eq!(by_cursor, by_start, "cursor vs start, sort={sort}");
            assert_walk(&by_cursor, &public, &format!("cursor walk, sort={sort}"));
        }
        // with the default (relevance) sort the cursor falls back to recency
        assert_walk(
            &walk_with_cursor(srv, &[], 4, None),
            &public,
            "cursor walk, default sort",
        );
        assert_walk(
            &walk_with_cursor(srv, &[("q", "ngân sách")], 2, None),
            &ngan_sach,
            "cursor walk of a query",
        );
        let first = search(
            srv,
            &[("sort", "name asc"), ("rows", "2"), ("cursor", "*")],
            None,
        );
        assert_eq!(names(&first), by_name[0..2]);
        assert!(first["next_cursor"].is_string(), "next_cursor: {first:#}");
        assert!(
            search(srv, &[("rows", "2")], None)
                .get("next_cursor")
                .is_none(),
            "no cursor asked, none given"
        );
    }
);

// ---------------------------------------------------------------------------------------------
// Facets against a brute-force count
// ---------------------------------------------------------------------------------------------

both_backends!(
    facets_match_brute_force_sqlite,
    facets_match_brute_force_postgres,
    |srv| {
        let fx = fixture(srv);
        let public = Fixture::public();
        let public_dicts = dicts(srv, &public);
        let facets = |params: &[(&str, &str)], token: Option<&str>| {
            let mut p = vec![("facet.field", FACET_FIELDS_JSON), ("rows", "0")];
            p.extend_from_slice(params);
            search(srv, &p, token)
        };

        // all values (facet.limit=-1), the default limit, a small limit, mincount
        check_facets(
            &facets(&[("facet.limit", "-1")], None),
            &public_dicts,
            None,
            1,
            "anonymous, facet.limit=-1",
        );
        let default = facets(&[], None);
        check_facets(
            &default,
            &public_dicts,
            Some(50),
            1,
            "anonymous, default facet.limit",
        );
        assert_eq!(
            default["facets"]["tags"].as_object().map(|m| m.len()),
            Some(50),
            "facet.limit defaults to 50"
        );
        check_facets(
            &facets(&[("facet.limit", "2")], None),
            &public_dicts,
            Some(2),
            1,
            "facet.limit=2",
        );
        check_facets(
            &facets(&[("facet.limit", "-1"), ("facet.mincount", "2")], None),
            &public_dicts,
            None,
            2,
            "facet.mincount=2",
        );
        check_facets(
            &facets(&[("facet.limit", "3"), ("facet.mincount", "3")], None),
            &public_dicts,
            Some(3),
            3,
            "limit 3, mincount 3",
        );

        // facets follow q and fq
        let matching = |pred: &dyn Fn(&Value) -> bool| -> Vec<Value> {
            public_dicts.iter().filter(|d| pred(d)).cloned().collect()
        };
        let has_tag = |d: &Value, t: &str| {
            d["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|x| x["name"] == json!(t))
        };
        check_facets(
            &facets(
                &[("fq", "organization:so-tai-chinh"), ("facet.limit", "-1")],
                None,
            ),
            &matching(&|d| d["organization"]["name"] == json!("so-tai-chinh")),
            None,
            1,
            "fq=organization:so-tai-chinh",
        );
        check_facets(
            &facets(
                &[
                    ("q", "tags:tai-chinh OR tags:giao-duc"),
                    ("facet.limit", "-1"),
                ],
                None,
            ),
            &matching(&|d| has_tag(d, "tai-chinh") || has_tag(d, "giao-duc")),
            None,
            1,
            "q=tags:tai-chinh OR tags:giao-duc",
        );
        check_facets(
            &facets(
                &[
                    ("q", "ngân sách"),
                    ("fq", "-res_format:XLSX"),
                    ("facet.limit", "-1"),
                ],
                None,
            ),
            &dicts(srv, &set(&["ngan-sach-2023", "thu-chi"])),
            None,
            1,
            "q and a negative fq",
        );

        // facets obey visibility: private datasets count only for those who may read them
        let mut admin_sees = public.clone();
        admin_sees.extend(Fixture::private_of("so-tai-chinh"));
        admin_sees.extend(Fixture::private_of("so-giao-duc"));
        check_facets(
            &facets(
                &[("include_private", "true"), ("facet.limit", "-1")],
                srv.admin(),
            ),
            &dicts(srv, &admin_sees),
            None,
            1,
            "sysadmin, include_private",
        );
        let mut member_sees = public.clone();
        member_sees.extend(Fixture::private_of("so-tai-chinh"));
        check_facets(
            &facets(
                &[("include_private", "true"), ("facet.limit", "-1")],
                Some(&fx.member),
            ),
            &dicts(srv, &member_sees),
            None,
            1,
            "member, include_private",
        );
        check_facets(
            &facets(&[("facet.limit", "-1")], Some(&fx.member)),
            &public_dicts,
            None,
            1,
            "member without include_private",
        );
        let mut editor_sees = public.clone();
        editor_sees.insert(DRAFT.to_string());
        check_facets(
            &facets(
                &[("include_drafts", "true"), ("facet.limit", "-1")],
                Some(&fx.editor),
            ),
            &dicts(srv, &editor_sees),
            None,
            1,
            "editor's drafts",
        );
        // display names: organization and group titles, licence titles
        let f = facets(&[("facet.limit", "-1")], None);
        let display = |field: &str, name: &str| -> Value {
            f["search_facets"][field]["items"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|i| i["name"] == json!(name))
                .map(|i| i["display_name"].clone())
                .unwrap_or(Value::Null)
        };
        assert_eq!(display("organization", "da-nang"), "Thành phố Đà Nẵng");
        assert_eq!(display("groups", "kinh-te"), "Kinh tế");
        assert_eq!(
            display("license_id", "cc-by"),
            "Creative Commons Attribution"
        );
        assert_eq!(
            display("license_id", "odc-by"),
            "Open Data Commons Attribution License"
        );
        assert_eq!(display("res_format", "GeoJSON"), "GeoJSON");
    }
);

// ---------------------------------------------------------------------------------------------
// Query syntax
// ---------------------------------------------------------------------------------------------

both_backends!(query_syntax_sqlite, query_syntax_postgres, |srv| {
    fixture(srv);
    let public = Fixture::public();
    let all_but = |out: &[&str]| -> BTreeSet<String> {
        public
            .iter()
            .filter(|n| !out.contains(&n.as_str()))
            .cloned()
            .collect()
    };

    // field:value on exact-value fields
    assert_eq!(found(srv, "tags:thue"), set(&["thu-chi"]));
    assert_eq!(
        found(srv, "organization:da-nang"),
        set(&["dan-so-da-nang", "giao-thong-da-nang", MANY_TAGS])
    );
    assert_eq!(
        found(srv, "res_format:GeoJSON"),
        set(&["truong-hoc", "giao-thong-da-nang"])
    );
    assert_eq!(
        found(srv, "license_id:odc-by"),
        set(&["thu-chi", "giao-thong-da-nang"])
    );
    assert_eq!(found(srv, "name:thu-chi"), set(&["thu-chi"]));
    assert_eq!(
        found(srv, "groups:kinh-te"),
        set(&["ngan-sach-2024", "ngan-sach-2023"])
    );
    assert_eq!(found(srv, "dataset_type:dataset"), public);
    assert_eq!(found(srv, "type:dataset"), public);
    assert_eq!(found(srv, "state:active"), public);
    assert_eq!(found(srv, "capacity:public"), public);
    let thu_chi = show(srv, "thu-chi");
    assert_eq!(
        found(srv, &format!("id:{}", s(&thu_chi["id"]))),
        set(&["thu-chi"])
    );
    assert_eq!(
        found(srv, &format!("owner_org:{}", s(&thu_chi["owner_org"]))),
        set(&["ngan-sach-2024", "ngan-sach-2023", "thu-chi"])
    );
    // … and on full-text fields
    assert_eq!(
        found(srv, "title:ngân"),
        set(&["ngan-sach-2024", "ngan-sach-2023", "thu-chi"])
    );
    assert_eq!(found(srv, "notes:quyết"), set(&["ngan-sach-2024"]));
    assert_eq!(found(srv, "text:quý"), set(&["thu-chi"]));
    assert_eq!(found(srv, "author:nguyen"), set(&["ngan-sach-2024"]));
    assert_eq!(
        found(srv, "maintainer:\"Trần Thị Bình\""),
        set(&["ngan-sach-2024"])
    );
    assert_eq!(
        found(srv, "res_name:\"Tệp 1\""),
        set(&["ngan-sach-2024", "truong-hoc", "giao-thong-da-nang"])
    );
    // extras_KEY
    assert_eq!(
        found(srv, "extras_nam:2024"),
        set(&["ngan-sach-2024", "dan-so-da-nang"])
    );
    assert_eq!(
        found(srv, "extras_nguon:\"Sở Tài chính\""),
        set(&["ngan-sach-2024"])
    );
    assert_eq!(
        found(srv, "extras_nam:[2023 TO 2024]"),
        set(&["ngan-sach-2024", "ngan-sach-2023", "dan-so-da-nang"])
    );
    assert_eq!(
        found(srv, "extras_nam:*"),
        set(&[
            "ngan-sach-2024",
            "ngan-sach-2023",
            "truong-hoc",
            "dan-so-da-nang"
        ])
    );
    assert_eq!(found(srv, "extras_khong_co:x"), set::<&str>(&[]));

    // quoted phrases: the words, in order
    assert_eq!(
        found(srv, "\"ngân sách tỉnh\""),
        set(&["ngan-sach-2024", "ngan-sach-2023"])
    );
    assert_eq!(found(srv, "\"tỉnh ngân sách\""), set::<&str>(&[]));
    assert_eq!(found(srv, "title:\"tỉnh 2024\""), set(&["ngan-sach-2024"]));
    // bare words: CKAN's dismax, `mm=2<-1 5<80%`: of three words two must match, and the
    // dataset holding all three ranks first; `mm=100%` (or defType=lucene) needs all of them
    assert_eq!(
        found(srv, "ngân sách 2024"),
        set(&["ngan-sach-2024", "ngan-sach-2023", "thu-chi"])
    );
    let ranked = search(srv, &[("q", "ngân sách 2024")], None);
    assert_eq!(ranked["results"][0]["name"], "ngan-sach-2024");
    for strict in [("mm", "100%"), ("defType", "lucene")] {
        let r = search(srv, &[("q", "ngân sách 2024"), strict], None);
        assert_eq!(r["count"], json!(1), "{strict:?}");
    }
    let bad = srv.get("package_search", &[("q", "a b"), ("mm", "lots")], None);
    assert_eq!(bad.0, 409, "{}", bad.1);
    assert_eq!(bad.1["error"]["__type"], "Search Error");

    // AND / OR / NOT, + / -, parentheses
    assert_eq!(
        found(srv, "tags:tai-chinh AND tags:thue"),
        set(&["thu-chi"])
    );
    assert_eq!(
        found(srv, "tags:tai-chinh && tags:ngan-sach"),
        set(&["ngan-sach-2024", "ngan-sach-2023"])
    );
    assert_eq!(
        found(srv, "organization:da-nang OR organization:ho-chi-minh"),
        set(&[
            "dan-so-da-nang",
            "giao-thong-da-nang",
            MANY_TAGS,
            "dan-cu-hcm"
        ])
    );
    assert_eq!(
        found(srv, "tags:tai-chinh NOT tags:thue"),
        set(&["ngan-sach-2024", "ngan-sach-2023"])
    );
    assert_eq!(
        found(srv, "tags:tai-chinh AND NOT res_format:CSV"),
        set(&["thu-chi"])
    );
    assert_eq!(
        found(srv, "+tags:tai-chinh -tags:thue"),
        set(&["ngan-sach-2024", "ngan-sach-2023"])
    );
    assert_eq!(
        found(srv, "-organization:so-tai-chinh"),
        all_but(&["ngan-sach-2024", "ngan-sach-2023", "thu-chi"])
    );
    assert_eq!(
        found(srv, "NOT tags:tai-chinh"),
        all_but(&["ngan-sach-2024", "ngan-sach-2023", "thu-chi"])
    );
    assert_eq!(
        found(
            srv,
            "(organization:da-nang OR tags:thue) AND res_format:JSON"
        ),
        set(&["thu-chi", "giao-thong-da-nang"])
    );
    assert_eq!(
        found(srv, "tags:(giao-duc OR dan-so)"),
        set(&["truong-hoc", "dan-so-da-nang"])
    );
    assert_eq!(
        found(
            srv,
            "((tags:giao-duc) OR (tags:dan-cu AND res_format:XLSX)) -license_id:cc-by"
        ),
        set(&["truong-hoc"])
    );

    // ranges: metadata_modified with *, inclusive and exclusive, with and without Z
    let modified: BTreeMap<String, String> = dicts(srv, &public)
        .iter()
        .map(|d| (s(&d["name"]).to_string(), stamp(s(&d["metadata_modified"]))))
        .collect();
    let pivot = modified["dan-so-da-nang"].clone();
    let since = |inclusive: bool| -> BTreeSet<String> {
        modified
            .iter()
            .filter(|(_, t)| if inclusive { **t >= pivot } else { **t > pivot })
            .map(|(n, _)| n.clone())
            .collect()
    };
    let until: BTreeSet<String> = modified
        .iter()
        .filter(|(_, t)| **t <= pivot)
        .map(|(n, _)| n.clone())
        .collect();
    assert!(
        since(true).len() > 1 && until.len() > 1,
        "the pivot splits the catalogue"
    );
    assert_eq!(
        found(srv, &format!("metadata_modified:[{pivot}Z TO *]")),
        since(true)
    );
    assert_eq!(
        found(srv, &format!("metadata_modified:[{pivot} TO *]")),
        since(true)
    );
    assert_eq!(
        found(srv, &format!("metadata_modified:{{{pivot}Z TO *]")),
        since(false)
    );
    assert_eq!(
        found(srv, &format!("metadata_modified:[* TO {pivot}Z]")),
        until
    );
    assert_eq!(
        found(srv, "metadata_modified:[2000-01-01T00:00:00Z TO *]"),
        public
    );
    assert_eq!(
        found(srv, "metadata_modified:[* TO 2000-01-01T00:00:00Z]"),
        set::<&str>(&[])
    );
    assert_eq!(found(srv, "metadata_modified:[* TO *]"), public);
    // Past what the index can count (nanoseconds in an i64 end in 2262): after everything,
    // before nothing, never an overflow.
    assert_eq!(
        found(srv, "metadata_modified:[2999-01-01T00:00:00Z TO *]"),
        set::<&str>(&[])
    );
    assert_eq!(
        found(
            srv,
            "metadata_modified:[1000-01-01T00:00:00Z TO 9999-12-31T23:59:59Z]"
        ),
        public
    );
    assert_eq!(
        found(srv, "metadata_created:[2000-01-01T00:00:00Z TO *]"),
        public
    );
    assert_eq!(
        found_as(
            srv,
            &[("fq", &format!("metadata_modified:[{pivot}Z TO *]"))],
            None
        ),
        since(true)
    );
    // … and on num_resources / num_tags
    assert_eq!(
        found(srv, "num_resources:[2 TO *]"),
        set(&["ngan-sach-2024", "truong-hoc", "giao-thong-da-nang"])
    );
    assert_eq!(
        found(srv, "num_resources:[0 TO 0]"),
        set(&["danh-muc-trong", MANY_TAGS])
    );
    assert_eq!(
        found(srv, "num_resources:0"),
        set(&["danh-muc-trong", MANY_TAGS])
    );
    assert_eq!(
        found(srv, "num_resources:{0 TO 2}"),
        all_but(&[
            "ngan-sach-2024",
            "truong-hoc",
            "giao-thong-da-nang",
            "danh-muc-trong",
            MANY_TAGS
        ])
    );
    assert_eq!(found(srv, "num_tags:[50 TO *]"), set(&[MANY_TAGS]));
    assert_eq!(found(srv, "num_tags:0"), set(&["danh-muc-trong"]));

    // trailing wildcards
    assert_eq!(
        found(srv, "name:ngan-sach-*"),
        set(&["ngan-sach-2024", "ngan-sach-2023"])
    );
    assert_eq!(
        found(srv, "tags:giao*"),
        set(&["truong-hoc", "giao-thong-da-nang"])
    );
    assert_eq!(
        found(srv, "ngâ*"),
        set(&["ngan-sach-2024", "ngan-sach-2023", "thu-chi"])
    );
    assert_eq!(found(srv, "title:trườ*"), set(&["truong-hoc"]));
    // field:* — datasets with a value in the field
    assert_eq!(found(srv, "tags:*"), all_but(&["danh-muc-trong"]));
    assert_eq!(
        found(srv, "res_format:*"),
        all_but(&["danh-muc-trong", MANY_TAGS])
    );
    assert_eq!(found(srv, "*:*"), public);
});

// ---------------------------------------------------------------------------------------------
// Invalid queries and parameters
// ---------------------------------------------------------------------------------------------

both_backends!(invalid_queries_sqlite, invalid_queries_postgres, |srv| {
    fixture(srv);
    // Syntax Solr cannot parse → 409 Search Error (ckan-api.md §1), in q and in fq alike.
    let bad = [
        "(ngan sach",
        "ngan sach)",
        "(a OR (b AND c)",
        "\"ngân sách",
        "title:\"x",
        "foo:bar",
        "undefined_field:[1 TO 2]",
        "metadata_modified:[yesterday TO *]",
        "metadata_modified:[2024-13-45T00:00:00Z TO *]",
        "metadata_modified:[2024-01-01T00:00:00Z TO]",
        "metadata_modified:[2024-01-01T00:00:00Z 2025-01-01T00:00:00Z]",
        "num_resources:[a TO 3]",
        "num_resources:-1",
        "num_resources:[1 TO 2",
        "[1 TO 2]",
        "title:",
        "*:x",
        "AND",
        "ngan OR",
        "NOT",
        "\\",
    ];
    for q in bad {
        search_error(srv, &[("q", q)], &format!("q={q}"));
        search_error(srv, &[("fq", q)], &format!("fq={q}"));
    }
    search_error(
        srv,
        &[("fq_list", r#"["tags:x", "(unbalanced"]"#)],
        "fq_list with a bad filter",
    );
    search_error(srv, &[("q", &"(".repeat(200))], "nesting too deep");
    search_error(srv, &[("cursor", "not-a-cursor")], "a cursor not from us");
    let e = failure(
        srv.get("package_search", &[("q", "foo:bar")], None),
        409,
        "Search Error",
        "unknown field",
    );
    assert!(
        s(&e["message"]).contains("foo"),
        "the message names the field: {e}"
    );

    // Unknown parameters and bad sorts → 400 Search Query Error (CKAN's exact message).
    let e = failure(
        srv.get("package_search", &[("foo", "bar")], None),
        400,
        "Search Query Error",
        "unknown parameter",
    );
    assert_eq!(
        e["message"],
        "Search Query is invalid: \"Invalid search parameters: ['foo']\""
    );
    for sort in [
        "foo asc",
        "name sideways",
        "tags asc",
        "name asc desc",
        "notes asc",
    ] {
        failure(
            srv.get("package_search", &[("sort", sort)], None),
            400,
            "Search Query Error",
            &format!("sort={sort}"),
        );
    }
    // Bad numbers and JSON → 409 Validation Error (T#032)
    for (k, v) in [
        ("rows", "many"),
        ("start", "-1"),
        ("rows", "-5"),
        ("facet.limit", "lots"),
    ] {
        failure(
            srv.get("package_search", &[(k, v)], None),
            409,
            "Validation Error",
            &format!("{k}={v}"),
        );
    }

    // Never a 500, whatever comes in; the server keeps answering.
    let long = "ngân sách ".repeat(3000);
    let nasty: Vec<Vec<(&str, &str)>> = vec![
        vec![("q", "metadata_modified:[* TO *]")],
        vec![("q", "metadata_modified:{* TO *}")],
        vec![("q", "num_resources:{* TO *}")],
        vec![("q", "name:[* TO *]")],
        vec![("q", "extras_nam:[* TO *]")],
        vec![("q", "extras_nam:{2020 TO *}")],
        vec![("q", "title:[a TO b]")],
        vec![("q", "name:[a TO z]")],
        vec![("q", "**")],
        vec![("q", "*a")],
        vec![("q", "title:*")],
        vec![("q", "\u{0}")],
        vec![("q", "😀 🇻🇳 \u{202e}")],
        vec![("q", "a\u{0301}\u{0301}\u{0301}")],
        vec![("q", long.as_str())],
        vec![("q", "ngan~2")],
        vec![("q", "ngan^3")],
        vec![("q", "?")],
        vec![("q", "tags:")],
        vec![("q", ":")],
        vec![("q", "-")],
        vec![("q", "+")],
        vec![("q", "!")],
        vec![("q", "a:b:c")],
        vec![("start", "100000000000000")],
        vec![("start", "18446744073709551615")],
        vec![("rows", "100000000000000")],
        vec![("rows", "99999999999999999999999")],
        vec![
            ("facet.field", FACET_FIELDS_JSON),
            ("facet.limit", "100000000000000"),
        ],
        vec![
            ("facet.field", FACET_FIELDS_JSON),
            ("facet.mincount", "100000000000000"),
        ],
        vec![(
            "facet.field",
            r#"["title", "num_resources", "metadata_modified", "no_such", "extras_nam"]"#,
        )],
        vec![("facet.field", "[1, null, {}]")],
        vec![("sort", "")],
        vec![("sort", ",")],
        vec![("sort", "score asc")],
        vec![("cursor", "*"), ("sort", "title desc"), ("rows", "0")],
        vec![("cursor", "WyJhIiwiYiIsImMiLCJkIl0")],
        vec![
            ("cursor", "WzEsMiwzLDRd"),
            ("sort", "metadata_modified desc"),
        ],
        vec![("fq", "")],
        vec![("fq_list", "[]")],
    ];
    for params in &nasty {
        let (status, body) = srv.get("package_search", params, None);
        assert!(
            status == 200 || status == 400 || status == 409,
            "{params:?}: HTTP {status}: {body:#}"
        );
        assert_ne!(
            body["error"]["__type"],
            json!("Internal Server Error"),
            "{params:?}: {body:#}"
        );
    }
    assert!(srv.is_answering(), "the server survived");
    assert_eq!(
        search(srv, &[], None)["count"],
        json!(Fixture::public().len())
    );
});

// ---------------------------------------------------------------------------------------------
// Visibility per role
// ---------------------------------------------------------------------------------------------

both_backends!(
    visibility_per_role_sqlite,
    visibility_per_role_postgres,
    |srv| {
        let fx = fixture(srv);
        let public = Fixture::public();
        let with = |extra: &[&str]| -> BTreeSet<String> {
            let mut s = public.clone();
            s.extend(extra.iter().map(|x| x.to_string()));
            s
        };
        let tai_chinh: Vec<String> = Fixture::private_of("so-tai-chinh").into_iter().collect();
        let giao_duc: Vec<String> = Fixture::private_of("so-giao-duc").into_iter().collect();
        let tc: Vec<&str> = tai_chinh.iter().map(String::as_str).collect();
        let gd: Vec<&str> = giao_duc.iter().map(String::as_str).collect();
        let all_private: Vec<&str> = tc.iter().chain(gd.iter()).copied().collect();

        let roles: [(&str, Option<&str>, BTreeSet<String>); 5] = [
            ("anonymous", None, public.clone()),
            ("member", Some(&fx.member), with(&tc)),
            ("editor", Some(&fx.editor), with(&tc)),
            ("other organization's editor", Some(&fx.outsider), with(&gd)),
            ("sysadmin", srv.admin(), with(&all_private)),
        ];
        for (role, token, with_private) in &roles {
            // Without include_private nobody sees private datasets (CKAN's default).
            assert_eq!(&found_as(srv, &[], *token), &public, "{role}, default");
            assert_eq!(
                &found_as(srv, &[("include_private", "false")], *token),
                &public,
                "{role}, include_private=false"
            );
            assert_eq!(
                &found_as(srv, &[("include_private", "true")], *token),
                with_private,
                "{role}, include_private=true"
            );
            // counts and facets obey the same rule
            let r = search(
                srv,
                &[
                    ("include_private", "true"),
                    ("rows", "0"),
                    ("facet.field", FACET_FIELDS_JSON),
                    ("facet.limit", "-1"),
                ],
                *token,
            );
            assert_eq!(r["count"], json!(with_private.len()), "{role}: count");
            check_facets(
                &r,
                &dicts(srv, with_private),
                None,
                1,
                &format!("{role}: facets"),
            );
            // a query cannot reach past the rule
            let privates: BTreeSet<String> = with_private.difference(&public).cloned().collect();
            assert_eq!(
                &found_as(
                    srv,
                    &[("q", "capacity:private"), ("include_private", "true")],
                    *token
                ),
                &privates,
                "{role}: capacity:private"
            );
            assert_eq!(
                &found_as(
                    srv,
                    &[("fq", "private:true"), ("include_private", "true")],
                    *token
                ),
                &privates,
                "{role}: private:true"
            );
            assert!(
                found_as(srv, &[("q", "capacity:private")], *token).is_empty(),
                "{role}: private without include_private"
            );
            assert!(
                found_as(srv, &[("q", "state:deleted OR state:draft")], *token).is_empty(),
                "{role}: state in q"
            );
            // drafts: the creator's own, and all of them for sysadmins (CKAN's package_search docs)
            let drafts = found_as(
                srv,
                &[("include_drafts", "true"), ("q", "state:draft")],
                *token,
            );
            let sees_draft = matches!(*role, "editor" | "sysadmin");
            assert_eq!(
                drafts,
                if sees_draft {
                    set(&[DRAFT])
                } else {
                    set::<&str>(&[])
                },
                "{role}: include_drafts"
            );
            assert!(
                !found_as(srv, &[("q", "name:ban-nhap")], *token).contains(DRAFT),
                "{role}: drafts need include_drafts"
            );
            // deleted: sysadmins who ask
            let deleted = found_as(
                srv,
                &[
                    ("include_deleted", "true"),
                    ("q", &format!("name:{DELETED}")),
                ],
                *token,
            );
            assert_eq!(
                deleted,
                if *role == "sysadmin" {
                    set(&[DELETED])
                } else {
                    set::<&str>(&[])
                },
                "{role}: include_deleted"
            );
        }
        // everything at once, for the sysadmin
        let mut everything = with(&all_private);
        everything.extend([DRAFT.to_string(), DELETED.to_string()]);
        assert_eq!(
            found_as(
                srv,
                &[
                    ("include_private", "true"),
                    ("include_drafts", "true"),
                    ("include_deleted", "true")
                ],
                srv.admin()
            ),
            everything
        );
        // the editor's draft with include_private too; another member of the org never sees it
        assert!(found_as(
            srv,
            &[("include_private", "true"), ("include_drafts", "true")],
            Some(&fx.editor)
        )
        .contains(DRAFT));
        assert!(!found_as(
            srv,
            &[("include_private", "true"), ("include_drafts", "true")],
            Some(&fx.member)
        )
        .contains(DRAFT));
        // a member who leaves the organization stops seeing its private datasets at once
        srv.ok(srv.post(
            "organization_member_delete",
            &json!({"id": "so-tai-chinh", "username": "thanh_vien"}),
            srv.admin(),
        ));
        assert_eq!(
            found_as(srv, &[("include_private", "true")], Some(&fx.member)),
            public
        );
    }
);

// ---------------------------------------------------------------------------------------------
// Vietnamese and English matching
// ---------------------------------------------------------------------------------------------

both_backends!(
    vietnamese_matching_sqlite,
    vietnamese_matching_postgres,
    |srv| {
        // NFD spellings (decomposed: base letters plus combining marks), written out so that the
        // test needs no Unicode library.
        let nfd = |t: &str| -> String {
            let decomposed = match t {
                "Đà Nẵng" => "\u{110}a\u{300} Na\u{306}\u{303}ng",
                "ĐÀ NẴNG" => "\u{110}A\u{300} NA\u{306}\u{303}NG",
                "Trường học phổ thông" => {
                    "Tru\u{31b}o\u{31b}\u{300}ng ho\u{323}c pho\u{302}\u{309} tho\u{302}ng"
                }
                "trường học" => "tru\u{31b}o\u{31b}\u{300}ng ho\u{323}c",
                "dữ liệu dân cư" => {
                    "du\u{31b}\u{303} lie\u{323}\u{302}u da\u{302}n cu\u{31b}"
                }
                other => panic!("no NFD spelling of {other}"),
            };
            assert_ne!(decomposed, t);
            assert!(
                decomposed
                    .chars()
                    .any(|c| ('\u{300}'..='\u{36f}').contains(&c)),
                "combining marks"
            );
            decomposed.to_string()
        };
        for (name, title) in [
            ("so-thong-tin", "Sở Thông tin và Truyền thông"),
            ("da-nang", "Thành phố Đà Nẵng"),
            ("ho-chi-minh", "Thành phố Hồ Chí Minh"),
            // keyed by title only: the alias table also knows the city by its title
            ("sai-gon", "Thành phố Hồ Chí Minh"),
            ("can-tho", "Thành phố Cần Thơ"),
        ] {
            srv.ok(srv.post(
                "organization_create",
                &json!({"name": name, "title": title}),
                srv.admin(),
            ));
        }
        let ds = |name: &str, title: &str, org: &str, notes: &str| {
            create(
                srv,
                json!({"name": name, "title": title, "owner_org": org, "notes": notes}),
            );
        };
        ds(
            "tp-da-nang",
            "Thành phố Đà Nẵng – dân số 2024",
            "so-thong-tin",
            "",
        );
        ds("dan-cu-chinh-xac", "Dữ liệu dân cư", "so-thong-tin", "");
        ds("dan-cu-gan-dung", "Dư liều dân cư", "so-thong-tin", "");
        ds("duong-bo", "Đường bộ cao tốc", "so-thong-tin", "");
        ds(
            "truong-hoc-nfd",
            &nfd("Trường học phổ thông"),
            "so-thong-tin",
            "",
        );
        ds("xe-buyt-hcm", "Tuyến xe buýt", "ho-chi-minh", "");
        ds("cay-xanh-sg", "Cây xanh đô thị", "sai-gon", "");
        ds("cang-ca", "Bến cảng", "can-tho", "");
        ds(
            "schools",
            "Primary school list",
            "so-thong-tin",
            "Schools of the province, by district",
        );
        ds(
            "hospitals",
            "Hospitals",
            "so-thong-tin",
            "One hospital per district",
        );

        // with or without diacritics, any case, NFC or NFD: all find Đà Nẵng
        for q in [
            "da nang",
            "Đà Nẵng",
            "ĐÀ NẴNG",
            "đà nẵng",
            "DA NANG",
            &nfd("Đà Nẵng"),
            &nfd("ĐÀ NẴNG"),
            "\"da nang\"",
            "title:\"Đà Nẵng\"",
        ] {
            assert_eq!(found(srv, q), set(&["tp-da-nang"]), "q={q:?}");
        }
        // đ/Đ fold to d
        assert_eq!(found(srv, "duong bo"), set(&["duong-bo"]));
        assert_eq!(found(srv, "ĐƯỜNG BỘ"), set(&["duong-bo"]));
        // a title stored in NFD is found by NFC and NFD queries (and the English "schools" by
        // the everyday-terms table)
        let schools = set(&["truong-hoc-nfd", "schools"]);
        assert_eq!(found(srv, "trường học"), schools);
        assert_eq!(found(srv, &nfd("trường học")), schools);
        assert_eq!(found(srv, "truong hoc"), schools);
        assert_eq!(
            show(srv, "truong-hoc-nfd")["title"],
            json!(nfd("Trường học phổ thông")),
            "stored as given"
        );

        // exact diacritics rank above a folded-only match
        let ranked = |q: &str| names(&search(srv, &[("q", q)], None));
        assert_eq!(
            ranked("dữ liệu dân cư"),
            ["dan-cu-chinh-xac", "dan-cu-gan-dung"]
        );
        assert_eq!(
            ranked("dư liều dân cư"),
            ["dan-cu-gan-dung", "dan-cu-chinh-xac"]
        );
        assert_eq!(
            ranked(&nfd("dữ liệu dân cư")),
            ["dan-cu-chinh-xac", "dan-cu-gan-dung"],
            "NFD query"
        );
        assert_eq!(ranked("du lieu dan cu").len(), 2, "folded: both");

        // former provinces merged in 2025 find the new one's datasets
        let hcm = set(&["xe-buyt-hcm", "cay-xanh-sg"]);
        assert_eq!(found(srv, "Bình Dương"), hcm);
        assert_eq!(found(srv, "binh duong"), hcm);
        assert_eq!(found(srv, "\"Bình Dương\""), hcm);
        assert_eq!(found(srv, "vũng tàu"), hcm);
        assert_eq!(found(srv, "Bình Dương xe buýt"), set(&["xe-buyt-hcm"]));
        assert!(!found(srv, "Bình Dương").contains("cang-ca"));

        // English stemming (and the everyday-terms table: "school" is "trường học")
        assert_eq!(found(srv, "schools"), set(&["schools", "truong-hoc-nfd"]));
        assert_eq!(found(srv, "school"), set(&["schools", "truong-hoc-nfd"]));
        assert_eq!(found(srv, "hospital"), set(&["hospitals"]));
        assert_eq!(found(srv, "district"), set(&["schools", "hospitals"]));
        assert_eq!(found(srv, "districts"), set(&["schools", "hospitals"]));

        // exact-value fields match exactly, Vietnamese included
        create(
            srv,
            json!({"name": "y-te", "title": "Cơ sở y tế", "owner_org": "so-thong-tin", "tags": [{"name": "y tế"}]}),
        );
        assert_eq!(found(srv, "tags:\"y tế\""), set(&["y-te"]));
        assert_eq!(
            found_as(srv, &[("fq", "tags:\"y tế\"")], None),
            set(&["y-te"])
        );
        assert!(found(srv, "tags:\"y te\"").is_empty(), "tags are exact");
    }
);

// ---------------------------------------------------------------------------------------------
// Read-your-writes
// ---------------------------------------------------------------------------------------------

both_backends!(read_your_writes_sqlite, read_your_writes_postgres, |srv| {
    srv.create_org("so-a");
    srv.ok(srv.post(
        "group_create",
        &json!({"name": "nhom", "title": "Nhóm"}),
        srv.admin(),
    ));
    let q = |q: &str| found(srv, q);

    // create → found at once, by every field
    let d = create(
        srv,
        json!({"name": "moi-tao", "title": "Hồ chứa nước", "owner_org": "so-a", "tags": [{"name": "thuy-loi"}]}),
    );
    assert_eq!(q("hồ chứa"), set(&["moi-tao"]));
    assert_eq!(q("tags:thuy-loi"), set(&["moi-tao"]));
    assert_eq!(q(&format!("id:{}", s(&d["id"]))), set(&["moi-tao"]));
    // update / patch → the new version at once, the old one gone
    patch(srv, json!({"id": "moi-tao", "title": "Đập thuỷ điện"}));
    assert!(q("hồ chứa").is_empty());
    assert_eq!(q("đập thuỷ điện"), set(&["moi-tao"]));
    let mut full = show(srv, "moi-tao");
    full["notes"] = json!("Mực nước hằng ngày");
    full["tags"] = json!([{"name": "nuoc"}]);
    srv.ok(srv.post("package_update", &full, srv.admin()));
    assert_eq!(q("notes:mực"), set(&["moi-tao"]));
    assert!(q("tags:thuy-loi").is_empty());
    assert_eq!(
        search(srv, &[("q", "name:moi-tao")], None)["results"][0],
        show(srv, "moi-tao"),
        "the stored dict is the new one"
    );
    // resources and groups
    srv.ok(srv.post("resource_create", &json!({"package_id": "moi-tao", "url": "https://x.vn/a.geojson", "format": "GeoJSON", "name": "Bản đồ lưu vực"}), srv.admin()));
    assert_eq!(q("res_format:GeoJSON"), set(&["moi-tao"]));
    assert_eq!(q("res_name:lưu"), set(&["moi-tao"]));
    assert_eq!(q("num_resources:1"), set(&["moi-tao"]));
    srv.ok(srv.post(
        "member_create",
        &json!({"id": "nhom", "object": "moi-tao", "object_type": "package", "capacity": "public"}),
        srv.admin(),
    ));
    assert_eq!(q("groups:nhom"), set(&["moi-tao"]));
    // private / public
    patch(srv, json!({"id": "moi-tao", "private": true}));
    assert!(q("name:moi-tao").is_empty());
    assert_eq!(
        found_as(
            srv,
            &[("q", "name:moi-tao"), ("include_private", "true")],
            srv.admin()
        ),
        set(&["moi-tao"])
    );
    patch(srv, json!({"id": "moi-tao", "private": false}));
    assert_eq!(q("name:moi-tao"), set(&["moi-tao"]));
    // delete → gone (but there for a sysadmin's include_deleted); purge → gone for good
    srv.ok(srv.post("package_delete", &json!({"id": "moi-tao"}), srv.admin()));
    assert!(q("name:moi-tao").is_empty());
    assert_eq!(
        found_as(
            srv,
            &[("q", "name:moi-tao"), ("include_deleted", "true")],
            srv.admin()
        ),
        set(&["moi-tao"])
    );
    srv.ok(srv.post("dataset_purge", &json!({"id": "moi-tao"}), srv.admin()));
    assert!(found_as(
        srv,
        &[("q", "name:moi-tao"), ("include_deleted", "true")],
        srv.admin()
    )
    .is_empty());
    assert!(q("đập").is_empty());
    // a purged name can be reused and is found as the new dataset
    create(
        srv,
        json!({"name": "moi-tao", "title": "Trạm bơm", "owner_org": "so-a"}),
    );
    assert_eq!(q("trạm bơm"), set(&["moi-tao"]));

    // an organization renamed (organization_update with a new name and title): every dataset's
    // search result, filters and facets follow
    let org = srv.ok(srv.post(
        "organization_create",
        &json!({"name": "so-hoa-sen", "title": "Sở Hoa Sen"}),
        srv.admin(),
    ));
    create(
        srv,
        json!({"name": "ds-cong-khai", "title": "Danh bạ", "owner_org": "so-hoa-sen"}),
    );
    create(
        srv,
        json!({"name": "ds-rieng", "title": "Sổ tay", "owner_org": "so-hoa-sen", "private": true}),
    );
    assert_eq!(q("hoa sen"), set(&["ds-cong-khai"]));
    let mut updated = org.clone();
    updated["name"] = json!("so-mai-vang");
    updated["title"] = json!("Sở Mai Vàng");
    if let Some(m) = updated.as_object_mut() {
        m.remove("users");
        m.remove("packages");
    }
    srv.ok(srv.post("organization_update", &updated, srv.admin()));
    let admin_all =
        |fq: &str| found_as(srv, &[("fq", fq), ("include_private", "true")], srv.admin());
    assert_eq!(
        admin_all("organization:so-mai-vang"),
        set(&["ds-cong-khai", "ds-rieng"])
    );
    assert!(admin_all("organization:so-hoa-sen").is_empty());
    assert!(
        q("\"hoa sen\"").is_empty(),
        "the old title is no longer searchable"
    );
    assert_eq!(q("mai vàng"), set(&["ds-cong-khai"]));
    let r = search(
        srv,
        &[
            ("fq", "organization:so-mai-vang"),
            ("include_private", "true"),
            ("facet.field", r#"["organization"]"#),
        ],
        srv.admin(),
    );
    for d in r["results"].as_array().into_iter().flatten() {
        assert_eq!(d["organization"]["name"], "so-mai-vang");
        assert_eq!(d["organization"]["title"], "Sở Mai Vàng");
        assert_eq!(d, &show(srv, s(&d["name"])));
    }
    assert_eq!(r["facets"]["organization"], json!({"so-mai-vang": 2}));
    assert_eq!(
        r["search_facets"]["organization"]["items"],
        json!([{"name": "so-mai-vang", "display_name": "Sở Mai Vàng", "count": 2}])
    );
    // a group's new title shows in the datasets and in the facet's display name
    create(
        srv,
        json!({"name": "trong-nhom", "owner_org": "so-a", "groups": [{"name": "nhom"}]}),
    );
    // (searched once before the change, so that a cached title would show if kept too long)
    let before = search(
        srv,
        &[("fq", "groups:nhom"), ("facet.field", r#"["groups"]"#)],
        None,
    );
    assert_ne!(
        before["search_facets"]["groups"]["items"][0]["display_name"],
        "Nhóm đổi tên"
    );
    srv.ok(srv.post(
        "group_patch",
        &json!({"id": "nhom", "title": "Nhóm đổi tên"}),
        srv.admin(),
    ));
    let r = search(
        srv,
        &[("fq", "groups:nhom"), ("facet.field", r#"["groups"]"#)],
        None,
    );
    assert_eq!(r["results"][0]["groups"][0]["title"], "Nhóm đổi tên");
    assert_eq!(
        r["search_facets"]["groups"]["items"][0]["display_name"],
        "Nhóm đổi tên"
    );
});

// ---------------------------------------------------------------------------------------------
// A big catalogue: the rows cap, full walks, the harvester's requests, `cong reindex`
// ---------------------------------------------------------------------------------------------

/// Datasets `cong generate` makes (more than the rows cap of 1000).
const GENERATED: usize = 1050;

both_backends!(
    large_catalogue_sqlite,
    large_catalogue_postgres,
    |mut srv| {
        srv.kill();
        srv.cli_ok(&[
            "generate",
            "--datasets",
            &GENERATED.to_string(),
            "--resources",
            "1",
            "--tags",
            "2",
        ]);
        srv.start_again();
        let listed = package_list(srv);
        // `cong generate` makes every 50th dataset private
        let public = listed.len();
        assert_eq!(public, GENERATED - GENERATED.div_ceil(50));
        assert_eq!(
            search(srv, &[], None)["results"].as_array().map(Vec::len),
            Some(10),
            "rows defaults to 10"
        );
        assert_eq!(
            search(
                srv,
                &[("include_private", "true"), ("rows", "0")],
                srv.admin()
            )["count"],
            json!(GENERATED)
        );

        // rows: capped silently at 1000 (T#031); rows=0 counts only
        let capped = search(srv, &[("rows", "5000"), ("fl", "name")], None);
        assert_eq!(
            (
                capped["count"].clone(),
                capped["results"].as_array().map(Vec::len)
            ),
            (json!(public), Some(1000))
        );
        assert_eq!(
            search(srv, &[("rows", "1000"), ("fl", "name")], None)["results"]
                .as_array()
                .map(Vec::len),
            Some(1000)
        );
        let zero = search(srv, &[("rows", "0")], None);
        assert_eq!(
            (zero["count"].clone(), zero["results"].clone()),
            (json!(public), json!([]))
        );

        // full walks: no duplicates, no gaps, the same set as package_list
        for sort in [
            "id asc",
            "metadata_modified desc",
            "name desc",
            "title asc, num_resources desc",
        ] {
            let walked = walk_with_start(srv, &[("sort", sort), ("fl", "name")], 100, None);
            assert_walk(&walked, &listed, &format!("start/rows walk, sort={sort}"));
            let walked = walk_with_cursor(srv, &[("sort", sort), ("fl", "name")], 300, None);
            assert_walk(&walked, &listed, &format!("cursor walk, sort={sort}"));
        }
        assert_walk(
            &walk_with_cursor(srv, &[("fl", "name")], 1000, None),
            &listed,
            "cursor walk, default sort, rows=1000",
        );
        let some = found_as(srv, &[("q", "title:statistics")], None);
        assert!(!some.is_empty() && some.len() < public);
        assert_walk(
            &walk_with_cursor(srv, &[("q", "title:statistics"), ("fl", "name")], 7, None),
            &some,
            "cursor walk of a query",
        );

        // ckanext-harvest's exact requests (shared/fixtures): a full run pages with start += 100
        // until a page brings no new id
        let lines: Vec<&str> = HARVEST_REQUESTS
            .lines()
            .filter(|l| l.starts_with("/api/3/action/package_search"))
            .collect();
        let (full_run, incremental): (Vec<&str>, Vec<&str>) =
            lines.iter().partition(|l| !l.contains("fq="));
        assert_eq!(
            (full_run.len(), incremental.len()),
            (2, 2),
            "the fixture's requests"
        );
        let harvest = |first_two: &[String]| -> (Vec<Vec<String>>, BTreeSet<String>) {
            let mut pages = vec![];
            let mut ids = BTreeSet::new();
            for n in 0.. {
                let url = if n < 2 {
                    first_two[n].clone()
                } else {
                    first_two[1].replace("start=100&", &format!("start={}&", n * 100))
                };
                let reply = srv
                    .request("GET", &url, &[], None, None)
                    .unwrap_or_else(|e| panic!("{e}"));
                let body = reply.json_or_panic(&url);
                assert_eq!(
                    (reply.status, &body["success"]),
                    (200, &json!(true)),
                    "{url}: {body:#}"
                );
                let page: Vec<String> = body["result"]["results"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| s(&d["id"]).to_string())
                    .collect();
                assert!(page.len() <= 100, "{url}");
                let mut sorted = page.clone();
                sorted.sort();
                assert_eq!(page, sorted, "{url}: sort=id asc");
                let new = page.iter().filter(|id| ids.insert((*id).clone())).count();
                assert_eq!(new, page.len(), "{url}: ids repeated from earlier pages");
                pages.push(page);
                if new == 0 {
                    return (pages, ids);
                }
                assert!(n < 100, "the harvest does not end");
            }
            unreachable!()
        };
        let full_urls: Vec<String> = full_run.iter().map(|l| l.to_string()).collect();
        let (pages, ids) = harvest(&full_urls);
        assert_eq!(
            pages.len(),
            public / 100 + 2,
            "11 pages with datasets, then an empty one"
        );
        assert_eq!(
            ids.len(),
            public,
            "the full run imports every public dataset"
        );
        // the results are whole package_show dicts (the harvester imports them as they are)
        let page0 = srv
            .request("GET", full_run[0], &[], None, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .json_or_panic("page 0");
        let first = &page0["result"]["results"][0];
        assert_eq!(
            first,
            &srv.ok(srv.get("package_show", &[("id", s(&first["id"]))], None))
        );
        // pages are stable: the same requests, the same answers
        assert_eq!(
            harvest(&full_urls).0,
            pages,
            "a second full run sees the same pages"
        );

        // an incremental run: datasets modified since the bound (inclusive, UTC, microseconds + Z)
        let to_edit: Vec<String> = listed.iter().step_by(8).cloned().collect();
        assert!(to_edit.len() > 100, "more than one page of changes");
        let mut edited_ids = BTreeSet::new();
        let mut bound = String::new();
        for (i, name) in to_edit.iter().enumerate() {
            let d = patch(srv, json!({"id": name, "notes": "Cập nhật"}));
            if i == 0 {
                bound = s(&d["metadata_modified"]).to_string();
            }
            edited_ids.insert(s(&d["id"]).to_string());
        }
        let bound_z = format!("{}Z", bound.replace(':', "%3A"));
        let incremental_urls: Vec<String> = incremental
            .iter()
            .map(|l| l.replace(HARVEST_STAMP, &bound_z))
            .collect();
        assert!(incremental_urls.iter().all(|u| u.contains(&bound_z)));
        let (inc_pages, inc_ids) = harvest(&incremental_urls);
        assert_eq!(
            inc_ids, edited_ids,
            "exactly the datasets modified since the bound"
        );
        assert_eq!(inc_pages.len(), to_edit.len() / 100 + 2);
        assert_eq!(
            harvest(&incremental_urls).0,
            inc_pages,
            "incremental pages are stable"
        );

        // `cong reindex` on the populated data dir (server stopped), then the same answers
        let before = search(
            srv,
            &[
                ("q", "title:statistics"),
                ("rows", "20"),
                ("sort", "name asc"),
                ("facet.field", FACET_FIELDS_JSON),
            ],
            None,
        );
        srv.kill();
        let out = srv.cli(&["reindex"]);
        assert!(
            out.status.success(),
            "cong reindex: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("indexed {GENERATED} datasets")),
            "cong reindex says what it did: {err}"
        );
        srv.start_again();
        assert_eq!(
            search(
                srv,
                &[
                    ("q", "title:statistics"),
                    ("rows", "20"),
                    ("sort", "name asc"),
                    ("facet.field", FACET_FIELDS_JSON)
                ],
                None
            ),
            before
        );
        assert_eq!(
            found_as(
                srv,
                &[("fq", &format!("metadata_modified:[{bound}Z TO *]"))],
                None
            )
            .len(),
            to_edit.len()
        );
        // reindex with no index at all
        srv.kill();
        std::fs::remove_dir_all(srv.data_dir().join("index")).expect("remove index");
        srv.cli_ok(&["reindex"]);
        srv.start_again();
        assert_eq!(search(srv, &[("rows", "0")], None)["count"], json!(public));
    }
);

// ---------------------------------------------------------------------------------------------
// Crash recovery and a damaged index
// ---------------------------------------------------------------------------------------------

/// Overwrites a file with junk of its own length (at least a few bytes).
fn junk(path: &std::path::Path) {
    let len = std::fs::metadata(path)
        .map(|m| m.len() as usize)
        .unwrap_or(0)
        .max(16);
    let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The index's segment files (not meta.json, not locks).
fn segment_files(index: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(index)
        .expect("index dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && name != "meta.json"
        })
        .collect()
}

both_backends!(
    crash_recovery_and_damaged_index_sqlite,
    crash_recovery_and_damaged_index_postgres,
    |mut srv| {
        srv.create_org("so-a");
        for i in 0..5 {
            create(
                srv,
                json!({"name": format!("co-san-{i}"), "title": format!("Có sẵn {i}"), "owner_org": "so-a"}),
            );
        }
        assert_eq!(found(srv, "có sẵn").len(), 5, "indexed before the crashes");

        // kill -9 right after each write returns (no search in between), restart on the same data
        // dir: the write is found
        create(
            srv,
            json!({"name": "sau-crash", "title": "Viết trước khi sập", "owner_org": "so-a"}),
        );
        srv.restart();
        assert_eq!(found(srv, "sập"), set(&["sau-crash"]));
        patch(srv, json!({"id": "co-san-0", "title": "Đổi tên rồi sập"}));
        srv.restart();
        assert_eq!(found(srv, "đổi tên"), set(&["co-san-0"]));
        srv.ok(srv.post("package_delete", &json!({"id": "co-san-1"}), srv.admin()));
        create(
            srv,
            json!({"name": "rieng-sau-crash", "title": "Riêng tư", "owner_org": "so-a", "private": true}),
        );
        srv.restart();
        assert!(
            found(srv, "name:co-san-1").is_empty(),
            "the delete survived the crash"
        );
        assert_eq!(
            found_as(
                srv,
                &[("q", "riêng tư"), ("include_private", "true")],
                srv.admin()
            ),
            set(&["rieng-sau-crash"])
        );
        // several writes in a row, then the crash
        for i in 0..20 {
            create(
                srv,
                json!({"name": format!("loat-{i:02}"), "title": "Loạt ghi", "owner_org": "so-a"}),
            );
        }
        srv.restart();
        assert_eq!(found(srv, "loạt ghi").len(), 20);

        let expected = found_as(srv, &[], None);
        let index = srv.data_dir().join("index");
        assert!(
            index.join("meta.json").is_file(),
            "the index lives in DATA_DIR/index"
        );
        let check = |srv: &TestServer, what: &str| {
            assert_eq!(found_as(srv, &[], None), expected, "{what}: every dataset");
            assert_eq!(
                found(srv, "đổi tên"),
                set(&["co-san-0"]),
                "{what}: text search"
            );
            // and the index keeps following writes
            let name: String = format!("sau-{what}")
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            create(
                srv,
                json!({"name": name, "title": "Ghi sau khi sửa chỉ mục", "owner_org": "so-a"}),
            );
            assert_eq!(
                found(srv, &format!("name:{name}")),
                set(&[name.as_str()]),
                "{what}: new writes"
            );
            srv.ok(srv.post("dataset_purge", &json!({"id": name}), srv.admin()));
        };

        // segment files overwritten with junk while stopped
        srv.kill();
        let segments = segment_files(&index);
        assert!(!segments.is_empty());
        for f in &segments {
            junk(f);
        }
        srv.start_again();
        check(srv, "junk segments");
        // one segment file only
        srv.kill();
        if let Some(f) = segment_files(&index)
            .iter()
            .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        {
            junk(f);
        }
        srv.start_again();
        check(srv, "one junk segment");
        // meta.json deleted
        srv.kill();
        std::fs::remove_file(index.join("meta.json")).expect("remove meta.json");
        srv.start_again();
        check(srv, "no meta.json");
        // meta.json overwritten with junk
        srv.kill();
        junk(&index.join("meta.json"));
        srv.start_again();
        check(srv, "junk meta.json");
        // the whole index gone
        srv.kill();
        std::fs::remove_dir_all(&index).expect("remove index");
        srv.start_again();
        check(srv, "no index");
        // and a plain restart keeps the existing index
        srv.restart();
        check(srv, "plain restart");
    }
);

// ---------------------------------------------------------------------------------------------
// Two nodes on one PostgreSQL database
// ---------------------------------------------------------------------------------------------

/// Waits until `f()` gives `want` (another node hears of a write within milliseconds, through
/// PostgreSQL's notifications); panics after two seconds. Returns how long it took.
#[track_caller]
fn soon<T: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn() -> T, want: T) -> Duration {
    let start = Instant::now();
    loop {
        let got = f();
        if got == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{what}: still {got:?}, expected {want:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn two_nodes_share_one_postgres() {
    common::run_on(Backend::Postgres, |a| {
        let b = a.second_node();
        assert_ne!(a.base_url, b.base_url);
        a.create_org("so-a");
        // a write through A is found by a search on B within milliseconds, and the other way
        // round
        create(
            a,
            json!({"name": "tu-a", "title": "Ghi qua nút A", "owner_org": "so-a", "tags": [{"name": "nut"}]}),
        );
        let mut lags = vec![soon("A to B", || found(&b, "nút A"), set(&["tu-a"]))];
        create(
            &b,
            json!({"name": "tu-b", "title": "Ghi qua nút B", "owner_org": "so-a", "tags": [{"name": "nut"}]}),
        );
        lags.push(soon("B to A", || found(a, "nút B"), set(&["tu-b"])));
        assert_eq!(found(a, "tags:nut"), found(&b, "tags:nut"));
        // updates, deletes and purges travel too
        patch(&b, json!({"id": "tu-a", "title": "Sửa qua nút B"}));
        lags.push(soon("update", || found(a, "sửa"), set(&["tu-a"])));
        srv_delete(a, "tu-b");
        lags.push(soon("delete", || found(&b, "name:tu-b"), BTreeSet::new()));
        a.ok(a.post("dataset_purge", &json!({"id": "tu-b"}), a.admin()));
        let purged = || {
            found_as(
                &b,
                &[("q", "name:tu-b"), ("include_deleted", "true")],
                b.admin(),
            )
        };
        lags.push(soon("purge", purged, BTreeSet::new()));
        println!("lag between nodes: {lags:?}");
        // an organization renamed through one node: the other's results and facets follow
        let org = a.ok(a.get("organization_show", &[("id", "so-a")], None));
        b.ok(b.post(
            "organization_update",
            &json!({"id": org["id"], "name": "so-moi", "title": "Sở Mới"}),
            b.admin(),
        ));
        let facets = || {
            search(a, &[("facet.field", r#"["organization"]"#)], None)["facets"]["organization"]
                .clone()
        };
        soon("rename", facets, json!({"so-moi": 1}));
        let r = search(a, &[("facet.field", r#"["organization"]"#)], None);
        assert_eq!(
            r["search_facets"]["organization"]["items"][0]["display_name"],
            "Sở Mới"
        );
        assert_eq!(r["results"][0]["organization"]["title"], "Sở Mới");
        // many writes through both, then both agree on everything
        for i in 0..15 {
            let node = if i % 2 == 0 { a } else { &b };
            create(
                node,
                json!({"name": format!("xen-ke-{i:02}"), "title": "Xen kẽ", "owner_org": "so-moi"}),
            );
        }
        let everything = |n: &TestServer| {
            search(
                n,
                &[
                    ("rows", "1000"),
                    ("sort", "name asc"),
                    ("facet.field", FACET_FIELDS_JSON),
                ],
                None,
            )
        };
        soon("many writes", || everything(&b), everything(a));
        assert_eq!(found(&b, "xen kẽ").len(), 15);
        drop(b);
    });
}

fn srv_delete(srv: &TestServer, id: &str) {
    srv.ok(srv.post("package_delete", &json!({"id": id}), srv.admin()));
}

// ---------------------------------------------------------------------------------------------
// Relevance, paging by relevance, and datasets with many values
// ---------------------------------------------------------------------------------------------

both_backends!(
    relevance_paging_and_many_values_sqlite,
    relevance_paging_and_many_values_postgres,
    |srv| {
        srv.create_org("so-giao-thong");
        let ds = |name: &str, title: &str, notes: &str, tags: &[&str]| {
            let tags: Vec<Value> = tags.iter().map(|t| json!({"name": t})).collect();
            create(
                srv,
                json!({"name": name, "title": title, "notes": notes, "tags": tags,
                       "owner_org": "so-giao-thong"}),
            );
        };
        // CKAN weighs the title (title^4) above the notes: the words in the title rank first,
        // whatever the order of creation.
        ds(
            "ghi-chu",
            "Số liệu năm 2024",
            "Bảng giá cầu đường theo quý",
            &[],
        );
        ds("tieu-de", "Cầu đường", "Số liệu năm 2024", &[]);
        for q in ["cau duong", "cầu đường", "Cầu Đường"] {
            assert_eq!(
                names(&search(srv, &[("q", q)], None)),
                ["tieu-de", "ghi-chu"],
                "q={q:?}"
            );
        }

        // The answer is the same whichever path writes it: JSON text passed through from the
        // index (the usual case), or built as a value (JSONP; `fl` is tested above).
        let plain = search(
            srv,
            &[("q", "cau duong"), ("facet.field", r#"["tags"]"#)],
            None,
        );
        let wrapped = srv
            .request(
                "GET",
                &TestServer::action_path("package_search"),
                &[
                    ("q".to_string(), "cau duong".to_string()),
                    ("facet.field".to_string(), r#"["tags"]"#.to_string()),
                    ("callback".to_string(), "cb".to_string()),
                ],
                None,
                None,
            )
            .expect("JSONP request");
        let text = wrapped.text();
        let inner = text
            .strip_prefix("cb(")
            .and_then(|t| t.strip_suffix(");"))
            .unwrap_or_else(|| panic!("JSONP body: {text}"));
        let jsonp: Value = serde_json::from_str(inner).expect("JSONP JSON");
        assert_eq!(jsonp["result"], plain);

        // A facet field asked for twice is answered once: a JSON object holds a key once.
        let twice = srv
            .request(
                "GET",
                &TestServer::action_path("package_search"),
                &[
                    ("q".to_string(), "cau duong".to_string()),
                    ("facet.field".to_string(), r#"["tags", "tags"]"#.to_string()),
                ],
                None,
                None,
            )
            .expect("package_search")
            .text();
        assert_eq!(twice.matches(r#""title":"tags""#).count(), 1, "{twice}");
        assert_eq!(
            twice.matches(r#""tags":{"#).count(),
            2,
            "facets and search_facets: {twice}"
        );

        // An edited dataset is listed once: its replaced version, still in the index until
        // segments merge, is neither ranked nor counted.
        patch(srv, json!({"id": "tieu-de", "notes": "Cầu đường, bản sửa"}));
        let edited = search(srv, &[("q", "cau duong")], None);
        assert_eq!(names(&edited), ["tieu-de", "ghi-chu"], "{edited:#}");
        assert_eq!(edited["count"], json!(2));

        // Paging through relevance-ranked results: every match once, none twice, and pages
        // agree with one long page.
        let many: Vec<String> = (0..7).map(|i| format!("bao-cao-{i}")).collect();
        for (i, name) in many.iter().enumerate() {
            let notes = "báo cáo ".repeat(i + 1);
            ds(name, &format!("Tài liệu {i}"), &notes, &[]);
        }
        let all = names(&search(srv, &[("q", "bao cao"), ("rows", "100")], None));
        assert_eq!(set(&all), set(&many));
        let walked = walk_with_start(srv, &[("q", "bao cao")], 2, None);
        assert_eq!(walked, all, "pages of 2 = one page of 100, in order");

        // Facet counts whatever layout the engine keeps a segment's values in: a dataset with
        // 40 tags (more than fit in fixed slots or in a bit mask) is counted once under each,
        // and so is another with two of those tags; so is a dataset with 5 tags of 5 (a mask).
        let forty: Vec<String> = (0..40).map(|i| format!("the-{i:02}")).collect();
        let refs: Vec<&str> = forty.iter().map(String::as_str).collect();
        ds("nhieu-the", "Nhiều thẻ", "", &refs);
        ds("hai-the", "Hai thẻ", "", &refs[..2]);
        // Every tag of the datasets matching "the", with its count (and the answer, to show).
        let tag_counts = || {
            let r = search(
                srv,
                &[
                    ("q", "the"),
                    ("facet.field", r#"["tags"]"#),
                    ("facet.limit", "-1"),
                ],
                None,
            );
            let counts: BTreeMap<String, u64> = r["search_facets"]["tags"]["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| (s(&i["name"]).to_string(), i["count"].as_u64().unwrap_or(0)))
                .collect();
            (counts, r)
        };
        let (counts, r) = tag_counts();
        let expected = |two: usize| -> BTreeMap<String, u64> {
            forty
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), if i < two { 2 } else { 1 }))
                .collect()
        };
        assert_eq!(counts, expected(2), "{r:#}");
        ds("nam-the", "Năm thẻ", "", &refs[..5]);
        let (counts, r) = tag_counts();
        let mut with_five = expected(2);
        for t in &forty[..5] {
            *with_five.entry(t.clone()).or_default() += 1;
        }
        assert_eq!(counts, with_five, "{r:#}");

        // Many more searches at once than there are places for them (4 per core): they
        // queue, and every one is answered, in full.
        let answers: Vec<Value> = std::thread::scope(|scope| {
            let running: Vec<_> = (0..48)
                .map(|_| scope.spawn(|| search(srv, &[("q", "bao cao"), ("rows", "3")], None)))
                .collect();
            running
                .into_iter()
                .map(|t| t.join().expect("search thread"))
                .collect()
        });
        for answer in &answers {
            assert_eq!(answer["count"], json!(7));
            assert_eq!(names(answer), all[..3]);
        }

        // A private dataset matching the words is neither counted nor listed for anonymous
        // callers, yet found by a sysadmin who asks for private datasets.
        create(
            srv,
            json!({"name": "rieng-tu", "title": "Cầu đường riêng", "private": true,
                   "owner_org": "so-giao-thong"}),
        );
        let anon = search(srv, &[("q", "cau duong")], None);
        assert_eq!(anon["count"], json!(2), "{anon:#}");
        assert!(!names(&anon).contains(&"rieng-tu".to_string()));
        let admin = search(
            srv,
            &[("q", "cau duong"), ("include_private", "true")],
            srv.admin(),
        );
        assert_eq!(admin["count"], json!(3), "{admin:#}");

        // Words typed with diacritics rank exact matches higher. Anonymous callers take the
        // engine's split ranking (folded words pruned, exact matches added where they can
        // change the page); a sysadmin asking for private datasets takes the general query.
        // Both rank alike, page by page.
        for i in 0..5 {
            let notes = "bao cao ".repeat(2 * i + 1);
            ds(
                &format!("khong-dau-{i}"),
                &format!("Tài liệu {i}"),
                &notes,
                &[],
            );
        }
        for q in ["báo cáo", "bao cáo", "báo cáo tài liệu", "Báo Cáo"] {
            let anon = names(&search(srv, &[("q", q), ("rows", "100")], None));
            assert_eq!(anon.len(), 12, "q={q:?}: {anon:?}");
            let general = names(&search(
                srv,
                &[("q", q), ("rows", "100"), ("include_private", "true")],
                srv.admin(),
            ));
            assert_eq!(anon, general, "q={q:?}");
            assert_eq!(walk_with_start(srv, &[("q", q)], 2, None), anon, "q={q:?}");
        }
        let exact_first = names(&search(srv, &[("q", "báo cáo"), ("rows", "100")], None));
        assert!(
            exact_first[..7].iter().all(|n| n.starts_with("bao-cao-")),
            "exact matches first: {exact_first:?}"
        );
    }
);
