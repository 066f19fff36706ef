//! Checks of uploaded resource files shared by `files.rs` (local storage) and `files_s3.rs`
//! (an S3-compatible server): multipart uploads as CKAN clients send them, downloads, ranges,
//! versions, deletes, size limit, aborted uploads. Everything goes over HTTP or through the
//! `cong` command line; what is stored is looked at directly (the files under `DATA_DIR/files`,
//! or the bucket's listing), independently of Cổng.
#![allow(dead_code)] // each test binary uses a different part

use crate::common::{random_hex, TestServer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the server under test keeps its files.
#[derive(Debug, Clone)]
pub enum Store {
    /// `DATA_DIR/files` (the default).
    Local,
    /// A bucket of its own on an S3-compatible server.
    S3 { endpoint: String, bucket: String },
}

/// The S3 endpoint of tests/s3/run.sh, or None (the caller then says it skipped).
pub fn s3_endpoint() -> Option<String> {
    std::env::var("CONG_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .map(|e| e.trim_end_matches('/').to_string())
}

/// Prints a notice that is visible even when the test passes (the test harness captures
/// `println!`, not writes to the stderr handle).
pub fn notice(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// A new, empty bucket on `endpoint` for one server (so `cong files check` and the listing
/// see only that server's objects), and the `[storage]` section that points at it. The
/// endpoint must let anyone create buckets, as moto's server mode does.
pub fn s3_storage(endpoint: &str) -> (String, Store) {
    let prefix = std::env::var("CONG_TEST_S3_BUCKET").unwrap_or_else(|_| "cong-test".into());
    let bucket = format!("{prefix}-{}", random_hex());
    let client = http_client();
    let resp = client
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .unwrap_or_else(|e| panic!("cannot reach the S3 endpoint {endpoint}: {e}"));
    assert!(
        resp.status().is_success(),
        "creating bucket {bucket} on {endpoint}: HTTP {}",
        resp.status()
    );
    let toml = format!(
        "[storage]\nkind = \"s3\"\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\n\
         region = \"us-east-1\"\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\n\
         allow_http = true\n"
    );
    (
        toml,
        Store::S3 {
            endpoint: endpoint.to_string(),
            bucket,
        },
    )
}

fn http_client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// Deterministic pseudo-random bytes (xorshift64*), different for each seed.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub const BOUNDARY: &str = "----cong-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart/form-data body as `requests` (hence ckanapi) builds it: the text fields, then
/// the `upload` part. `filename` goes on the wire as given, between the quotes of
/// `filename="…"` (escape `"` and `\` yourself when you mean them literally).
pub fn multipart(fields: &[(&str, &str)], file: Option<(&[u8], &[u8])>) -> (Vec<u8>, String) {
    let file = file.map(|(filename, content)| {
        let mut params = b"filename=\"".to_vec();
        params.extend_from_slice(filename);
        params.push(b'"');
        (params, content)
    });
    multipart_with(fields, file.as_ref().map(|(p, c)| (p.as_slice(), *c)))
}

/// Like [`multipart`], with the `upload` part's Content-Disposition parameters after
/// `form-data; name="upload"; ` given raw (e.g. `filename*=UTF-8''…`).
pub fn multipart_with(fields: &[(&str, &str)], file: Option<(&[u8], &[u8])>) -> (Vec<u8>, String) {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((params, content)) = file {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; ").as_bytes(),
        );
        body.extend_from_slice(params);
        body.extend_from_slice(b"\r\nContent-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={BOUNDARY}"))
}

/// The server under test and where its files go.
pub struct Files<'a> {
    pub srv: &'a TestServer,
    pub store: Store,
}

impl Files<'_> {
    /// POSTs a multipart body to `action`; the answer as JSON.
    pub fn post_multipart(
        &self,
        action: &str,
        fields: &[(&str, &str)],
        file: Option<(&[u8], &[u8])>,
        token: Option<&str>,
    ) -> (u16, Value) {
        self.send_multipart(action, multipart(fields, file), token)
    }

    /// POSTs a body made by [`multipart`] or [`multipart_with`]; the answer as JSON.
    pub fn send_multipart(
        &self,
        action: &str,
        (body, content_type): (Vec<u8>, String),
        token: Option<&str>,
    ) -> (u16, Value) {
        let r = self.srv.post_raw(action, body, &content_type, token);
        let v = r.json_or_panic(&format!("POST (multipart) {action}"));
        (r.status, v)
    }

    /// resource_create/update/patch with `upload`, as the sysadmin; the resource dict.
    pub fn upload(
        &self,
        action: &str,
        fields: &[(&str, &str)],
        filename: &str,
        content: &[u8],
    ) -> Value {
        self.srv.ok(self.post_multipart(
            action,
            fields,
            Some((filename.as_bytes(), content)),
            self.srv.admin(),
        ))
    }

    /// GET/HEAD an absolute URL with extra headers.
    pub fn fetch(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        token: Option<&str>,
    ) -> crate::common::Reply {
        match self.srv.request_url(method, url, headers, None, token) {
            Ok(r) => r,
            Err(e) => panic!("{e}\n--- server stderr ---\n{}", self.srv.stderr()),
        }
    }

    /// Every object in storage (for a local store: every file under `DATA_DIR/files`,
    /// partial ones included), as paths relative to the root.
    pub fn stored(&self) -> Vec<String> {
        match &self.store {
            Store::Local => {
                let root = self.srv.data_dir().join("files");
                let mut out = vec![];
                walk(&root, &mut |p| {
                    out.push(
                        p.strip_prefix(&root)
                            .unwrap_or(p)
                            .to_string_lossy()
                            .into_owned(),
                    );
                });
                out.sort();
                out
            }
            Store::S3 { endpoint, bucket } => {
                let text = http_client()
                    .get(format!("{endpoint}/{bucket}?list-type=2"))
                    .send()
                    .and_then(|r| r.error_for_status())
                    .and_then(|r| r.text())
                    .unwrap_or_else(|e| panic!("listing bucket {bucket}: {e}"));
                let mut keys: Vec<String> = text
                    .split("<Key>")
                    .skip(1)
                    .filter_map(|s| s.split("</Key>").next())
                    .map(str::to_string)
                    .collect();
                keys.sort();
                keys
            }
        }
    }

    /// S3 multipart uploads begun and neither completed nor aborted (invisible as objects, but
    /// they hold storage); always 0 for a local store.
    pub fn unfinished_uploads(&self) -> usize {
        match &self.store {
            Store::Local => 0,
            Store::S3 { endpoint, bucket } => http_client()
                .get(format!("{endpoint}/{bucket}?uploads"))
                .send()
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.text())
                .unwrap_or_else(|e| panic!("listing multipart uploads of {bucket}: {e}"))
                .matches("<UploadId>")
                .count(),
        }
    }

    /// Waits (up to 15 s) until storage holds exactly `n` objects; panics showing them if not.
    pub fn expect_stored(&self, n: usize, why: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let now = self.stored();
            if now.len() == n {
                return now;
            }
            if Instant::now() > deadline {
                panic!(
                    "{why}: expected {n} stored objects, found {}: {now:?}\n--- server stderr ---\n{}",
                    now.len(),
                    self.srv.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `cong files check` must pass (exit 0) and report `n` stored files.
    pub fn check_consistent(&self, n: usize) {
        let out = self.srv.cli(&["files", "check"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "`cong files check` failed ({}):\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with(&format!("{n} stored files, {n} referenced")),
            "`cong files check` should count {n} files: {stdout}"
        );
    }

    /// Nothing stored, and the catalogue agrees.
    pub fn assert_empty(&self, why: &str) {
        self.expect_stored(0, why);
        self.check_consistent(0);
    }
}

fn walk(dir: &Path, f: &mut impl FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p: PathBuf = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, f),
            Ok(_) => f(&p),
            Err(_) => {}
        }
    }
}

