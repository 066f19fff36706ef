//! The authorization matrix, on both backends, as CKAN's defaults define it: sysadmins pass every
//! check; in an organization, `admin` manages it and its members, `editor` creates, edits and
//! deletes its datasets, `member` only reads its private datasets; anonymous callers read active
//! public datasets only.
//!
//! Six callers, always in this column order: anonymous, a member of organization A, an editor of
//! A, an admin of A, an editor of another organization B, and a sysadmin. Users are made with
//! `cong user add` / `cong token create`, roles with `organization_member_create`.
//!
//! - [`writes`]: every write, one row each, with the HTTP status each caller gets (200 or 403).
//!   Every call acts on a fresh target; a 200 must change what a reader sees, a 403 must change
//!   nothing and name the caller ("User  not authorized…" for anonymous).
//! - [`reads`]: what each caller sees of a private dataset of A (and only of it) in every read
//!   action that could show it: shows, lists, search, counts, autocompletes, tags, members.

#[macro_use]
mod common;

use common::TestServer;
use serde_json::{json, Value};

/// The callers, in column order.
const ACTORS: [&str; 6] = [
    "anonymous",
    "member of A",
    "editor of A",
    "admin of A",
    "editor of B",
    "sysadmin",
];
/// Their user names (CKAN puts `""` for anonymous in "User … not authorized").
const NAMES: [&str; 6] = [
    "",
    "thanh_vien",
    "bien_tap",
    "quan_tri",
    "bien_tap_b",
    "admin",
];

/// A catalogue with organizations A and B and the six callers' tokens.
struct World<'a> {
    srv: &'a TestServer,
    tokens: Vec<Option<String>>,
}

