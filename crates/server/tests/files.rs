//! Resource files over HTTP on both databases, stored in the local directory (the default,
//! `DATA_DIR/files`): multipart resource_create/update/patch with `upload` as CKAN clients send
//! it, downloads byte for byte with HEAD, ranges and ETags, versions, the size limit, hostile
//! file names, concurrent and aborted uploads, private datasets' files per role, cleanup on
//! resource_delete and dataset_purge, checked with `cong files check` and by looking at the
//! directory itself. The same checks run against an S3-compatible server in `files_s3.rs`.

#[macro_use]
mod common;
mod files_support;

use common::{Backend, TestServer};
use files_support::{all_files, dataset, random_bytes, sha256_hex, Files, Store};
use serde_json::{json, Value};

fn local(srv: &TestServer) -> Files<'_> {
    Files {
        srv,
        store: Store::Local,
    }
}

/// The last path segment of a URL.
fn last_segment(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or("")
}

both_backends!(upload_download_sqlite, upload_download_postgres, |srv| {
    files_support::upload_download_cycle(&local(srv), 3 * 1024 * 1024 + 12_345);
});

both_backends!(
    delete_and_purge_remove_files_sqlite,
    delete_and_purge_remove_files_postgres,
    |srv| {
        files_support::empty_and_nameless_files(&local(srv));
        files_support::purge_removes_files(&local(srv));
        // Nothing is left under DATA_DIR/files.
        let root = srv.data_dir().join("files");
        assert_eq!(all_files(&root), Vec::<std::path::PathBuf>::new());
    }
);

fn size_limit_on(backend: Backend) {
    let Some(srv) = TestServer::start_with_config(backend, "max_upload_bytes = 65536\n") else {
        return;
    };
    let f = local(&srv);
    files_support::size_limit(&f, 65536);
    // The refused uploads left nothing in the uploads directory: only the accepted file.
    let uploads = srv.data_dir().join("files").join("uploads");
    assert_eq!(all_files(&uploads).len(), 1);
}

#[test]
fn size_limit_sqlite() {
    size_limit_on(Backend::Sqlite);
}

#[test]
fn size_limit_postgres() {
    size_limit_on(Backend::Postgres);
}

both_backends!(aborted_upload_sqlite, aborted_upload_postgres, |srv| {
    files_support::aborted_upload(&local(srv), 3 * 1024 * 1024);
    let uploads = srv.data_dir().join("files").join("uploads");
    assert_eq!(all_files(&uploads), Vec::<std::path::PathBuf>::new());
});

