//! Bad input, on both backends: malformed or non-object JSON, invalid UTF-8, wrong methods,
//! unknown actions, wrong types, oversized bodies, unknown fields. Each must give CKAN's answer
//! (bare `"Bad request: …"` strings for 400s, the error envelope otherwise, never a 5xx) and must
//! leave the catalogue exactly as it was (`package_list`, `package_show`).

#[macro_use]
mod common;

use common::{truncate, Reply, TestServer};
use serde_json::{json, Value};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// A catalogue with one organization and one dataset, and what `package_list` and `package_show`
/// said about it.
struct Fixture {
    org: String,
    name: String,
    list: Value,
    show: Value,
}

fn fixture(srv: &TestServer) -> Fixture {
    let org = "so-kiem-thu".to_string();
    srv.ok(srv.post(
        "organization_create",
        &json!({"name": org, "title": "Sở Kiểm thử", "description": "Cơ quan kiểm thử"}),
        srv.admin(),
    ));
    let name = "du-lieu-goc".to_string();
    srv.ok(srv.post(
        "package_create",
        &json!({
            "name": name,
            "title": "Dữ liệu gốc",
            "notes": "Không được thay đổi",
            "owner_org": org,
            "license_id": "cc-by",
            "tags": [{"name": "goc"}, {"name": "kiem thu"}],
            "extras": [{"key": "tan_suat", "value": "hang-nam"}],
            "resources": [{"url": "https://example.gov.vn/a.csv", "name": "Bảng", "format": "CSV"}],
        }),
        srv.admin(),
    ));
    let list = srv.ok(srv.get("package_list", &[], None));
    let show = srv.ok(srv.get("package_show", &[("id", &name)], srv.admin()));
    Fixture {
        org,
        name,
        list,
        show,
    }
}

impl Fixture {
    /// The catalogue is exactly as the fixture left it (timestamps included).
    fn assert_unchanged(&self, srv: &TestServer, after: &str) {
        let list = srv.ok(srv.get("package_list", &[], None));
        assert_eq!(list, self.list, "package_list changed after {after}");
        let show = srv.ok(srv.get("package_show", &[("id", &self.name)], srv.admin()));
        if show != self.show {
            panic!(
                "package_show changed after {after}:\nbefore: {:#}\nafter:  {:#}",
                self.show, show
            );
        }
    }
}

/// A 400 answered with CKAN's bare JSON string starting with `prefix`.
#[track_caller]
fn assert_bare_400(r: &Reply, prefix: &str, what: &str) {
    assert_eq!(
        r.status,
        400,
        "{what}: expected HTTP 400, got {} — {}",
        r.status,
        truncate(&r.text(), 500)
    );
    match r.json() {
        Some(Value::String(s)) => assert!(
            s.starts_with(prefix),
            "{what}: expected a bare JSON string starting {prefix:?}, got {s:?}"
        ),
        _ => panic!(
            "{what}: expected a bare JSON string starting {prefix:?}, got {}",
            truncate(&r.text(), 500)
        ),
    }
}

/// A CKAN error envelope for `action` with the given status and `__type`; returns `error`.
#[track_caller]
fn assert_error(
    status: u16,
    body: &Value,
    want_status: u16,
    want_type: &str,
    action: &str,
    what: &str,
) -> Value {
    assert_eq!(
        status, want_status,
        "{what}: expected HTTP {want_status}, got {status}: {body:#}"
    );
    let keys: Vec<&str> = body
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["error", "help", "success"],
        "{what}: envelope keys: {body:#}"
    );
    assert_eq!(body["success"], json!(false), "{what}: {body:#}");
    let help = body["help"].as_str().unwrap_or_default();
    assert!(
        help.ends_with(&format!("/api/3/action/help_show?name={action}")),
        "{what}: help {help:?} does not name {action}"
    );
    assert_eq!(
        body["error"]["__type"],
        json!(want_type),
        "{what}: {body:#}"
    );
    body["error"].clone()
}

