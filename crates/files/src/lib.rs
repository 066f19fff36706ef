//! File storage for uploaded resources: a local directory (default, under the data dir) or any
//! S3-compatible object store, behind one interface. Uploads and downloads stream: a file is
//! never held whole in memory.

mod name;
mod sniff;

pub use name::sanitize_filename;
pub use sniff::mimetype_of;

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{
    GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, WriteMultipart,
};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// Where files live.
#[derive(Debug, Clone)]
pub enum StorageConfig {
    /// A directory on this machine.
    Local { root: PathBuf },
    /// An S3-compatible object store.
    S3 {
        endpoint: Option<String>,
        bucket: String,
        region: String,
        access_key_id: String,
        secret_access_key: String,
        /// Allow `http://` endpoints (a local MinIO or test server).
        allow_http: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error("no such file")]
    NotFound,
    #[error("the requested range cannot be satisfied")]
    BadRange,
    #[error("storage: {0}")]
    Storage(String),
}

impl From<object_store::Error> for Error {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => Error::NotFound,
            other => Error::Storage(other.to_string()),
        }
    }
}

/// What was stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub size: u64,
    pub sha256: String,
    /// The first bytes, for sniffing the content type.
    pub head: Vec<u8>,
}

/// A file being read back.
pub struct Reading {
    pub size: u64,
    /// The byte range being sent.
    pub range: Range<u64>,
    pub stream: BoxStream<'static, Result<Bytes, Error>>,
}

/// Bytes kept from the start of an upload to sniff its type.
const SNIFF_BYTES: usize = 8192;
/// Multipart chunk size: S3's minimum part size is 5 MiB.
const PART_SIZE: usize = 5 << 20;
/// Bytes per blocking read when a local file is streamed out. (object_store's own stream of a
/// local file reads 8 KiB per hop to a blocking thread, which caps a download near 200 MB/s.)
const READ_CHUNK: u64 = 256 << 10;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    pub description: String,
}

