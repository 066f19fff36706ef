//! Every action of the Action API over HTTP, on both backends: the happy path and the main error
//! cases, asserting what a CKAN client sees (status, envelope, fields, messages) and what is stored
//! afterwards (read back with the show and list actions).
//!
//! One server per test; each test covers one family of actions. `every_action_is_covered` checks
//! that the actions `cong openapi` documents are exactly the ones listed in [`COVERED`], so a new
//! action cannot arrive without a test here.
//!
//! CKAN facts come from `shared/ckan-api.md` (CKAN 2.12) and CKAN's source; where a test pins a
//! Cổng choice that CKAN does not make, the comment says so.

#[macro_use]
mod common;

use common::TestServer;
use serde_json::{json, Value};

type Answer = (u16, Value);

// ---------------------------------------------------------------------------------------------
// Assertions on answers
// ---------------------------------------------------------------------------------------------

/// The `error` object of a failed call, after checking status, envelope keys and `__type`.
#[track_caller]
fn failure(answer: Answer, status: u16, type_: &str, what: &str) -> Value {
    let (got, body) = answer;
    assert_eq!(
        got, status,
        "{what}: expected HTTP {status}, got {got}: {body:#}"
    );
    let mut keys: Vec<&str> = body
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(
        keys,
        ["error", "help", "success"],
        "{what}: envelope keys: {body:#}"
    );
    assert_eq!(body["success"], json!(false), "{what}: {body:#}");
    assert_eq!(body["error"]["__type"], json!(type_), "{what}: {body:#}");
    body["error"].clone()
}

/// A 409 Validation Error: the per-field messages, without `__type`.
#[track_caller]
fn invalid(answer: Answer, what: &str) -> Value {
    let mut e = failure(answer, 409, "Validation Error", what);
    if let Some(m) = e.as_object_mut() {
        m.remove("__type");
    }
    e
}

/// A 404 Not Found Error; returns the message (`Not found` or `Not found: …`).
#[track_caller]
fn not_found(answer: Answer, what: &str) -> String {
    let e = failure(answer, 404, "Not Found Error", what);
    let m = e["message"].as_str().unwrap_or_default().to_string();
    assert!(
        m == "Not found" || m.starts_with("Not found: "),
        "{what}: 404 message {m:?}"
    );
    m
}

/// A 403 Authorization Error; returns the message.
#[track_caller]
fn denied(answer: Answer, what: &str) -> String {
    let e = failure(answer, 403, "Authorization Error", what);
    let m = e["message"].as_str().unwrap_or_default().to_string();
    assert!(
        m.starts_with("Access denied: User "),
        "{what}: 403 message {m:?}"
    );
    m
}

/// The strings of a JSON list.
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

/// `key` of every object in a JSON list.
fn pluck(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x[key].as_str().map(String::from))
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

/// CKAN's timestamp format: `YYYY-MM-DDTHH:MM:SS[.ffffff]`, naive UTC.
fn is_ckan_time(v: &Value) -> bool {
    let Some(t) = v.as_str() else { return false };
    let b = t.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let base = b.len() >= 19
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| digit(i))
        && (b[4], b[7], b[10], b[13], b[16]) == (b'-', b'-', b'T', b':', b':');
    base && (b.len() == 19 || (b.len() == 26 && b[19] == b'.' && (20..26).all(digit)))
}

// ---------------------------------------------------------------------------------------------
// Shorthands
// ---------------------------------------------------------------------------------------------

fn show(srv: &TestServer, id: &str) -> Value {
    srv.ok(srv.get("package_show", &[("id", id)], srv.admin()))
}

fn org(srv: &TestServer, name: &str, title: &str) -> Value {
    srv.ok(srv.post(
        "organization_create",
        &json!({"name": name, "title": title}),
        srv.admin(),
    ))
}

fn group(srv: &TestServer, name: &str, title: &str) -> Value {
    srv.ok(srv.post(
        "group_create",
        &json!({"name": name, "title": title}),
        srv.admin(),
    ))
}

fn dataset(srv: &TestServer, body: Value) -> Value {
    srv.ok(srv.post("package_create", &body, srv.admin()))
}

fn package_list(srv: &TestServer) -> Vec<String> {
    strings(&srv.ok(srv.get("package_list", &[], None)))
}

/// A user with a token, made with the command line, given `role` in `org` by the sysadmin.
fn member_of(srv: &TestServer, name: &str, org: &str, role: &str) -> (String, String) {
    let (id, token) = srv.create_user(name);
    srv.ok(srv.post(
        "organization_member_create",
        &json!({"id": org, "username": name, "role": role}),
        srv.admin(),
    ));
    (id, token)
}

// ---------------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------------

/// The actions this file tests (all of `catalogue::actions::ACTIONS`).
const COVERED: &[&str] = &[
    // site
    "status_show",
    "help_show",
    "license_list",
    // datasets
    "package_list",
    "package_show",
    "package_create",
    "package_update",
    "package_patch",
    "package_revise",
    "package_delete",
    "dataset_purge",
    "current_package_list_with_resources",
    "package_autocomplete",
    "package_owner_org_update",
    "package_search",
    // resources
    "resource_show",
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
    "package_resource_reorder",
    "format_autocomplete",
    // organizations and groups
    "organization_list",
    "organization_show",
    "organization_create",
    "organization_update",
    "organization_patch",
    "organization_delete",
    "organization_purge",
    "organization_list_for_user",
    "organization_autocomplete",
    "group_list",
    "group_show",
    "group_create",
    "group_update",
    "group_patch",
    "group_delete",
    "group_purge",
    "group_autocomplete",
    // members
    "organization_member_create",
    "organization_member_delete",
    "group_member_create",
    "group_member_delete",
    "member_create",
    "member_delete",
    "member_list",
    // tags
    "tag_list",
    "tag_show",
    "tag_autocomplete",
    // users and tokens
    "user_show",
    "user_list",
    "user_create",
    "user_update",
    "user_delete",
    "api_token_create",
    "api_token_list",
    "api_token_revoke",
];

#[test]
fn every_action_is_covered() {
    let out = std::process::Command::new(common::CONG)
        .arg("openapi")
        .output()
        .expect("run cong openapi");
    assert!(
        out.status.success(),
        "cong openapi: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("cong openapi prints JSON");
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .filter_map(|p| p.strip_prefix("/api/3/action/").map(String::from))
        .collect();
    documented.sort();
    assert_eq!(
        documented,
        sorted(COVERED),
        "actions documented by `cong openapi` vs. actions tested here"
    );
}

// ---------------------------------------------------------------------------------------------
// Site
// ---------------------------------------------------------------------------------------------

both_backends!(site_sqlite, site_postgres, |srv| {
    let st = srv.ok(srv.get("status_show", &[], None));
    assert_eq!(
        keys(&st),
        sorted(&[
            "ckan_version",
            "error_emails_to",
            "extensions",
            "locale_default",
            "site_description",
            "site_title",
            "site_url"
        ]),
        "status_show keys (CKAN T#001)"
    );
    assert_eq!(st["ckan_version"], "2.12.0");
    assert_eq!(st["extensions"], json!([]));
    assert!(
        st["site_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http")),
        "site_url: {st:#}"
    );
    // the same answer through the legacy path and by POST
    let r = srv
        .request("GET", "/api/action/status_show", &[], None, None)
        .expect("GET /api/action/status_show");
    assert_eq!(
        r.json().map(|v| v["result"].clone()),
        Some(st.clone()),
        "/api/action/status_show"
    );
    assert_eq!(
        srv.ok(srv.post("status_show", &json!({}), None)),
        st,
        "POST status_show"
    );

    // help_show: the documentation of an action, as a string
    let help = srv.ok(srv.get("help_show", &[("name", "package_create")], None));
    assert!(
        help.as_str().is_some_and(|h| h.contains("owner_org")),
        "help_show package_create: {help}"
    );
    assert_eq!(
        invalid(srv.get("help_show", &[], None), "help_show without name"),
        json!({"name": ["Missing value"]})
    );
    not_found(
        srv.get("help_show", &[("name", "no_such_action")], None),
        "help_show of an unknown action",
    );

    // license_list: CKAN's fifteen, in CKAN's order, then vn-open-data; every value a string
    let lic = srv.ok(srv.get("license_list", &[], None));
    let ids = pluck(&lic, "id");
    assert_eq!(
        ids,
        [
            "notspecified",
            "odc-pddl",
            "odc-odbl",
            "odc-by",
            "cc-zero",
            "cc-by",
            "cc-by-sa",
            "gfdl",
            "other-open",
            "other-pd",
            "other-at",
            "uk-ogl",
            "cc-nc",
            "other-nc",
            "other-closed",
            "vn-open-data",
        ],
        "license_list ids"
    );
    for l in lic.as_array().into_iter().flatten() {
        assert_eq!(keys(l), keys(&lic[0]), "every licence has CKAN's keys: {l}");
        assert!(
            l.as_object()
                .is_some_and(|m| m.values().all(Value::is_string)),
            "licence values are strings: {l}"
        );
    }
    let vn = &lic[15];
    assert!(
        vn["title"].as_str().is_some_and(|t| t.contains("2023")),
        "vn-open-data title: {vn}"
    );
    assert_eq!(vn["status"], "active");
});

// ---------------------------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------------------------

const PACKAGE_KEYS: &[&str] = &[
    "author",
    "author_email",
    "creator_user_id",
    "extras",
    "groups",
    "id",
    "isopen",
    "license_id",
    "license_title",
    "maintainer",
    "maintainer_email",
    "metadata_created",
    "metadata_modified",
    "name",
    "notes",
    "num_resources",
    "num_tags",
    "organization",
    "owner_org",
    "private",
    "relationships_as_object",
    "relationships_as_subject",
    "resources",
    "state",
    "tags",
    "title",
    "type",
    "url",
    "version",
];

const RESOURCE_KEYS: &[&str] = &[
    "cache_last_updated",
    "cache_url",
    "created",
    "description",
    "format",
    "hash",
    "id",
    "last_modified",
    "metadata_modified",
    "mimetype",
    "mimetype_inner",
    "name",
    "package_id",
    "position",
    "resource_type",
    "size",
    "state",
    "url",
    "url_type",
];

fn full_dataset(org: &str) -> Value {
    json!({
        "name": "ngan-sach-2025",
        "title": "Ngân sách tỉnh 2025",
        "notes": "Dự toán và quyết toán **ngân sách**.",
        "owner_org": org,
        "license_id": "cc-by",
        "author": "Phòng Ngân sách",
        "author_email": "ngansach@example.gov.vn",
        "maintainer": "Sở Tài chính",
        "maintainer_email": "stc@example.gov.vn",
        "url": "https://example.gov.vn/ngan-sach",
        "version": "2025.1",
        "tags": [{"name": "tai-chinh"}, {"name": "ngân sách"}],
        "extras": [{"key": "tan_suat", "value": "hang-nam"}, {"key": "ma_co_quan", "value": "000.00.12.H12"}],
        "groups": [{"name": "kinh-te"}],
        "resources": [
            {"url": "https://example.gov.vn/ngan-sach.csv", "name": "Bảng chi", "format": "csv", "muc_do": "cao"},
            {"url": "https://example.gov.vn/api.json", "name": "API"},
        ],
    })
}

