//! `heartlock members invite | invitations | resend | revoke | list` through
//! the real binary and server, with the messages captured by the real SMTP
//! relay, on both databases: the link goes by email only (never printed),
//! a resend makes a new link, a revoke ends the invitation.
use crate::cli_support::{Fixture, PASSWORD, text};
use crate::common::Server;
use heartlock_store::testing::TestDb;
use heartlock_store::{Backend, DbTarget};
use std::time::Duration;

use crate::cli_mail::smtp;

#[test]
fn members_invite_list_resend_revoke_sqlite() {
    on(Backend::Sqlite);
}

#[test]
fn members_invite_list_resend_revoke_postgres() {
    on(Backend::Postgres);
}

fn on(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::new(backend));
    let url = match &db.target {
        DbTarget::Sqlite(path) => format!("sqlite:///{}", path.display()),
        DbTarget::Postgres(url) => url.clone(),
    };
    let mail = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    let _relay = smtp::Relay::start(port, mail.path(), None);
    let srv_dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let port_s = port.to_string();
    let srv = Server::start(
        srv_dir.path(),
        &[
            ("DATABASE_URL", &url),
            ("HEARTLOCK_ENCRYPTION_KEY", &key),
            ("SECURE_SSL_REDIRECT", "false"),
            ("EMAIL_HOST", "127.0.0.1"),
            ("EMAIL_PORT", &port_s),
            ("EMAIL_HOST_USER", smtp::USER),
            ("EMAIL_HOST_PASSWORD", smtp::PASSWORD),
            ("EMAIL_USE_TLS", "false"),
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
    fx.ok(
        &[],
        &[
            "projects", "create", "demo", "--env", "dev", "--env", "prod",
        ],
    );
    fx.ok(&[], &["setup", "--no-input", "-p", "demo", "-e", "dev"]);

    let invited = fx.ok(
        &[],
        &[
            "members",
            "invite",
            "bob@example.com",
            "--role",
            "member",
            "--env",
            "dev",
        ],
    );
    assert!(invited.contains("invited bob@example.com"), "{invited}");
    assert!(invited.contains("in dev"), "{invited}");
    let got = rt.block_on(smtp::wait_for(mail.path(), 1, Duration::from_secs(20)));
    let first = got[0]["plain"].as_str().unwrap().to_string();
    assert_eq!(got[0]["rcpt_tos"], serde_json::json!(["bob@example.com"]));
    let link = first
        .split_whitespace()
        .find(|w| w.contains("/invite/hl_inv_"))
        .unwrap();
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(!invited.contains(&token), "the link is never printed");

    let table = fx.ok(&[], &["members", "invitations"]);
    assert!(
        table.contains("bob@example.com") && table.contains("member"),
        "{table}"
    );
    assert!(!table.contains(&token));
    let json = fx.ok(&[], &["members", "invitations", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{json}");
    assert_eq!(list[0]["environments"], serde_json::json!(["dev"]));
    let id = list[0]["id"].as_str().unwrap().to_string();

    let out = fx.ok(&[], &["members", "resend", &id]);
    assert!(out.contains("again"), "{out}");
    let got = rt.block_on(smtp::wait_for(mail.path(), 2, Duration::from_secs(20)));
    assert!(
        !got[1]["plain"].as_str().unwrap().contains(&token),
        "a new link"
    );

    // An owner invitation by an owner works; an unknown role is refused (exit 1).
    let out = fx.cli(
        &[],
        &["members", "invite", "carol@example.com", "--role", "king"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let out = fx.ok(&[], &["members", "revoke", &id]);
    assert!(out.contains("revoked"), "{out}");
    let json = fx.ok(&[], &["members", "invitations", "--json"]);
    assert_eq!(json.trim(), "[]", "{json}");
    let out = fx.cli(&[], &["members", "revoke", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let members = fx.ok(&[], &["members", "list"]);
    assert!(
        members.contains("alice@example.com") && members.contains("owner"),
        "{members}"
    );
    drop(fx);
    drop(db);
}
