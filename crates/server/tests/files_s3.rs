//! Resource files stored in an S3-compatible object store, over HTTP on both databases: the
//! upload/download/range/version/delete checks of `files.rs`, with `[storage] kind = "s3"`.
//!
//! Needs `CONG_TEST_S3_ENDPOINT` (e.g. `http://127.0.0.1:PORT`), an S3 server that lets anyone
//! create buckets, as moto's server mode does: `bash tests/s3/run.sh` starts one on loopback
//! and runs this file. Every server under test gets a bucket of its own, named after
//! `CONG_TEST_S3_BUCKET` (default `cong-test`). Without the endpoint each test prints
//! "skipped: no S3 endpoint" on stderr (visible even though the test passes) and does nothing.

#[allow(unused_macros)] // both_backends!: these tests pick their backends through on_s3
mod common;
mod files_support;

use common::{Backend, TestServer};
use files_support::{notice, s3_endpoint, s3_storage, Files};

/// Starts a server storing its files in a fresh bucket (and with `extra` configuration), runs
/// `check`, or says why it did not.
fn on_s3(backend: Backend, test: &str, extra: &str, check: impl FnOnce(&Files)) {
    let Some(endpoint) = s3_endpoint() else {
        notice(&format!(
            "{test}: skipped: no S3 endpoint (CONG_TEST_S3_ENDPOINT is unset; \
             run `bash tests/s3/run.sh`)"
        ));
        return;
    };
    let (storage, store) = s3_storage(&endpoint);
    let Some(srv) = TestServer::start_with_config(backend, &format!("{extra}{storage}")) else {
        return;
    };
    let f = Files { srv: &srv, store };
    check(&f);
    // Nothing was written to the local directory.
    let local = files_support::all_files(&srv.data_dir().join("files"));
    assert!(local.is_empty(), "S3 storage wrote local files: {local:?}");
}

macro_rules! s3_test {
    ($sqlite:ident, $postgres:ident, $extra:expr, $check:expr) => {
        #[test]
        fn $sqlite() {
            on_s3(Backend::Sqlite, stringify!($sqlite), $extra, $check);
        }
        #[test]
        fn $postgres() {
            on_s3(Backend::Postgres, stringify!($postgres), $extra, $check);
        }
    };
}

// 11 MiB: S3 multipart uploads of three parts (5 MiB each but the last).
s3_test!(
    s3_upload_download_sqlite,
    s3_upload_download_postgres,
    "",
    |f| { files_support::upload_download_cycle(f, 11 * 1024 * 1024 + 4321) }
);

s3_test!(
    s3_delete_and_purge_sqlite,
    s3_delete_and_purge_postgres,
    "",
    |f| {
        files_support::empty_and_nameless_files(f);
        files_support::purge_removes_files(f)
    }
);

s3_test!(
    s3_size_limit_sqlite,
    s3_size_limit_postgres,
    "max_upload_bytes = 65536\n",
    |f| files_support::size_limit(f, 65536)
);

// More than a part has gone to the store when the client hangs up.
s3_test!(
    s3_aborted_upload_sqlite,
    s3_aborted_upload_postgres,
    "",
    |f| { files_support::aborted_upload(f, 7 * 1024 * 1024) }
);