both_backends!(
    hostile_filenames_sqlite,
    hostile_filenames_postgres,
    |srv| {
        let f = local(srv);
        let pkg = dataset(srv, "ten-tep-doc-hai");
        let pkg_id = pkg["id"].as_str().expect("id").to_string();
        let long = format!("{}.csv", "a".repeat(300));
        // (filename as sent between the quotes of filename="…", the stored name or None when any
        // harmless name will do)
        let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
            (b"../../etc/passwd".to_vec(), Some("passwd")),
            (b"/etc/shadow".to_vec(), Some("shadow")),
            // quoted-string escapes: the server reads ..\..\windows\win.ini
            (br"..\\..\\windows\\win.ini".to_vec(), Some("win.ini")),
            // unescaped backslashes, as some clients send them
            (br"..\..\boot.ini".to_vec(), None),
            (
                br"C:\\Users\\x\\Desktop\\so lieu.xlsx".to_vec(),
                Some("so-lieu.xlsx"),
            ),
            // what requests/ckanapi send for a NUL in a name (HTML5 percent-encoding)
            (b"a%00b.csv".to_vec(), Some("a-00b.csv")),
            (long.into_bytes(), None),
            (
                "Báo cáo Đà Nẵng 2025.XLSX".as_bytes().to_vec(),
                Some("bao-cao-da-nang-2025.xlsx"),
            ),
            (
                "Dữ liệu quý IV — Thừa Thiên Huế.json".as_bytes().to_vec(),
                Some("du-lieu-quy-iv-thua-thien-hue.json"),
            ),
            ("日本語.json".as_bytes().to_vec(), Some("file.json")),
            (b"..".to_vec(), Some("file")),
            (b".htaccess".to_vec(), Some("htaccess")),
            (br#"x\"y<z>.csv"#.to_vec(), Some("x-y-z.csv")),
            (b"%2e%2e%2f%2e%2e%2fetc%2fpasswd".to_vec(), None),
        ];
        let mut stored = 0;
        for (i, (raw, want)) in cases.iter().enumerate() {
            let body = random_bytes(1000 + i, 100 + i as u64);
            let shown = String::from_utf8_lossy(raw).into_owned();
            let (status, v) = f.post_multipart(
                "resource_create",
                &[("package_id", &pkg_id)],
                Some((raw, &body)),
                srv.admin(),
            );
            assert_eq!(status, 200, "{shown:?}: {v:#}");
            let res = &v["result"];
            let url = res["url"].as_str().expect("url");
            let name = last_segment(url);
            if let Some(want) = want {
                assert_eq!(name, *want, "{shown:?}");
            }
            assert!(
                !name.is_empty()
                    && name.len() <= 100
                    && !name.starts_with('.')
                    && !name.contains("..")
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c)),
                "{shown:?} became {name:?}"
            );
            assert!(
                url.starts_with(&format!(
                    "{}/dataset/{pkg_id}/resource/{}/download/",
                    srv.base_url,
                    res["id"].as_str().unwrap_or_default()
                )),
                "{url}"
            );
            let r = f.fetch("GET", url, &[], None);
            assert_eq!(r.status, 200, "{shown:?}: {url}");
            assert!(r.body == body, "{shown:?}: wrong content");
            assert_eq!(
                r.header("content-disposition"),
                Some(&*format!("attachment; filename=\"{name}\"")),
            );
            // An uploaded HTML or SVG file must not be rendered as such by a browser.
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
            stored += 1;
        }
        // A long name keeps its extension.
        let pkg = srv.ok(srv.get("package_show", &[("id", &pkg_id)], None));
        let long_name = last_segment(pkg["resources"][6]["url"].as_str().expect("url"));
        assert!(
            long_name.ends_with(".csv") && long_name.len() <= 100,
            "{long_name}"
        );

        // A raw NUL (or control character) in the part headers: refused or sanitized, never stored
        // under a name of the client's choosing.
        for raw in [&b"a\0b.csv"[..], &b"tab\there.csv"[..]] {
            let (status, v) = f.post_multipart(
                "resource_create",
                &[("package_id", &pkg_id)],
                Some((raw, b"abc")),
                srv.admin(),
            );
            if status == 200 {
                let name = last_segment(v["result"]["url"].as_str().expect("url")).to_string();
                assert!(
                    name.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c)),
                    "{raw:?} became {name:?}"
                );
                stored += 1;
            } else {
                // CKAN's bad-request answer: a bare JSON string.
                assert_eq!(status, 400, "{raw:?}: {v:#}");
                assert!(v.is_string(), "{raw:?}: {v:#}");
            }
        }

        // Storage holds exactly one object per upload, under server-chosen keys, all inside
        // DATA_DIR/files/uploads; nothing was written anywhere else in the server's directory.
        let keys = f.expect_stored(stored, "one object per upload");
        for k in &keys {
            let id = k.strip_prefix("uploads/").unwrap_or_else(|| panic!("{k}"));
            assert!(
                id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
                "storage keys are UUIDs, not client names: {k}"
            );
        }
        f.check_consistent(stored);
        let top = srv.data_dir().parent().expect("temp dir").to_path_buf();
        for path in all_files(&top) {
            let rel = path.strip_prefix(&top).expect("inside");
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                ![
                    "passwd",
                    "shadow",
                    "win.ini",
                    "boot.ini",
                    "htaccess",
                    ".htaccess"
                ]
                .contains(&name),
                "a client-chosen file name appeared on disk: {}",
                path.display()
            );
            assert!(
                !rel.starts_with("etc") && !rel.starts_with("windows"),
                "{}",
                path.display()
            );
        }
    }
);