/// Every regular file under `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    walk(dir, &mut |p| out.push(p.to_path_buf()));
    out
}

/// An organization and a public dataset in it; returns the dataset dict.
pub fn dataset(srv: &TestServer, name: &str) -> Value {
    let org = format!("so-{}", &random_hex()[..8]);
    srv.create_org(&org);
    srv.create_dataset(name, &org)
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} should be a string: {v:#}"))
}

/// Upload, show, download (whole, by name and id, HEAD, ranges, conditional), replace with
/// patch and update keeping old versions, switch to a link, delete: on any storage.
pub fn upload_download_cycle(f: &Files, size: usize) {
    let srv = f.srv;
    let pkg = dataset(srv, "du-lieu-tai-len");
    let pkg_id = str_of(&pkg, "id").to_string();
    // PDF magic bytes in a file named .csv: the MIME type comes from the content.
    let mut v1 = b"%PDF-1.7\n".to_vec();
    v1.extend(random_bytes(size, 1));
    let res = f.upload(
        "resource_create",
        &[
            ("package_id", "du-lieu-tai-len"),
            ("description", "Số liệu"),
        ],
        "Báo cáo.csv",
        &v1,
    );
    let rid = str_of(&res, "id").to_string();
    let expected_url = format!(
        "{}/dataset/{pkg_id}/resource/{rid}/download/bao-cao.csv",
        srv.base_url
    );
    assert_eq!(res["url_type"], "upload", "{res:#}");
    assert_eq!(res["url"], expected_url.as_str(), "{res:#}");
    assert_eq!(res["size"], json!(v1.len()), "{res:#}");
    assert_eq!(res["hash"], sha256_hex(&v1).as_str(), "{res:#}");
    assert_eq!(res["mimetype"], "application/pdf", "{res:#}");
    assert_eq!(
        res["name"], "bao-cao.csv",
        "a nameless upload is named after its file"
    );
    assert_eq!(res["format"], "CSV", "{res:#}");
    assert_eq!(res["description"], "Số liệu");
    assert!(
        res["last_modified"].as_str().is_some_and(|s| !s.is_empty()),
        "{res:#}"
    );
    let versions = res["versions"].as_array().expect("versions list");
    assert_eq!(versions.len(), 1, "{res:#}");
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["filename"], "bao-cao.csv");
    assert_eq!(versions[0]["size"], json!(v1.len()));
    assert_eq!(versions[0]["hash"], sha256_hex(&v1).as_str());
    // resource_show and package_show say the same.
    let shown = srv.ok(srv.get("resource_show", &[("id", &rid)], None));
    assert_eq!(shown, res);
    let pkg = srv.ok(srv.get("package_show", &[("id", &pkg_id)], None));
    assert_eq!(pkg["resources"][0]["url"], expected_url.as_str());
    assert_eq!(pkg["resources"][0]["versions"], res["versions"]);
    f.expect_stored(1, "after one upload");
    f.check_consistent(1);

    // Whole download, anonymous: open data needs no login.
    let r = f.fetch("GET", &expected_url, &[], None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body == v1, "the download differs from the upload");
    let etag = format!("\"{}\"", sha256_hex(&v1));
    assert_eq!(r.header("content-length"), Some(&*v1.len().to_string()));
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"bao-cao.csv\"")
    );
    let lm = r.header("last-modified").expect("Last-Modified");
    assert!(
        chrono::DateTime::parse_from_rfc2822(lm).is_ok() && lm.ends_with(" GMT"),
        "Last-Modified must be an HTTP date: {lm}"
    );
    // Without the file name, and with the dataset's name instead of its id.
    let short = format!(
        "{}/dataset/du-lieu-tai-len/resource/{rid}/download",
        srv.base_url
    );
    let r = f.fetch("GET", &short, &[], None);
    assert_eq!(r.status, 200);
    assert!(r.body == v1);

    // HEAD: the headers of a GET, no body.
    let h = f.fetch("HEAD", &expected_url, &[], None);
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert_eq!(h.header("content-length"), Some(&*v1.len().to_string()));
    assert_eq!(h.header("content-type"), Some("application/pdf"));
    assert_eq!(h.header("etag"), Some(etag.as_str()));
    assert_eq!(h.header("last-modified"), Some(lm));
    assert_eq!(
        h.header("content-disposition"),
        Some("attachment; filename=\"bao-cao.csv\"")
    );

    // Ranges.
    let n = v1.len();
    let ranges: [(String, usize, usize); 5] = [
        ("bytes=10-99".into(), 10, 100),
        (format!("bytes={}-", n - 5), n - 5, n),
        ("bytes=-7".into(), n - 7, n),
        (format!("bytes=0-{}", n * 2), 0, n),
        // across S3/part boundaries
        (
            format!("bytes={}-{}", n / 2 - 3, n / 2 + 70_000),
            n / 2 - 3,
            n / 2 + 70_001,
        ),
    ];
    for (spec, a, b) in &ranges {
        let r = f.fetch("GET", &expected_url, &[("Range", spec)], None);
        assert_eq!(r.status, 206, "{spec}: {}", r.text());
        assert!(r.body == v1[*a..*b], "{spec}: wrong bytes");
        assert_eq!(
            r.header("content-range"),
            Some(&*format!("bytes {a}-{}/{n}", b - 1)),
            "{spec}"
        );
        assert_eq!(r.header("content-length"), Some(&*(b - a).to_string()));
        let h = f.fetch("HEAD", &expected_url, &[("Range", spec)], None);
        assert_eq!(h.status, 206, "HEAD {spec}");
        assert_eq!(h.header("content-length"), Some(&*(b - a).to_string()));
    }
    for spec in [
        format!("bytes={n}-"),
        format!("bytes={}-{}", n + 10, n + 20),
        "bytes=-0".into(),
    ] {
        let r = f.fetch("GET", &expected_url, &[("Range", &spec)], None);
        assert_eq!(r.status, 416, "{spec}");
        assert_eq!(
            r.header("content-range"),
            Some(&*format!("bytes */{n}")),
            "{spec}"
        );
    }

    // Conditional GET.
    let r = f.fetch("GET", &expected_url, &[("If-None-Match", &etag)], None);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = f.fetch(
        "GET",
        &expected_url,
        &[("If-None-Match", "\"something-else\"")],
        None,
    );
    assert_eq!(r.status, 200);
    assert!(r.body == v1);
    // Weak comparison (a compressing proxy turns the ETag weak), and lists.
    for inm in [
        format!("W/{etag}"),
        format!("\"x\", {etag}"),
        "*".to_string(),
    ] {
        let r = f.fetch("GET", &expected_url, &[("If-None-Match", &inm)], None);
        assert_eq!(r.status, 304, "If-None-Match: {inm}");
    }

    // Unknown resource, a resource under another dataset, an unknown version.
    let other = dataset(srv, "du-lieu-khac");
    let r = f.fetch(
        "GET",
        &format!(
            "{}/dataset/{}/resource/{rid}/download/bao-cao.csv",
            srv.base_url,
            str_of(&other, "id")
        ),
        &[],
        None,
    );
    assert_eq!(
        r.status, 404,
        "a resource is only downloadable under its dataset"
    );
    let r = f.fetch(
        "GET",
        &format!(
            "{}/dataset/{pkg_id}/resource/nope/download/x.csv",
            srv.base_url
        ),
        &[],
        None,
    );
    assert_eq!(r.status, 404);
    let r = f.fetch("GET", &format!("{expected_url}?version=9"), &[], None);
    assert_eq!(r.status, 404);

    // Replace with resource_patch: version 2; version 1 stays addressable.
    let v2 = random_bytes(size / 2 + 333, 2);
    let res2 = f.upload("resource_patch", &[("id", &rid)], "bao cao moi.bin", &v2);
    let url2 = format!(
        "{}/dataset/{pkg_id}/resource/{rid}/download/bao-cao-moi.bin",
        srv.base_url
    );
    assert_eq!(res2["url"], url2.as_str(), "{res2:#}");
    assert_eq!(res2["size"], json!(v2.len()));
    assert_eq!(res2["hash"], sha256_hex(&v2).as_str());
    assert_eq!(res2["mimetype"], "application/octet-stream");
    assert_eq!(res2["description"], "Số liệu", "patch keeps other fields");
    let versions = res2["versions"].as_array().expect("versions");
    assert_eq!(
        versions
            .iter()
            .map(|v| (v["version"].clone(), v["filename"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!(1), json!("bao-cao.csv")),
            (json!(2), json!("bao-cao-moi.bin"))
        ]
    );
    let r = f.fetch("GET", &url2, &[], None);
    assert_eq!(r.status, 200);
    assert!(r.body == v2, "the newest version is served by default");
    // The old URL (old file name) serves the current file too: the name is decoration.
    let r = f.fetch("GET", &expected_url, &[], None);
    assert!(r.body == v2);
    for url in [
        format!("{url2}?version=1"),
        format!("{expected_url}?version=1"),
    ] {
        let r = f.fetch("GET", &url, &[], None);
        assert_eq!(r.status, 200, "{url}");
        assert!(r.body == v1, "{url}: version 1 must be the first upload");
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"bao-cao.csv\"")
        );
    }
    let r = f.fetch(
        "GET",
        &format!("{url2}?version=1"),
        &[("Range", "bytes=0-8")],
        None,
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"%PDF-1.7\n");
    let r = f.fetch("GET", &format!("{url2}?version=2"), &[], None);
    assert!(r.body == v2);

    // Resuming a download (If-Range) of version 1 after it was replaced: the whole new file,
    // never a piece of it to splice onto the old one.
    let r = f.fetch(
        "GET",
        &url2,
        &[("Range", "bytes=100-"), ("If-Range", &etag)],
        None,
    );
    assert_eq!(r.status, 200, "If-Range with a replaced file's ETag");
    assert!(r.body == v2);
    let etag2 = format!("\"{}\"", sha256_hex(&v2));
    let r = f.fetch(
        "GET",
        &url2,
        &[("Range", "bytes=100-"), ("If-Range", &etag2)],
        None,
    );
    assert_eq!(r.status, 206, "If-Range with the current ETag");
    assert!(r.body == v2[100..]);
    let lm2 = r
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    let r = f.fetch(
        "GET",
        &url2,
        &[("Range", "bytes=100-"), ("If-Range", &lm2)],
        None,
    );
    assert_eq!(r.status, 206, "If-Range with the current Last-Modified");
    let r = f.fetch(
        "GET",
        &url2,
        &[
            ("Range", "bytes=100-"),
            ("If-Range", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ],
        None,
    );
    assert_eq!(r.status, 200, "If-Range with an older date");
    assert!(r.body == v2);

    // Replace with resource_update: version 3.
    let v3 = b"ma_tinh,ten\n01,H\xc3\xa0 N\xe1\xbb\x99i\n".to_vec();
    let res3 = f.upload(
        "resource_update",
        &[("id", &rid), ("name", "Danh mục tỉnh"), ("format", "CSV")],
        "tinh.csv",
        &v3,
    );
    assert_eq!(res3["mimetype"], "text/csv", "{res3:#}");
    assert_eq!(res3["name"], "Danh mục tỉnh");
    assert_eq!(res3["versions"].as_array().map(Vec::len), Some(3));
    let url3 = str_of(&res3, "url").to_string();
    assert!(url3.ends_with("/download/tinh.csv"), "{url3}");
    let r = f.fetch("GET", &url3, &[], None);
    assert_eq!(r.body, v3);
    f.expect_stored(3, "three versions");
    f.check_consistent(3);

    // package_show → package_update (what ckanapi's dump/load and edit scripts do) keeps the
    // upload and its versions.
    let pkg = srv.ok(srv.get("package_show", &[("id", &pkg_id)], None));
    let updated = srv.ok(srv.post("package_update", &pkg, srv.admin()));
    assert_eq!(updated["resources"][0]["url_type"], "upload");
    assert_eq!(updated["resources"][0]["url"], url3.as_str());
    assert_eq!(updated["resources"][0]["versions"], res3["versions"]);
    let r = f.fetch("GET", &url3, &[], None);
    assert_eq!(r.body, v3);
    f.check_consistent(3);

    // A link replaces the file; the stored versions stay addressable.
    let link = "https://example.gov.vn/moi.csv";
    let res4 = srv.ok(srv.post(
        "resource_patch",
        &json!({"id": rid, "url": link}),
        srv.admin(),
    ));
    assert_eq!(res4["url"], link);
    assert!(res4["url_type"].is_null(), "{res4:#}");
    let r = f.fetch("GET", &url3, &[], None);
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some(link));
    let r = f.fetch("GET", &format!("{url3}?version=2"), &[], None);
    assert_eq!(r.status, 200);
    assert!(r.body == v2);
    f.check_consistent(3);

    // resource_delete removes every version.
    srv.ok(srv.post("resource_delete", &json!({"id": rid}), srv.admin()));
    f.assert_empty("after resource_delete");
    for url in [url3.clone(), format!("{url3}?version=1")] {
        let r = f.fetch("GET", &url, &[], None);
        assert_eq!(r.status, 404, "{url} after resource_delete");
    }
}

