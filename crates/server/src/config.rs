//! One typed configuration: defaults < `cong.toml` < environment < command line. The command
//! line and environment are read by clap (see main.rs); this file adds the file and defaults.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Keys accepted in `cong.toml`. Unknown keys are refused, by name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub site_url: Option<String>,
    pub bind: Option<String>,
    pub site_title: Option<String>,
    pub site_description: Option<String>,
    pub locale_default: Option<String>,
    pub create_unowned_dataset: Option<bool>,
    /// Origins allowed to call the API from a browser (`["*"]` for any).
    pub cors_origins: Option<Vec<String>>,
    pub max_body_bytes: Option<usize>,
    /// Upper bound for package_search's `rows` (default 1000).
    pub search_rows_max: Option<usize>,
    /// Memory for answers to repeated searches, in MiB (default 16; 0 turns the cache off).
    pub search_cache_mb: Option<usize>,
    /// Largest uploaded file, in bytes (default 1 GiB).
    pub max_upload_bytes: Option<u64>,
    /// Where uploaded files are stored (default: `files/` in the data dir).
    pub storage: Option<StorageSection>,
    /// The DCAT catalogue (`/catalog.ttl` …).
    pub dcat: Option<DcatSection>,
}

/// `[dcat]` in cong.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcatSection {
    /// Base of the IRIs minted for datasets, distributions, organizations (default: site_url);
    /// ckanext-dcat's `ckanext.dcat.base_uri`. Keep it stable: harvesters use the IRIs as ids.
    pub base_uri: Option<String>,
    /// Datasets per catalogue page (default 100, at most 1000).
    pub datasets_per_page: Option<usize>,
    /// The organization (name) that publishes the catalogue itself; default: the portal.
    pub publisher: Option<String>,
}

/// The DCAT catalogue's settings, resolved.
#[derive(Debug, Clone)]
pub struct DcatSettings {
    pub base_uri: Option<String>,
    pub datasets_per_page: usize,
    pub publisher: Option<String>,
}

pub const DEFAULT_DATASETS_PER_PAGE: usize = 100;
pub const MAX_DATASETS_PER_PAGE: usize = 1000;

impl DcatSettings {
    fn resolve(section: Option<DcatSection>) -> Result<DcatSettings, String> {
        let s = section.unwrap_or_default();
        let per_page = s.datasets_per_page.unwrap_or(DEFAULT_DATASETS_PER_PAGE);
        if !(1..=MAX_DATASETS_PER_PAGE).contains(&per_page) {
            return Err(format!(
                "dcat.datasets_per_page must be between 1 and {MAX_DATASETS_PER_PAGE}, got {per_page}"
            ));
        }
        let base_uri = s.base_uri.map(|b| b.trim_end_matches('/').to_string());
        if let Some(b) = &base_uri {
            if !(b.starts_with("http://") || b.starts_with("https://")) {
                return Err(format!(
                    "dcat.base_uri must start with http:// or https://, got {b:?}"
                ));
            }
        }
        Ok(DcatSettings {
            base_uri,
            datasets_per_page: per_page,
            publisher: s.publisher.filter(|p| !p.trim().is_empty()),
        })
    }
}

impl Default for DcatSettings {
    fn default() -> Self {
        DcatSettings {
            base_uri: None,
            datasets_per_page: DEFAULT_DATASETS_PER_PAGE,
            publisher: None,
        }
    }
}

/// `[storage]` in cong.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// `local` (default) or `s3`.
    pub kind: Option<String>,
    /// local: the directory (default `DATA_DIR/files`).
    pub root: Option<PathBuf>,
    /// s3: endpoint URL (omit for AWS), bucket, region, credentials.
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: Option<bool>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| format!("invalid configuration in {}: {e}", path.display()))
    }
}

/// Everything the server needs, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub bind: String,
    pub site_url: Option<String>,
    pub catalogue: catalogue::Config,
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub max_upload_bytes: u64,
    pub storage: files::StorageConfig,
    pub search_cache_bytes: usize,
    pub dcat: DcatSettings,
}

pub const DEFAULT_MAX_UPLOAD: u64 = 1 << 30;
pub const DEFAULT_SEARCH_CACHE_MB: usize = 16;