both_backends!(
    concurrent_uploads_sqlite,
    concurrent_uploads_postgres,
    |srv| {
        let f = local(srv);
        dataset(srv, "tai-len-dong-thoi");
        const THREADS: usize = 8;
        let bodies: Vec<Vec<u8>> = (0..THREADS)
            .map(|i| random_bytes(512 * 1024 + i * 1000, 200 + i as u64))
            .collect();
        let results: Vec<Value> = std::thread::scope(|s| {
            let handles: Vec<_> = bodies
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    let f = &f;
                    s.spawn(move || {
                        f.upload(
                            "resource_create",
                            &[
                                ("package_id", "tai-len-dong-thoi"),
                                ("name", &format!("tệp {i}")),
                            ],
                            &format!("tep-{i}.bin"),
                            body,
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("upload thread"))
                .collect()
        });
        for (i, res) in results.iter().enumerate() {
            assert_eq!(res["hash"], sha256_hex(&bodies[i]).as_str(), "upload {i}");
            assert_eq!(res["size"], json!(bodies[i].len()));
            let r = f.fetch("GET", res["url"].as_str().expect("url"), &[], None);
            assert_eq!(r.status, 200);
            assert!(r.body == bodies[i], "upload {i} came back different");
        }
        let pkg = srv.ok(srv.get("package_show", &[("id", "tai-len-dong-thoi")], None));
        assert_eq!(pkg["resources"].as_array().map(Vec::len), Some(THREADS));
        f.expect_stored(THREADS, "one file per concurrent upload");
        f.check_consistent(THREADS);

        // Concurrent replacements of one resource's file: every one becomes a version.
        let rid = results[0]["id"].as_str().expect("id").to_string();
        let patches: Vec<Vec<u8>> = (0..6)
            .map(|i| random_bytes(200_000 + i, 250 + i as u64))
            .collect();
        std::thread::scope(|s| {
            for (i, body) in patches.iter().enumerate() {
                let (f, rid) = (&f, &rid);
                s.spawn(move || {
                    let (status, v) = f.post_multipart(
                        "resource_patch",
                        &[("id", rid)],
                        Some((format!("thay-{i}.bin").as_bytes(), body)),
                        f.srv.admin(),
                    );
                    assert_eq!(status, 200, "concurrent replacement {i}: {v:#}");
                });
            }
        });
        let res = srv.ok(srv.get("resource_show", &[("id", &rid)], None));
        let versions = res["versions"].as_array().expect("versions");
        assert_eq!(
            versions
                .iter()
                .map(|v| v["version"].clone())
                .collect::<Vec<_>>(),
            (1..=7).map(|n| json!(n)).collect::<Vec<_>>(),
            "{res:#}"
        );
        assert_eq!(
            res["hash"], versions[6]["hash"],
            "the newest version is current"
        );
        let url = res["url"].as_str().expect("url");
        assert!(url.ends_with(versions[6]["filename"].as_str().expect("filename")));
        for v in &versions[1..] {
            let i = patches
                .iter()
                .position(|p| sha256_hex(p) == v["hash"].as_str().unwrap_or_default())
                .unwrap_or_else(|| panic!("version {v} is none of the uploads"));
            let r = f.fetch("GET", &format!("{url}?version={}", v["version"]), &[], None);
            assert!(
                r.body == patches[i],
                "version {} came back different",
                v["version"]
            );
        }
        f.expect_stored(THREADS + 6, "every version of every file");
        f.check_consistent(THREADS + 6);

        // Concurrent downloads of every first upload at once, as well.
        std::thread::scope(|s| {
            for (i, res) in results.iter().enumerate() {
                let (f, body) = (&f, &bodies[i]);
                s.spawn(move || {
                    let url = format!("{}?version=1", res["url"].as_str().expect("url"));
                    let r = f.fetch("GET", &url, &[], None);
                    assert!(r.body == *body, "concurrent download {i}");
                });
            }
        });
    }
);

both_backends!(private_files_sqlite, private_files_postgres, |srv| {
    let f = local(srv);
    srv.create_org("so-kin");
    srv.create_org("so-khac");
    let mut tokens = vec![];
    for (name, org, role) in [
        ("thanh_vien", Some("so-kin"), "member"),
        ("bien_tap", Some("so-kin"), "editor"),
        ("nguoi_ngoai", Some("so-khac"), "editor"),
        ("khong_ai", None, ""),
    ] {
        let (_, token) = srv.create_user(name);
        if let Some(org) = org {
            srv.ok(srv.post(
                "organization_member_create",
                &json!({"id": org, "username": name, "role": role}),
                srv.admin(),
            ));
        }
        tokens.push(token);
    }
    srv.ok(srv.post(
        "package_create",
        &json!({"name": "du-lieu-mat", "owner_org": "so-kin", "private": true}),
        srv.admin(),
    ));
    let body = random_bytes(100_000, 300);
    // An editor of the organization uploads.
    let (status, v) = f.post_multipart(
        "resource_create",
        &[("package_id", "du-lieu-mat")],
        Some((b"mat.csv", &body)),
        Some(&tokens[1]),
    );
    assert_eq!(status, 200, "{v:#}");
    let url = v["result"]["url"].as_str().expect("url").to_string();
    let unversioned = url.trim_end_matches("/mat.csv").to_string();

    let denied: [(&str, Option<&str>); 3] = [
        ("anonymous", None),
        ("editor of another organization", Some(&tokens[2])),
        ("user without organization", Some(&tokens[3])),
    ];
    for (who, token) in denied {
        for u in [&url, &unversioned, &format!("{url}?version=1")] {
            for method in ["GET", "HEAD"] {
                let r = f.fetch(method, u, &[], token);
                assert!(
                    r.status == 403 || r.status == 404,
                    "{who} {method} {u}: HTTP {}",
                    r.status
                );
                assert!(
                    !r.body.windows(16).any(|w| w == &body[..16]),
                    "{who} got file bytes"
                );
            }
        }
        let r = f.fetch("GET", &url, &[("Range", "bytes=0-10")], token);
        assert!(
            r.status == 403 || r.status == 404,
            "{who} range: {}",
            r.status
        );
    }
    let allowed: [(&str, Option<&str>); 3] = [
        ("member", Some(&tokens[0])),
        ("editor", Some(&tokens[1])),
        ("sysadmin", srv.admin()),
    ];
    for (who, token) in allowed {
        let r = f.fetch("GET", &url, &[], token);
        assert_eq!(r.status, 200, "{who}");
        assert!(r.body == body, "{who}");
        let r = f.fetch("GET", &url, &[("Range", "bytes=-10")], token);
        assert_eq!(r.status, 206, "{who}");
        assert!(r.body == body[body.len() - 10..]);
    }
    // A member (read only) cannot replace the file; nothing new is stored.
    let (status, v) = f.post_multipart(
        "resource_patch",
        &[("id", v["result"]["id"].as_str().expect("id"))],
        Some((b"khac.csv", b"x")),
        Some(&tokens[0]),
    );
    assert_eq!(status, 403, "{v:#}");
    f.expect_stored(1, "a refused replacement stores nothing");
    // Made public, anyone downloads it.
    srv.ok(srv.post(
        "package_patch",
        &json!({"id": "du-lieu-mat", "private": false}),
        srv.admin(),
    ));
    let r = f.fetch("GET", &url, &[], None);
    assert_eq!(r.status, 200);
    assert!(r.body == body);
});

both_backends!(
    links_and_other_actions_sqlite,
    links_and_other_actions_postgres,
    |srv| {
        let f = local(srv);
        let pkg = dataset(srv, "lien-ket");
        let pkg_id = pkg["id"].as_str().expect("id").to_string();
        // A link resource's download redirects to its URL (also made through multipart
        // without a file, as CKAN's form does).
        let link = "https://example.gov.vn/du-lieu/aqi.csv?nam=2025";
        let (status, v) = f.post_multipart(
            "resource_create",
            &[("package_id", &pkg_id), ("url", link), ("name", "Liên kết")],
            None,
            srv.admin(),
        );
        assert_eq!(status, 200, "{v:#}");
        let res = &v["result"];
        assert!(res["url_type"].is_null(), "{res:#}");
        assert!(res.get("versions").is_none_or(Value::is_null), "{res:#}");
        let rid = res["id"].as_str().expect("id");
        for path in ["download", "download/aqi.csv"] {
            let r = f.fetch(
                "GET",
                &format!("{}/dataset/{pkg_id}/resource/{rid}/{path}", srv.base_url),
                &[],
                None,
            );
            assert_eq!(r.status, 302, "{path}");
            assert_eq!(r.header("location"), Some(link));
        }
        // A link resource has no stored version 1.
        let r = f.fetch(
            "GET",
            &format!(
                "{}/dataset/{pkg_id}/resource/{rid}/download?version=1",
                srv.base_url
            ),
            &[],
            None,
        );
        assert_eq!(r.status, 404);
        // A client cannot claim an upload without sending a file.
        let r = srv.ok(srv.post(
            "resource_create",
            &json!({"package_id": pkg_id, "url": "https://x.vn/a.csv", "url_type": "upload"}),
            srv.admin(),
        ));
        assert!(r["url_type"].is_null(), "{r:#}");

        // An `upload` sent to an action that takes no file is read and dropped.
        let (status, v) = f.post_multipart(
            "package_create",
            &[
                ("name", "khong-tep"),
                ("title", "Không tệp"),
                ("owner_org", pkg["owner_org"].as_str().expect("owner_org")),
            ],
            Some((b"data.csv", &random_bytes(200_000, 400))),
            srv.admin(),
        );
        assert_eq!(status, 200, "{v:#}");
        assert_eq!(v["result"]["name"], "khong-tep");
        let (status, v) = f.post_multipart(
            "package_patch",
            &[("id", "khong-tep"), ("notes", "ghi chú")],
            Some((b"data.csv", b"a,b\n")),
            srv.admin(),
        );
        assert_eq!(status, 200, "{v:#}");
        assert_eq!(v["result"]["notes"], "ghi chú");
        // Read actions too.
        let (status, _) = f.post_multipart(
            "package_show",
            &[("id", "khong-tep")],
            Some((b"x.csv", b"1")),
            None,
        );
        assert_eq!(status, 200);
        f.assert_empty("uploads to actions without files");

        // Failed actions keep nothing: a missing dataset, a caller without rights, invalid
        // fields.
        let body = random_bytes(300_000, 401);
        let (_, outsider) = srv.create_user("nguoi_ngoai");
        for (fields, token, status) in [
            (
                vec![("package_id", "khong-co")],
                srv.admin().map(str::to_string),
                404,
            ),
            (
                vec![("package_id", pkg_id.as_str())],
                Some(outsider.clone()),
                403,
            ),
            (vec![("package_id", pkg_id.as_str())], None, 403),
            (
                vec![
                    ("package_id", pkg_id.as_str()),
                    ("position", "x"),
                    ("size", "lớn"),
                ],
                srv.admin().map(str::to_string),
                409,
            ),
        ] {
            let (got, v) = f.post_multipart(
                "resource_create",
                &fields,
                Some((b"bi-tu-choi.csv", &body)),
                token.as_deref(),
            );
            assert_eq!(got, status, "{fields:?}: {v:#}");
            f.assert_empty(&format!("after a failed resource_create {fields:?}"));
        }
        let (got, v) = f.post_multipart(
            "resource_update",
            &[("id", "khong-co")],
            Some((b"x.csv", &body)),
            srv.admin(),
        );
        assert_eq!(got, 404, "{v:#}");
        f.assert_empty("after a failed resource_update");
        let pkg = srv.ok(srv.get("package_show", &[("id", &pkg_id)], None));
        assert_eq!(pkg["resources"].as_array().map(Vec::len), Some(2));
    }
);

both_backends!(files_check_sqlite, files_check_postgres, |srv| {
    let f = local(srv);
    dataset(srv, "kiem-tra");
    let body = random_bytes(10_000, 500);
    let res = f.upload(
        "resource_create",
        &[("package_id", "kiem-tra")],
        "a.csv",
        &body,
    );
    let rid = res["id"].as_str().expect("id").to_string();
    let url = res["url"].as_str().expect("url").to_string();
    f.check_consistent(1);
    let uploads = srv.data_dir().join("files").join("uploads");
    let [stored] = &all_files(&uploads)[..] else {
        panic!("one stored file expected")
    };

    // A file no resource refers to: reported (exit non-zero), then deleted with --delete once
    // it is old enough not to be an upload in flight; a young one is kept.
    let orphan = "uploads/00000000-0000-4000-8000-000000000000";
    let young = "uploads/00000000-0000-4000-8000-000000000001";
    let orphan_path = srv.data_dir().join("files").join(orphan);
    std::fs::write(&orphan_path, b"orphan").expect("plant");
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&orphan_path)
        .and_then(|f| f.set_modified(two_hours_ago))
        .expect("age the orphan");
    let young_path = srv.data_dir().join("files").join(young);
    std::fs::write(&young_path, b"in flight").expect("plant");
    let out = srv.cli(&["files", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("3 stored files, 1 referenced"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("file without resource: {orphan}")),
        "{stdout}"
    );
    let out = srv.cli(&["files", "check", "--delete"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("deleted 1 files without resource"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "kept (written less than an hour ago, maybe an upload in progress): {young}"
        )),
        "{stdout}"
    );
    assert!(young_path.exists() && !orphan_path.exists());
    std::fs::remove_file(&young_path).expect("remove the young file");
    assert_eq!(all_files(&uploads), vec![stored.clone()]);
    f.check_consistent(1);

    // A resource whose file has gone: reported; its download is a 404, not a broken 200.
    std::fs::remove_file(stored).expect("remove");
    let out = srv.cli(&["files", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("resource without file: resource {rid} version 1")),
        "{stdout}"
    );
    assert!(!srv.cli(&["files", "check", "--delete"]).status.success());
    let r = f.fetch("GET", &url, &[], None);
    assert_eq!(r.status, 404, "{}", r.text());
    // Nor does a ranged GET succeed.
    let r = f.fetch("GET", &url, &[("Range", "bytes=0-9")], None);
    assert_eq!(r.status, 404);

    // Deleting the resource settles it.
    srv.ok(srv.post("resource_delete", &json!({"id": rid}), srv.admin()));
    f.assert_empty("after deleting the resource whose file was lost");
});
