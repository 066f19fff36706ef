//! The database going away under a running `cong serve`: backends killed, the server down and
//! back (through a proxy the test cuts), and down at start-up. Requests made while it is down
//! get CKAN's envelope with 503; every request succeeds within 3 s of it being back.

mod common;

use common::proxy::Proxy;
use common::{Backend, TestServer};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How soon after the database is back every request must succeed.
const RECOVERY: Duration = Duration::from_secs(3);

fn postgres_server() -> Option<TestServer> {
    TestServer::start_or_skip(Backend::Postgres)
}

/// PostgreSQL's address, from DATABASE_URL (`postgres://HOST:PORT/DB`).
fn postgres_addr() -> SocketAddr {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| common::DEFAULT_DATABASE_URL.to_string());
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let host_port = rest.split(['/', '?']).next().unwrap_or("127.0.0.1:5432");
    let host_port = host_port.rsplit('@').next().unwrap_or(host_port);
    let with_port = if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    };
    let with_port = with_port.replace("localhost", "127.0.0.1");
    with_port
        .parse()
        .expect("PostgreSQL address in DATABASE_URL")
}

/// The mix of reads and writes a portal sees, one of each; returns their statuses.
fn a_few_requests(srv: &TestServer, n: usize) -> Vec<(u16, Value)> {
    vec![
        srv.get("package_show", &[("id", "ds-faults")], None),
        srv.get("package_search", &[("q", "du lieu")], None),
        srv.get("organization_show", &[("id", "org-faults")], srv.admin()),
        srv.post(
            "package_patch",
            &json!({"id": "ds-faults", "version": n.to_string()}),
            srv.admin(),
        ),
        srv.post(
            "package_create",
            &json!({"name": format!("ds-faults-{n}"), "owner_org": "org-faults"}),
            srv.admin(),
        ),
    ]
}

fn seed(srv: &TestServer) {
    srv.create_org("org-faults");
    srv.ok(srv.post(
        "package_create",
        &json!({"name": "ds-faults", "title": "Dữ liệu thử", "owner_org": "org-faults"}),
        srv.admin(),
    ));
}

/// Sends requests until all of one round succeed; panics when that takes longer than
/// `RECOVERY` after `back`.
fn recovers(srv: &TestServer, back: Instant, round: &mut usize) {
    loop {
        *round += 1;
        let answers = a_few_requests(srv, *round);
        if answers.iter().all(|(s, _)| *s == 200) {
            return;
        }
        for (status, body) in &answers {
            if *status != 200 {
                assert_eq!(*status, 503, "only 503 while recovering: {body}");
            }
        }
        assert!(
            back.elapsed() < RECOVERY,
            "still failing {:?} after the database came back: {answers:?}",
            back.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn killed_backends_are_replaced_without_failing_a_request() {
    let Some(srv) = postgres_server() else { return };
    seed(&srv);
    let mut round = 0;
    for _ in 0..3 {
        // Use several pooled connections, then kill every one (the listener's too).
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| a_few_requests(&srv, 0));
            }
        });
        let killed = srv.pg().expect("schema").terminate_backends();
        assert!(killed > 0, "no backend of this server to terminate");
        round += 1;
        let answers = a_few_requests(&srv, 1000 + round);
        for (status, body) in &answers {
            assert_eq!(
                *status, 200,
                "a request after pg_terminate_backend failed: {body}"
            );
        }
    }
}

#[test]
fn database_down_and_back_answers_503_then_recovers() {
    let Some(mut srv) = postgres_server() else {
        return;
    };
    let mut proxy = Proxy::start(postgres_addr());
    let through_proxy = srv
        .pg()
        .expect("schema")
        .url_on(&format!("postgres://127.0.0.1:{}/test", proxy.port()));
    srv.stop();
    srv.set_database_url(through_proxy);
    srv.start_again();
    seed(&srv);
    let mut round = 0;
    for _ in 0..2 {
        proxy.down();
        let answers = a_few_requests(&srv, 0);
        for (status, body) in &answers {
            assert_eq!(*status, 503, "while the database is down: {body}");
            assert_eq!(body["success"], json!(false));
            assert_eq!(body["error"]["__type"], json!("Service Unavailable"));
        }
        // DCAT documents: from the index when it can answer alone, else 503; never a 500 or
        // a truncated document.
        for path in ["/catalog.ttl", "/dataset/ds-faults.ttl", "/sitemap.xml"] {
            let reply = srv
                .request("GET", path, &[], None, None)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                reply.status == 200 || reply.status == 503,
                "{path} while the database is down: {} {}",
                reply.status,
                reply.text()
            );
        }
        assert!(srv.is_answering(), "the server must stay up");
        proxy.up();
        recovers(&srv, Instant::now(), &mut round);
    }
    let catalog = srv
        .request("GET", "/catalog.ttl", &[], None, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalog.status, 200, "{}", catalog.text());
    assert!(catalog.text().contains("ds-faults"), "{}", catalog.text());
    // Nothing written twice or lost: the patches and creates that succeeded are there.
    let ds = srv.ok(srv.get("package_show", &[("id", "ds-faults")], srv.admin()));
    assert_eq!(ds["version"], json!(round.to_string()));
}

#[test]
fn database_down_at_start_up() {
    let Some(mut srv) = postgres_server() else {
        return;
    };
    seed(&srv);
    let mut proxy = Proxy::down_from_start(postgres_addr());
    let through_proxy = srv
        .pg()
        .expect("schema")
        .url_on(&format!("postgres://127.0.0.1:{}/test", proxy.port()));
    srv.stop();
    // The index is gone too, so it must be rebuilt once the database answers.
    std::fs::remove_dir_all(srv.data_dir().join("index")).expect("remove index");
    srv.set_database_url(through_proxy);
    srv.start_again();
    // stderr is read by another thread: give it a moment.
    let said = Instant::now();
    while !srv.stderr().contains("not reachable yet") && said.elapsed() < RECOVERY {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        srv.stderr().contains("not reachable yet"),
        "{}",
        srv.stderr()
    );
    let (status, body) = srv.get("package_show", &[("id", "ds-faults")], None);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["__type"], json!("Service Unavailable"));
    proxy.up();
    let back = Instant::now();
    let mut round = 0;
    recovers(&srv, back, &mut round);
    let found = srv.ok(srv.get("package_search", &[("q", "name:ds-faults")], None));
    assert_eq!(found["count"], json!(1), "the index was rebuilt: {found}");
}

#[test]
fn unknown_database_url_schemes_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for url in [
        "postgress://127.0.0.1/test",
        "mysql://127.0.0.1/test",
        "sqlite3:x.db",
    ] {
        for command in [&["migrate"][..], &["serve", "--bind", "127.0.0.1:0"][..]] {
            let out = std::process::Command::new(common::CONG)
                .current_dir(dir.path())
                .env_remove("CONG_DATABASE_URL")
                .args(["--data-dir", "data", "--database-url", url])
                .args(command)
                .output()
                .expect("run cong");
            assert!(!out.status.success(), "{url} was accepted by {command:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("unknown database URL scheme"), "{err}");
        }
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}
