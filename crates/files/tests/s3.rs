//! The storage round trip against a real S3-compatible server: multipart uploads of several
//! parts, whole and ranged reads, listing, deletes, and uploads that end over the limit or
//! broken after a part has already gone to the store.
//!
//! Runs when `CONG_TEST_S3_ENDPOINT` is set (`bash tests/s3/run.sh` starts moto on loopback
//! and sets it, with `CONG_TEST_S3_BUCKET`); otherwise each test prints
//! "skipped: no S3 endpoint" on stderr, visibly, and checks nothing.

use bytes::Bytes;
use files::{Error, Storage, StorageConfig};
use futures_util::stream::{self, Stream, StreamExt};
use std::io::Write;

/// The store of tests/s3/run.sh, or None after saying so.
async fn s3(test: &str) -> Option<Storage> {
    let Some(endpoint) = std::env::var("CONG_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
    else {
        // Written to the stderr handle, not with eprintln!: the test harness would swallow it.
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: no S3 endpoint (CONG_TEST_S3_ENDPOINT is unset; run `bash tests/s3/run.sh`)"
        );
        return None;
    };
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let bucket = std::env::var("CONG_TEST_S3_BUCKET").unwrap_or_else(|_| "cong-test".into());
    let storage = Storage::open(&StorageConfig::S3 {
        endpoint: Some(endpoint.clone()),
        bucket: bucket.clone(),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        allow_http: true,
    })
    .expect("open S3 storage");
    // The bucket may not exist yet (moto lets anyone make one; a second PUT is harmless).
    let _ = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await;
    Some(storage)
}

/// Deterministic pseudo-random bytes (xorshift64*).
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// `data` in chunks of 64 KiB, as a request body arrives.
fn chunked(data: &[u8]) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
    let chunks: Vec<Result<Bytes, String>> = data
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks)
}

async fn read_all(s: &Storage, key: &str, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let mut r = s.read(key, range).await.expect("read");
    let mut out = vec![];
    while let Some(c) = r.stream.next().await {
        out.extend_from_slice(&c.expect("chunk"));
    }
    out
}

#[tokio::test]
async fn s3_round_trip_with_parts_and_ranges() {
    let Some(s) = s3("s3_round_trip_with_parts_and_ranges").await else {
        return;
    };
    // Three 5 MiB parts, the last one short.
    let data = random_bytes(12 * 1024 * 1024 + 777, 1);
    let key = Storage::new_key();
    let stored = s
        .put_stream(&key, chunked(&data), 1 << 30)
        .await
        .expect("put");
    assert_eq!(stored.key, key);
    assert_eq!(stored.size, data.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(&data));
    assert_eq!(stored.head, data[..8192]);
    assert_eq!(s.size(&key).await.expect("size"), data.len() as u64);

    let whole = read_all(&s, &key, None).await;
    assert!(whole == data, "the object differs from what was written");
    let n = data.len() as u64;
    let five = 5 * 1024 * 1024;
    for r in [0..1, five - 10..five + 10, n - 100..n, 1000..2 * five + 3] {
        let got = read_all(&s, &key, Some(r.clone())).await;
        assert!(
            got == data[r.start as usize..r.end as usize],
            "range {r:?} differs"
        );
        let reading = s.read(&key, Some(r.clone())).await.expect("read");
        assert_eq!(reading.range, r);
        assert_eq!(reading.size, n);
    }
    for bad in [n..n + 1, 5..5, n - 1..n + 1] {
        assert!(
            matches!(s.read(&key, Some(bad.clone())).await, Err(Error::BadRange)),
            "{bad:?}"
        );
    }
    assert!(s.keys().await.expect("keys").contains(&key));

    s.delete(&key).await.expect("delete");
    s.delete(&key).await.expect("a second delete is no error");
    assert!(matches!(s.read(&key, None).await, Err(Error::NotFound)));
    assert!(!s.keys().await.expect("keys").contains(&key));
}

#[tokio::test]
async fn s3_empty_and_small_objects() {
    let Some(s) = s3("s3_empty_and_small_objects").await else {
        return;
    };
    let empty = Storage::new_key();
    let stored = s
        .put_stream(&empty, chunked(b""), 10)
        .await
        .expect("put empty");
    assert_eq!(stored.size, 0);
    assert_eq!(stored.sha256, sha256_hex(b""));
    assert_eq!(s.size(&empty).await.expect("size"), 0);
    assert!(read_all(&s, &empty, None).await.is_empty());
    let small = Storage::new_key();
    s.put_stream(&small, chunked("Hà Nội".as_bytes()), 100)
        .await
        .expect("put small");
    assert_eq!(read_all(&s, &small, Some(0..2)).await, b"H\xc3");
    let keys = s.keys().await.expect("keys");
    assert!(keys.contains(&empty) && keys.contains(&small), "{keys:?}");
    s.delete(&empty).await.expect("delete");
    s.delete(&small).await.expect("delete");
}

#[tokio::test]
async fn s3_oversized_and_broken_uploads_leave_nothing() {
    let Some(s) = s3("s3_oversized_and_broken_uploads_leave_nothing").await else {
        return;
    };
    // Over the limit once 6 MiB have gone by: one part is already in the store.
    let key = Storage::new_key();
    let data = random_bytes(8 * 1024 * 1024, 2);
    assert!(matches!(
        s.put_stream(&key, chunked(&data), 6 * 1024 * 1024).await,
        Err(Error::TooLarge(_))
    ));
    assert!(matches!(s.read(&key, None).await, Err(Error::NotFound)));
    assert!(!s.keys().await.expect("keys").contains(&key));

    // The client goes away after 7 MiB.
    let key = Storage::new_key();
    let mut parts: Vec<Result<Bytes, String>> = data[..7 * 1024 * 1024]
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    parts.push(Err("connection reset by peer".into()));
    assert!(matches!(
        s.put_stream(&key, stream::iter(parts), 1 << 30).await,
        Err(Error::Interrupted(_))
    ));
    assert!(matches!(s.read(&key, None).await, Err(Error::NotFound)));
    assert!(!s.keys().await.expect("keys").contains(&key));
}
