//! Multipart requests, as CKAN clients send them for uploads (`ckanapi`'s `upload=open(…)`):
//! text fields become parameters; the `upload` file part is streamed straight into storage.

use super::error::ApiError;
use actix_multipart::Multipart;
use catalogue::files::Upload;
use catalogue::{FieldErrors, Params};
use futures_util::StreamExt;
use serde_json::Value;

/// A stored upload that no resource refers to yet: deleted unless the action succeeds.
pub struct Pending {
    pub upload: Upload,
}

/// Reads a multipart body: text fields (at most `max_fields` bytes in all) and, when
/// `accept_file`, the `upload` file into `storage` (at most `max_file` bytes).
pub async fn read(
    mut multipart: Multipart,
    storage: &files::Storage,
    accept_file: bool,
    max_fields: usize,
    max_file: u64,
) -> Result<(Params, Option<Pending>), ApiError> {
    let mut params = Params::new();
    let mut pending: Option<Pending> = None;
    let mut field_bytes = 0usize;
    let result: Result<(), ApiError> = async {
        while let Some(field) = multipart.next().await {
            let mut field = field.map_err(|e| {
                ApiError::BadRequest(format!("JSON Error: malformed multipart body: {e}"))
            })?;
            let name = field.name().unwrap_or_default().to_string();
            // RFC 5987's `filename*=UTF-8''…` (sent by some clients instead of, or beside,
            // `filename`) names a file part as well.
            let filename = field.content_disposition().and_then(|cd| {
                cd.get_filename_ext()
                    .map(|ext| String::from_utf8_lossy(&ext.value).into_owned())
                    .or_else(|| cd.get_filename().map(str::to_string))
            });
            if let Some(filename) = filename.filter(|_| name == "upload") {
                // As in CKAN, a file part without a file name (a form whose file input was
                // left empty) is no upload.
                if !accept_file || pending.is_some() || filename.is_empty() {
                    // Not an upload action, a second file, or no file: read and drop it.
                    while let Some(chunk) = field.next().await {
                        chunk.map_err(|e| {
                            ApiError::BadRequest(format!(
                                "JSON Error: malformed multipart body: {e}"
                            ))
                        })?;
                    }
                    continue;
                }
                let key = files::Storage::new_key();
                let stored = storage
                    .put_stream(&key, &mut field, max_file)
                    .await
                    .map_err(|e| match e {
                        files::Error::TooLarge(_) => ApiError::Catalogue(FieldErrors::single(
                            "upload",
                            "File upload too large",
                        )),
                        files::Error::Interrupted(m) => ApiError::BadRequest(format!(
                            "JSON Error: the upload was interrupted: {m}"
                        )),
                        other => ApiError::Catalogue(catalogue::Error::Internal(other.to_string())),
                    })?;
                let safe = files::sanitize_filename(&filename);
                let mimetype = files::mimetype_of(&stored.head, &safe);
                pending = Some(Pending {
                    upload: Upload {
                        storage_key: key,
                        filename: safe,
                        size: stored.size as i64,
                        sha256: stored.sha256,
                        mimetype,
                    },
                });
                continue;
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::BadRequest(format!("JSON Error: malformed multipart body: {e}"))
                })?;
                field_bytes += chunk.len();
                if field_bytes > max_fields {
                    return Err(ApiError::TooLarge(format!(
                        "form fields are larger than the limit of {max_fields} bytes"
                    )));
                }
                value.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(value).map_err(|_| {
                ApiError::BadRequest(format!("JSON Error: field {name} is not valid UTF-8"))
            })?;
            add(&mut params, name, text);
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok((params, pending)),
        Err(e) => {
            if let Some(p) = pending {
                discard(storage, &p).await;
            }
            Err(e)
        }
    }
}

/// Form values that hold JSON lists or objects (ckanapi sends nested values so) are decoded.
fn add(params: &mut Params, name: String, text: String) {
    let trimmed = text.trim_start();
    let value = if trimmed.starts_with('[') || trimmed.starts_with('{') {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    } else {
        Value::String(text)
    };
    match params.get_mut(&name) {
        Some(Value::Array(list)) => list.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            params.insert(name, value);
        }
    }
}

pub async fn discard(storage: &files::Storage, p: &Pending) {
    if let Err(e) = storage.delete(&p.upload.storage_key).await {
        tracing::warn!(error = %e, key = %p.upload.storage_key, "could not delete an unused upload");
    }
}

/// Deletes objects released by committed writes (resource_delete, purge, replaced resources).
pub async fn empty_trash(cat: &std::sync::Arc<catalogue::Catalogue>, storage: &files::Storage) {
    let c = cat.clone();
    let Ok(Ok(keys)) = actix_web::web::block(move || catalogue::files::trash(&c)).await else {
        return;
    };
    if keys.is_empty() {
        return;
    }
    let mut gone = vec![];
    for key in keys {
        match storage.delete(&key).await {
            Ok(()) => gone.push(key),
            Err(e) => tracing::warn!(error = %e, key, "could not delete a released file"),
        }
    }
    let c = cat.clone();
    let _ = actix_web::web::block(move || catalogue::files::empty_trash(&c, &gone)).await;
}