impl Storage {
    pub fn open(config: &StorageConfig) -> Result<Storage, Error> {
        match config {
            StorageConfig::Local { root } => {
                std::fs::create_dir_all(root).map_err(|e| {
                    Error::Storage(format!("cannot create {}: {e}", root.display()))
                })?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(root)?
                    .with_automatic_cleanup(true);
                Ok(Storage {
                    store: Arc::new(store),
                    description: format!("local directory {}", root.display()),
                })
            }
            StorageConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                // reqwest's rustls needs a process-wide crypto provider; a repeat is harmless.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    .with_allow_http(*allow_http);
                if let Some(e) = endpoint {
                    b = b.with_endpoint(e);
                }
                let store = b.build()?;
                Ok(Storage {
                    store: Arc::new(store),
                    description: format!("S3 bucket {bucket}"),
                })
            }
        }
    }

    /// A new key for an upload: never reused, never derived from user input.
    pub fn new_key() -> String {
        format!("uploads/{}", uuid::Uuid::new_v4())
    }

    /// Streams `body` into a new object at `key`, hashing as it goes. Over `limit` bytes, or if
    /// the body fails midway, the partial object is discarded and nothing is left visible.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        mut body: S,
        limit: u64,
    ) -> Result<Stored, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = ObjectPath::from(key);
        let upload = self.store.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head = Vec::new();
        let outcome: Result<(), Error> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| Error::Interrupted(e.to_string()))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(Error::TooLarge(limit));
                }
                if head.len() < SNIFF_BYTES {
                    let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                }
                hasher.update(&chunk);
                // Bounded memory: wait while two parts are in flight.
                writer.wait_for_capacity(2).await?;
                writer.put(chunk);
            }
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                writer.finish().await?;
                Ok(Stored {
                    key: key.to_string(),
                    size,
                    sha256: hex::encode(hasher.finalize()),
                    head,
                })
            }
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, key, "could not abort a partial upload");
                }
                Err(e)
            }
        }
    }

    /// Reads `key`, all of it or the bytes in `range` (end exclusive).
    pub async fn read(&self, key: &str, range: Option<Range<u64>>) -> Result<Reading, Error> {
        let path = ObjectPath::from(key);
        let size = self.store.head(&path).await?.size;
        if let Some(r) = &range {
            if r.start >= size || r.end > size || r.start >= r.end {
                return Err(Error::BadRange);
            }
        }
        let opts = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..Default::default()
        };
        let got = self.store.get_opts(&path, opts).await?;
        let sent = got.range.clone();
        let stream = match got.payload {
            GetResultPayload::File(file, _) => read_file(file, sent.clone()),
            GetResultPayload::Stream(s) => s.map(|r| r.map_err(Error::from)).boxed(),
        };
        Ok(Reading {
            size,
            range: sent,
            stream,
        })
    }

    pub async fn size(&self, key: &str) -> Result<u64, Error> {
        Ok(self.store.head(&ObjectPath::from(key)).await?.size)
    }

    /// Deletes `key`; a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored upload key.
    pub async fn keys(&self) -> Result<Vec<String>, Error> {
        Ok(self
            .keys_with_age()
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// Every stored upload key, with how long ago it was last written.
    pub async fn keys_with_age(&self) -> Result<Vec<(String, std::time::Duration)>, Error> {
        let prefix = ObjectPath::from("uploads");
        let mut list = self.store.list(Some(&prefix));
        let now = chrono::Utc::now();
        let mut out = vec![];
        while let Some(meta) = list.next().await {
            let meta = meta?;
            let age = (now - meta.last_modified).to_std().unwrap_or_default();
            out.push((meta.location.to_string(), age));
        }
        Ok(out)
    }
}

/// Streams `range` of a local file in chunks of [`READ_CHUNK`], one blocking read each.
fn read_file(file: std::fs::File, range: Range<u64>) -> BoxStream<'static, Result<Bytes, Error>> {
    futures_util::stream::try_unfold((file, range), |(mut file, range)| async move {
        if range.start >= range.end {
            return Ok(None);
        }
        tokio::task::spawn_blocking(move || {
            use std::io::{Read, Seek, SeekFrom};
            let want = (range.end - range.start).min(READ_CHUNK);
            let mut buf = Vec::with_capacity(want as usize);
            file.seek(SeekFrom::Start(range.start))?;
            (&mut file).take(want).read_to_end(&mut buf)?;
            if (buf.len() as u64) < want {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
            }
            let rest = range.start + want..range.end;
            Ok(Some((Bytes::from(buf), (file, rest))))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|read| read.map_err(|e| e.to_string()))
        .map_err(|e| Error::Storage(format!("reading a stored file: {e}")))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: Vec<&'static [u8]>) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        futures_util::stream::iter(parts.into_iter().map(|p| Ok(Bytes::from_static(p))))
    }

    #[tokio::test]
    async fn local_round_trip_with_ranges() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Storage::open(&StorageConfig::Local {
            root: dir.path().join("files"),
        })
        .expect("open");
        let key = Storage::new_key();
        let stored = s
            .put_stream(&key, chunks(vec![b"hello ", b"world"]), 100)
            .await
            .expect("put");
        assert_eq!(stored.size, 11);
        assert_eq!(stored.sha256, hex::encode(Sha256::digest(b"hello world")));
        let mut r = s.read(&key, Some(6..11)).await.expect("read");
        let mut got = vec![];
        while let Some(c) = r.stream.next().await {
            got.extend_from_slice(&c.expect("chunk"));
        }
        assert_eq!(got, b"world");
        assert!(matches!(
            s.read(&key, Some(20..30)).await,
            Err(Error::BadRange)
        ));
        assert_eq!(s.keys().await.expect("keys"), vec![key.clone()]);
        s.delete(&key).await.expect("delete");
        s.delete(&key).await.expect("delete twice");
        assert!(matches!(s.read(&key, None).await, Err(Error::NotFound)));
    }

    #[tokio::test]
    async fn local_reads_span_chunks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Storage::open(&StorageConfig::Local {
            root: dir.path().join("files"),
        })
        .expect("open");
        let data: Vec<u8> = (0..(3 * READ_CHUNK + 123))
            .map(|i| (i % 251) as u8)
            .collect();
        let key = Storage::new_key();
        let body = futures_util::stream::iter(
            data.chunks(10_000)
                .map(|c| Ok::<_, String>(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        );
        s.put_stream(&key, body, u64::MAX).await.expect("put");
        let n = data.len() as u64;
        for range in [
            None,
            Some(0..1),
            Some(READ_CHUNK - 1..READ_CHUNK + 1),
            Some(5..2 * READ_CHUNK + 7),
            Some(n - 1..n),
        ] {
            let mut r = s.read(&key, range.clone()).await.expect("read");
            let mut got = vec![];
            while let Some(c) = r.stream.next().await {
                let c = c.expect("chunk");
                assert!(c.len() as u64 <= READ_CHUNK);
                got.extend_from_slice(&c);
            }
            let want = range.clone().unwrap_or(0..n);
            assert_eq!(r.range, want);
            assert!(
                got == data[want.start as usize..want.end as usize],
                "{range:?}"
            );
        }
    }

    #[tokio::test]
    async fn oversized_and_interrupted_uploads_leave_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Storage::open(&StorageConfig::Local {
            root: dir.path().join("files"),
        })
        .expect("open");
        let key = Storage::new_key();
        assert!(matches!(
            s.put_stream(&key, chunks(vec![b"0123456789", b"x"]), 10)
                .await,
            Err(Error::TooLarge(10))
        ));
        let broken = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err("connection reset".to_string()),
        ]);
        assert!(matches!(
            s.put_stream(&key, broken, 100).await,
            Err(Error::Interrupted(_))
        ));
        assert!(s.keys().await.expect("keys").is_empty());
    }
}