/// The storage backend from `[storage]`; S3 credentials may come from the environment
/// (`CONG_S3_ACCESS_KEY_ID`, `CONG_S3_SECRET_ACCESS_KEY`) so they stay out of files.
fn storage_config(
    section: Option<StorageSection>,
    data_dir: &Path,
) -> Result<files::StorageConfig, String> {
    let s = section.unwrap_or_default();
    match s.kind.as_deref().unwrap_or("local") {
        "local" => Ok(files::StorageConfig::Local {
            root: s.root.unwrap_or_else(|| data_dir.join("files")),
        }),
        "s3" => {
            let need = |v: Option<String>, key: &str| {
                v.filter(|v| !v.is_empty())
                    .ok_or_else(|| format!("storage.{key} is required when storage.kind = \"s3\""))
            };
            Ok(files::StorageConfig::S3 {
                endpoint: s.endpoint,
                bucket: need(s.bucket, "bucket")?,
                region: s.region.unwrap_or_else(|| "us-east-1".into()),
                access_key_id: need(
                    std::env::var("CONG_S3_ACCESS_KEY_ID")
                        .ok()
                        .or(s.access_key_id),
                    "access_key_id",
                )?,
                secret_access_key: need(
                    std::env::var("CONG_S3_SECRET_ACCESS_KEY")
                        .ok()
                        .or(s.secret_access_key),
                    "secret_access_key",
                )?,
                allow_http: s.allow_http.unwrap_or(false),
            })
        }
        other => Err(format!(
            "storage.kind must be \"local\" or \"s3\", got {other:?}"
        )),
    }
}

pub const DEFAULT_BIND: &str = "127.0.0.1:5000";
pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;

/// Values from the command line or environment (None when not given).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub site_url: Option<String>,
    pub bind: Option<String>,
}

impl Settings {
    pub fn resolve(file: FileConfig, o: Overrides) -> Result<Settings, String> {
        let data_dir = o
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = o
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("cong.db").display()));
        let bind = o.bind.or(file.bind).unwrap_or_else(|| DEFAULT_BIND.into());
        let site_url = o
            .site_url
            .or(file.site_url)
            .map(|s| s.trim_end_matches('/').to_string());
        if let Some(u) = &site_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(format!(
                    "site_url must start with http:// or https://, got {u:?}"
                ));
            }
        }
        let defaults = catalogue::Config::default();
        let catalogue = catalogue::Config {
            site_url: site_url.clone().unwrap_or_else(|| format!("http://{bind}")),
            site_title: file.site_title.unwrap_or(defaults.site_title),
            site_description: file.site_description.unwrap_or(defaults.site_description),
            locale_default: file.locale_default.unwrap_or(defaults.locale_default),
            create_unowned_dataset: file
                .create_unowned_dataset
                .unwrap_or(defaults.create_unowned_dataset),
            list_max: defaults.list_max,
            search_rows_max: file.search_rows_max.unwrap_or(defaults.search_rows_max),
        };
        let storage = storage_config(file.storage, &data_dir)?;
        let dcat = DcatSettings::resolve(file.dcat)?;
        Ok(Settings {
            dcat,
            storage,
            max_upload_bytes: file.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD),
            search_cache_bytes: file.search_cache_mb.unwrap_or(DEFAULT_SEARCH_CACHE_MB) << 20,
            data_dir,
            database_url,
            bind,
            site_url,
            catalogue,
            cors_origins: file.cors_origins.unwrap_or_default(),
            max_body_bytes: file.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_beats_file_beats_defaults() {
        let file: FileConfig =
            toml::from_str("bind = \"0.0.0.0:8080\"\nsite_title = \"Cổng Đà Nẵng\"").expect("toml");
        let s = Settings::resolve(
            file,
            Overrides {
                bind: Some("127.0.0.1:9".into()),
                ..Default::default()
            },
        )
        .expect("resolve");
        assert_eq!(s.bind, "127.0.0.1:9");
        assert_eq!(s.catalogue.site_title, "Cổng Đà Nẵng");
        assert_eq!(s.catalogue.site_url, "http://127.0.0.1:9");
        assert!(s.database_url.starts_with("sqlite://"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = toml::from_str::<FileConfig>("colour = 1").expect_err("refused");
        assert!(err.to_string().contains("colour"));
    }
}
