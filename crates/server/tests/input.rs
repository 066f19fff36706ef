//! Hostile input, on both databases: control characters in every text field (JSON, form and
//! multipart bodies), bytes that are not UTF-8, client-chosen ids, repeated slashes in paths,
//! and the forms of credentials CKAN clients send. Each gets CKAN's error and changes nothing.

#[macro_use]
mod common;
mod files_support;

use common::TestServer;
use files_support::{multipart, BOUNDARY};
use serde_json::{json, Value};

const NUL: &str = "a\u{0}b";

/// Text fields of a dataset dict, with a valid value each.
const DATASET_TEXT: &[(&str, &str)] = &[
    ("title", "Tiêu đề"),
    ("notes", "Mô tả"),
    ("author", "Phòng Dữ liệu"),
    ("author_email", "dulieu@example.gov.vn"),
    ("maintainer", "Chị Lan"),
    ("maintainer_email", "lan@example.gov.vn"),
    ("url", "https://example.gov.vn/a"),
    ("version", "1.0"),
    ("license_id", "cc-by"),
];

fn validation_field(body: &Value) -> Vec<String> {
    assert_eq!(body["error"]["__type"], json!("Validation Error"), "{body}");
    body["error"]
        .as_object()
        .expect("error")
        .keys()
        .filter(|k| *k != "__type")
        .cloned()
        .collect()
}

fn dataset_count(srv: &TestServer) -> i64 {
    srv.ok(srv.get(
        "package_search",
        &[("rows", "0"), ("include_private", "true")],
        srv.admin(),
    ))["count"]
        .as_i64()
        .expect("count")
}

both_backends!(
    control_characters_in_json_bodies_sqlite,
    control_characters_in_json_bodies_postgres,
    |srv| {
        srv.create_org("org-in");
        let base = srv.create_dataset("ds-in", "org-in");
        let before = dataset_count(srv);
        for (field, _) in DATASET_TEXT {
            for bad in [NUL, "a\u{7}b", "a\u{1b}[31mb"] {
                let (status, body) = srv.post(
                    "package_create",
                    &json!({"name": "ds-bad", "owner_org": "org-in", *field: bad}),
                    srv.admin(),
                );
                assert_eq!(status, 409, "{field}: {body}");
                assert_eq!(validation_field(&body), vec![field.to_string()]);
                let (status, body) = srv.post(
                    "package_patch",
                    &json!({"id": "ds-in", *field: bad}),
                    srv.admin(),
                );
                assert_eq!(status, 409, "{field}: {body}");
            }
        }
        // Line breaks: allowed in long text, not in a title or a name.
        let (status, body) = srv.post(
            "package_patch",
            &json!({"id": "ds-in", "title": "một\nhai"}),
            srv.admin(),
        );
        assert_eq!(
            (status, validation_field(&body)),
            (409, vec!["title".to_string()])
        );
        let ok = srv.ok(srv.post(
            "package_patch",
            &json!({"id": "ds-in", "notes": "dòng 1\r\n\tdòng 2"}),
            srv.admin(),
        ));
        assert_eq!(ok["notes"], json!("dòng 1\r\n\tdòng 2"));
        // Nested: tags, extras, resources.
        for (key, value) in [
            ("tags", json!([{"name": NUL}])),
            ("extras", json!([{"key": "k", "value": NUL}])),
            ("extras", json!([{"key": NUL, "value": "v"}])),
            ("resources", json!([{"url": "https://e.vn/x", "name": NUL}])),
            ("resources", json!([{"url": NUL}])),
        ] {
            let (status, body) = srv.post(
                "package_create",
                &json!({"name": "ds-bad", "owner_org": "org-in", key: value}),
                srv.admin(),
            );
            assert_eq!(status, 409, "{key}: {body}");
            assert_eq!(validation_field(&body), vec![key.to_string()]);
        }
        let (status, body) = srv.post(
            "resource_create",
            &json!({"package_id": "ds-in", "url": "https://e.vn", "description": NUL}),
            srv.admin(),
        );
        assert_eq!(
            (status, validation_field(&body)),
            (409, vec!["description".to_string()])
        );
        for (action, body) in [
            (
                "organization_create",
                json!({"name": "org-x", "title": NUL}),
            ),
            ("group_create", json!({"name": "grp-x", "description": NUL})),
            (
                "user_create",
                json!({"name": "u-x", "email": "u@e.vn", "password": "12345678", "fullname": NUL}),
            ),
        ] {
            let (status, answer) = srv.post(action, &body, srv.admin());
            assert_eq!(status, 409, "{action}: {answer}");
        }
        // Reads too: an id with NUL is a validation error, not a database error.
        let (status, body) = srv.get("package_show", &[("id", NUL)], None);
        assert_eq!(status, 409, "{body}");
        let (status, body) = srv.get("package_search", &[("q", NUL)], None);
        assert_eq!(status, 409, "{body}");
        // Nothing changed.
        assert_eq!(dataset_count(srv), before);
        let after = srv.ok(srv.get("package_show", &[("id", "ds-in")], srv.admin()));
        assert_eq!(after["title"], base["title"]);
    }
);

