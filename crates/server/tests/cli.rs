//! The `cong` command line: clear messages and non-zero exits on bad input, and the commands
//! other tools depend on (user add, token create, openapi, files check, migrate, demo).

#[macro_use]
mod common;

use common::{Backend, TestServer, CONG};
use std::process::Command;

fn cong(args: &[&str]) -> std::process::Output {
    Command::new(CONG)
        .args(args)
        .env_remove("CONG_DATABASE_URL")
        .env_remove("CONG_DATA_DIR")
        .output()
        .expect("run cong")
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_arguments_are_refused_with_usage() {
    let o = cong(&["serve", "--no-such-flag"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--no-such-flag"), "{}", stderr(&o));
    let o = cong(&["frobnicate"]);
    assert!(!o.status.success());
}

#[test]
fn an_occupied_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let o = cong(&[
        "--data-dir",
        dir.path().to_str().expect("path"),
        "serve",
        "--bind",
        &addr,
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("cannot listen on") && err.contains(&addr),
        "{err}"
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = cong(&[
        "--data-dir",
        dir.path().to_str().expect("path"),
        "--database-url",
        "postgres://127.0.0.1:1/nowhere?connect_timeout=2",
        "migrate",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("cannot connect to the database"), "{err}");
}

#[test]
fn an_unknown_config_key_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("cong.toml");
    std::fs::write(&cfg, "colour = \"blue\"\n").expect("write config");
    let o = cong(&[
        "--config",
        cfg.to_str().expect("path"),
        "--data-dir",
        dir.path().to_str().expect("path"),
        "migrate",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("colour"), "{}", stderr(&o));
}

#[test]
fn openapi_prints_every_action() {
    let o = cong(&["openapi"]);
    assert!(o.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("openapi is JSON");
    for action in [
        "package_create",
        "package_search",
        "resource_create",
        "api_token_create",
    ] {
        assert!(
            doc["paths"]
                .get(format!("/api/3/action/{action}"))
                .is_some(),
            "{action} missing"
        );
    }
}

both_backends!(users_and_tokens_sqlite, users_and_tokens_postgres, |srv| {
    // A duplicate user and a bad e-mail are refused with CKAN's messages, and exit non-zero.
    let o = srv.cli(&["user", "add", "admin", "--email", "other@example.gov.vn"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("That login name is not available."),
        "{}",
        stderr(&o)
    );
    let o = srv.cli(&["user", "add", "bad-mail", "--email", "nope"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("Email nope is not a valid format"),
        "{}",
        stderr(&o)
    );
    // token create prints the token alone, and the token works.
    srv.cli_ok(&[
        "user",
        "add",
        "bien-tap",
        "--email",
        "bt@example.gov.vn",
        "--password",
        "Mat-khau-12345",
    ]);
    let token = srv.cli_ok(&["token", "create", "bien-tap", "--label", "script"]);
    let token = token.trim();
    assert_eq!(token.lines().count(), 1);
    assert!(token.len() >= 40, "{token}");
    let (status, body) = srv.get("user_show", &[("id", "bien-tap")], Some(token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"]["email"], "bt@example.gov.vn",
        "the user sees their own e-mail"
    );
    let o = srv.cli(&["token", "create", "no-such-user"]);
    assert!(!o.status.success());
});

both_backends!(
    demo_is_idempotent_sqlite,
    demo_is_idempotent_postgres,
    |srv| {
        srv.cli_ok(&["demo"]);
        let (_, first) = srv.get("package_list", &[], None);
        srv.cli_ok(&["demo"]);
        let (_, second) = srv.get("package_list", &[], None);
        assert_eq!(first, second);
        let names = first["result"].as_array().expect("list");
        assert!(names.len() >= 30, "{} public demo datasets", names.len());
        let (_, orgs) = srv.get("organization_list", &[], None);
        assert_eq!(orgs["result"].as_array().map(Vec::len), Some(56));
        let (_, hn) = srv.get("organization_show", &[("id", "ha-noi")], None);
        assert_eq!(hn["result"]["title"], "Thành phố Hà Nội");
        let (_, groups) = srv.get("group_list", &[], None);
        assert_eq!(groups["result"].as_array().map(Vec::len), Some(12));
        // Search sees the demo at once (the index follows the change feed).
        let (_, found) = srv.get("package_search", &[("q", "ha noi"), ("rows", "0")], None);
        assert!(
            found["result"]["count"].as_u64().unwrap_or(0) >= 1,
            "{found}"
        );
    }
);

#[test]
fn migrate_twice_is_harmless() {
    let srv = TestServer::start(Backend::Sqlite);
    srv.cli_ok(&["migrate"]);
    srv.cli_ok(&["migrate"]);
    let (status, _) = srv.get("status_show", &[], None);
    assert_eq!(status, 200);
}