/// Never a server error, and a JSON body.
#[track_caller]
fn assert_not_5xx(r: &Reply, what: &str) -> Value {
    assert!(
        r.status < 500,
        "{what}: HTTP {} — {}",
        r.status,
        truncate(&r.text(), 500)
    );
    r.json().unwrap_or_else(|| {
        panic!(
            "{what}: HTTP {} with a non-JSON body: {}",
            r.status,
            truncate(&r.text(), 500)
        )
    })
}

// ---------------------------------------------------------------------------------------------

both_backends!(malformed_json_sqlite, malformed_json_postgres, |srv| {
    let fx = fixture(srv);
    for (action, body) in [
        (
            "package_create",
            r#"{"name": "hong", "owner_org": "so-kiem-thu""#.to_string(),
        ),
        ("package_create", "{name: 'hong'}".to_string()),
        ("package_create", "not json at all".to_string()),
        (
            "package_update",
            format!(r#"{{"id": "{}", "title": "Đã sửa",}}"#, fx.name),
        ),
        (
            "package_patch",
            format!(r#"{{"id": "{}", "title": "Đã sửa""#, fx.name),
        ),
        ("package_show", "{".to_string()),
    ] {
        let what = format!("{action} with body {body:?}");
        let r = srv.post_raw(action, body.into_bytes(), JSON, srv.admin());
        assert_bare_400(&r, "Bad request: JSON Error", &what);
        fx.assert_unchanged(srv, &what);
    }
});

both_backends!(non_object_json_sqlite, non_object_json_postgres, |srv| {
    let fx = fixture(srv);
    let patch = format!(r#"[{{"id": "{}", "title": "Đã sửa"}}]"#, fx.name);
    for (action, body) in [
        ("package_create", r#"[1, 2]"#),
        (
            "package_create",
            r#"[{"name": "mang", "owner_org": "so-kiem-thu"}]"#,
        ),
        ("package_patch", patch.as_str()),
        ("package_create", r#""chuoi""#),
        ("package_create", "42"),
        ("package_create", "true"),
        ("package_create", "null"),
    ] {
        let what = format!("{action} with body {body}");
        let r = srv.post_raw(action, body.as_bytes().to_vec(), JSON, srv.admin());
        assert_bare_400(&r, "Bad request: JSON Error: ", &what);
        // CKAN: "Bad request: JSON Error: Request data JSON decoded to [1, 2] but it needs to be a dictionary."
        let text = r
            .json()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        assert!(
            text.ends_with("it needs to be a dictionary."),
            "{what}: CKAN ends the message with \"it needs to be a dictionary.\", got {text:?}"
        );
        fx.assert_unchanged(srv, &what);
    }
});

both_backends!(invalid_utf8_sqlite, invalid_utf8_postgres, |srv| {
    let fx = fixture(srv);
    // JSON body with invalid UTF-8 inside a string, and a body that is not UTF-8 at all
    let mut in_string = format!(r#"{{"id": "{}", "title": ""#, fx.name).into_bytes();
    in_string.extend_from_slice(b"\xff\xfe\xc3\x28");
    in_string.extend_from_slice(br#""}"#);
    for (action, bytes) in [
        ("package_patch", in_string.clone()),
        (
            "package_create",
            b"{\"name\": \"\xe1\xbb\", \"owner_org\": \"so-kiem-thu\"}".to_vec(),
        ),
        ("package_create", b"\xff\xfe\xfd".to_vec()),
    ] {
        let what = format!(
            "{action} with invalid UTF-8 JSON {}",
            String::from_utf8_lossy(&bytes)
        );
        let r = srv.post_raw(action, bytes, JSON, srv.admin());
        assert_bare_400(&r, "Bad request: JSON Error", &what);
        fx.assert_unchanged(srv, &what);
    }
    // invalid UTF-8 in a form body and in a query string: never a 5xx, nothing changes
    let mut form = format!("id={}&title=", fx.name).into_bytes();
    form.extend_from_slice(b"\xff\xfe");
    let r = srv.post_raw("package_patch", form, FORM, srv.admin());
    let body = assert_not_5xx(&r, "package_patch with an invalid UTF-8 form body");
    assert_ne!(
        body["success"],
        json!(true),
        "package_patch with invalid UTF-8 form body succeeded: {body:#}"
    );
    fx.assert_unchanged(srv, "package_patch with an invalid UTF-8 form body");
    let r = srv
        .request(
            "GET",
            "/api/3/action/package_show?id=%FF%FE",
            &[],
            None,
            None,
        )
        .expect("GET package_show?id=%FF%FE");
    let body = assert_not_5xx(&r, "package_show?id=%FF%FE");
    assert_ne!(
        body["success"],
        json!(true),
        "package_show?id=%FF%FE: {body:#}"
    );
    let r = srv
        .request(
            "POST",
            "/api/3/action/package_patch?id=%FF",
            &[],
            Some((b"{}".to_vec(), JSON)),
            srv.admin(),
        )
        .expect("POST package_patch?id=%FF");
    assert_not_5xx(&r, "package_patch?id=%FF");
    fx.assert_unchanged(srv, "invalid UTF-8 query strings");
});

both_backends!(
    get_on_write_action_sqlite,
    get_on_write_action_postgres,
    |srv| {
        let fx = fixture(srv);
        const MSG: &str =
            "Bad request: JSON Error: Invalid request. Please use POST method for your request";
        for (path, query) in [
            (
                "/api/3/action/package_create",
                vec![("name", "qua-get"), ("owner_org", fx.org.as_str())],
            ),
            (
                "/api/action/package_create",
                vec![("name", "qua-get"), ("owner_org", fx.org.as_str())],
            ),
            (
                "/api/3/action/package_update",
                vec![("id", fx.name.as_str()), ("title", "Đã sửa")],
            ),
            (
                "/api/3/action/package_patch",
                vec![("id", fx.name.as_str()), ("title", "Đã sửa")],
            ),
            (
                "/api/3/action/package_delete",
                vec![("id", fx.name.as_str())],
            ),
            (
                "/api/3/action/dataset_purge",
                vec![("id", fx.name.as_str())],
            ),
        ] {
            let what = format!("GET {path}");
            let q: Vec<(String, String)> = query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let r = srv
                .request("GET", path, &q, None, srv.admin())
                .expect("request");
            assert_eq!(
                r.json(),
                Some(json!(MSG)),
                "{what}: HTTP {} {}",
                r.status,
                truncate(&r.text(), 500)
            );
            assert_eq!(r.status, 400, "{what}");
            fx.assert_unchanged(srv, &what);
        }
    }
);

both_backends!(unknown_action_sqlite, unknown_action_postgres, |srv| {
    for (method, path, name) in [
        ("GET", "/api/3/action/no_such_action", "no_such_action"),
        ("POST", "/api/3/action/no_such_action", "no_such_action"),
        ("GET", "/api/action/no_such_action", "no_such_action"),
        ("POST", "/api/action/package_creat", "package_creat"),
        ("GET", "/api/3/action/site_read", "site_read"),
    ] {
        let body = (method == "POST").then(|| (b"{}".to_vec(), JSON));
        let r = srv
            .request(method, path, &[], body, srv.admin())
            .expect("request");
        let want = format!("Bad request: Action name not known: {name}");
        assert_eq!(
            r.json(),
            Some(json!(want)),
            "{method} {path}: HTTP {} {}",
            r.status,
            truncate(&r.text(), 500)
        );
        assert_eq!(r.status, 400, "{method} {path}");
    }
});

both_backends!(rows_not_integer_sqlite, rows_not_integer_postgres, |srv| {
    let want = json!({"rows": ["Invalid integer", "Please enter an integer value"], "__type": "Validation Error"});
    let (status, body) = srv.get("package_search", &[("rows", "many")], None);
    let err = assert_error(
        status,
        &body,
        409,
        "Validation Error",
        "package_search",
        "GET package_search?rows=many",
    );
    assert_eq!(err, want, "GET package_search?rows=many (CKAN T#032)");
    let (status, body) = srv.post("package_search", &json!({"rows": "many"}), None);
    let err = assert_error(
        status,
        &body,
        409,
        "Validation Error",
        "package_search",
        "POST {rows: many}",
    );
    assert_eq!(err, want, "POST package_search {{rows: \"many\"}}");
    let (status, body) = srv.post("package_search", &json!({"rows": -1}), None);
    let err = assert_error(
        status,
        &body,
        409,
        "Validation Error",
        "package_search",
        "POST {rows: -1}",
    );
    assert_eq!(
        err,
        json!({"rows": ["Must be a natural number"], "__type": "Validation Error"}),
        "POST package_search {{rows: -1}}"
    );
});

both_backends!(name_as_list_sqlite, name_as_list_postgres, |srv| {
    let fx = fixture(srv);
    let (status, body) = srv.post(
        "package_create",
        &json!({"name": ["mot", "hai"], "owner_org": fx.org}),
        srv.admin(),
    );
    let err = assert_error(
        status,
        &body,
        409,
        "Validation Error",
        "package_create",
        "package_create name=[…]",
    );
    assert!(
        err.get("name").is_some(),
        "package_create with a list name: error must name `name`: {err:#}"
    );
    fx.assert_unchanged(srv, "package_create with a list as name");

    let (status, body) = srv.post(
        "package_patch",
        &json!({"id": fx.name, "name": ["khac"]}),
        srv.admin(),
    );
    let err = assert_error(
        status,
        &body,
        409,
        "Validation Error",
        "package_patch",
        "package_patch name=[…]",
    );
    assert!(
        err.get("name").is_some(),
        "package_patch with a list name: error must name `name`: {err:#}"
    );
    fx.assert_unchanged(srv, "package_patch with a list as name");

    let (status, body) = srv.post(
        "package_update",
        &json!({"id": fx.name, "name": {"a": 1}}),
        srv.admin(),
    );
    let err = assert_error(
        status,
        &body,
        409,
        "Validation Error",
        "package_update",
        "package_update name={…}",
    );
    assert!(
        err.get("name").is_some(),
        "package_update with an object name: error must name `name`: {err:#}"
    );
    fx.assert_unchanged(srv, "package_update with an object as name");
});

both_backends!(oversized_body_sqlite, oversized_body_postgres, |srv| {
    let fx = fixture(srv);
    let big = "x".repeat(20 * 1024 * 1024);
    let body = serde_json::to_vec(&json!({"name": "qua-lon", "owner_org": fx.org, "notes": big}))
        .expect("json");
    let r = srv
        .request(
            "POST",
            "/api/3/action/package_create",
            &[],
            Some((body, JSON)),
            srv.admin(),
        )
        .unwrap_or_else(|e| panic!("20 MB package_create: no HTTP answer ({e})"));
    assert!(
        r.status == 413 || r.status == 400,
        "20 MB body: expected 413 (or 400), got {} — {}",
        r.status,
        truncate(&r.text(), 300)
    );
    match r.json() {
        Some(Value::String(s)) => assert!(
            s.starts_with("Bad request"),
            "20 MB body: bare string {s:?}"
        ),
        Some(v @ Value::Object(_)) => {
            assert_eq!(
                v["success"],
                json!(false),
                "20 MB body: {}",
                truncate(&v.to_string(), 300)
            );
            assert!(
                v["error"].is_object(),
                "20 MB body: error envelope expected: {}",
                truncate(&v.to_string(), 300)
            );
        }
        _ => panic!(
            "20 MB body: HTTP {} with neither a CKAN envelope nor a bare string: {:?}",
            r.status,
            truncate(&r.text(), 300)
        ),
    }
    // the server still answers, and nothing was created
    let (status, _) = srv.get("status_show", &[], None);
    assert_eq!(status, 200, "status_show after a 20 MB body");
    fx.assert_unchanged(srv, "a 20 MB package_create");
    // a body just under a CKAN-sized limit still works (1 MB of notes)
    let notes = "y".repeat(1024 * 1024);
    let (status, body) = srv.post(
        "package_patch",
        &json!({"id": fx.name, "notes": notes}),
        srv.admin(),
    );
    assert_eq!(
        status,
        200,
        "package_patch with 1 MB of notes: {}",
        truncate(&body.to_string(), 300)
    );
    assert_eq!(
        body["result"]["notes"].as_str().map(str::len),
        Some(1024 * 1024)
    );
});

both_backends!(
    unknown_fields_ignored_sqlite,
    unknown_fields_ignored_postgres,
    |srv| {
        let org = srv.create_org("so-la");
        let org_name = org["name"].as_str().expect("org name").to_string();
        let (status, body) = srv.post(
            "package_create",
            &json!({
                "name": "truong-la",
                "owner_org": org_name,
                "foo_bar": "baz",
                "nested_unknown": {"a": [1, 2]},
                "another": null,
                "num_resources": 99,
            }),
            srv.admin(),
        );
        assert_eq!(status, 200, "package_create with unknown fields: {body:#}");
        for res in [
            body["result"].clone(),
            srv.ok(srv.get("package_show", &[("id", "truong-la")], srv.admin())),
        ] {
            for k in ["foo_bar", "nested_unknown", "another"] {
                assert!(
                    res.get(k).is_none(),
                    "unknown field {k} must be ignored, got {res:#}"
                );
            }
            assert_eq!(
                res["num_resources"],
                json!(0),
                "num_resources is computed: {res:#}"
            );
            assert_eq!(res["name"], json!("truong-la"));
        }
        let (status, body) = srv.post(
            "package_patch",
            &json!({"id": "truong-la", "zzz_unknown": "x", "title": "Trường lạ"}),
            srv.admin(),
        );
        assert_eq!(status, 200, "package_patch with an unknown field: {body:#}");
        assert!(body["result"].get("zzz_unknown").is_none(), "{body:#}");
        assert_eq!(body["result"]["title"], json!("Trường lạ"));
    }
);

both_backends!(
    failed_writes_change_nothing_sqlite,
    failed_writes_change_nothing_postgres,
    |srv| {
        let fx = fixture(srv);
        // package_create failing late (a bad tag, a bad e-mail, an unknown group) creates nothing
        for (what, body, want_status) in [
            (
                "package_create with a one-letter tag",
                json!({"name": "mot-phan", "owner_org": fx.org, "title": "Một phần",
                   "resources": [{"url": "https://example.gov.vn/x.csv"}], "tags": [{"name": "a"}]}),
                409,
            ),
            (
                "package_create with a bad author_email",
                json!({"name": "mot-phan", "owner_org": fx.org, "tags": [{"name": "tot"}], "author_email": "nope"}),
                409,
            ),
            (
                "package_create with an unknown group",
                json!({"name": "mot-phan", "owner_org": fx.org, "groups": [{"name": "khong-ton-tai"}]}),
                404,
            ),
            (
                "package_create with an unknown organization",
                json!({"name": "mot-phan", "owner_org": "khong-ton-tai"}),
                409,
            ),
        ] {
            let (status, resp) = srv.post("package_create", &body, srv.admin());
            assert_eq!(status, want_status, "{what}: {resp:#}");
            assert_eq!(resp["success"], json!(false), "{what}: {resp:#}");
            fx.assert_unchanged(srv, what);
            let (status, _) = srv.get("package_show", &[("id", "mot-phan")], srv.admin());
            assert_eq!(status, 404, "{what}: the dataset must not exist");
        }
        // updates failing validation leave every field as it was
        for (what, action, body) in [
            (
                "package_update with a bad e-mail",
                "package_update",
                json!({"id": fx.name, "title": "Đã sửa", "author_email": "nope", "owner_org": fx.org}),
            ),
            (
                "package_patch with a one-letter tag",
                "package_patch",
                json!({"id": fx.name, "title": "Đã sửa", "tags": [{"name": "a"}]}),
            ),
            (
                "package_patch with a bad name",
                "package_patch",
                json!({"id": fx.name, "name": "Tên Sai"}),
            ),
            (
                "package_patch to a private dataset with no organization",
                "package_patch",
                json!({"id": fx.name, "owner_org": null, "private": true}),
            ),
        ] {
            let (status, resp) = srv.post(action, &body, srv.admin());
            assert_error(status, &resp, 409, "Validation Error", action, what);
            fx.assert_unchanged(srv, what);
        }
        // lists of non-objects where CKAN wants objects: an error (CKAN: 400 Integrity Error), no change
        for (what, action, body) in [
            (
                "package_patch with tags as strings",
                "package_patch",
                json!({"id": fx.name, "tags": ["a", "b"]}),
            ),
            (
                "package_patch with resources as strings",
                "package_patch",
                json!({"id": fx.name, "resources": ["x"]}),
            ),
        ] {
            let (status, resp) = srv.post(action, &body, srv.admin());
            let err = assert_error(status, &resp, 400, "Integrity Error", action, what);
            let msg = err["message"].as_str().unwrap_or_default();
            assert!(
                msg.starts_with("Only lists of dicts can be placed against subschema"),
                "{what}: CKAN's message starts \"Only lists of dicts can be placed against subschema\", got {msg:?}"
            );
            fx.assert_unchanged(srv, what);
        }
        // not allowed: anonymous and a plain user change nothing
        let (_, token) = srv.create_user("nguoi_ngoai");
        for (who, token) in [
            ("anonymous", None),
            ("a user outside the organization", Some(token.as_str())),
        ] {
            for (action, body) in [
                ("package_patch", json!({"id": fx.name, "title": "Đã sửa"})),
                ("package_delete", json!({"id": fx.name})),
                ("dataset_purge", json!({"id": fx.name})),
                (
                    "package_create",
                    json!({"name": "cua-nguoi-ngoai", "owner_org": fx.org}),
                ),
            ] {
                let what = format!("{action} by {who}");
                let (status, resp) = srv.post(action, &body, token);
                assert_error(status, &resp, 403, "Authorization Error", action, &what);
                fx.assert_unchanged(srv, &what);
            }
        }
    }
);

both_backends!(
    empty_and_odd_bodies_sqlite,
    empty_and_odd_bodies_postgres,
    |srv| {
        // an empty POST body is `{}` (ckanapi sends `{}` or nothing)
        let r = srv.post_raw("status_show", Vec::new(), JSON, None);
        assert_eq!(r.status, 200, "empty POST to status_show: {}", r.text());
        let r = srv.post_raw("package_list", Vec::new(), JSON, None);
        assert_eq!(r.status, 200, "empty POST to package_list: {}", r.text());
        // an empty package_create body is a validation error, not a 400/500
        let r = srv.post_raw("package_create", b"{}".to_vec(), JSON, srv.admin());
        let v = r.json_or_panic("package_create {}");
        let err = assert_error(
            r.status,
            &v,
            409,
            "Validation Error",
            "package_create",
            "package_create {}",
        );
        assert_eq!(err["name"], json!(["Missing value"]), "{err:#}");
        // deeply nested JSON must not crash the server
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let r = srv
            .request(
                "POST",
                "/api/3/action/package_create",
                &[],
                Some((deep.into_bytes(), JSON)),
                srv.admin(),
            )
            .expect("deeply nested JSON: the server must answer");
        assert_not_5xx(&r, "deeply nested JSON");
        assert_eq!(
            r.status,
            400,
            "deeply nested JSON: {}",
            truncate(&r.text(), 300)
        );
        assert!(srv.is_answering(), "server died after deeply nested JSON");
    }
);
