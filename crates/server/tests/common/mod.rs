//! Test harness: starts a real `cong` process on a fresh database (SQLite in a temp dir, or a fresh
//! schema in PostgreSQL) and talks to it over HTTP, exactly as a CKAN client would.
//!
//! It depends only on the public contract (docs/cli-contract.md): the `cong` binary, its options and
//! the Action API. Nothing is imported from the crates.
//!
//! Environment:
//! - `DATABASE_URL` — PostgreSQL server for the `*_postgres` tests
//!   (default `postgres://127.0.0.1:5432/test`); every server gets its own schema `cong_t_<hex>`,
//!   dropped afterwards.
//! - `CONG_SKIP_POSTGRES=1` — when PostgreSQL is unreachable, `*_postgres` tests print a line and
//!   pass instead of failing.
#![allow(dead_code)] // every test binary uses a different part of the harness

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub mod proxy;

/// The `cong` binary built by cargo for these tests.
pub const CONG: &str = env!("CARGO_BIN_EXE_cong");

/// How long `cong serve` may take to print its `listening` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Per-request timeout of the HTTP client.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub const DEFAULT_DATABASE_URL: &str = "postgres://127.0.0.1:5432/test";
pub const ADMIN_NAME: &str = "admin";
pub const ADMIN_EMAIL: &str = "admin@example.gov.vn";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// Generates two `#[test]` functions running the same body, one per backend:
///
/// ```ignore
/// both_backends!(unknown_action_sqlite, unknown_action_postgres, |srv| {
///     let (status, body) = srv.get("no_such_action", &[], None);
///     assert_eq!(status, 400);
/// });
/// ```
///
/// (Test files declare the harness with `#[macro_use] mod common;`.)
///
/// With `|mut srv|` the body gets `&mut TestServer` (to [`TestServer::restart`] it):
///
/// ```ignore
/// both_backends!(survives_restart_sqlite, survives_restart_postgres, |mut srv| {
///     srv.restart();
/// });
/// ```
#[allow(unused_macros)] // test binaries that run on one backend only
macro_rules! both_backends {
    ($sqlite:ident, $postgres:ident, |mut $srv:ident| $body:block) => {
        #[test]
        fn $sqlite() {
            $crate::common::run_on_mut(
                $crate::common::Backend::Sqlite,
                |$srv: &mut $crate::common::TestServer| $body,
            );
        }
        #[test]
        fn $postgres() {
            $crate::common::run_on_mut(
                $crate::common::Backend::Postgres,
                |$srv: &mut $crate::common::TestServer| $body,
            );
        }
    };
    ($sqlite:ident, $postgres:ident, |$srv:ident| $body:block) => {
        #[test]
        fn $sqlite() {
            $crate::common::run_on(
                $crate::common::Backend::Sqlite,
                |$srv: &$crate::common::TestServer| $body,
            );
        }
        #[test]
        fn $postgres() {
            $crate::common::run_on(
                $crate::common::Backend::Postgres,
                |$srv: &$crate::common::TestServer| $body,
            );
        }
    };
}

/// Starts a server on `backend` and runs `f` against it. For PostgreSQL, an unreachable server is a
/// failure unless `CONG_SKIP_POSTGRES=1`, in which case a line is printed and the test returns.
pub fn run_on(backend: Backend, f: impl FnOnce(&TestServer)) {
    if let Some(srv) = TestServer::start_or_skip(backend) {
        f(&srv);
    }
}

/// Like [`run_on`], with a server the body may kill and restart.
pub fn run_on_mut(backend: Backend, f: impl FnOnce(&mut TestServer)) {
    if let Some(mut srv) = TestServer::start_or_skip(backend) {
        f(&mut srv);
    }
}

/// Runs `f` on every backend in turn (inside one test).
pub fn for_each_backend(mut f: impl FnMut(&TestServer)) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        run_on(backend, &mut f);
    }
}

