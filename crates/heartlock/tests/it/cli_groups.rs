//! `heartlock groups grant | list | revoke` through the real binary and
//! server, on both databases: a grant with environments, its listing (table
//! and JSON), refused ones, and its revocation.
use crate::cli_support::{Fixture, PASSWORD, text};
use crate::common::Server;
use heartlock_store::testing::TestDb;
use heartlock_store::{Backend, DbTarget};

#[test]
fn groups_grant_list_and_revoke_sqlite() {
    on(Backend::Sqlite);
}

#[test]
fn groups_grant_list_and_revoke_postgres() {
    on(Backend::Postgres);
}

/// A server on a fresh database of `backend`, signed in, with project
/// `demo` (dev, prod) set up in the CLI's folder (as `Fixture::with_project`).
fn on(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::new(backend));
    let url = match &db.target {
        DbTarget::Sqlite(path) => format!("sqlite:///{}", path.display()),
        DbTarget::Postgres(url) => url.clone(),
    };
    let srv_dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let srv = Server::start(
        srv_dir.path(),
        &[
            ("DATABASE_URL", &url),
            ("HEARTLOCK_ENCRYPTION_KEY", &key),
            ("SECURE_SSL_REDIRECT", "false"),
        ],
    );
    let fx = Fixture {
        url: format!("http://{}", srv.addr),
        srv: Some(srv),
        srv_dir,
        home: tempfile::tempdir().unwrap(),
    };
    fx.register("alice@example.com");
    let login = [
        "login",
        "--server",
        &fx.url,
        "--email",
        "alice@example.com",
        "--password-stdin",
    ];
    let out = fx.cli_in(&[], &login, format!("{PASSWORD}\n").as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let create = [
        "projects", "create", "demo", "--env", "dev", "--env", "prod",
    ];
    fx.ok(&[], &create);
    fx.ok(&[], &["setup", "--no-input", "-p", "demo", "-e", "dev"]);
    groups_grant_list_and_revoke(&fx);
    drop(fx);
    drop(db);
}

fn groups_grant_list_and_revoke(fx: &Fixture) {
    let out = fx.ok(
        &[],
        &[
            "groups",
            "grant",
            "devs",
            "--role",
            "member",
            "--environments",
            "dev,prod",
            "-p",
            "demo",
        ],
    );
    assert!(out.contains("devs") && out.contains("member"), "{out}");
    fx.ok(&[], &["groups", "grant", "ops team", "--role", "viewer"]);

    let table = fx.ok(&[], &["groups", "list"]);
    assert!(table.contains("GROUP"), "{table}");
    assert!(table.contains("dev, prod"), "{table}");
    assert!(
        table.contains("ops team") && table.contains("all"),
        "{table}"
    );
    let json = fx.ok(&[], &["groups", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{json}");
    assert_eq!(list[0]["group"], "devs");
    assert_eq!(list[0]["environments"], serde_json::json!(["dev", "prod"]));
    assert_eq!(list[1]["environments"], serde_json::Value::Null);

    // An unknown environment and an admin limited to some: refused, exit 1.
    for args in [
        &[
            "groups",
            "grant",
            "devs",
            "--role",
            "member",
            "--environments",
            "nope",
        ][..],
        &[
            "groups",
            "grant",
            "devs",
            "--role",
            "admin",
            "--environments",
            "dev",
        ][..],
    ] {
        let out = fx.cli(&[], args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("environments"),
            "{}",
            text(&out.stderr)
        );
    }

    let out = fx.ok(&[], &["groups", "revoke", "devs"]);
    assert!(out.contains("revoked"), "{out}");
    let json = fx.ok(&[], &["groups", "ls", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{json}");
    // Revoking it again: not found, exit 1.
    let out = fx.cli(&[], &["groups", "revoke", "devs"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}