both_backends!(
    control_characters_and_bad_bytes_in_forms_and_multipart_sqlite,
    control_characters_and_bad_bytes_in_forms_and_multipart_postgres,
    |srv| {
        srv.create_org("org-form");
        srv.create_dataset("ds-form", "org-form");
        let before = dataset_count(srv);
        for (field, good) in DATASET_TEXT {
            let (status, body) = srv.post_form(
                "package_create",
                &[("name", "ds-bad"), ("owner_org", "org-form"), (field, NUL)],
                srv.admin(),
            );
            assert_eq!(status, 409, "{field}: {body}");
            assert_eq!(validation_field(&body), vec![field.to_string()]);
            // Not UTF-8 once decoded: refused, not stored as U+FFFD.
            let raw = format!("name=ds-bad&owner_org=org-form&{field}=%FF%FE{good}");
            let r = srv.post_raw(
                "package_create",
                raw.into_bytes(),
                "application/x-www-form-urlencoded",
                srv.admin(),
            );
            assert_eq!(r.status, 400, "{field}: {}", r.text());
            assert!(r.text().contains("UTF-8"), "{}", r.text());
        }
        // A query string that is not UTF-8.
        let r = srv
            .request(
                "GET",
                "/api/3/action/package_show?id=%C3%28",
                &[],
                None,
                None,
            )
            .expect("request");
        assert_eq!(r.status, 400, "{}", r.text());
        // A JSON body that is not UTF-8.
        let r = srv.post_raw(
            "package_create",
            b"{\"name\": \"ds-bad\", \"title\": \"\xff\xfe\"}".to_vec(),
            "application/json",
            srv.admin(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        // Multipart: NUL in a text field, then bytes that are not UTF-8.
        let (bytes, content_type) = multipart(
            &[
                ("package_id", "ds-form"),
                ("url", "https://e.vn/a.csv"),
                ("name", NUL),
            ],
            None,
        );
        let r = srv.post_raw("resource_create", bytes, &content_type, srv.admin());
        assert_eq!(r.status, 409, "{}", r.text());
        let mut bytes = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"package_id\"\r\n\r\nds-form\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n"
        )
        .into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\r\n");
        bytes.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let r = srv.post_raw(
            "resource_create",
            bytes,
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            srv.admin(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(dataset_count(srv), before);
        let ds = srv.ok(srv.get("package_show", &[("id", "ds-form")], srv.admin()));
        assert_eq!(ds["num_resources"], json!(0));
    }
);

both_backends!(
    client_chosen_ids_sqlite,
    client_chosen_ids_postgres,
    |srv| {
        srv.create_org("org-ids");
        let ds = srv.create_dataset("ds-ids", "org-ids");
        let other = srv.create_dataset("ds-other", "org-ids");
        let taken = srv.ok(srv.post(
            "resource_create",
            &json!({"package_id": "ds-other", "url": "https://e.vn/o.csv"}),
            srv.admin(),
        ));
        let taken_id = taken["id"].as_str().expect("id");
        for hostile in [
            "../../../etc/passwd",
            "a/b",
            "..",
            "id with spaces",
            &"x".repeat(101),
            "tên",
        ] {
            let (status, body) = srv.post(
                "resource_create",
                &json!({"package_id": "ds-ids", "id": hostile, "url": "https://e.vn/a"}),
                srv.admin(),
            );
            assert_eq!(status, 409, "{hostile}: {body}");
            assert_eq!(validation_field(&body), vec!["id".to_string()]);
            let (status, body) = srv.post(
                "package_create",
                &json!({"name": "ds-hostile", "id": hostile, "owner_org": "org-ids"}),
                srv.admin(),
            );
            assert_eq!(status, 409, "{hostile}: {body}");
            let (status, body) = srv.post(
                "organization_create",
                &json!({"name": "org-hostile", "id": hostile}),
                srv.admin(),
            );
            assert_eq!(status, 409, "{hostile}: {body}");
        }
        // A taken id: refused, never silently replaced by a new one.
        let (status, body) = srv.post(
            "resource_create",
            &json!({"package_id": "ds-ids", "id": taken_id, "url": "https://e.vn/b"}),
            srv.admin(),
        );
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["id"], json!(["Resource id already exists"]));
        let (status, body) = srv.post(
            "package_update",
            &json!({"id": "ds-ids", "name": "ds-ids", "owner_org": "org-ids",
                    "resources": [{"id": taken_id, "url": "https://e.vn/c"}]}),
            srv.admin(),
        );
        assert_eq!(status, 409, "{body}");
        assert_eq!(
            body["error"]["resources"],
            json!([{"id": ["Resource id already exists"]}])
        );
        let (status, body) = srv.post(
            "package_create",
            &json!({"name": "ds-dup", "id": other["id"], "owner_org": "org-ids"}),
            srv.admin(),
        );
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["id"], json!(["Dataset id already exists"]));
        // A good chosen id is kept, and the other dataset's resource is untouched.
        let chosen = srv.ok(srv.post(
            "resource_create",
            &json!({"package_id": "ds-ids", "id": "tai-nguyen_01", "url": "https://e.vn/d"}),
            srv.admin(),
        ));
        assert_eq!(chosen["id"], json!("tai-nguyen_01"));
        let still = srv.ok(srv.get("resource_show", &[("id", taken_id)], srv.admin()));
        assert_eq!(still["package_id"], other["id"]);
        let shown = srv.ok(srv.get("package_show", &[("id", "ds-ids")], srv.admin()));
        assert_eq!(shown["num_resources"], json!(1));
        assert_eq!(ds["id"], shown["id"]);
    }
);

both_backends!(
    repeated_slashes_and_bearer_tokens_sqlite,
    repeated_slashes_and_bearer_tokens_postgres,
    |srv| {
        srv.create_org("org-path");
        srv.ok(srv.post(
            "package_create",
            &json!({"name": "ds-private", "owner_org": "org-path", "private": true}),
            srv.admin(),
        ));
        // CKAN's harvester joins a source URL ending in `/` with `/api/3/…`.
        for path in [
            "//api/3/action/package_search",
            "/api/3//action/package_search",
            "//api//3/action/package_search",
        ] {
            let r = srv
                .request("GET", path, &[("rows".into(), "0".into())], None, None)
                .expect("request");
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            assert_eq!(r.json().expect("json")["success"], json!(true));
        }
        let r = srv
            .request(
                "GET",
                "//api/3/action/organization_show",
                &[("id".into(), "org-path".into())],
                None,
                None,
            )
            .expect("request");
        assert_eq!(r.status, 200, "{}", r.text());
        // A private dataset's file: `Bearer` works on downloads as on the API.
        let f = files_support::Files {
            srv,
            store: files_support::Store::Local,
        };
        let res = f.upload(
            "resource_create",
            &[("package_id", "ds-private")],
            "bang.csv",
            b"a,b\n1,2\n",
        );
        let url = res["url"].as_str().expect("url");
        let token = srv.admin().expect("token");
        let bearer = format!("Bearer {token}");
        for (headers, expected) in [
            (vec![], 403),
            (vec![("Authorization", bearer.as_str())], 200),
            (vec![("Authorization", token)], 200),
            (vec![("X-CKAN-API-Key", token)], 200),
            (vec![("Authorization", "Bearer not-a-token")], 403),
        ] {
            let r = srv
                .request_url("GET", url, &headers, None, None)
                .expect("download");
            assert_eq!(r.status, expected, "{headers:?}: {}", r.text());
        }
        let (status, body) = srv.get("package_show", &[("id", "ds-private")], Some(&bearer));
        assert_eq!(status, 200, "{body}");
    }
);