/// An empty file is a file (size 0, downloadable, no satisfiable range); a file part without
/// a file name is no file, as in CKAN (a form whose file input was left empty), and does not
/// replace the current one. Leaves storage as it found it.
pub fn empty_and_nameless_files(f: &Files) {
    let srv = f.srv;
    let before = f.stored().len();
    dataset(srv, "tep-rong");
    let res = f.upload(
        "resource_create",
        &[("package_id", "tep-rong")],
        "rong.csv",
        b"",
    );
    assert_eq!(res["url_type"], "upload", "{res:#}");
    assert_eq!(res["size"], 0);
    assert_eq!(res["hash"], sha256_hex(b"").as_str());
    let url = str_of(&res, "url").to_string();
    let r = f.fetch("GET", &url, &[], None);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("0"));
    let h = f.fetch("HEAD", &url, &[], None);
    assert_eq!(h.status, 200);
    assert_eq!(h.header("content-length"), Some("0"));
    for spec in ["bytes=0-", "bytes=-1", "bytes=0-0"] {
        let r = f.fetch("GET", &url, &[("Range", spec)], None);
        assert_eq!(r.status, 416, "{spec} of an empty file");
        assert_eq!(r.header("content-range"), Some("bytes */0"));
    }
    f.expect_stored(before + 1, "an empty file is stored");
    f.check_consistent(before + 1);

    // An empty file name: the part is ignored, the resource keeps its file.
    let rid = str_of(&res, "id").to_string();
    let (status, v) = f.post_multipart(
        "resource_patch",
        &[("id", &rid), ("description", "mô tả")],
        Some((b"", b"")),
        srv.admin(),
    );
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(v["result"]["url"], url.as_str());
    assert_eq!(v["result"]["versions"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["result"]["description"], "mô tả");
    // …and a new resource made so is a link (here: to nothing).
    let (status, v) = f.post_multipart(
        "resource_create",
        &[
            ("package_id", "tep-rong"),
            ("url", "https://example.gov.vn/a.csv"),
        ],
        Some((b"", b"")),
        srv.admin(),
    );
    assert_eq!(status, 200, "{v:#}");
    assert!(v["result"]["url_type"].is_null(), "{v:#}");
    assert_eq!(v["result"]["url"], "https://example.gov.vn/a.csv");
    f.expect_stored(before + 1, "nameless file parts store nothing");

    // `filename*=` (RFC 5987) alone names a file too.
    let content = "ma,ten\n01,Hà Nội\n".as_bytes();
    let (status, v) = f.send_multipart(
        "resource_create",
        multipart_with(
            &[("package_id", "tep-rong")],
            Some((
                b"filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD.csv",
                content,
            )),
        ),
        srv.admin(),
    );
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(v["result"]["url_type"], "upload", "{v:#}");
    let url2 = str_of(&v["result"], "url");
    assert!(url2.ends_with("/download/bao-cao-quy.csv"), "{url2}");
    let r = f.fetch("GET", url2, &[], None);
    assert_eq!(r.body, content);

    srv.ok(srv.post("dataset_purge", &json!({"id": "tep-rong"}), srv.admin()));
    f.expect_stored(before, "after purging the dataset");
    f.check_consistent(before);
}