both_backends!(
    package_create_show_sqlite,
    package_create_show_postgres,
    |srv| {
        let so = org(srv, "so-tai-chinh", "Sở Tài chính");
        let kt = group(srv, "kinh-te", "Kinh tế – Thương mại");
        let created = dataset(srv, full_dataset("so-tai-chinh"));
        let id = s(&created["id"]).to_string();
        assert!(is_uuid(&id), "id {id:?} is a UUID");

        // what package_create answered is what package_show answers, by id and by name, to anyone
        assert_eq!(
            srv.ok(srv.get("package_show", &[("id", &id)], None)),
            created,
            "package_show by id"
        );
        assert_eq!(
            srv.ok(srv.get("package_show", &[("id", "ngan-sach-2025")], None)),
            created,
            "package_show by name"
        );
        assert_eq!(
            srv.ok(srv.post("package_show", &json!({"id": id}), None)),
            created,
            "POST package_show"
        );

        let mut want_keys: Vec<&str> = PACKAGE_KEYS.to_vec();
        want_keys.push("license_url");
        assert_eq!(keys(&created), sorted(&want_keys), "package_show keys");
        for (k, v) in [
            ("name", json!("ngan-sach-2025")),
            ("title", json!("Ngân sách tỉnh 2025")),
            ("owner_org", so["id"].clone()),
            ("state", json!("active")),
            ("type", json!("dataset")),
            ("private", json!(false)),
            ("license_id", json!("cc-by")),
            ("license_title", json!("Creative Commons Attribution")),
            (
                "license_url",
                json!("http://www.opendefinition.org/licenses/cc-by"),
            ),
            ("isopen", json!(true)),
            ("author_email", json!("ngansach@example.gov.vn")),
            ("version", json!("2025.1")),
            ("creator_user_id", json!(srv.admin_id)),
            ("num_resources", json!(2)),
            ("num_tags", json!(2)),
            ("relationships_as_subject", json!([])),
        ] {
            assert_eq!(created[k], v, "package_create → {k}");
        }
        assert!(
            is_ckan_time(&created["metadata_created"])
                && is_ckan_time(&created["metadata_modified"]),
            "{created:#}"
        );
        assert_eq!(created["organization"]["name"], "so-tai-chinh");
        assert_eq!(created["organization"]["title"], "Sở Tài chính");
        assert_eq!(created["organization"]["is_organization"], true);
        // tags sorted by name, case and spaces kept; extras sorted by key
        assert_eq!(pluck(&created["tags"], "name"), ["ngân sách", "tai-chinh"]);
        assert_eq!(created["tags"][0]["display_name"], "ngân sách");
        assert_eq!(created["tags"][0]["vocabulary_id"], Value::Null);
        assert_eq!(
            created["extras"],
            json!([{"key": "ma_co_quan", "value": "000.00.12.H12"}, {"key": "tan_suat", "value": "hang-nam"}])
        );
        assert_eq!(pluck(&created["groups"], "id"), [s(&kt["id"])]);
        assert_eq!(created["groups"][0]["display_name"], "Kinh tế – Thương mại");
        // resources: positions from 0, format normalized or guessed from the URL, free keys top-level
        let r = &created["resources"];
        assert_eq!(r[0]["position"], 0);
        assert_eq!(r[1]["position"], 1);
        assert_eq!(r[0]["format"], "CSV");
        assert_eq!(r[1]["format"], "JSON");
        assert_eq!(r[0]["muc_do"], "cao");
        assert_eq!(r[0]["package_id"], json!(id));
        assert_eq!(r[0]["url_type"], Value::Null);
        assert_eq!(r[0]["state"], "active");
        assert_eq!(keys(&r[1]), sorted(RESOURCE_KEYS), "resource keys");
        // the dataset is in its organization and its group
        let o = srv.ok(srv.get(
            "organization_show",
            &[("id", "so-tai-chinh"), ("include_datasets", "true")],
            None,
        ));
        assert_eq!(o["package_count"], 1);
        assert_eq!(pluck(&o["packages"], "name"), ["ngan-sach-2025"]);
        let g = srv.ok(srv.get(
            "group_show",
            &[("id", "kinh-te"), ("include_datasets", "true")],
            None,
        ));
        assert_eq!(pluck(&g["packages"], "name"), ["ngan-sach-2025"]);

        // a minimal dataset: title defaults to the name, unset text is null, no licence
        let min = dataset(srv, json!({"name": "toi-thieu", "owner_org": so["id"]}));
        assert_eq!(min["title"], "toi-thieu");
        for k in [
            "notes",
            "license_id",
            "license_title",
            "author",
            "maintainer_email",
            "url",
            "version",
        ] {
            assert_eq!(min[k], Value::Null, "unset {k} is null");
        }
        assert!(
            min.get("license_url").is_none(),
            "license_url is absent without a licence: {min:#}"
        );
        assert_eq!(min["isopen"], false);
        for k in ["tags", "extras", "resources", "groups"] {
            assert_eq!(min[k], json!([]), "{k}");
        }
        // the Vietnamese licence is a licence like the others
        let vn = dataset(
            srv,
            json!({"name": "giay-phep-vn", "owner_org": "so-tai-chinh", "license_id": "vn-open-data"}),
        );
        let lic = srv.ok(srv.get("license_list", &[], None));
        let vn_lic = lic
            .as_array()
            .and_then(|l| l.iter().find(|x| x["id"] == "vn-open-data"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(vn["license_title"], vn_lic["title"]);
        // form-encoded create, as HTML forms and old clients send it
        let form = srv.ok(srv.post_form(
            "package_create",
            &[
                ("name", "qua-form"),
                ("owner_org", "so-tai-chinh"),
                ("tags", r#"[{"name": "form"}]"#),
            ],
            srv.admin(),
        ));
        assert_eq!(pluck(&form["tags"], "name"), ["form"]);
        // tag_string, CKAN's comma list
        let ts = dataset(
            srv,
            json!({"name": "tag-string", "owner_org": "so-tai-chinh", "tag_string": "mot, hai"}),
        );
        assert_eq!(pluck(&ts["tags"], "name"), ["hai", "mot"]);

        // errors
        assert_eq!(
            invalid(
                srv.get("package_show", &[], None),
                "package_show without id"
            ),
            json!({"name_or_id": ["Missing value"]}),
            "CKAN T#017"
        );
        assert_eq!(
            not_found(
                srv.get("package_show", &[("id", "khong-co")], None),
                "unknown dataset"
            ),
            "Not found"
        );
        // an editor may not choose the id; a sysadmin may (ckanapi load keeps ids)
        let (editor_id, editor) = member_of(srv, "bien_tap", "so-tai-chinh", "editor");
        let own = srv.ok(srv.post(
            "package_create",
            &json!({"name": "cua-bien-tap", "owner_org": "so-tai-chinh"}),
            Some(&editor),
        ));
        assert_eq!(own["creator_user_id"], json!(editor_id));
        let chosen = "0b5c3f7e-1d2a-4c6b-9e8f-123456789abc";
        assert_eq!(
            invalid(
                srv.post(
                    "package_create",
                    &json!({"id": chosen, "name": "id-rieng", "owner_org": "so-tai-chinh"}),
                    Some(&editor)
                ),
                "editor sets id"
            ),
            json!({"id": ["The input field id was not expected."]})
        );
        let kept = dataset(
            srv,
            json!({"id": chosen, "name": "id-rieng", "owner_org": "so-tai-chinh"}),
        );
        assert_eq!(kept["id"], chosen);
        assert_eq!(
            package_list(srv),
            [
                "cua-bien-tap",
                "giay-phep-vn",
                "id-rieng",
                "ngan-sach-2025",
                "qua-form",
                "tag-string",
                "toi-thieu"
            ]
        );
    }
);

both_backends!(
    package_validation_sqlite,
    package_validation_postgres,
    |srv| {
        org(srv, "so-a", "Sở A");
        group(srv, "nhom-a", "Nhóm A");
        dataset(srv, json!({"name": "co-san", "owner_org": "so-a"}));
        let before = package_list(srv);
        let lowercase =
            "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_";
        let long = "a".repeat(101);
        let long_tag = "t".repeat(101);
        // (what, body, CKAN's error dict)
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "nothing",
                json!({}),
                json!({"name": ["Missing value"], "owner_org": ["An organization must be provided"]}),
            ),
            (
                "empty name",
                json!({"name": "", "owner_org": "so-a"}),
                json!({"name": ["Missing value"]}),
            ),
            (
                "uppercase name",
                json!({"name": "Truong-Hoc", "owner_org": "so-a"}),
                json!({"name": [lowercase]}),
            ),
            (
                "Vietnamese name",
                json!({"name": "dữ-liệu", "owner_org": "so-a"}),
                json!({"name": [lowercase]}),
            ),
            (
                "name with a space",
                json!({"name": "du lieu", "owner_org": "so-a"}),
                json!({"name": [lowercase]}),
            ),
            (
                "one-letter name",
                json!({"name": "a", "owner_org": "so-a"}),
                json!({"name": ["Must be at least 2 characters long"]}),
            ),
            (
                "101-letter name",
                json!({"name": long, "owner_org": "so-a"}),
                json!({"name": ["Name must be a maximum of 100 characters long"]}),
            ),
            (
                "reserved name new",
                json!({"name": "new", "owner_org": "so-a"}),
                json!({"name": ["That name cannot be used"]}),
            ),
            (
                "reserved name edit",
                json!({"name": "edit", "owner_org": "so-a"}),
                json!({"name": ["That name cannot be used"]}),
            ),
            (
                "reserved name search",
                json!({"name": "search", "owner_org": "so-a"}),
                json!({"name": ["That name cannot be used"]}),
            ),
            (
                "name in use",
                json!({"name": "co-san", "owner_org": "so-a"}),
                json!({"name": ["That URL is already in use."]}),
            ),
            (
                "no organization",
                json!({"name": "mo-coi"}),
                json!({"owner_org": ["An organization must be provided"]}),
            ),
            (
                "unknown organization",
                json!({"name": "mo-coi", "owner_org": "khong-co"}),
                json!({"owner_org": ["Organization does not exist"]}),
            ),
            (
                "a group as organization",
                json!({"name": "mo-coi", "owner_org": "nhom-a"}),
                json!({"owner_org": ["Organization does not exist"]}),
            ),
            (
                "private without organization",
                json!({"name": "rieng", "private": true}),
                json!({"owner_org": ["An organization must be provided"], "private": ["Datasets with no organization can't be private."]}),
            ),
            (
                "author_email",
                json!({"name": "thu", "owner_org": "so-a", "author_email": "nope"}),
                json!({"author_email": ["Email nope is not a valid format"]}),
            ),
            (
                "both e-mails",
                json!({"name": "thu", "owner_org": "so-a", "author_email": "a@b", "maintainer_email": "x@@y.vn"}),
                json!({"maintainer_email": ["Email x@@y.vn is not a valid format"]}),
            ),
            (
                "short tag",
                json!({"name": "thu", "owner_org": "so-a", "tags": [{"name": "a"}]}),
                json!({"tags": ["Tag \"a\" length is less than minimum 2"]}),
            ),
            (
                "long tag",
                json!({"name": "thu", "owner_org": "so-a", "tags": [{"name": long_tag}]}),
                json!({"tags": [format!("Tag \"{long_tag}\" length is more than maximum 100")]}),
            ),
            (
                "tag with a slash",
                json!({"name": "thu", "owner_org": "so-a", "tags": [{"name": "a/b"}]}),
                json!({"tags": ["Tag \"a/b\" must be alphanumeric characters or symbols: -_."]}),
            ),
            (
                "extra with a core key",
                json!({"name": "thu", "owner_org": "so-a", "extras": [{"key": "ok", "value": "1"}, {"key": "title", "value": "x"}]}),
                json!({"extras": [{}, {"key": ["There is a schema field with the same name"]}]}),
            ),
            (
                "duplicate extras",
                json!({"name": "thu", "owner_org": "so-a", "extras": [{"key": "k", "value": "1"}, {"key": "k", "value": "2"}]}),
                json!({"extras_validation": ["Duplicate key \"k\""]}),
            ),
            (
                "several fields at once (CKAN T#009)",
                json!({"name": "Sai Ten", "author_email": "nope"}),
                json!({"name": [lowercase], "owner_org": ["An organization must be provided"], "author_email": ["Email nope is not a valid format"]}),
            ),
        ];
        for (what, body, want) in cases {
            assert_eq!(
                invalid(srv.post("package_create", &body, srv.admin()), what),
                want,
                "package_create, {what}"
            );
            assert_eq!(
                package_list(srv),
                before,
                "a failed package_create ({what}) stored nothing"
            );
        }
        // wrong shapes: CKAN's Integrity Error (400)
        let e = failure(
            srv.post(
                "package_create",
                &json!({"name": "thu", "owner_org": "so-a", "tags": ["a"]}),
                srv.admin(),
            ),
            400,
            "Integrity Error",
            "tags: [\"a\"]",
        );
        assert!(
            s(&e["message"]).starts_with("Only lists of dicts can be placed against subschema"),
            "{e}"
        );
        // unknown group: 404 after validation
        not_found(
            srv.post(
                "package_create",
                &json!({"name": "thu", "owner_org": "so-a", "groups": [{"name": "khong-co"}]}),
                srv.admin(),
            ),
            "unknown group",
        );
        assert_eq!(package_list(srv), before);

        // accepted: Unicode tags with spaces, dots and dashes; URLs are not validated (CKAN T#011);
        // plus-addressed e-mails; 100-character names
        let name100 = "d".repeat(100);
        let ok = dataset(
            srv,
            json!({
                "name": name100, "owner_org": "so-a", "url": "not a url", "author_email": "a.b+c@so-a.gov.vn",
                "tags": [{"name": "giáo dục"}, {"name": "v1.0"}, {"name": "y_te-2"}],
            }),
        );
        assert_eq!(ok["url"], "not a url");
        assert_eq!(pluck(&ok["tags"], "name"), ["giáo dục", "v1.0", "y_te-2"]);
        // the name of a dataset in use stays in use on update too
        let other = dataset(srv, json!({"name": "khac", "owner_org": "so-a"}));
        assert_eq!(
            invalid(
                srv.post(
                    "package_update",
                    &json!({"id": other["id"], "name": "co-san", "owner_org": "so-a"}),
                    srv.admin()
                ),
                "rename onto a used name"
            ),
            json!({"name": ["That URL is already in use."]})
        );
        assert_eq!(show(srv, "khac")["name"], "khac");
    }
);

both_backends!(package_update_sqlite, package_update_postgres, |srv| {
    let so = org(srv, "so-tai-chinh", "Sở Tài chính");
    org(srv, "so-khac", "Sở Khác");
    group(srv, "kinh-te", "Kinh tế");
    let orig = dataset(srv, full_dataset("so-tai-chinh"));
    let id = s(&orig["id"]).to_string();

    // CKAN 2.12: absent resources and groups are kept, absent tags and extras removed, absent
    // free text emptied, private/owner_org/state kept
    let upd = srv.ok(srv.post(
        "package_update",
        &json!({"id": id, "name": "ngan-sach-2025", "title": "Ngân sách (sửa)"}),
        srv.admin(),
    ));
    assert_eq!(upd["title"], "Ngân sách (sửa)");
    assert_eq!(
        upd["resources"], orig["resources"],
        "absent resources are kept (CKAN 2.12)"
    );
    assert_eq!(
        upd["groups"], orig["groups"],
        "absent groups are kept (CKAN 2.12)"
    );
    assert_eq!(upd["tags"], json!([]), "absent tags are removed");
    assert_eq!(upd["num_tags"], 0);
    assert_eq!(upd["extras"], json!([]), "absent extras are removed");
    for k in [
        "notes",
        "version",
        "url",
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "license_id",
    ] {
        assert_eq!(upd[k], Value::Null, "absent {k} → null");
    }
    assert_eq!(upd["owner_org"], so["id"], "absent owner_org is kept");
    assert_eq!(upd["private"], false);
    assert_eq!(upd["state"], "active");
    assert_eq!(upd["metadata_created"], orig["metadata_created"]);
    assert!(
        s(&upd["metadata_modified"]) > s(&orig["metadata_modified"]),
        "metadata_modified moves on a change"
    );
    assert_eq!(
        show(srv, &id),
        upd,
        "package_show reads back what package_update answered"
    );

    // sending the dict back unchanged changes nothing, not even metadata_modified
    let same = srv.ok(srv.post("package_update", &upd, srv.admin()));
    assert_eq!(same, upd, "an unchanged package_update");
    assert_eq!(
        show(srv, &id)["metadata_modified"],
        upd["metadata_modified"]
    );

    // the dataset is found by name when there is no id; id and type are immutable
    let mut by_name = upd.clone();
    let m = by_name.as_object_mut().expect("dict");
    m.remove("id");
    m.insert("type".into(), json!("harvest"));
    m.insert("notes".into(), json!("Ghi chú"));
    m.insert("private".into(), json!(true));
    let upd2 = srv.ok(srv.post("package_update", &by_name, srv.admin()));
    assert_eq!(
        (
            upd2["id"].clone(),
            upd2["type"].clone(),
            upd2["notes"].clone(),
            upd2["private"].clone()
        ),
        (json!(id), json!("dataset"), json!("Ghi chú"), json!(true))
    );
    denied(
        srv.get("package_show", &[("id", &id)], None),
        "a dataset made private is hidden from anonymous",
    );

    // renaming: the old name is gone, the new one works
    let mut renamed = upd2.clone();
    renamed["name"] = json!("ngan-sach-moi");
    renamed["private"] = json!(false);
    srv.ok(srv.post("package_update", &renamed, srv.admin()));
    not_found(
        srv.get("package_show", &[("id", "ngan-sach-2025")], None),
        "old name after a rename",
    );
    assert_eq!(show(srv, "ngan-sach-moi")["id"], json!(id));

    // moving to another organization through package_update
    let moved = srv.ok(srv.post(
        "package_patch",
        &json!({"id": id, "owner_org": "so-khac"}),
        srv.admin(),
    ));
    assert_eq!(moved["organization"]["name"], "so-khac");

    // errors leave the dataset as it was
    let before = show(srv, &id);
    assert_eq!(
        invalid(
            srv.post("package_update", &json!({"title": "x"}), srv.admin()),
            "package_update without id"
        ),
        json!({"id": ["Missing value"]})
    );
    assert_eq!(
        not_found(
            srv.post(
                "package_update",
                &json!({"id": "khong-co", "title": "x"}),
                srv.admin()
            ),
            "package_update of an unknown dataset"
        ),
        "Not found: Package was not found."
    );
    assert_eq!(
        invalid(
            srv.post(
                "package_update",
                &json!({"id": id, "title": "x", "maintainer_email": "nope"}),
                srv.admin()
            ),
            "bad e-mail"
        ),
        json!({"maintainer_email": ["Email nope is not a valid format"]})
    );
    assert_eq!(
        invalid(
            srv.post(
                "package_update",
                &json!({"id": id, "name": "Hoa"}),
                srv.admin()
            ),
            "bad name"
        ),
        json!({"name": ["Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]})
    );
    assert_eq!(show(srv, &id), before, "failed updates changed nothing");
});

both_backends!(
    package_patch_revise_sqlite,
    package_patch_revise_postgres,
    |srv| {
        org(srv, "so-tai-chinh", "Sở Tài chính");
        group(srv, "kinh-te", "Kinh tế");
        let orig = dataset(srv, full_dataset("so-tai-chinh"));
        let id = s(&orig["id"]).to_string();

        // package_patch: only the given keys change (CKAN T#019)
        let p = srv.ok(srv.post(
            "package_patch",
            &json!({"id": id, "title": "Ngân sách (vá)"}),
            srv.admin(),
        ));
        let mut want = orig.clone();
        want["title"] = json!("Ngân sách (vá)");
        want["metadata_modified"] = p["metadata_modified"].clone();
        assert_eq!(p, want, "package_patch changed only the title");
        assert!(s(&p["metadata_modified"]) > s(&orig["metadata_modified"]));
        assert_eq!(show(srv, "ngan-sach-2025"), p);
        // a given list replaces the whole list
        let p2 = srv.ok(srv.post("package_patch", &json!({"id": "ngan-sach-2025", "tags": [{"name": "moi"}], "resources": [{"url": "https://x.vn/a.xlsx"}]}), srv.admin()));
        assert_eq!(pluck(&p2["tags"], "name"), ["moi"]);
        assert_eq!(p2["resources"].as_array().map(Vec::len), Some(1));
        assert_eq!(p2["resources"][0]["format"], "XLSX");
        assert_eq!(
            p2["extras"], orig["extras"],
            "extras kept by a patch that does not name them"
        );
        // a patch that changes nothing keeps metadata_modified
        let p3 = srv.ok(srv.post(
            "package_patch",
            &json!({"id": id, "title": "Ngân sách (vá)"}),
            srv.admin(),
        ));
        assert_eq!(p3["metadata_modified"], p2["metadata_modified"]);
        assert_eq!(
            not_found(
                srv.post(
                    "package_patch",
                    &json!({"id": "khong-co", "title": "x"}),
                    srv.admin()
                ),
                "patch unknown"
            ),
            "Not found: Package was not found."
        );
        assert_eq!(
            invalid(
                srv.post("package_patch", &json!({"title": "x"}), srv.admin()),
                "patch without id"
            ),
            json!({"id": ["Missing value"]})
        );

        // package_revise: match, filter, update (CKAN T#020)
        srv.ok(srv.post("package_patch", &json!({"id": id, "resources": [
        {"url": "https://x.vn/0.csv", "name": "không"}, {"url": "https://x.vn/1.csv", "name": "một"}, {"url": "https://x.vn/2.csv", "name": "hai"},
    ]}), srv.admin()));
        let r = srv.ok(srv.post(
            "package_revise",
            &json!({"match": {"id": id}, "update": {"notes": "Đã duyệt"}}),
            srv.admin(),
        ));
        assert_eq!(
            keys(&r),
            ["package"],
            "package_revise answers {{\"package\": …}}"
        );
        assert_eq!(r["package"]["notes"], "Đã duyệt");
        assert_eq!(
            r["package"]["title"], "Ngân sách (vá)",
            "revise keeps what it does not touch"
        );
        let r = srv.ok(srv.post(
            "package_revise",
            &json!({"match": {"name": "ngan-sach-2025"}, "filter": ["-resources__1"]}),
            srv.admin(),
        ));
        assert_eq!(
            pluck(&r["package"]["resources"], "name"),
            ["không", "hai"],
            "filter -resources__1"
        );
        assert_eq!(
            pluck(&r["package"]["resources"], "url"),
            ["https://x.vn/0.csv", "https://x.vn/2.csv"]
        );
        // update merges lists of dicts item by item
        let r = srv.ok(srv.post(
            "package_revise",
            &json!({"match": {"id": id}, "update": {"resources": [{"name": "số không"}]}}),
            srv.admin(),
        ));
        assert_eq!(r["package"]["resources"][0]["name"], "số không");
        assert_eq!(
            r["package"]["resources"][0]["url"], "https://x.vn/0.csv",
            "deep merge keeps the url"
        );
        // form-encoded, with JSON strings (ckanapi's multipart style)
        let r = srv.ok(srv.post_form(
            "package_revise",
            &[
                ("match", &format!(r#"{{"id": "{id}"}}"#)),
                ("update", r#"{"version": "3"}"#),
            ],
            srv.admin(),
        ));
        assert_eq!(r["package"]["version"], "3");
        assert_eq!(
            show(srv, &id),
            r["package"],
            "package_show reads back the revised dataset"
        );
        // a mismatch names the paths that differ and changes nothing
        let before = show(srv, &id);
        assert_eq!(
            invalid(
                srv.post(
                    "package_revise",
                    &json!({"match": {"id": id, "title": "Sai"}, "update": {"notes": "x"}}),
                    srv.admin()
                ),
                "revise mismatch"
            ),
            json!({"match": ["title"]})
        );
        let e = invalid(
            srv.post(
                "package_revise",
                &json!({"update": {"notes": "x"}}),
                srv.admin(),
            ),
            "revise without match",
        );
        assert!(
            e.as_object()
                .is_some_and(|m| m.keys().any(|k| k.starts_with("match"))),
            "revise without match: {e}"
        );
        not_found(
            srv.post(
                "package_revise",
                &json!({"match": {"name": "khong-co"}, "update": {"notes": "x"}}),
                srv.admin(),
            ),
            "revise unknown",
        );
        assert_eq!(show(srv, &id), before, "failed revisions changed nothing");
    }
);

both_backends!(
    package_delete_purge_sqlite,
    package_delete_purge_postgres,
    |srv| {
        org(srv, "so-a", "Sở A");
        group(srv, "nhom", "Nhóm");
        let a = dataset(
            srv,
            json!({"name": "xoa-theo-ten", "owner_org": "so-a", "groups": [{"name": "nhom"}], "tags": [{"name": "chi-o-day"}],
        "resources": [{"url": "https://x.vn/a.csv"}]}),
        );
        let b = dataset(
            srv,
            json!({"name": "xoa-theo-id", "owner_org": "so-a", "groups": [{"name": "nhom"}]}),
        );
        let rid = s(&a["resources"][0]["id"]).to_string();

        // package_delete answers null; the dataset is deleted, not gone (CKAN T#052-054)
        assert_eq!(
            srv.ok(srv.post(
                "package_delete",
                &json!({"id": "xoa-theo-ten"}),
                srv.admin()
            )),
            Value::Null
        );
        assert_eq!(
            srv.ok(srv.post("package_delete", &json!({"id": b["id"]}), srv.admin())),
            Value::Null
        );
        let da = show(srv, s(&a["id"]));
        assert_eq!(da["state"], "deleted");
        assert_eq!(
            da["metadata_modified"], a["metadata_modified"],
            "package_delete does not bump metadata_modified (T#053)"
        );
        assert_eq!(
            pluck(&da["groups"], "name"),
            ["nhom"],
            "deleted by name: CKAN keeps the group memberships"
        );
        assert_eq!(
            show(srv, s(&b["id"]))["groups"],
            json!([]),
            "deleted by id: CKAN drops the group memberships"
        );
        denied(
            srv.get("package_show", &[("id", s(&a["id"]))], None),
            "anonymous package_show of a deleted dataset (T#054)",
        );
        denied(
            srv.get("resource_show", &[("id", &rid)], None),
            "anonymous resource_show in a deleted dataset",
        );
        assert_eq!(
            package_list(srv),
            Vec::<String>::new(),
            "deleted datasets are not listed"
        );
        assert!(
            !strings(&srv.ok(srv.get("tag_list", &[], None))).contains(&"chi-o-day".to_string()),
            "a deleted dataset's tags are not listed"
        );
        let o = srv.ok(srv.get("organization_show", &[("id", "so-a")], None));
        assert_eq!(o["package_count"], 0);

        // the name is free again: a new dataset takes it, the deleted one keeps its id as its name
        let again = dataset(srv, json!({"name": "xoa-theo-ten", "owner_org": "so-a"}));
        assert_ne!(again["id"], a["id"]);
        assert_eq!(show(srv, "xoa-theo-ten")["id"], again["id"]);
        let old = show(srv, s(&a["id"]));
        assert_eq!(
            (old["state"].clone(), old["name"].clone()),
            (json!("deleted"), a["id"].clone()),
            "the deleted dataset gave up its name"
        );
        assert_eq!(package_list(srv), ["xoa-theo-ten"]);

        // dataset_purge: null, then 404 for everyone, resources and tags gone (T#055, T#056)
        assert_eq!(
            srv.ok(srv.post("dataset_purge", &json!({"id": a["id"]}), srv.admin())),
            Value::Null
        );
        assert_eq!(
            not_found(
                srv.get("package_show", &[("id", s(&a["id"]))], srv.admin()),
                "purged dataset"
            ),
            "Not found"
        );
        not_found(
            srv.get("resource_show", &[("id", &rid)], srv.admin()),
            "resource of a purged dataset",
        );
        not_found(
            srv.post("dataset_purge", &json!({"id": a["id"]}), srv.admin()),
            "purge twice",
        );
        srv.ok(srv.post("dataset_purge", &json!({"id": "xoa-theo-ten"}), srv.admin()));
        assert_eq!(package_list(srv), Vec::<String>::new());

        // errors
        assert_eq!(
            invalid(
                srv.post("package_delete", &json!({}), srv.admin()),
                "delete without id"
            ),
            json!({"id": ["Missing value"]})
        );
        assert_eq!(
            invalid(
                srv.post("dataset_purge", &json!({}), srv.admin()),
                "purge without id"
            ),
            json!({"id": ["Missing value"]})
        );
        not_found(
            srv.post("package_delete", &json!({"id": "khong-co"}), srv.admin()),
            "delete unknown",
        );
        not_found(
            srv.post("dataset_purge", &json!({"id": "khong-co"}), srv.admin()),
            "purge unknown",
        );
    }
);

both_backends!(package_lists_sqlite, package_lists_postgres, |srv| {
    org(srv, "so-a", "Sở A");
    for n in ["ds-c", "ds-a", "ds-e", "ds-b", "ds-d"] {
        dataset(
            srv,
            json!({"name": n, "owner_org": "so-a", "resources": [{"url": format!("https://x.vn/{n}.csv")}]}),
        );
    }
    dataset(
        srv,
        json!({"name": "ds-rieng", "owner_org": "so-a", "private": true}),
    );
    dataset(
        srv,
        json!({"name": "ds-nhap", "owner_org": "so-a", "state": "draft"}),
    );
    dataset(srv, json!({"name": "ds-xoa", "owner_org": "so-a"}));
    srv.ok(srv.post("package_delete", &json!({"id": "ds-xoa"}), srv.admin()));

    // package_list: names of active public datasets, sorted (T#025, T#026), for everyone
    let all = ["ds-a", "ds-b", "ds-c", "ds-d", "ds-e"];
    assert_eq!(package_list(srv), all);
    assert_eq!(
        strings(&srv.ok(srv.get("package_list", &[], srv.admin()))),
        all,
        "package_list is public datasets only, even for a sysadmin"
    );
    assert_eq!(
        strings(&srv.ok(srv.get("package_list", &[("limit", "2")], None))),
        ["ds-a", "ds-b"]
    );
    assert_eq!(
        strings(&srv.ok(srv.get("package_list", &[("limit", "2"), ("offset", "2")], None))),
        ["ds-c", "ds-d"]
    );
    assert_eq!(
        strings(&srv.ok(srv.get("package_list", &[("offset", "4")], None))),
        ["ds-e"]
    );
    assert_eq!(
        strings(&srv.ok(srv.post("package_list", &json!({"limit": 1, "offset": 1}), None))),
        ["ds-b"]
    );
    assert_eq!(
        srv.ok(srv.get("package_list", &[("offset", "10")], None)),
        json!([])
    );
    assert_eq!(
        invalid(
            srv.get("package_list", &[("limit", "hai")], None),
            "limit=hai"
        ),
        json!({"limit": ["Invalid integer", "Please enter an integer value"]})
    );
    assert_eq!(
        invalid(
            srv.get("package_list", &[("offset", "-1")], None),
            "offset=-1"
        ),
        json!({"offset": ["Must be a natural number"]})
    );

    // current_package_list_with_resources: full dicts, newest metadata_modified first (T#027)
    srv.ok(srv.post(
        "package_patch",
        &json!({"id": "ds-c", "notes": "mới sửa"}),
        srv.admin(),
    ));
    let cur = srv.ok(srv.get("current_package_list_with_resources", &[], None));
    assert_eq!(
        pluck(&cur, "name"),
        ["ds-c", "ds-d", "ds-b", "ds-e", "ds-a"]
    );
    assert_eq!(cur[0], show(srv, "ds-c"), "full package_show dicts");
    assert_eq!(cur[0]["resources"].as_array().map(Vec::len), Some(1));
    let page = srv.ok(srv.get(
        "current_package_list_with_resources",
        &[("limit", "2"), ("offset", "1")],
        None,
    ));
    assert_eq!(pluck(&page, "name"), ["ds-d", "ds-b"]);
    // CKAN searches with include_private for sysadmins (ckan/logic/action/get.py)
    let cur_admin = srv.ok(srv.get(
        "current_package_list_with_resources",
        &[("limit", "100")],
        srv.admin(),
    ));
    assert_eq!(
        sorted(
            &pluck(&cur_admin, "name")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        ),
        sorted(&["ds-a", "ds-b", "ds-c", "ds-d", "ds-e", "ds-rieng"])
    );
    assert_eq!(
        invalid(
            srv.get(
                "current_package_list_with_resources",
                &[("limit", "x")],
                None
            ),
            "limit=x"
        ),
        json!({"limit": ["Invalid integer", "Please enter an integer value"]})
    );
});

both_backends!(
    package_autocomplete_owner_org_sqlite,
    package_autocomplete_owner_org_postgres,
    |srv| {
        let a = org(srv, "so-a", "Sở A");
        let b = org(srv, "so-b", "Sở B");
        dataset(
            srv,
            json!({"name": "bao-cao-da-nang", "title": "Báo cáo", "owner_org": "so-a"}),
        );
        dataset(
            srv,
            json!({"name": "so-lieu-2025", "title": "Dữ liệu Đà Nẵng", "owner_org": "so-a"}),
        );
        dataset(
            srv,
            json!({"name": "rieng-da-nang", "title": "Đà Nẵng mật", "owner_org": "so-a", "private": true}),
        );

        // searched by words of the name or the title (CKAN's name_ngram and title_ngram), without
        // diacritics; each item says which one matched (T#041)
        let found = |q: &str, token: Option<&str>| -> Vec<(String, String)> {
            let r = srv.ok(srv.get("package_autocomplete", &[("q", q)], token));
            let mut v: Vec<(String, String)> = r
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| (s(&x["name"]).to_string(), s(&x["match_field"]).to_string()))
                .collect();
            v.sort();
            v
        };
        let pair = |n: &str, f: &str| (n.to_string(), f.to_string());
        let want = [
            pair("bao-cao-da-nang", "name"),
            pair("so-lieu-2025", "title"),
        ];
        assert_eq!(found("nang", None), want, "q=nang");
        assert_eq!(found("da nang", None), want, "q=da nang");
        assert_eq!(found("Đà Nẵng", None), want, "q=Đà Nẵng");
        assert_eq!(
            found("bao", None),
            [pair("bao-cao-da-nang", "name")],
            "q=bao"
        );
        let r = srv.ok(srv.get("package_autocomplete", &[("q", "Đà Nẵng")], None));
        let items: Vec<Value> = r.as_array().cloned().unwrap_or_default();
        assert!(
            items.contains(&json!({"name": "so-lieu-2025", "title": "Dữ liệu Đà Nẵng", "match_field": "title", "match_displayed": "Dữ liệu Đà Nẵng (so-lieu-2025)"})),
            "a title match: {r:#}"
        );
        assert!(
            items.contains(&json!({"name": "bao-cao-da-nang", "title": "Báo cáo", "match_field": "name", "match_displayed": "bao-cao-da-nang"})),
            "a name match: {r:#}"
        );
        // private datasets only for those who may read them (CKAN searches with the caller's
        // permission labels)
        assert!(found("nang", srv.admin()).contains(&pair("rieng-da-nang", "name")));
        assert_eq!(
            srv.ok(srv.get(
                "package_autocomplete",
                &[("q", "nang"), ("limit", "1")],
                None
            ))
            .as_array()
            .map(Vec::len),
            Some(1)
        );
        assert_eq!(
            srv.ok(srv.get("package_autocomplete", &[("q", "khong co gi")], None)),
            json!([])
        );

        // package_owner_org_update (sysadmin): the dataset moves, counts follow
        assert_eq!(
            srv.ok(srv.post(
                "package_owner_org_update",
                &json!({"id": "so-lieu-2025", "organization_id": "so-b"}),
                srv.admin()
            )),
            Value::Null
        );
        let moved = show(srv, "so-lieu-2025");
        assert_eq!(moved["owner_org"], b["id"]);
        assert_eq!(moved["organization"]["name"], "so-b");
        assert_eq!(
            srv.ok(srv.get("organization_show", &[("id", "so-b")], None))["package_count"],
            1
        );
        assert_eq!(
            srv.ok(srv.get("organization_show", &[("id", "so-a")], None))["package_count"],
            1
        );
        srv.ok(srv.post(
            "package_owner_org_update",
            &json!({"id": moved["id"], "organization_id": a["id"]}),
            srv.admin(),
        ));
        assert_eq!(show(srv, "so-lieu-2025")["owner_org"], a["id"]);
        // CKAN's auth function for package_owner_org_update is sysadmin-only, even for editors of both
        let (_, editor) = member_of(srv, "bien_tap", "so-a", "editor");
        srv.ok(srv.post(
            "organization_member_create",
            &json!({"id": "so-b", "username": "bien_tap", "role": "editor"}),
            srv.admin(),
        ));
        denied(
            srv.post(
                "package_owner_org_update",
                &json!({"id": "so-lieu-2025", "organization_id": "so-b"}),
                Some(&editor),
            ),
            "editor moves a dataset",
        );
        denied(
            srv.post(
                "package_owner_org_update",
                &json!({"id": "so-lieu-2025", "organization_id": "so-b"}),
                None,
            ),
            "anonymous moves a dataset",
        );
        assert_eq!(show(srv, "so-lieu-2025")["owner_org"], a["id"]);
        // errors
        assert_eq!(
            not_found(
                srv.post(
                    "package_owner_org_update",
                    &json!({"id": "so-lieu-2025", "organization_id": "khong-co"}),
                    srv.admin()
                ),
                "unknown org"
            ),
            "Not found: Organization was not found."
        );
        not_found(
            srv.post(
                "package_owner_org_update",
                &json!({"id": "khong-co", "organization_id": "so-b"}),
                srv.admin(),
            ),
            "unknown dataset",
        );
        assert_eq!(
            invalid(
                srv.post(
                    "package_owner_org_update",
                    &json!({"organization_id": "so-b"}),
                    srv.admin()
                ),
                "no id"
            ),
            json!({"id": ["Missing value"]})
        );
        assert_eq!(show(srv, "so-lieu-2025")["owner_org"], a["id"]);
    }
);

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

both_backends!(resources_sqlite, resources_postgres, |srv| {
    org(srv, "so-a", "Sở A");
    let ds = dataset(
        srv,
        json!({"name": "tai-nguyen", "owner_org": "so-a", "resources": [{"url": "https://x.vn/a.csv", "name": "A"}]}),
    );
    let pid = s(&ds["id"]).to_string();

    // resource_create appends, guesses format and MIME type from the URL, keeps free keys (T#021, T#022)
    let b = srv.ok(srv.post("resource_create", &json!({"package_id": "tai-nguyen", "url": "https://x.vn/b.json", "name": "B", "muc_do": "cao"}), srv.admin()));
    assert_eq!(b["position"], 1);
    assert_eq!(b["package_id"], json!(pid));
    assert_eq!(b["format"], "JSON");
    assert_eq!(b["mimetype"], "application/json");
    assert_eq!(b["muc_do"], "cao");
    assert_eq!(b["url_type"], Value::Null);
    assert_eq!(b["description"], Value::Null);
    assert!(is_uuid(s(&b["id"])) && is_ckan_time(&b["created"]), "{b:#}");
    let mut want_keys = RESOURCE_KEYS.to_vec();
    want_keys.push("muc_do");
    assert_eq!(keys(&b), sorted(&want_keys));
    let c = srv.ok(srv.post(
        "resource_create",
        &json!({"package_id": pid, "name": "C", "format": "geojson"}),
        srv.admin(),
    ));
    assert_eq!(
        (c["position"].clone(), c["url"].clone(), c["format"].clone()),
        (json!(2), json!(""), json!("GeoJSON")),
        "url defaults to \"\""
    );
    let after = show(srv, &pid);
    assert_eq!(pluck(&after["resources"], "name"), ["A", "B", "C"]);
    assert_eq!(after["num_resources"], 3);
    assert!(
        s(&after["metadata_modified"]) > s(&ds["metadata_modified"]),
        "resource_create bumps the dataset (T#022)"
    );

    // resource_show: what resource_create answered, to anyone (the dataset is public)
    let (bid, cid) = (s(&b["id"]).to_string(), s(&c["id"]).to_string());
    assert_eq!(srv.ok(srv.get("resource_show", &[("id", &bid)], None)), b);
    assert_eq!(
        after["resources"][1], b,
        "package_show embeds the same resource dict"
    );

    // resource_update replaces: absent url → "", absent description/mimetype → null, free keys dropped
    let u = srv.ok(srv.post(
        "resource_update",
        &json!({"id": bid, "name": "B2", "format": "csv", "description": "mô tả"}),
        srv.admin(),
    ));
    assert_eq!(u["name"], "B2");
    assert_eq!(u["url"], "");
    assert_eq!(u["format"], "CSV");
    assert_eq!(u["position"], 1);
    assert!(
        u.get("muc_do").is_none(),
        "resource_update drops absent free keys: {u:#}"
    );
    assert_eq!(srv.ok(srv.get("resource_show", &[("id", &bid)], None)), u);
    // resource_patch merges (T#024)
    let pt = srv.ok(srv.post(
        "resource_patch",
        &json!({"id": bid, "url": "https://x.vn/b2.xlsx", "them": "1"}),
        srv.admin(),
    ));
    assert_eq!(
        (
            pt["name"].clone(),
            pt["description"].clone(),
            pt["url"].clone(),
            pt["them"].clone()
        ),
        (
            json!("B2"),
            json!("mô tả"),
            json!("https://x.vn/b2.xlsx"),
            json!("1")
        )
    );
    assert_eq!(srv.ok(srv.get("resource_show", &[("id", &bid)], None)), pt);

    // package_resource_reorder: the given ids first, the rest in their order
    let aid = s(&after["resources"][0]["id"]).to_string();
    let ro = srv.ok(srv.post(
        "package_resource_reorder",
        &json!({"id": pid, "order": [cid]}),
        srv.admin(),
    ));
    assert_eq!(
        ro,
        json!({"id": pid, "order": [cid, aid, bid]}),
        "CKAN answers the whole new order"
    );
    let after = show(srv, &pid);
    assert_eq!(
        pluck(&after["resources"], "id"),
        [cid.as_str(), aid.as_str(), bid.as_str()]
    );
    assert_eq!(
        after["resources"]
            .as_array()
            .map(|r| r.iter().map(|x| x["position"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(0), json!(1), json!(2)])
    );
    let before = show(srv, &pid);
    let e = invalid(
        srv.post(
            "package_resource_reorder",
            &json!({"id": pid, "order": ["khong-co"]}),
            srv.admin(),
        ),
        "reorder unknown resource",
    );
    assert!(e.get("order").is_some(), "{e}");
    let e = invalid(
        srv.post(
            "package_resource_reorder",
            &json!({"id": pid, "order": [aid, aid]}),
            srv.admin(),
        ),
        "reorder with a repeated id",
    );
    assert_eq!(
        e,
        json!({"order": "Must supply unique resource_ids"}),
        "CKAN's message (a string, not a list)"
    );
    assert_eq!(
        invalid(
            srv.post("package_resource_reorder", &json!({"id": pid}), srv.admin()),
            "reorder without order"
        ),
        json!({"order": ["Missing value"]})
    );
    not_found(
        srv.post(
            "package_resource_reorder",
            &json!({"id": "khong-co", "order": [aid]}),
            srv.admin(),
        ),
        "reorder unknown dataset",
    );
    assert_eq!(show(srv, &pid), before, "failed reorders changed nothing");

    // resource_delete answers null and renumbers the rest (T#051, T#053)
    assert_eq!(
        srv.ok(srv.post("resource_delete", &json!({"id": aid}), srv.admin())),
        Value::Null
    );
    let after = show(srv, &pid);
    assert_eq!(
        pluck(&after["resources"], "id"),
        [cid.as_str(), bid.as_str()]
    );
    assert_eq!(after["resources"][1]["position"], 1);
    assert_eq!(after["num_resources"], 2);
    not_found(
        srv.get("resource_show", &[("id", &aid)], None),
        "deleted resource",
    );

    // format_autocomplete: lower-cased formats in use, most used first (T#042)
    dataset(
        srv,
        json!({"name": "them", "owner_org": "so-a", "resources": [{"url": "https://x.vn/1.csv"}, {"url": "https://x.vn/2.csv"}, {"url": "https://x.vn/3.xml"}]}),
    );
    assert_eq!(
        srv.ok(srv.get("format_autocomplete", &[("q", "cs")], None)),
        json!(["csv"])
    );
    assert_eq!(
        strings(&srv.ok(srv.get("format_autocomplete", &[("q", "")], None)))[0],
        "csv",
        "most used first"
    );
    assert_eq!(
        srv.ok(srv.get("format_autocomplete", &[("q", "x"), ("limit", "1")], None))
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        srv.ok(srv.get("format_autocomplete", &[("q", "zzz")], None)),
        json!([])
    );

    // errors
    let before = show(srv, &pid);
    assert_eq!(
        invalid(
            srv.post(
                "resource_create",
                &json!({"url": "https://x.vn/x.csv"}),
                srv.admin()
            ),
            "resource_create without package_id"
        ),
        json!({"package_id": ["Missing value"]})
    );
    not_found(
        srv.post(
            "resource_create",
            &json!({"package_id": "khong-co", "url": "https://x.vn/x.csv"}),
            srv.admin(),
        ),
        "resource_create on an unknown dataset",
    );
    assert_eq!(
        invalid(
            srv.post(
                "resource_create",
                &json!({"package_id": pid, "size": "lon"}),
                srv.admin()
            ),
            "size=lon"
        ),
        json!({"size": ["Invalid integer"]})
    );
    assert_eq!(
        invalid(
            srv.get("resource_show", &[], None),
            "resource_show without id"
        ),
        json!({"id": ["Missing value"]})
    );
    not_found(
        srv.get("resource_show", &[("id", "khong-co")], None),
        "resource_show unknown",
    );
    not_found(
        srv.post(
            "resource_update",
            &json!({"id": "khong-co", "url": "x"}),
            srv.admin(),
        ),
        "resource_update unknown",
    );
    not_found(
        srv.post(
            "resource_patch",
            &json!({"id": "khong-co", "url": "x"}),
            srv.admin(),
        ),
        "resource_patch unknown",
    );
    not_found(
        srv.post("resource_delete", &json!({"id": "khong-co"}), srv.admin()),
        "resource_delete unknown",
    );
    assert_eq!(
        invalid(
            srv.post("resource_delete", &json!({}), srv.admin()),
            "resource_delete without id"
        ),
        json!({"id": ["Missing value"]})
    );
    assert_eq!(
        invalid(
            srv.post("resource_update", &json!({"url": "x"}), srv.admin()),
            "resource_update without id"
        ),
        json!({"id": ["Missing value"]})
    );
    assert_eq!(
        show(srv, &pid),
        before,
        "failed resource actions changed nothing"
    );
});

// ---------------------------------------------------------------------------------------------
// Organizations and groups
// ---------------------------------------------------------------------------------------------

const GROUP_LIST_KEYS: &[&str] = &[
    "approval_status",
    "created",
    "description",
    "display_name",
    "id",
    "image_display_url",
    "image_url",
    "is_organization",
    "name",
    "num_followers",
    "package_count",
    "state",
    "title",
    "type",
];

both_backends!(organizations_sqlite, organizations_postgres, |srv| {
    // organization_create answers the show dict, with the creator as admin (T#005)
    let o = srv.ok(srv.post(
        "organization_create",
        &json!({"name": "so-xay-dung", "title": "Sở Xây dựng", "description": "Cơ quan cấp tỉnh", "extras": [{"key": "ma", "value": "H12"}]}),
        srv.admin(),
    ));
    assert!(is_uuid(s(&o["id"])) && is_ckan_time(&o["created"]), "{o:#}");
    for (k, v) in [
        ("name", json!("so-xay-dung")),
        ("title", json!("Sở Xây dựng")),
        ("display_name", json!("Sở Xây dựng")),
        ("type", json!("organization")),
        ("is_organization", json!(true)),
        ("state", json!("active")),
        ("approval_status", json!("approved")),
        ("package_count", json!(0)),
        ("extras", json!([{"key": "ma", "value": "H12"}])),
    ] {
        assert_eq!(o[k], v, "organization_create → {k}");
    }
    assert_eq!(pluck(&o["users"], "name"), ["admin"]);
    assert_eq!(o["users"][0]["capacity"], "admin");
    assert_eq!(
        srv.ok(srv.get("organization_show", &[("id", "so-xay-dung")], None)),
        o,
        "organization_show by name"
    );
    assert_eq!(
        srv.ok(srv.get("organization_show", &[("id", s(&o["id"]))], None)),
        o,
        "organization_show by id"
    );
    org(srv, "z-bo-tai-chinh", "Bộ Tài chính");
    org(srv, "m-uy-ban", "Ủy ban Dân tộc");
    let untitled = srv.ok(srv.post(
        "organization_create",
        &json!({"name": "khong-ten"}),
        srv.admin(),
    ));
    assert_eq!(
        (untitled["title"].clone(), untitled["display_name"].clone()),
        (json!(""), json!("khong-ten")),
        "display_name falls back to the name"
    );

    // validation
    let lowercase =
        "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_";
    for (what, body, want) in [
        (
            "duplicate name (T#006)",
            json!({"name": "so-xay-dung"}),
            json!({"name": ["Group name already exists in database"]}),
        ),
        (
            "missing name",
            json!({"title": "Không tên"}),
            json!({"name": ["Missing value"]}),
        ),
        (
            "uppercase",
            json!({"name": "So-A"}),
            json!({"name": [lowercase]}),
        ),
        (
            "too short",
            json!({"name": "s"}),
            json!({"name": ["Must be at least 2 characters long"]}),
        ),
        (
            "reserved",
            json!({"name": "new"}),
            json!({"name": ["That name cannot be used"]}),
        ),
    ] {
        assert_eq!(
            invalid(srv.post("organization_create", &body, srv.admin()), what),
            want,
            "organization_create, {what}"
        );
    }
    // organizations and groups share one name space
    assert_eq!(
        invalid(
            srv.post("group_create", &json!({"name": "so-xay-dung"}), srv.admin()),
            "group named like an org"
        ),
        json!({"name": ["Group name already exists in database"]})
    );

    // organization_list: names sorted by title (T#035); sort, limit, offset, all_fields (T#036)
    assert_eq!(
        strings(&srv.ok(srv.get("organization_list", &[], None))),
        ["khong-ten", "z-bo-tai-chinh", "so-xay-dung", "m-uy-ban"]
    );
    assert_eq!(
        strings(&srv.ok(srv.get("organization_list", &[("sort", "name asc")], None))),
        ["khong-ten", "m-uy-ban", "so-xay-dung", "z-bo-tai-chinh"]
    );
    assert_eq!(
        strings(&srv.ok(srv.get(
            "organization_list",
            &[("sort", "name desc"), ("limit", "2")],
            None
        ))),
        ["z-bo-tai-chinh", "so-xay-dung"]
    );
    assert_eq!(
        strings(&srv.ok(srv.get(
            "organization_list",
            &[("limit", "1"), ("offset", "1")],
            None
        ))),
        ["z-bo-tai-chinh"]
    );
    let full = srv.ok(srv.get("organization_list", &[("all_fields", "true")], None));
    assert_eq!(
        pluck(&full, "name"),
        ["khong-ten", "z-bo-tai-chinh", "so-xay-dung", "m-uy-ban"]
    );
    assert_eq!(
        keys(&full[0]),
        sorted(GROUP_LIST_KEYS),
        "organization_list all_fields keys (T#036)"
    );
    assert!(failure(
        srv.get("organization_list", &[("sort", "bogus asc")], None),
        409,
        "Validation Error",
        "sort=bogus"
    )
    .get("sort")
    .is_some());

    // include_datasets adds at most 10 `packages`; package_count counts them all
    for i in 0..11 {
        dataset(
            srv,
            json!({"name": format!("ds-{i:02}"), "owner_org": "so-xay-dung"}),
        );
    }
    let shown = srv.ok(srv.get(
        "organization_show",
        &[("id", "so-xay-dung"), ("include_datasets", "true")],
        None,
    ));
    assert_eq!(shown["package_count"], 11);
    assert_eq!(
        shown["packages"].as_array().map(Vec::len),
        Some(10),
        "include_datasets gives at most 10 (T#034)"
    );
    assert!(
        srv.ok(srv.get("organization_show", &[("id", "so-xay-dung")], None))
            .get("packages")
            .is_none(),
        "no packages without include_datasets"
    );
    let counts = srv.ok(srv.get(
        "organization_list",
        &[("all_fields", "true"), ("sort", "package_count desc")],
        None,
    ));
    assert_eq!(
        (
            counts[0]["name"].clone(),
            counts[0]["package_count"].clone()
        ),
        (json!("so-xay-dung"), json!(11))
    );

    // organization_update replaces (absent extras cleared, memberships kept); patch merges
    let u = srv.ok(srv.post(
        "organization_update",
        &json!({"id": "so-xay-dung", "name": "so-xay-dung", "title": "Sở Xây dựng (mới)"}),
        srv.admin(),
    ));
    assert_eq!(u["title"], "Sở Xây dựng (mới)");
    assert_eq!(
        u["extras"],
        json!([]),
        "absent extras are cleared by organization_update"
    );
    assert_eq!(
        pluck(&u["users"], "name"),
        ["admin"],
        "absent users keep the memberships"
    );
    assert_eq!(u["package_count"], 11);
    let ds = show(srv, "ds-00");
    assert_eq!(
        ds["organization"]["title"], "Sở Xây dựng (mới)",
        "datasets show their organization's new title"
    );
    let p = srv.ok(srv.post(
        "organization_patch",
        &json!({"id": "so-xay-dung", "description": "Mô tả mới"}),
        srv.admin(),
    ));
    assert_eq!(
        (p["title"].clone(), p["description"].clone()),
        (json!("Sở Xây dựng (mới)"), json!("Mô tả mới"))
    );
    assert_eq!(
        srv.ok(srv.get("organization_show", &[("id", "so-xay-dung")], None))["description"],
        "Mô tả mới"
    );
    not_found(
        srv.post(
            "organization_update",
            &json!({"id": "khong-co", "title": "x"}),
            srv.admin(),
        ),
        "update unknown",
    );
    not_found(
        srv.post(
            "organization_patch",
            &json!({"id": "khong-co", "title": "x"}),
            srv.admin(),
        ),
        "patch unknown",
    );
    assert_eq!(
        invalid(
            srv.post("organization_update", &json!({"title": "x"}), srv.admin()),
            "update without id"
        ),
        json!({"id": ["Missing value"]})
    );
    assert_eq!(
        invalid(
            srv.post(
                "organization_patch",
                &json!({"id": "so-xay-dung", "name": "z-bo-tai-chinh"}),
                srv.admin()
            ),
            "rename onto a used name"
        ),
        json!({"name": ["Group name already exists in database"]})
    );

    // organization_autocomplete folds diacritics
    let ac = srv.ok(srv.get("organization_autocomplete", &[("q", "tai chinh")], None));
    assert_eq!(pluck(&ac, "name"), ["z-bo-tai-chinh"]);
    assert_eq!(keys(&ac[0]), ["id", "name", "title"]);
    assert_eq!(
        srv.ok(srv.get("organization_autocomplete", &[("q", "khong-co-dau")], None)),
        json!([])
    );

    // organization_delete refuses while datasets remain
    assert_eq!(
        invalid(
            srv.post(
                "organization_delete",
                &json!({"id": "so-xay-dung"}),
                srv.admin()
            ),
            "delete an org with datasets"
        ),
        json!({"message": "Organization cannot be deleted while it still has datasets"})
    );
    assert_eq!(
        srv.ok(srv.get("organization_show", &[("id", "so-xay-dung")], None))["state"],
        "active"
    );
    // deleting an empty organization: state deleted, unlisted, hidden from anonymous, name still taken
    assert_eq!(
        srv.ok(srv.post(
            "organization_delete",
            &json!({"id": "m-uy-ban"}),
            srv.admin()
        )),
        Value::Null
    );
    assert_eq!(
        srv.ok(srv.get("organization_show", &[("id", "m-uy-ban")], srv.admin()))["state"],
        "deleted"
    );
    denied(
        srv.get("organization_show", &[("id", "m-uy-ban")], None),
        "anonymous organization_show of a deleted org",
    );
    assert!(!strings(&srv.ok(srv.get("organization_list", &[], None)))
        .contains(&"m-uy-ban".to_string()));
    assert_eq!(
        invalid(
            srv.post(
                "organization_create",
                &json!({"name": "m-uy-ban"}),
                srv.admin()
            ),
            "reuse a deleted org's name"
        ),
        json!({"name": ["Group name already exists in database"]}),
        "org names are never reusable until purged"
    );
    // purge: gone for good, the name is free
    assert_eq!(
        srv.ok(srv.post(
            "organization_purge",
            &json!({"id": "m-uy-ban"}),
            srv.admin()
        )),
        Value::Null
    );
    not_found(
        srv.get("organization_show", &[("id", "m-uy-ban")], srv.admin()),
        "purged org",
    );
    org(srv, "m-uy-ban", "Ủy ban (mới)");
    not_found(
        srv.post(
            "organization_delete",
            &json!({"id": "khong-co"}),
            srv.admin(),
        ),
        "delete unknown",
    );
    not_found(
        srv.post(
            "organization_purge",
            &json!({"id": "khong-co"}),
            srv.admin(),
        ),
        "purge unknown",
    );
    assert_eq!(
        invalid(
            srv.post("organization_purge", &json!({}), srv.admin()),
            "purge without id"
        ),
        json!({"id": ["Missing value"]})
    );
    not_found(
        srv.get("organization_show", &[("id", "khong-co")], None),
        "show unknown",
    );
    not_found(
        srv.get("group_show", &[("id", "so-xay-dung")], None),
        "an organization is not a group",
    );
    assert_eq!(
        invalid(srv.get("organization_show", &[], None), "show without id"),
        json!({"id": ["Missing value"]})
    );
});

both_backends!(
    organization_list_for_user_sqlite,
    organization_list_for_user_postgres,
    |srv| {
        org(srv, "so-a", "Sở A");
        org(srv, "so-b", "Sở B");
        org(srv, "so-c", "Sở C");
        let (_, token) = member_of(srv, "bien_tap", "so-a", "editor");
        srv.ok(srv.post(
            "organization_member_create",
            &json!({"id": "so-b", "username": "bien_tap", "role": "member"}),
            srv.admin(),
        ));
        // default permission manage_group: any role (T#048); capacity lower-case; no package_count
        let mine = srv.ok(srv.get("organization_list_for_user", &[], Some(&token)));
        assert_eq!(pluck(&mine, "name"), ["so-a", "so-b"]);
        assert_eq!(pluck(&mine, "capacity"), ["editor", "member"]);
        assert!(mine[0].get("package_count").is_none(), "{mine:#}");
        assert_eq!(mine[0]["display_name"], "Sở A");
        let create = srv.ok(srv.get(
            "organization_list_for_user",
            &[("id", "bien_tap"), ("permission", "create_dataset")],
            srv.admin(),
        ));
        assert_eq!(pluck(&create, "name"), ["so-a"]);
        let read = srv.ok(srv.get(
            "organization_list_for_user",
            &[("permission", "read")],
            Some(&token),
        ));
        assert_eq!(pluck(&read, "name"), ["so-a", "so-b"]);
        let admin = srv.ok(srv.get(
            "organization_list_for_user",
            &[("permission", "admin")],
            Some(&token),
        ));
        assert_eq!(admin, json!([]));
        // a sysadmin is admin everywhere; anonymous has none
        let all = srv.ok(srv.get("organization_list_for_user", &[], srv.admin()));
        assert_eq!(pluck(&all, "name"), ["so-a", "so-b", "so-c"]);
        assert_eq!(pluck(&all, "capacity"), ["admin", "admin", "admin"]);
        assert_eq!(
            srv.ok(srv.get("organization_list_for_user", &[], None)),
            json!([])
        );
        not_found(
            srv.get(
                "organization_list_for_user",
                &[("id", "khong-co")],
                srv.admin(),
            ),
            "unknown user",
        );
    }
);

both_backends!(groups_sqlite, groups_postgres, |srv| {
    org(srv, "so-a", "Sở A");
    // any user may create a group and becomes its admin
    let (uid, token) = srv.create_user("nguoi_dung");
    let g = srv.ok(srv.post(
        "group_create",
        &json!({"name": "y-te", "title": "Y tế", "description": "Sức khỏe"}),
        Some(&token),
    ));
    assert_eq!(
        (
            g["type"].clone(),
            g["is_organization"].clone(),
            g["package_count"].clone()
        ),
        (json!("group"), json!(false), json!(0))
    );
    assert_eq!(pluck(&g["users"], "id"), [uid.as_str()]);
    assert_eq!(g["users"][0]["capacity"], "admin");
    group(srv, "giao-duc", "Giáo dục");
    group(srv, "an-ninh", "Quốc phòng – An ninh");
    assert_eq!(
        invalid(
            srv.post("group_create", &json!({"name": "y-te"}), srv.admin()),
            "duplicate group"
        ),
        json!({"name": ["Group name already exists in database"]})
    );
    assert_eq!(
        invalid(
            srv.post("group_create", &json!({"name": "so-a"}), srv.admin()),
            "group named like an org"
        ),
        json!({"name": ["Group name already exists in database"]})
    );
    assert_eq!(
        invalid(srv.post("group_create", &json!({}), srv.admin()), "no name"),
        json!({"name": ["Missing value"]})
    );

    // group_list by title (T#038); all_fields
    assert_eq!(
        strings(&srv.ok(srv.get("group_list", &[], None))),
        ["giao-duc", "an-ninh", "y-te"]
    );
    let full = srv.ok(srv.get("group_list", &[("all_fields", "true")], None));
    assert_eq!(keys(&full[0]), sorted(GROUP_LIST_KEYS));
    assert_eq!(full[0]["type"], "group");
    // organizations are not groups and groups are not organizations
    assert!(!strings(&srv.ok(srv.get("group_list", &[], None))).contains(&"so-a".to_string()));
    assert!(
        !strings(&srv.ok(srv.get("organization_list", &[], None))).contains(&"y-te".to_string())
    );

    // datasets join groups; group_show counts and lists them
    dataset(
        srv,
        json!({"name": "benh-vien", "owner_org": "so-a", "groups": [{"name": "y-te"}, {"id": g["id"]}]}),
    );
    dataset(
        srv,
        json!({"name": "truong-hoc", "owner_org": "so-a", "groups": [{"name": "giao-duc"}, {"name": "y-te"}]}),
    );
    let shown = srv.ok(srv.get(
        "group_show",
        &[("id", "y-te"), ("include_datasets", "true")],
        None,
    ));
    assert_eq!(shown["package_count"], 2);
    assert_eq!(
        sorted(
            &pluck(&shown["packages"], "name")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        ),
        ["benh-vien", "truong-hoc"]
    );
    assert_eq!(
        pluck(&show(srv, "benh-vien")["groups"], "name"),
        ["y-te"],
        "a group given twice is joined once"
    );

    // group_update / group_patch (by the group's admin)
    let u = srv.ok(srv.post(
        "group_update",
        &json!({"id": "y-te", "name": "y-te", "title": "Y tế – Sức khỏe"}),
        Some(&token),
    ));
    assert_eq!(
        (u["title"].clone(), u["description"].clone()),
        (json!("Y tế – Sức khỏe"), json!("Sức khỏe"))
    );
    assert_eq!(
        show(srv, "benh-vien")["groups"][0]["display_name"],
        "Y tế – Sức khỏe"
    );
    let p = srv.ok(srv.post(
        "group_patch",
        &json!({"id": "y-te", "image_url": "https://x.vn/logo.png"}),
        Some(&token),
    ));
    assert_eq!(
        (p["title"].clone(), p["image_url"].clone()),
        (json!("Y tế – Sức khỏe"), json!("https://x.vn/logo.png"))
    );
    not_found(
        srv.post("group_update", &json!({"id": "khong-co"}), srv.admin()),
        "update unknown group",
    );
    not_found(
        srv.post(
            "group_patch",
            &json!({"id": "so-a", "title": "x"}),
            srv.admin(),
        ),
        "group_patch of an organization",
    );

    // group_autocomplete
    let ac = srv.ok(srv.get("group_autocomplete", &[("q", "giao")], None));
    assert_eq!(pluck(&ac, "name"), ["giao-duc"]);
    assert_eq!(
        srv.ok(srv.get("group_autocomplete", &[("q", "an ninh")], None))
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // group_delete (allowed with datasets, unlike organizations): datasets leave it
    assert_eq!(
        srv.ok(srv.post("group_delete", &json!({"id": "giao-duc"}), srv.admin())),
        Value::Null
    );
    assert_eq!(
        srv.ok(srv.get("group_show", &[("id", "giao-duc")], srv.admin()))["state"],
        "deleted"
    );
    assert_eq!(pluck(&show(srv, "truong-hoc")["groups"], "name"), ["y-te"]);
    assert_eq!(
        strings(&srv.ok(srv.get("group_list", &[], None))),
        ["an-ninh", "y-te"]
    );
    // group_purge: 404 afterwards
    assert_eq!(
        srv.ok(srv.post("group_purge", &json!({"id": "giao-duc"}), srv.admin())),
        Value::Null
    );
    not_found(
        srv.get("group_show", &[("id", "giao-duc")], srv.admin()),
        "purged group",
    );
    srv.ok(srv.post("group_purge", &json!({"id": "y-te"}), srv.admin()));
    assert_eq!(
        show(srv, "benh-vien")["groups"],
        json!([]),
        "a purged group leaves its datasets"
    );
    not_found(
        srv.post("group_delete", &json!({"id": "khong-co"}), srv.admin()),
        "delete unknown",
    );
    not_found(
        srv.post("group_purge", &json!({"id": "khong-co"}), srv.admin()),
        "purge unknown",
    );
    assert_eq!(
        invalid(
            srv.post("group_delete", &json!({}), srv.admin()),
            "delete without id"
        ),
        json!({"id": ["Missing value"]})
    );
    not_found(
        srv.get("organization_show", &[("id", "an-ninh")], None),
        "a group is not an organization",
    );
});

// ---------------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------------

both_backends!(members_sqlite, members_postgres, |srv| {
    let o = org(srv, "so-a", "Sở A");
    let g = group(srv, "nhom", "Nhóm");
    let (uid, _) = srv.create_user("bien_tap");
    let (vid, _) = srv.create_user("thanh_vien");

    // organization_member_create → the member dict (T#045)
    let m = srv.ok(srv.post(
        "organization_member_create",
        &json!({"id": "so-a", "username": "bien_tap", "role": "editor"}),
        srv.admin(),
    ));
    assert_eq!(
        keys(&m),
        [
            "capacity",
            "group_id",
            "id",
            "state",
            "table_id",
            "table_name"
        ]
    );
    assert_eq!(
        (
            m["table_name"].clone(),
            m["table_id"].clone(),
            m["capacity"].clone(),
            m["group_id"].clone(),
            m["state"].clone()
        ),
        (
            json!("user"),
            json!(uid),
            json!("editor"),
            o["id"].clone(),
            json!("active")
        )
    );
    srv.ok(srv.post(
        "organization_member_create",
        &json!({"id": o["id"], "username": vid, "role": "member"}),
        srv.admin(),
    ));
    // member_list: [id, type, Capacity] with a capitalized role, anonymous allowed (T#046)
    let list = |q: &[(&str, &str)]| {
        let mut v: Vec<Value> = srv
            .ok(srv.get("member_list", q, None))
            .as_array()
            .cloned()
            .unwrap_or_default();
        v.sort_by_key(|x| x.to_string());
        v
    };
    let mut want = vec![
        json!([srv.admin_id, "user", "Admin"]),
        json!([uid, "user", "Editor"]),
        json!([vid, "user", "Member"]),
    ];
    want.sort_by_key(|x| x.to_string());
    assert_eq!(list(&[("id", "so-a"), ("object_type", "user")]), want);
    assert_eq!(
        list(&[
            ("id", "so-a"),
            ("object_type", "user"),
            ("capacity", "editor")
        ]),
        [json!([uid, "user", "Editor"])]
    );
    // a new role replaces the old one
    srv.ok(srv.post(
        "organization_member_create",
        &json!({"id": "so-a", "username": "bien_tap", "role": "admin"}),
        srv.admin(),
    ));
    assert_eq!(list(&[("id", "so-a"), ("capacity", "admin")]).len(), 2);
    assert_eq!(
        list(&[("id", "so-a"), ("capacity", "editor")]),
        Vec::<Value>::new()
    );
    // organization_member_delete
    assert_eq!(
        srv.ok(srv.post(
            "organization_member_delete",
            &json!({"id": "so-a", "username": "bien_tap"}),
            srv.admin()
        )),
        Value::Null
    );
    assert_eq!(list(&[("id", "so-a"), ("object_type", "user")]).len(), 2);
    assert!(!pluck(
        &srv.ok(srv.get("organization_show", &[("id", "so-a")], None))["users"],
        "name"
    )
    .contains(&"bien_tap".to_string()));

    // errors
    let e = invalid(
        srv.post(
            "organization_member_create",
            &json!({"id": "so-a", "username": "bien_tap", "role": "sep"}),
            srv.admin(),
        ),
        "unknown role",
    );
    assert!(e.get("role").is_some(), "{e}");
    assert_eq!(
        invalid(
            srv.post(
                "organization_member_create",
                &json!({"id": "so-a", "role": "member"}),
                srv.admin()
            ),
            "no username"
        ),
        json!({"username": ["Missing value"]})
    );
    not_found(
        srv.post(
            "organization_member_create",
            &json!({"id": "so-a", "username": "khong_co", "role": "member"}),
            srv.admin(),
        ),
        "unknown user",
    );
    not_found(
        srv.post(
            "organization_member_create",
            &json!({"id": "khong-co", "username": "bien_tap", "role": "member"}),
            srv.admin(),
        ),
        "unknown org",
    );
    not_found(
        srv.get("member_list", &[("id", "khong-co")], None),
        "member_list of an unknown group",
    );
    assert_eq!(
        invalid(srv.get("member_list", &[], None), "member_list without id"),
        json!({"id": ["Missing value"]})
    );

    // group_member_create / group_member_delete
    let gm = srv.ok(srv.post(
        "group_member_create",
        &json!({"id": "nhom", "username": "bien_tap", "role": "member"}),
        srv.admin(),
    ));
    assert_eq!(
        (gm["group_id"].clone(), gm["capacity"].clone()),
        (g["id"].clone(), json!("member"))
    );
    assert!(list(&[("id", "nhom")]).contains(&json!([uid, "user", "Member"])));
    assert_eq!(
        srv.ok(srv.post(
            "group_member_delete",
            &json!({"id": "nhom", "username": "bien_tap"}),
            srv.admin()
        )),
        Value::Null
    );
    assert!(!list(&[("id", "nhom")]).contains(&json!([uid, "user", "Member"])));

    // member_create / member_delete of a dataset in a group; datasets keep CKAN's lower-case "public"
    let ds = dataset(srv, json!({"name": "trong-nhom", "owner_org": "so-a"}));
    let pm = srv.ok(srv.post("member_create", &json!({"id": "nhom", "object": "trong-nhom", "object_type": "package", "capacity": "public"}), srv.admin()));
    assert_eq!(
        (pm["table_name"].clone(), pm["table_id"].clone()),
        (json!("package"), ds["id"].clone())
    );
    assert_eq!(pluck(&show(srv, "trong-nhom")["groups"], "name"), ["nhom"]);
    assert_eq!(
        list(&[("id", "nhom"), ("object_type", "package")]),
        [json!([ds["id"], "package", "public"])]
    );
    assert_eq!(
        srv.ok(srv.get("group_show", &[("id", "nhom")], None))["package_count"],
        1
    );
    assert_eq!(
        srv.ok(srv.post(
            "member_delete",
            &json!({"id": "nhom", "object": ds["id"], "object_type": "package"}),
            srv.admin()
        )),
        Value::Null
    );
    assert_eq!(show(srv, "trong-nhom")["groups"], json!([]));
    assert_eq!(
        list(&[("id", "nhom"), ("object_type", "package")]),
        Vec::<Value>::new()
    );
    // member_create of a user, with a role as capacity
    srv.ok(srv.post(
        "member_create",
        &json!({"id": "so-a", "object": "bien_tap", "object_type": "user", "capacity": "editor"}),
        srv.admin(),
    ));
    assert!(list(&[("id", "so-a")]).contains(&json!([uid, "user", "Editor"])));
    srv.ok(srv.post(
        "member_delete",
        &json!({"id": "so-a", "object": "bien_tap", "object_type": "user"}),
        srv.admin(),
    ));
    assert!(!list(&[("id", "so-a")]).contains(&json!([uid, "user", "Editor"])));
    let e = invalid(srv.post("member_create", &json!({"id": "nhom", "object": "trong-nhom", "object_type": "ban", "capacity": "public"}), srv.admin()), "bad object_type");
    assert!(e.get("object_type").is_some(), "{e}");
    not_found(srv.post("member_create", &json!({"id": "nhom", "object": "khong-co", "object_type": "package", "capacity": "public"}), srv.admin()), "unknown dataset");
    let e = invalid(
        srv.post(
            "member_create",
            &json!({"id": "nhom", "object": "trong-nhom"}),
            srv.admin(),
        ),
        "member_create without type",
    );
    assert!(
        e.get("object_type").is_some() || e.get("capacity").is_some(),
        "{e}"
    );
});

// ---------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------

both_backends!(tags_sqlite, tags_postgres, |srv| {
    org(srv, "so-a", "Sở A");
    dataset(
        srv,
        json!({"name": "mot", "owner_org": "so-a", "tags": [{"name": "giáo dục"}, {"name": "y-te"}]}),
    );
    dataset(
        srv,
        json!({"name": "hai", "owner_org": "so-a", "tags": [{"name": "y-te"}, {"name": "Trường Học"}]}),
    );

    // tag_list: every free tag in use, once (T#039: unordered)
    let tags = srv.ok(srv.get("tag_list", &[], None));
    assert_eq!(
        sorted(
            &strings(&tags)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        ),
        sorted(&["giáo dục", "y-te", "Trường Học"])
    );
    assert_eq!(
        strings(&srv.ok(srv.get("tag_list", &[("q", "giáo")], None))),
        ["giáo dục"]
    );
    let full = srv.ok(srv.get("tag_list", &[("all_fields", "true")], None));
    assert_eq!(
        keys(&full[0]),
        ["display_name", "id", "name", "vocabulary_id"]
    );

    // tag_show by name and by id (T#040)
    let t = srv.ok(srv.get("tag_show", &[("id", "y-te")], None));
    assert_eq!(keys(&t), ["display_name", "id", "name", "vocabulary_id"]);
    assert_eq!(
        (
            t["name"].clone(),
            t["display_name"].clone(),
            t["vocabulary_id"].clone()
        ),
        (json!("y-te"), json!("y-te"), Value::Null)
    );
    assert_eq!(srv.ok(srv.get("tag_show", &[("id", s(&t["id"]))], None)), t);
    assert_eq!(
        srv.ok(srv.get("tag_show", &[("id", "giáo dục")], None))["name"],
        "giáo dục"
    );
    not_found(
        srv.get("tag_show", &[("id", "khong-co")], None),
        "unknown tag",
    );
    assert_eq!(
        invalid(srv.get("tag_show", &[], None), "tag_show without id"),
        json!({"id": ["Missing value"]})
    );

    // tag_autocomplete
    assert_eq!(
        srv.ok(srv.get("tag_autocomplete", &[("q", "y-")], None)),
        json!(["y-te"])
    );
    assert_eq!(
        srv.ok(srv.get("tag_autocomplete", &[("q", "Trường")], None)),
        json!(["Trường Học"])
    );
    assert_eq!(
        srv.ok(srv.get("tag_autocomplete", &[("q", "zz")], None)),
        json!([])
    );

    // a tag no dataset uses any more is no longer listed
    srv.ok(srv.post(
        "package_patch",
        &json!({"id": "mot", "tags": []}),
        srv.admin(),
    ));
    assert_eq!(
        sorted(
            &strings(&srv.ok(srv.get("tag_list", &[], None)))
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        ),
        sorted(&["y-te", "Trường Học"])
    );
});

// ---------------------------------------------------------------------------------------------
// Users and tokens
// ---------------------------------------------------------------------------------------------

const USER_KEYS: &[&str] = &[
    "about",
    "activity_streams_email_notifications",
    "created",
    "display_name",
    "email_hash",
    "fullname",
    "id",
    "image_display_url",
    "image_url",
    "last_active",
    "name",
    "number_created_packages",
    "state",
    "sysadmin",
];

both_backends!(users_sqlite, users_postgres, |srv| {
    let (_, plain) = srv.create_user("nguoi_thuong");
    // user_create: sysadmins only (ckan.auth.create_user_via_api is off by default)
    let body = json!({"name": "nguyen_van_a", "email": "a@example.gov.vn", "password": "mat-khau-dai", "fullname": "Nguyễn Văn A"});
    denied(
        srv.post("user_create", &body, None),
        "anonymous user_create",
    );
    denied(
        srv.post("user_create", &body, Some(&plain)),
        "user_create by a plain user",
    );
    let u = srv.ok(srv.post("user_create", &body, srv.admin()));
    let mut with_email = USER_KEYS.to_vec();
    with_email.extend(["email", "apikey"]);
    assert_eq!(
        keys(&u),
        sorted(&with_email),
        "user_create answers user_show for a sysadmin (T#043)"
    );
    assert_eq!(
        (
            u["name"].clone(),
            u["fullname"].clone(),
            u["display_name"].clone(),
            u["email"].clone(),
            u["sysadmin"].clone(),
            u["state"].clone()
        ),
        (
            json!("nguyen_van_a"),
            json!("Nguyễn Văn A"),
            json!("Nguyễn Văn A"),
            json!("a@example.gov.vn"),
            json!(false),
            json!("active")
        )
    );
    let uid = s(&u["id"]).to_string();
    assert!(is_uuid(&uid));
    let text = u.to_string();
    assert!(
        !text.contains("mat-khau-dai") && !text.contains("argon2"),
        "no password in the answer: {text}"
    );

    for (what, body, want) in [
        (
            "short password",
            json!({"name": "ngan", "email": "n@example.gov.vn", "password": "1234567"}),
            json!({"password": ["Your password must be 8 characters or longer"]}),
        ),
        (
            "nothing",
            json!({}),
            json!({"name": ["Missing value"], "email": ["Missing value"], "password": ["Missing value"]}),
        ),
        (
            "bad e-mail",
            json!({"name": "hong", "email": "nope", "password": "mat-khau-dai"}),
            json!({"email": ["Email nope is not a valid format"]}),
        ),
        (
            "taken name",
            json!({"name": "nguyen_van_a", "email": "b@example.gov.vn", "password": "mat-khau-dai"}),
            json!({"name": ["That login name is not available."]}),
        ),
        (
            "bad name",
            json!({"name": "Nguyen A", "email": "b@example.gov.vn", "password": "mat-khau-dai"}),
            json!({"name": ["Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]}),
        ),
    ] {
        assert_eq!(
            invalid(srv.post("user_create", &body, srv.admin()), what),
            want,
            "user_create, {what}"
        );
    }

    // user_show: e-mail for the user and sysadmins only (T#044)
    let token = s(&srv.ok(srv.post(
        "api_token_create",
        &json!({"user": "nguyen_van_a", "name": "thu"}),
        srv.admin(),
    ))["token"])
    .to_string();
    for (who, token, sees_email) in [
        ("anonymous", None, false),
        ("another user", Some(plain.as_str()), false),
        ("the user", Some(token.as_str()), true),
        ("a sysadmin", srv.admin(), true),
    ] {
        let shown = srv.ok(srv.get("user_show", &[("id", "nguyen_van_a")], token));
        assert_eq!(
            shown.get("email").is_some(),
            sees_email,
            "user_show as {who}: {shown:#}"
        );
        assert_eq!(shown["id"], json!(uid));
        if !sees_email {
            assert_eq!(keys(&shown), sorted(USER_KEYS), "user_show as {who}");
        }
    }
    assert_eq!(
        srv.ok(srv.get("user_show", &[("id", &uid)], None))["name"],
        "nguyen_van_a",
        "user_show by id"
    );
    not_found(
        srv.get("user_show", &[("id", "khong_co")], None),
        "unknown user",
    );

    // user_list: active users sorted by name; e-mails only for sysadmins
    let names = pluck(&srv.ok(srv.get("user_list", &[], None)), "name");
    assert_eq!(names, ["admin", "nguoi_thuong", "nguyen_van_a"]);
    assert!(srv
        .ok(srv.get("user_list", &[], None))
        .as_array()
        .into_iter()
        .flatten()
        .all(|u| u.get("email").is_none()));
    assert_eq!(
        srv.ok(srv.get("user_list", &[("q", "nguyen")], None))
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        srv.ok(srv.get("user_list", &[("all_fields", "false")], None)),
        json!(["admin", "nguoi_thuong", "nguyen_van_a"])
    );

    // user_update: the user themself (or a sysadmin), not others
    let up = srv.ok(srv.post(
        "user_update",
        &json!({"id": uid, "fullname": "Nguyễn Văn Á", "about": "Cán bộ"}),
        Some(&token),
    ));
    assert_eq!(
        (up["fullname"].clone(), up["about"].clone()),
        (json!("Nguyễn Văn Á"), json!("Cán bộ"))
    );
    assert_eq!(
        srv.ok(srv.get("user_show", &[("id", &uid)], None))["fullname"],
        "Nguyễn Văn Á"
    );
    denied(
        srv.post(
            "user_update",
            &json!({"id": uid, "fullname": "Kẻ lạ"}),
            Some(&plain),
        ),
        "user_update of someone else",
    );
    denied(
        srv.post("user_update", &json!({"id": uid, "sysadmin": true}), None),
        "anonymous user_update",
    );
    let me = srv.ok(srv.post(
        "user_update",
        &json!({"id": uid, "sysadmin": true}),
        Some(&token),
    ));
    assert_eq!(
        me["sysadmin"], false,
        "a user cannot make themself a sysadmin"
    );
    assert_eq!(
        invalid(
            srv.post(
                "user_update",
                &json!({"id": uid, "password": "ngan"}),
                Some(&token)
            ),
            "short password"
        ),
        json!({"password": ["Your password must be 8 characters or longer"]})
    );
    assert_eq!(
        invalid(
            srv.post(
                "user_update",
                &json!({"id": uid, "email": "nope"}),
                Some(&token)
            ),
            "bad e-mail"
        ),
        json!({"email": ["Email nope is not a valid format"]})
    );
    not_found(
        srv.post(
            "user_update",
            &json!({"id": "khong_co", "fullname": "x"}),
            srv.admin(),
        ),
        "update unknown user",
    );
    assert_eq!(
        srv.ok(srv.get("user_show", &[("id", &uid)], Some(&token)))["email"],
        "a@example.gov.vn",
        "failed updates changed nothing"
    );

    // user_delete: sysadmins only; the user disappears and their tokens stop working
    denied(
        srv.post("user_delete", &json!({"id": uid}), Some(&token)),
        "user_delete by the user",
    );
    assert_eq!(
        srv.ok(srv.post("user_delete", &json!({"id": "nguyen_van_a"}), srv.admin())),
        Value::Null
    );
    not_found(srv.get("user_show", &[("id", &uid)], None), "deleted user");
    assert_eq!(
        pluck(&srv.ok(srv.get("user_list", &[], None)), "name"),
        ["admin", "nguoi_thuong"]
    );
    assert_eq!(
        srv.ok(srv.get("organization_list_for_user", &[], Some(&token))),
        json!([]),
        "a deleted user's token is anonymous"
    );
    denied(
        srv.post(
            "group_create",
            &json!({"name": "cua-nguoi-da-xoa"}),
            Some(&token),
        ),
        "write with a deleted user's token",
    );
    not_found(
        srv.post("user_delete", &json!({"id": "khong_co"}), srv.admin()),
        "delete unknown user",
    );
    assert_eq!(
        invalid(
            srv.post("user_delete", &json!({}), srv.admin()),
            "delete without id"
        ),
        json!({"id": ["Missing value"]})
    );
});

both_backends!(api_tokens_sqlite, api_tokens_postgres, |srv| {
    org(srv, "so-a", "Sở A");
    let (uid, cli_token) = member_of(srv, "bien_tap", "so-a", "editor");
    let (_, other) = srv.create_user("nguoi_khac");

    // api_token_create → {token, id}, shown once (T#047)
    let created = srv.ok(srv.post(
        "api_token_create",
        &json!({"user": "bien_tap", "name": "may-chu-ci"}),
        Some(&cli_token),
    ));
    assert_eq!(keys(&created), ["id", "token"]);
    let (token, jti) = (
        s(&created["token"]).to_string(),
        s(&created["id"]).to_string(),
    );
    assert_ne!(token, cli_token);
    // the new token works
    srv.ok(srv.post(
        "package_create",
        &json!({"name": "bang-token-moi", "owner_org": "so-a"}),
        Some(&token),
    ));
    // through the legacy header too
    let r = srv
        .request(
            "POST",
            "/api/3/action/package_patch",
            &[],
            Some((
                br#"{"id": "bang-token-moi", "notes": "qua X-CKAN-API-Key"}"#.to_vec(),
                "application/json",
            )),
            None,
        )
        .expect("request");
    assert_eq!(r.status, 403, "without a token");
    let client = reqwest::blocking::Client::new();
    let resp = client
        .post(srv.url("/api/3/action/package_patch"))
        .header("X-CKAN-API-Key", &token)
        .json(&json!({"id": "bang-token-moi", "notes": "qua X-CKAN-API-Key"}))
        .send()
        .expect("X-CKAN-API-Key request");
    assert_eq!(resp.status().as_u16(), 200, "X-CKAN-API-Key is accepted");
    assert_eq!(show(srv, "bang-token-moi")["notes"], "qua X-CKAN-API-Key");

    // api_token_list: both tokens, never a secret
    let list = srv.ok(srv.get("api_token_list", &[("user_id", "bien_tap")], Some(&token)));
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list:#}");
    assert!(pluck(&list, "id").contains(&jti));
    assert!(pluck(&list, "name").contains(&"may-chu-ci".to_string()));
    for t in list.as_array().into_iter().flatten() {
        assert_eq!(t["user_id"], json!(uid));
        assert!(is_ckan_time(&t["created_at"]), "{t}");
        assert!(
            t.get("token").is_none(),
            "api_token_list must not return the token: {t}"
        );
    }
    let text = list.to_string();
    assert!(
        !text.contains(&token) && !text.contains(&cli_token),
        "a secret leaked through api_token_list: {text}"
    );
    assert_eq!(
        srv.ok(srv.get("api_token_list", &[("user_id", &uid)], srv.admin())),
        list,
        "a sysadmin lists anyone's tokens"
    );
    denied(
        srv.get("api_token_list", &[("user_id", "bien_tap")], Some(&other)),
        "api_token_list of someone else",
    );
    denied(
        srv.post(
            "api_token_create",
            &json!({"user": "bien_tap", "name": "trom"}),
            Some(&other),
        ),
        "api_token_create for someone else",
    );
    denied(
        srv.post(
            "api_token_create",
            &json!({"user": "bien_tap", "name": "trom"}),
            None,
        ),
        "anonymous api_token_create",
    );
    assert_eq!(
        invalid(
            srv.post("api_token_create", &json!({}), Some(&token)),
            "api_token_create without fields"
        ),
        json!({"user": ["Missing value"], "name": ["Missing value"]})
    );
    not_found(
        srv.post(
            "api_token_create",
            &json!({"user": "khong_co", "name": "x"}),
            srv.admin(),
        ),
        "token for an unknown user",
    );

    // api_token_revoke by token: the token becomes anonymous (403 on writes), reads still work
    denied(
        srv.post("api_token_revoke", &json!({"token": token}), Some(&other)),
        "revoke someone else's token",
    );
    assert_eq!(
        srv.ok(srv.post(
            "api_token_revoke",
            &json!({"token": token}),
            Some(&cli_token)
        )),
        Value::Null
    );
    let msg = denied(
        srv.post(
            "package_patch",
            &json!({"id": "bang-token-moi", "notes": "x"}),
            Some(&token),
        ),
        "write with a revoked token",
    );
    assert!(
        msg.starts_with("Access denied: User  not authorized"),
        "a revoked token is anonymous: {msg}"
    );
    assert_eq!(
        srv.ok(srv.get("package_show", &[("id", "bang-token-moi")], Some(&token)))["notes"],
        "qua X-CKAN-API-Key"
    );
    assert_eq!(
        pluck(
            &srv.ok(srv.get("api_token_list", &[("user_id", "bien_tap")], srv.admin())),
            "id"
        )
        .len(),
        1
    );
    // by jti
    let second = srv.ok(srv.post(
        "api_token_create",
        &json!({"user": "bien_tap", "name": "thu-hai"}),
        srv.admin(),
    ));
    assert_eq!(
        srv.ok(srv.post(
            "api_token_revoke",
            &json!({"jti": second["id"]}),
            srv.admin()
        )),
        Value::Null
    );
    denied(
        srv.post(
            "group_create",
            &json!({"name": "nhom-moi"}),
            Some(s(&second["token"])),
        ),
        "write with a token revoked by jti",
    );
    assert!(!pluck(
        &srv.ok(srv.get("api_token_list", &[("user_id", "bien_tap")], srv.admin())),
        "id"
    )
    .contains(&s(&second["id"]).to_string()));
    // errors
    assert!(failure(
        srv.post("api_token_revoke", &json!({}), srv.admin()),
        409,
        "Validation Error",
        "revoke nothing"
    )
    .as_object()
    .is_some());
    not_found(
        srv.post("api_token_revoke", &json!({"jti": "khong-co"}), srv.admin()),
        "revoke unknown jti",
    );
    // the CLI token still works
    srv.ok(srv.post(
        "package_patch",
        &json!({"id": "bang-token-moi", "notes": "van dung"}),
        Some(&cli_token),
    ));
});

// ---------------------------------------------------------------------------------------------
// package_search (the interim engine: CKAN's parameters and shapes)
// ---------------------------------------------------------------------------------------------

both_backends!(package_search_sqlite, package_search_postgres, |srv| {
    org(srv, "so-a", "Sở A");
    org(srv, "so-b", "Sở B");
    dataset(
        srv,
        json!({"name": "ngan-sach", "title": "Ngân sách tỉnh", "owner_org": "so-a", "tags": [{"name": "tai-chinh"}], "resources": [{"url": "https://x.vn/a.csv"}]}),
    );
    dataset(
        srv,
        json!({"name": "thu-chi", "title": "Thu chi ngân sách", "owner_org": "so-b", "tags": [{"name": "tai-chinh"}, {"name": "thue"}]}),
    );
    dataset(
        srv,
        json!({"name": "truong-hoc", "title": "Trường học", "owner_org": "so-b", "tags": [{"name": "giao-duc"}]}),
    );
    dataset(
        srv,
        json!({"name": "mat", "title": "Ngân sách mật", "owner_org": "so-a", "private": true}),
    );

    let all = srv.ok(srv.get("package_search", &[], None));
    assert_eq!(
        keys(&all),
        ["count", "facets", "results", "search_facets", "sort"]
    );
    assert_eq!(
        all["count"], 3,
        "private datasets are not searched by default"
    );
    assert_eq!(
        (all["facets"].clone(), all["search_facets"].clone()),
        (json!({}), json!({})),
        "no facet.field → {{}} (T#028)"
    );
    assert_eq!(all["sort"], "score desc, metadata_modified desc");
    assert_eq!(
        all["results"][0],
        show(srv, s(&all["results"][0]["name"])),
        "results are package_show dicts"
    );

    // q, with and without diacritics
    let names = |q: &[(&str, &str)], token: Option<&str>| {
        let mut n = pluck(
            &srv.ok(srv.get("package_search", q, token))["results"],
            "name",
        );
        n.sort();
        n
    };
    assert_eq!(names(&[("q", "ngân sách")], None), ["ngan-sach", "thu-chi"]);
    assert_eq!(names(&[("q", "ngan sach")], None), ["ngan-sach", "thu-chi"]);
    assert_eq!(names(&[("q", "giao-duc")], None), ["truong-hoc"]);
    // fq, rows, start (default order without q: newest first)
    assert_eq!(
        names(&[("fq", "organization:so-b")], None),
        ["thu-chi", "truong-hoc"]
    );
    assert_eq!(
        names(&[("fq", "tags:tai-chinh")], None),
        ["ngan-sach", "thu-chi"]
    );
    let page = |start: &str| {
        pluck(
            &srv.ok(srv.get("package_search", &[("rows", "2"), ("start", start)], None))["results"],
            "name",
        )
    };
    assert_eq!(page("0"), ["truong-hoc", "thu-chi"]);
    assert_eq!(page("2"), ["ngan-sach"]);
    assert_eq!(page("3"), Vec::<String>::new());
    let sorted_by = |sort: &str| {
        pluck(
            &srv.ok(srv.get("package_search", &[("sort", sort)], None))["results"],
            "name",
        )
    };
    assert_eq!(
        sorted_by("name asc"),
        ["ngan-sach", "thu-chi", "truong-hoc"]
    );
    assert_eq!(
        sorted_by("name desc"),
        ["truong-hoc", "thu-chi", "ngan-sach"]
    );
    let r = srv.ok(srv.get("package_search", &[("rows", "1")], None));
    assert_eq!(
        (r["count"].clone(), r["results"].as_array().map(Vec::len)),
        (json!(3), Some(1))
    );
    // facets
    let f = srv.ok(srv.get(
        "package_search",
        &[
            ("facet.field", r#"["organization", "tags"]"#),
            ("rows", "0"),
        ],
        None,
    ));
    assert_eq!(f["facets"]["organization"], json!({"so-b": 2, "so-a": 1}));
    assert_eq!(f["facets"]["tags"]["tai-chinh"], 2);
    assert_eq!(f["search_facets"]["organization"]["title"], "organization");
    assert_eq!(
        pluck(&f["search_facets"]["organization"]["items"], "display_name"),
        ["Sở B", "Sở A"]
    );
    // private datasets with include_private, for those who may read them
    assert_eq!(
        names(
            &[("q", "ngan sach"), ("include_private", "true")],
            srv.admin()
        ),
        ["mat", "ngan-sach", "thu-chi"]
    );
    assert_eq!(
        names(&[("q", "ngan sach"), ("include_private", "true")], None),
        ["ngan-sach", "thu-chi"]
    );
    // POST with a JSON body
    let posted = srv.ok(srv.post(
        "package_search",
        &json!({"fq": "organization:so-a", "rows": 5}),
        None,
    ));
    assert_eq!(pluck(&posted["results"], "name"), ["ngan-sach"]);

    // errors: unknown parameter → 400 Search Query Error; rows=many → 409 (T#032)
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
    assert_eq!(
        invalid(
            srv.get("package_search", &[("rows", "many")], None),
            "rows=many"
        ),
        json!({"rows": ["Invalid integer", "Please enter an integer value"]})
    );
    assert_eq!(
        invalid(
            srv.get("package_search", &[("start", "-1")], None),
            "start=-1"
        ),
        json!({"start": ["Must be a natural number"]})
    );
});