impl<'a> World<'a> {
    fn new(srv: &'a TestServer) -> World<'a> {
        srv.create_org("so-a");
        srv.create_org("so-b");
        let mut tokens = vec![None];
        for (name, org, role) in [
            ("thanh_vien", "so-a", "member"),
            ("bien_tap", "so-a", "editor"),
            ("quan_tri", "so-a", "admin"),
            ("bien_tap_b", "so-b", "editor"),
        ] {
            let (_, token) = srv.create_user(name);
            srv.ok(srv.post(
                "organization_member_create",
                &json!({"id": org, "username": name, "role": role}),
                srv.admin(),
            ));
            tokens.push(Some(token));
        }
        tokens.push(Some(srv.admin_token.clone()));
        World { srv, tokens }
    }

    fn token(&self, actor: usize) -> Option<&str> {
        self.tokens[actor].as_deref()
    }

    /// A new public dataset of A with two resources; returns its dict.
    fn dataset(&self, name: &str) -> Value {
        self.srv.ok(self.srv.post(
            "package_create",
            &json!({"name": name, "title": name, "owner_org": "so-a", "resources": [
                {"url": format!("https://x.vn/{name}-1.csv"), "name": "một"},
                {"url": format!("https://x.vn/{name}-2.csv"), "name": "hai"},
            ]}),
            self.srv.admin(),
        ))
    }

    /// What a sysadmin gets from `action` (`null` for a 404).
    fn seen(&self, action: &str, query: &[(&str, &str)]) -> Value {
        match self.srv.get(action, query, self.srv.admin()) {
            (200, body) => body["result"].clone(),
            (404, _) => Value::Null,
            (status, body) => panic!("{action} {query:?}: HTTP {status}: {body:#}"),
        }
    }
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

/// One write: for caller `i`, `body` prepares a fresh target and returns the request; `observe`
/// reads the target back (as a sysadmin).
struct Write {
    action: &'static str,
    expect: [u16; 6],
    body: fn(&World, usize) -> Value,
    observe: fn(&World, &Value) -> Value,
}

fn show_dataset(w: &World, id: &str) -> Value {
    w.seen("package_show", &[("id", id)])
}

fn writes() -> Vec<Write> {
    // columns (ACTORS): anonymous, member of A, editor of A, admin of A, editor of B, sysadmin
    const DATASET_EDITORS: [u16; 6] = [403, 403, 200, 200, 403, 200];
    const ORG_ADMINS: [u16; 6] = [403, 403, 403, 200, 403, 200];
    const LOGGED_IN: [u16; 6] = [403, 200, 200, 200, 200, 200];
    const SYSADMIN: [u16; 6] = [403, 403, 403, 403, 403, 200];
    vec![
        // ---- datasets of A: editors and admins of A
        Write {
            action: "package_create",
            expect: DATASET_EDITORS,
            body: |_, i| json!({"name": format!("tao-{i}"), "owner_org": "so-a"}),
            observe: |w, b| show_dataset(w, s(&b["name"])),
        },
        Write {
            action: "package_update",
            expect: DATASET_EDITORS,
            body: |w, i| {
                let d = w.dataset(&format!("sua-{i}"));
                json!({"id": d["id"], "name": d["name"], "title": "Đã sửa", "owner_org": "so-a"})
            },
            observe: |w, b| show_dataset(w, s(&b["id"])),
        },
        Write {
            action: "package_patch",
            expect: DATASET_EDITORS,
            body: |w, i| json!({"id": w.dataset(&format!("va-{i}"))["id"], "notes": "Đã vá"}),
            observe: |w, b| show_dataset(w, s(&b["id"])),
        },
        Write {
            action: "package_revise",
            expect: DATASET_EDITORS,
            body: |w, i| json!({"match": {"id": w.dataset(&format!("duyet-{i}"))["id"]}, "update": {"version": "2"}}),
            observe: |w, b| show_dataset(w, s(&b["match"]["id"])),
        },
        Write {
            action: "package_delete",
            expect: DATASET_EDITORS,
            body: |w, i| json!({"id": w.dataset(&format!("xoa-{i}"))["id"]}),
            observe: |w, b| show_dataset(w, s(&b["id"])),
        },
        Write {
            action: "resource_create",
            expect: DATASET_EDITORS,
            body: |w, i| json!({"package_id": w.dataset(&format!("them-{i}"))["id"], "url": "https://x.vn/moi.json"}),
            observe: |w, b| show_dataset(w, s(&b["package_id"])),
        },
        Write {
            action: "resource_update",
            expect: DATASET_EDITORS,
            body: |w, i| json!({"id": w.dataset(&format!("tn-sua-{i}"))["resources"][0]["id"], "url": "https://x.vn/doi.csv", "name": "đổi"}),
            observe: |w, b| w.seen("resource_show", &[("id", s(&b["id"]))]),
        },
        Write {
            action: "resource_patch",
            expect: DATASET_EDITORS,
            body: |w, i| json!({"id": w.dataset(&format!("tn-va-{i}"))["resources"][0]["id"], "name": "vá"}),
            observe: |w, b| w.seen("resource_show", &[("id", s(&b["id"]))]),
        },
        Write {
            action: "resource_delete",
            expect: DATASET_EDITORS,
            body: |w, i| json!({"id": w.dataset(&format!("tn-xoa-{i}"))["resources"][0]["id"]}),
            observe: |w, b| w.seen("resource_show", &[("id", s(&b["id"]))]),
        },
        Write {
            action: "package_resource_reorder",
            expect: DATASET_EDITORS,
            body: |w, i| {
                let d = w.dataset(&format!("sap-xep-{i}"));
                json!({"id": d["id"], "order": [d["resources"][1]["id"]]})
            },
            observe: |w, b| show_dataset(w, s(&b["id"])),
        },
        // ---- moving a dataset between organizations: CKAN's auth function is sysadmin-only
        Write {
            action: "package_owner_org_update",
            expect: SYSADMIN,
            body: |w, i| json!({"id": w.dataset(&format!("chuyen-{i}"))["id"], "organization_id": "so-b"}),
            observe: |w, b| show_dataset(w, s(&b["id"])),
        },
        // ---- organization A itself: its admins
        Write {
            action: "organization_update",
            expect: ORG_ADMINS,
            body: |_, i| json!({"id": "so-a", "name": "so-a", "title": format!("Sở A ({i})")}),
            observe: |w, _| w.seen("organization_show", &[("id", "so-a")]),
        },
        Write {
            action: "organization_patch",
            expect: ORG_ADMINS,
            body: |_, i| json!({"id": "so-a", "description": format!("Mô tả {i}")}),
            observe: |w, _| w.seen("organization_show", &[("id", "so-a")]),
        },
        Write {
            action: "organization_member_create",
            expect: ORG_ADMINS,
            body: |w, i| {
                let name = format!("khach_{i}");
                w.srv.create_user(&name);
                json!({"id": "so-a", "username": name, "role": "member"})
            },
            observe: |w, _| w.seen("member_list", &[("id", "so-a"), ("object_type", "user")]),
        },
        Write {
            action: "organization_member_delete",
            expect: ORG_ADMINS,
            body: |w, i| {
                let name = format!("roi_di_{i}");
                w.srv.create_user(&name);
                w.srv.ok(w.srv.post(
                    "organization_member_create",
                    &json!({"id": "so-a", "username": name, "role": "member"}),
                    w.srv.admin(),
                ));
                json!({"id": "so-a", "username": name})
            },
            observe: |w, _| w.seen("member_list", &[("id", "so-a"), ("object_type", "user")]),
        },
        // ---- anyone logged in may create a group
        Write {
            action: "group_create",
            expect: LOGGED_IN,
            body: |_, i| json!({"name": format!("nhom-{i}"), "title": "Nhóm"}),
            observe: |w, b| w.seen("group_show", &[("id", s(&b["name"]))]),
        },
        // ---- sysadmins only
        Write {
            action: "dataset_purge",
            expect: SYSADMIN,
            body: |w, i| json!({"id": w.dataset(&format!("purge-{i}"))["id"]}),
            observe: |w, b| show_dataset(w, s(&b["id"])),
        },
        Write {
            action: "user_create",
            expect: SYSADMIN,
            body: |_, i| json!({"name": format!("moi_{i}"), "email": format!("moi{i}@example.gov.vn"), "password": "mat-khau-dai"}),
            observe: |w, b| w.seen("user_show", &[("id", s(&b["name"]))]),
        },
    ]
}

both_backends!(writes_sqlite, writes_postgres, |srv| {
    let w = World::new(srv);
    let mut wrong = vec![];
    for row in writes() {
        for (i, actor) in ACTORS.iter().enumerate() {
            let body = (row.body)(&w, i);
            let before = (row.observe)(&w, &body);
            let (status, answer) = srv.post(row.action, &body, w.token(i));
            let after = (row.observe)(&w, &body);
            let want = row.expect[i];
            if status != want {
                wrong.push(format!(
                    "{} by {actor}: expected HTTP {want}, got {status}: {answer}",
                    row.action
                ));
                continue;
            }
            if status == 200 {
                assert_eq!(
                    answer["success"], true,
                    "{} by {actor}: {answer:#}",
                    row.action
                );
                assert_ne!(
                    before, after,
                    "{} by {actor} answered 200 but changed nothing",
                    row.action
                );
            } else {
                assert_eq!(
                    answer["error"]["__type"], "Authorization Error",
                    "{} by {actor}: {answer:#}",
                    row.action
                );
                let msg = answer["error"]["message"].as_str().unwrap_or_default();
                let who = format!("Access denied: User {} not authorized to ", NAMES[i]);
                assert!(
                    msg.starts_with(&who),
                    "{} by {actor}: message {msg:?} should start {who:?}",
                    row.action
                );
                assert_eq!(
                    before, after,
                    "{} by {actor} was refused but changed something",
                    row.action
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "authorization differs from CKAN's defaults on {}:\n{}",
        srv.backend,
        wrong.join("\n")
    );
});

// ---------------------------------------------------------------------------------------------
// Reads of a private dataset
// ---------------------------------------------------------------------------------------------

/// The private dataset of A, and a public one next to it.
const PRIVATE: &str = "ke-hoach-mat";
const PUBLIC: &str = "cong-khai";

/// One read: `sees` says whether the caller (token) sees the private dataset there, after
/// checking that the public one is seen.
struct Read {
    what: &'static str,
    expect: [bool; 6],
    sees: fn(&World, Option<&str>) -> bool,
}

/// `result` of a read that must succeed.
fn read(w: &World, action: &str, query: &[(&str, &str)], token: Option<&str>) -> Value {
    w.srv.ok(w.srv.get(action, query, token))
}

fn names_in(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().or_else(|| x["name"].as_str()).map(String::from))
        .collect()
}

/// Whether `list` (names or dicts) holds the private dataset; it must hold the public one.
fn lists(list: &Value, what: &str) -> bool {
    let names = names_in(list);
    assert!(
        names.iter().any(|n| n == PUBLIC),
        "{what}: the public dataset is missing: {list}"
    );
    names.iter().any(|n| n == PRIVATE)
}

/// 200 → seen, 403 (CKAN T#050: "User  not authorized to read package …") → not seen.
fn shown(answer: (u16, Value), what: &str) -> bool {
    match answer {
        (200, _) => true,
        (403, body) => {
            assert_eq!(
                body["error"]["__type"], "Authorization Error",
                "{what}: {body:#}"
            );
            let msg = body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                msg.contains("not authorized to read package"),
                "{what}: {msg:?}"
            );
            false
        }
        (status, body) => panic!("{what}: HTTP {status}: {body:#}"),
    }
}

fn reads() -> Vec<Read> {
    // columns (ACTORS): anonymous, member of A, editor of A, admin of A, editor of B, sysadmin
    const READERS: [bool; 6] = [false, true, true, true, false, true];
    const NOBODY: [bool; 6] = [false; 6];
    vec![
        Read {
            what: "package_show",
            expect: READERS,
            sees: |w, t| {
                shown(
                    w.srv.get("package_show", &[("id", PRIVATE)], t),
                    "package_show",
                )
            },
        },
        Read {
            what: "resource_show",
            expect: READERS,
            sees: |w, t| {
                let rid = w.seen("package_show", &[("id", PRIVATE)])["resources"][0]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                shown(
                    w.srv.get("resource_show", &[("id", &rid)], t),
                    "resource_show",
                )
            },
        },
        // package_list is public datasets only, for everyone (CKAN filters private == False)
        Read {
            what: "package_list",
            expect: NOBODY,
            sees: |w, t| lists(&read(w, "package_list", &[], t), "package_list"),
        },
        Read {
            what: "package_search",
            expect: NOBODY,
            sees: |w, t| {
                lists(
                    &read(w, "package_search", &[("rows", "100")], t)["results"],
                    "package_search",
                )
            },
        },
        Read {
            what: "package_search include_private=true",
            expect: READERS,
            sees: |w, t| {
                let r = read(
                    w,
                    "package_search",
                    &[("rows", "100"), ("include_private", "true")],
                    t,
                );
                let seen = lists(&r["results"], "package_search include_private");
                assert_eq!(
                    r["count"],
                    json!(if seen { 2 } else { 1 }),
                    "count agrees with the results: {r:#}"
                );
                seen
            },
        },
        Read {
            what: "package_search facets",
            expect: READERS,
            sees: |w, t| {
                let q = [
                    ("rows", "0"),
                    ("include_private", "true"),
                    ("facet.field", r#"["organization", "tags"]"#),
                ];
                let f = read(w, "package_search", &q, t)["facets"].clone();
                let count = f["organization"]["so-a"].as_u64().unwrap_or(0);
                assert_eq!(
                    f["tags"].get("rieng-tu").is_some(),
                    count == 2,
                    "tag facet agrees with the org facet: {f}"
                );
                count == 2
            },
        },
        // CKAN searches with include_private for sysadmins only (get.py)
        Read {
            what: "current_package_list_with_resources",
            expect: [false, false, false, false, false, true],
            sees: |w, t| {
                lists(
                    &read(
                        w,
                        "current_package_list_with_resources",
                        &[("limit", "100")],
                        t,
                    ),
                    "current_package_list",
                )
            },
        },
        // organization_show counts and lists private datasets for members (CKAN's group_show)
        Read {
            what: "organization_show package_count",
            expect: READERS,
            sees: |w, t| read(w, "organization_show", &[("id", "so-a")], t)["package_count"] == 2,
        },
        Read {
            what: "organization_show include_datasets",
            expect: READERS,
            sees: |w, t| {
                lists(
                    &read(
                        w,
                        "organization_show",
                        &[("id", "so-a"), ("include_datasets", "true")],
                        t,
                    )["packages"],
                    "include_datasets",
                )
            },
        },
        // (CKAN counts private datasets here for everyone: its group list facets ignore
        // permissions; Cổng counts what the caller may read)
        Read {
            what: "organization_list all_fields package_count",
            expect: READERS,
            sees: |w, t| {
                let list = read(w, "organization_list", &[("all_fields", "true")], t);
                let a = list
                    .as_array()
                    .and_then(|l| l.iter().find(|o| o["name"] == "so-a"))
                    .cloned()
                    .unwrap_or_default();
                a["package_count"] == 2
            },
        },
        // the group holding both: member_list names datasets only to those who may read them
        Read {
            what: "member_list of a group",
            expect: READERS,
            sees: |w, t| {
                let ids = |name: &str| w.seen("package_show", &[("id", name)])["id"].clone();
                let list = read(
                    w,
                    "member_list",
                    &[("id", "nhom"), ("object_type", "package")],
                    t,
                );
                let has = |id: Value| list.as_array().into_iter().flatten().any(|m| m[0] == id);
                assert!(
                    has(ids(PUBLIC)),
                    "member_list: the public dataset is missing: {list}"
                );
                has(ids(PRIVATE))
            },
        },
        // tags and formats of the private dataset never show in the site-wide lists, for anyone
        // (CKAN lists every tag and format in use, private datasets' too: a leak the issue
        // forbids; Cổng keeps these lists public-only)
        Read {
            what: "tag_list",
            expect: NOBODY,
            sees: |w, t| {
                let tags = names_in(&read(w, "tag_list", &[], t));
                assert!(tags.contains(&"chung".to_string()), "tag_list: {tags:?}");
                tags.contains(&"rieng-tu".to_string())
            },
        },
        Read {
            what: "tag_autocomplete",
            expect: NOBODY,
            sees: |w, t| {
                names_in(&read(w, "tag_autocomplete", &[("q", "rieng")], t))
                    .contains(&"rieng-tu".to_string())
            },
        },
        // CKAN 2.11+ autocompletes datasets with the caller's permission labels
        Read {
            what: "package_autocomplete",
            expect: READERS,
            sees: |w, t| {
                let found = names_in(&read(w, "package_autocomplete", &[("q", "ke hoach")], t));
                assert!(
                    names_in(&read(w, "package_autocomplete", &[("q", "cong")], t))
                        .contains(&PUBLIC.to_string())
                );
                found.contains(&PRIVATE.to_string())
            },
        },
        Read {
            what: "format_autocomplete",
            expect: NOBODY,
            sees: |w, t| {
                assert_eq!(
                    read(w, "format_autocomplete", &[("q", "cs")], t),
                    json!(["csv"])
                );
                read(w, "format_autocomplete", &[("q", "km")], t) == json!(["kml"])
            },
        },
    ]
}

both_backends!(reads_sqlite, reads_postgres, |srv| {
    let w = World::new(srv);
    srv.ok(srv.post(
        "group_create",
        &json!({"name": "nhom", "title": "Nhóm"}),
        srv.admin(),
    ));
    for (name, title, private, tag, file) in [
        (PUBLIC, "Công khai", false, "chung", "bang.csv"),
        (PRIVATE, "Kế hoạch mật", true, "rieng-tu", "ban-do.kml"),
    ] {
        srv.ok(srv.post(
            "package_create",
            &json!({
                "name": name, "title": title, "owner_org": "so-a", "private": private,
                "tags": [{"name": tag}], "groups": [{"name": "nhom"}],
                "resources": [{"url": format!("https://x.vn/{file}")}],
            }),
            srv.admin(),
        ));
    }
    // what an outsider is told about the private dataset (CKAN T#050)
    let id = w.seen("package_show", &[("id", PRIVATE)])["id"].clone();
    let (status, body) = srv.get("package_show", &[("id", PRIVATE)], None);
    assert_eq!(status, 403);
    assert_eq!(
        body["error"]["message"],
        json!(format!(
            "Access denied: User  not authorized to read package {}",
            s(&id)
        ))
    );

    let mut wrong = vec![];
    for row in reads() {
        for (i, actor) in ACTORS.iter().enumerate() {
            let seen = (row.sees)(&w, w.token(i));
            if seen != row.expect[i] {
                let verb = if row.expect[i] {
                    "must see"
                } else {
                    "must not see"
                };
                wrong.push(format!("{}: {actor} {verb} the private dataset", row.what));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "private-dataset visibility on {}:\n{}",
        srv.backend,
        wrong.join("\n")
    );
});