/// dataset_purge, and package_update dropping an uploaded resource, remove the files.
pub fn purge_removes_files(f: &Files) {
    let srv = f.srv;
    let a = dataset(srv, "bo-du-lieu-a");
    let b = dataset(srv, "bo-du-lieu-b");
    for (i, name) in ["a.csv", "b.csv"].iter().enumerate() {
        let body = random_bytes(50_000 + i, 10 + i as u64);
        f.upload(
            "resource_create",
            &[("package_id", "bo-du-lieu-a")],
            name,
            &body,
        );
    }
    // Two versions of one resource in b, and a link.
    let r = f.upload(
        "resource_create",
        &[("package_id", "bo-du-lieu-b")],
        "c.csv",
        b"x\n1\n",
    );
    f.upload(
        "resource_patch",
        &[("id", str_of(&r, "id"))],
        "c.csv",
        b"x\n2\n",
    );
    srv.ok(srv.post(
        "resource_create",
        &json!({"package_id": "bo-du-lieu-b", "url": "https://example.gov.vn/l.csv"}),
        srv.admin(),
    ));
    f.expect_stored(4, "two datasets' files");
    f.check_consistent(4);

    srv.ok(srv.post(
        "dataset_purge",
        &json!({"id": str_of(&a, "id")}),
        srv.admin(),
    ));
    f.expect_stored(2, "after dataset_purge");
    f.check_consistent(2);

    // package_update without the uploaded resource drops it and its versions.
    let pkg = srv.ok(srv.get("package_show", &[("id", "bo-du-lieu-b")], None));
    let link_only: Vec<Value> = pkg["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["url_type"] != "upload")
        .cloned()
        .collect();
    assert_eq!(link_only.len(), 1);
    let mut upd = pkg.clone();
    upd["resources"] = Value::Array(link_only);
    srv.ok(srv.post("package_update", &upd, srv.admin()));
    f.assert_empty("after package_update dropped the upload");
    srv.ok(srv.post(
        "dataset_purge",
        &json!({"id": str_of(&b, "id")}),
        srv.admin(),
    ));
    f.assert_empty("after purging everything");
}

/// With `max_upload_bytes = limit`: a bigger file is refused with CKAN's validation envelope
/// (409) and nothing is stored; a file of exactly `limit` bytes is accepted.
pub fn size_limit(f: &Files, limit: usize) {
    let srv = f.srv;
    let pkg = dataset(srv, "gioi-han");
    for over in [limit + 1, limit * 4 + 17] {
        let body = random_bytes(over, 3);
        let (status, v) = f.post_multipart(
            "resource_create",
            &[("package_id", "gioi-han"), ("name", "lớn quá")],
            Some((b"big.bin", &body)),
            srv.admin(),
        );
        assert_eq!(status, 409, "{over} bytes over a {limit} limit: {v:#}");
        assert_eq!(v["success"], false);
        assert_eq!(v["error"]["__type"], "Validation Error", "{v:#}");
        assert_eq!(
            v["error"]["upload"],
            json!(["File upload too large"]),
            "{v:#}"
        );
        f.assert_empty("after a refused upload");
        assert_eq!(
            f.unfinished_uploads(),
            0,
            "the refused upload's parts are discarded"
        );
    }
    let shown = srv.ok(srv.get("package_show", &[("id", str_of(&pkg, "id"))], None));
    assert_eq!(
        shown["resources"],
        json!([]),
        "a refused upload makes no resource"
    );
    // Exactly at the limit: accepted.
    let body = random_bytes(limit, 4);
    let res = f.upload(
        "resource_create",
        &[("package_id", "gioi-han")],
        "vua-du.bin",
        &body,
    );
    assert_eq!(res["size"], json!(limit));
    let r = f.fetch("GET", str_of(&res, "url"), &[], None);
    assert!(r.body == body);
    f.expect_stored(1, "the upload at the limit");
    f.check_consistent(1);
}

/// A client that announces a large body, sends part of the file and hangs up leaves no file
/// (not even a partial one) and no resource.
pub fn aborted_upload(f: &Files, sent: usize) {
    let srv = f.srv;
    let pkg = dataset(srv, "tai-do-dang");
    let pkg_id = str_of(&pkg, "id").to_string();
    let addr = srv
        .base_url
        .strip_prefix("http://")
        .expect("http base url")
        .to_string();
    let mut head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"package_id\"\r\n\r\n{pkg_id}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"lon.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    let announced = head.len() + 200 * 1024 * 1024;
    let request = format!(
        "POST /api/3/action/resource_create HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {announced}\r\n\r\n",
        srv.admin_token
    );
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send headers");
    head.extend(random_bytes(sent, 5));
    for chunk in head.chunks(64 * 1024) {
        stream.write_all(chunk).expect("send part of the body");
    }
    stream.flush().expect("flush");
    // Let the server store what arrived, then hang up without a word.
    std::thread::sleep(Duration::from_millis(500));
    let _ = stream.shutdown(std::net::Shutdown::Both);
    drop(stream);

    f.expect_stored(0, "after an aborted upload");
    f.check_consistent(0);
    let deadline = Instant::now() + Duration::from_secs(15);
    while f.unfinished_uploads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        f.unfinished_uploads(),
        0,
        "the aborted upload's parts are discarded"
    );
    let shown = srv.ok(srv.get("package_show", &[("id", &pkg_id)], None));
    assert_eq!(
        shown["resources"],
        json!([]),
        "an aborted upload makes no resource"
    );
    assert!(srv.is_answering(), "the server survives an aborted upload");

    // A body that ends early but cleanly (Content-Length honoured, no closing boundary) is a
    // client error and leaves nothing either.
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"package_id\"\r\n\r\n{pkg_id}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"cut.bin\"\r\n\r\n"
    )
    .into_bytes();
    body.extend(random_bytes(100_000, 6));
    let r = srv.post_raw(
        "resource_create",
        body,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        srv.admin(),
    );
    assert!(
        r.status == 400 || r.status == 409,
        "a truncated multipart body: HTTP {} {}",
        r.status,
        r.text()
    );
    // CKAN answers a bad request with a bare JSON string, a validation error with the envelope.
    let v = r.json_or_panic("truncated multipart");
    assert!(v.is_string() || v["success"] == false, "{v:#}");
    f.assert_empty("after a truncated multipart body");
    let shown = srv.ok(srv.get("package_show", &[("id", &pkg_id)], None));
    assert_eq!(shown["resources"], json!([]));
}