pub fn skip_postgres_requested() -> bool {
    std::env::var("CONG_SKIP_POSTGRES")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// A random lowercase hex string (16 digits), unique per call.
pub fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", h.finish())
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL schema per server
// ---------------------------------------------------------------------------------------------

/// A fresh schema in the test database, dropped (CASCADE) on drop.
pub struct PgSchema {
    pub base_url: String,
    pub schema: String,
}

fn psql(url: &str, sql: &str) -> Result<Output, String> {
    Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql (is the PostgreSQL client installed?): {e}"))
}

/// One value from a query, as text.
fn psql_value(url: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-d", url, "-c", sql])
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl PgSchema {
    pub fn create() -> Result<PgSchema, String> {
        let base_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
        let schema = format!("cong_t_{}", random_hex());
        let out = psql(&base_url, &format!("CREATE SCHEMA {schema}"))?;
        if !out.status.success() {
            return Err(format!(
                "cannot create schema {schema} in {base_url}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(PgSchema { base_url, schema })
    }

    /// The database URL with `search_path` set to this schema (libpq `options`), and the
    /// schema's name as `application_name`, so a test can find this server's connections.
    pub fn url(&self) -> String {
        self.url_on(&self.base_url)
    }

    /// [`PgSchema::url`] on another server address (a proxy), e.g. `postgres://127.0.0.1:PORT/test`.
    pub fn url_on(&self, base_url: &str) -> String {
        let sep = if base_url.contains('?') { '&' } else { '?' };
        format!(
            "{}{}options=-csearch_path%3D{}&application_name={}",
            base_url, sep, self.schema, self.schema
        )
    }

    /// Ends every backend serving this schema's connections (`pg_terminate_backend`), as a
    /// database restart or an operator would; returns how many there were.
    pub fn terminate_backends(&self) -> usize {
        let sql = format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = '{}' AND pid <> pg_backend_pid()",
            self.schema
        );
        let out = psql_value(&self.base_url, &sql).expect("pg_terminate_backend");
        out.trim().parse().unwrap_or(0)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        match psql(
            &self.base_url,
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema),
        ) {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "warning: could not drop schema {}: {}",
                self.schema,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => eprintln!("warning: could not drop schema {}: {e}", self.schema),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP responses
// ---------------------------------------------------------------------------------------------

/// A raw HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Every response header.
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// A response header as text (None when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as JSON, or a panic naming the status and the raw body.
    pub fn json_or_panic(&self, what: &str) -> Value {
        match self.json() {
            Some(v) => v,
            None => panic!(
                "{what}: HTTP {} with a non-JSON body (content-type {:?}): {}",
                self.status,
                self.content_type,
                truncate(&self.text(), 2000)
            ),
        }
    }
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}… ({} chars)", s.chars().count())
    }
}

pub fn urlencode(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).expect("urlencode")
}

fn owned_pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The HTTP client of a test server: no redirects followed, a per-request timeout. The
/// workspace builds reqwest's rustls without a default crypto provider, so install ring's
/// (a repeat is harmless).
fn http_client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

// ---------------------------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------------------------

pub struct TestServer {
    pub backend: Backend,
    /// `http://127.0.0.1:PORT`, from the `listening` line.
    pub base_url: String,
    /// The sysadmin `admin`'s API token.
    pub admin_token: String,
    pub admin_id: String,
    database_url: Option<String>,
    /// `--config` for every `cong` command (a cong.toml in the temp dir), when given.
    config: Option<PathBuf>,
    child: Option<Child>,
    stdout_log: Arc<Mutex<String>>,
    stderr_log: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    client: reqwest::blocking::Client,
    // Dropped after the child is killed (Drop for TestServer runs first, then the fields in order).
    pg: Option<PgSchema>,
    dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server, panicking on any failure (including an unreachable PostgreSQL).
    pub fn start(backend: Backend) -> TestServer {
        match Self::start_inner(backend, false) {
            Some(s) => s,
            None => unreachable!("start_inner(_, false) never skips"),
        }
    }

    /// Like [`start`], but returns `None` (after printing why) when PostgreSQL is unreachable and
    /// `CONG_SKIP_POSTGRES=1`.
    pub fn start_or_skip(backend: Backend) -> Option<TestServer> {
        Self::start_inner(backend, skip_postgres_requested())
    }

    /// Like [`start_or_skip`], with `toml` written to `cong.toml` in the server's temp dir and
    /// passed as `--config` to every `cong` command (migrate, user, token, serve, files …).
    pub fn start_with_config(backend: Backend, toml: &str) -> Option<TestServer> {
        Self::start_configured(backend, skip_postgres_requested(), Some(toml))
    }

    fn start_inner(backend: Backend, may_skip: bool) -> Option<TestServer> {
        Self::start_configured(backend, may_skip, None)
    }

    fn start_configured(
        backend: Backend,
        may_skip: bool,
        toml: Option<&str>,
    ) -> Option<TestServer> {
        let dir = tempfile::Builder::new()
            .prefix("cong-test-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("data")).expect("create data dir");
        let config = toml.map(|t| {
            let path = dir.path().join("cong.toml");
            std::fs::write(&path, t).expect("write cong.toml");
            path
        });

        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => match PgSchema::create() {
                Ok(s) => Some(s),
                Err(e) if may_skip => {
                    println!("skipping PostgreSQL test (CONG_SKIP_POSTGRES=1): {e}");
                    return None;
                }
                Err(e) => panic!(
                    "PostgreSQL is unreachable: {e}\n(set DATABASE_URL to a reachable server, or \
                     CONG_SKIP_POSTGRES=1 to skip the PostgreSQL tests)"
                ),
            },
        };
        let database_url = pg.as_ref().map(PgSchema::url);

        let client = http_client();

        let mut srv = TestServer {
            backend,
            base_url: String::new(),
            admin_token: String::new(),
            admin_id: String::new(),
            database_url,
            config,
            child: None,
            stdout_log: Arc::new(Mutex::new(String::new())),
            stderr_log: Arc::new(Mutex::new(String::new())),
            readers: Vec::new(),
            client,
            pg,
            dir,
        };

        srv.cli_ok(&["migrate"]);
        srv.admin_id = srv.cli_ok(&[
            "user",
            "add",
            ADMIN_NAME,
            "--email",
            ADMIN_EMAIL,
            "--sysadmin",
        ]);
        srv.admin_token = srv.cli_ok(&["token", "create", ADMIN_NAME]);
        assert!(
            !srv.admin_token.is_empty() && !srv.admin_token.contains(char::is_whitespace),
            "`cong token create admin` must print the token alone, got {:?}",
            srv.admin_token
        );
        srv.spawn_serve();
        Some(srv)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    /// This server's PostgreSQL schema (`None` on SQLite).
    pub fn pg(&self) -> Option<&PgSchema> {
        self.pg.as_ref()
    }

    /// Points later `cong` commands (and [`TestServer::start_again`]) at another database URL,
    /// e.g. this schema through a [`proxy::Proxy`].
    pub fn set_database_url(&mut self, url: String) {
        self.database_url = Some(url);
    }

    /// The global options pointing `cong` at this server's data dir and database.
    fn global_args(&self) -> Vec<String> {
        let mut args = vec![
            "--data-dir".to_string(),
            self.data_dir().display().to_string(),
        ];
        if let Some(url) = &self.database_url {
            args.push("--database-url".to_string());
            args.push(url.clone());
        }
        if let Some(config) = &self.config {
            args.push("--config".to_string());
            args.push(config.display().to_string());
        }
        args
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(CONG);
        cmd.current_dir(self.dir.path())
            .env_remove("CONG_DATA_DIR")
            .env_remove("CONG_DATABASE_URL")
            .env_remove("CONG_SITE_URL")
            .env_remove("CONG_CONFIG")
            .env("NO_COLOR", "1")
            .args(self.global_args())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `cong <global options> ARGS` against this server's data dir and database.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run cong")
    }

    /// Runs the command line and returns its trimmed stdout, panicking on failure.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "`cong {}` failed ({}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Creates a (non-sysadmin) user with `cong user add` and an API token with
    /// `cong token create`. Returns `(user id, token)`.
    pub fn create_user(&self, name: &str) -> (String, String) {
        let email = format!("{}@example.gov.vn", name.replace('_', "."));
        let id = self.cli_ok(&["user", "add", name, "--email", &email]);
        let token = self.cli_ok(&["token", "create", name]);
        (id, token)
    }

    /// Creates a sysadmin with a token. Returns `(user id, token)`.
    pub fn create_sysadmin(&self, name: &str) -> (String, String) {
        let email = format!("{}@example.gov.vn", name.replace('_', "."));
        let id = self.cli_ok(&["user", "add", name, "--email", &email, "--sysadmin"]);
        let token = self.cli_ok(&["token", "create", name]);
        (id, token)
    }

    fn spawn_serve(&mut self) {
        let mut child = self
            .command()
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cong serve");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let stderr: ChildStderr = child.stderr.take().expect("stderr");
        self.child = Some(child);

        let (tx, rx) = mpsc::channel::<String>();
        let out_log = Arc::clone(&self.stdout_log);
        self.readers.push(std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if let Ok(mut log) = out_log.lock() {
                            log.push_str(&line);
                        }
                        if let Some(addr) = line.trim_end().strip_prefix("cong: listening on ") {
                            let _ = tx.send(addr.to_string());
                        }
                    }
                }
            }
        }));
        let err_log = Arc::clone(&self.stderr_log);
        self.readers.push(std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if let Ok(mut log) = err_log.lock() {
                            log.push_str(&String::from_utf8_lossy(&buf[..n]));
                        }
                    }
                }
            }
        }));

        let started = Instant::now();
        match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(addr) => {
                assert!(
                    addr.starts_with("http://"),
                    "`cong serve` printed an unexpected listening line: {addr:?}"
                );
                self.base_url = addr.trim_end_matches('/').to_string();
            }
            Err(e) => {
                let why = match e {
                    mpsc::RecvTimeoutError::Timeout => {
                        format!("no `cong: listening on http://ADDR` line within {STARTUP_TIMEOUT:?}")
                    }
                    mpsc::RecvTimeoutError::Disconnected => format!(
                        "`cong serve` closed stdout after {:?} without printing `cong: listening on http://ADDR`",
                        started.elapsed()
                    ),
                };
                self.stop();
                panic!(
                    "{why} ({} backend)\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    self.backend,
                    self.stdout(),
                    self.stderr()
                );
            }
        }
    }

    /// Kills the server (if running) and waits for its output readers.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // The readers end when the process's pipes close; don't hang if a grandchild keeps them.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.readers.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        for h in self.readers.drain(..) {
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }

    /// Kills the server at once (SIGKILL, like `kill -9`: no shutdown code runs) and waits for
    /// it; the data dir and the database stay. [`start_again`] brings it back on them.
    pub fn kill(&mut self) {
        self.stop();
    }

    /// Starts `cong serve` again on the same data dir and database (after [`kill`]/[`stop`]);
    /// the new address replaces [`base_url`]. Panics if it does not come up.
    pub fn start_again(&mut self) {
        assert!(
            self.child.is_none(),
            "start_again: the server is still running"
        );
        self.base_url.clear();
        self.spawn_serve();
    }

    /// Kills the server and starts it again on the same data dir and database.
    pub fn restart(&mut self) {
        self.kill();
        self.start_again();
    }

    /// A second `cong serve` on this server's database (for PostgreSQL: the same schema) with
    /// its own data dir, as a second node of one portal. It shares the admin's token; dropping
    /// it stops only its own process (the schema belongs to `self`, so drop the node first).
    pub fn second_node(&self) -> TestServer {
        assert!(
            self.backend == Backend::Postgres,
            "a second node shares a PostgreSQL database"
        );
        let dir = tempfile::Builder::new()
            .prefix("cong-test-node-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("data")).expect("create data dir");
        let client = http_client();
        let mut node = TestServer {
            backend: self.backend,
            base_url: String::new(),
            admin_token: self.admin_token.clone(),
            admin_id: self.admin_id.clone(),
            database_url: self.database_url.clone(),
            config: self.config.clone(),
            child: None,
            stdout_log: Arc::new(Mutex::new(String::new())),
            stderr_log: Arc::new(Mutex::new(String::new())),
            readers: Vec::new(),
            client,
            pg: None,
            dir,
        };
        node.spawn_serve();
        node
    }

    /// Whether the server still answers HTTP (`GET /api/3`).
    pub fn is_answering(&self) -> bool {
        self.client.get(self.url("/api/3")).send().is_ok()
    }

    pub fn stdout(&self) -> String {
        self.stdout_log
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        self.stderr_log
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    // ------------------------------------------------------------------ HTTP

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn action_path(action: &str) -> String {
        format!("/api/3/action/{action}")
    }

    /// The lowest level: any method, path, query, optional body with its content type, optional
    /// token (sent raw in `Authorization`). Transport errors are returned, not panicked on.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<(Vec<u8>, &str)>,
        token: Option<&str>,
    ) -> Result<Reply, String> {
        let mut url = self.url(path);
        if !query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&urlencode(query));
        }
        self.request_url(method, &url, &[], body, token)
    }

    /// Like [`request`], to an absolute URL (e.g. a resource's download `url`), with extra
    /// request headers (`Range`, `If-None-Match`, …).
    pub fn request_url(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<(Vec<u8>, &str)>,
        token: Option<&str>,
    ) -> Result<Reply, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = self.client.request(method, url);
        if let Some(t) = token {
            req = req.header("Authorization", t);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some((bytes, content_type)) = body {
            req = req.header("Content-Type", content_type).body(bytes);
        }
        let resp = req
            .send()
            .map_err(|e| format!("request failed: {url}: {e}"))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp
            .bytes()
            .map_err(|e| format!("reading body of {url}: {e}"))?
            .to_vec();
        Ok(Reply {
            status,
            content_type,
            body,
            headers,
        })
    }

    fn request_or_panic(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<(Vec<u8>, &str)>,
        token: Option<&str>,
    ) -> Reply {
        match self.request(method, path, query, body, token) {
            Ok(r) => r,
            Err(e) => panic!(
                "{e}\n--- server stderr ---\n{}",
                truncate(&self.stderr(), 5000)
            ),
        }
    }

    /// `GET /api/3/action/ACTION?query`, answer parsed as JSON.
    pub fn get(&self, action: &str, query: &[(&str, &str)], token: Option<&str>) -> (u16, Value) {
        let r = self.request_or_panic(
            "GET",
            &Self::action_path(action),
            &owned_pairs(query),
            None,
            token,
        );
        let v = r.json_or_panic(&format!("GET {action}"));
        (r.status, v)
    }

    /// `POST /api/3/action/ACTION` with a JSON body, answer parsed as JSON.
    pub fn post(&self, action: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).expect("serialize body");
        let r = self.request_or_panic(
            "POST",
            &Self::action_path(action),
            &[],
            Some((bytes, "application/json")),
            token,
        );
        let v = r.json_or_panic(&format!("POST {action}"));
        (r.status, v)
    }

    /// `POST /api/3/action/ACTION` with a urlencoded form body, answer parsed as JSON.
    pub fn post_form(
        &self,
        action: &str,
        form: &[(&str, &str)],
        token: Option<&str>,
    ) -> (u16, Value) {
        let bytes = urlencode(&owned_pairs(form)).into_bytes();
        let r = self.request_or_panic(
            "POST",
            &Self::action_path(action),
            &[],
            Some((bytes, "application/x-www-form-urlencoded")),
            token,
        );
        let v = r.json_or_panic(&format!("POST (form) {action}"));
        (r.status, v)
    }

    /// `POST /api/3/action/ACTION` with arbitrary bytes; the raw answer (panics only on transport
    /// errors — use [`request`] to see those).
    pub fn post_raw(
        &self,
        action: &str,
        bytes: Vec<u8>,
        content_type: &str,
        token: Option<&str>,
    ) -> Reply {
        self.request_or_panic(
            "POST",
            &Self::action_path(action),
            &[],
            Some((bytes, content_type)),
            token,
        )
    }

    /// The admin's token, for brevity.
    pub fn admin(&self) -> Option<&str> {
        Some(self.admin_token.as_str())
    }

    /// `result` of a successful action, or a panic showing the whole answer.
    pub fn ok(&self, (status, body): (u16, Value)) -> Value {
        assert_eq!(status, 200, "expected success, got HTTP {status}: {body:#}");
        assert_eq!(
            body["success"],
            Value::Bool(true),
            "expected success: {body:#}"
        );
        body.get("result").cloned().unwrap_or(Value::Null)
    }

    /// Creates an organization (as admin) and returns its dict.
    pub fn create_org(&self, name: &str) -> Value {
        self.ok(self.post(
            "organization_create",
            &serde_json::json!({"name": name, "title": name}),
            self.admin(),
        ))
    }

    /// Creates a dataset (as admin) in `org` and returns its dict.
    pub fn create_dataset(&self, name: &str, org: &str) -> Value {
        self.ok(self.post(
            "package_create",
            &serde_json::json!({"name": name, "owner_org": org}),
            self.admin(),
        ))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        self.stop();
        if panicking {
            let err = self.stderr();
            if !err.trim().is_empty() {
                eprintln!(
                    "--- `cong serve` stderr ({} backend, last 8000 chars) ---\n{}",
                    self.backend,
                    tail(&err, 8000)
                );
            }
        }
        // `pg` (schema drop) and `dir` (temp dir) are dropped next, in field order.
    }
}

fn tail(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_string()
    } else {
        s.chars().skip(n - max).collect()
    }
}

/// Reads a fixture file from `tests/data/`.
pub fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}
