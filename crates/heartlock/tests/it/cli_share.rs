//! `heartlock share` and `share open | list | revoke` through the real
//! binary and server, on both databases: text and file round trips, a
//! passphrase (a wrong one uses no view), a two-view link, a project's
//! secret as the source, revocation. The recipient runs in its own empty
//! HOME: opening a link needs no sign-in.
use crate::cli_support::{Fixture, PASSWORD, text};
use crate::common::{Server, heartlock};
use heartlock_store::testing::TestDb;
use heartlock_store::{Backend, DbTarget};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

const GONE: &str = "this link is no longer available";

#[test]
fn share_round_trips_sqlite() {
    on(Backend::Sqlite);
}

#[test]
fn share_round_trips_postgres() {
    on(Backend::Postgres);
}

/// Runs the CLI in `dir` with no profile and no settings, feeding `stdin`.
fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = heartlock(dir, &[])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn heartlock");
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The link printed by `share` (stdout, one line).
fn create(fx: &Fixture, args: &[&str], stdin: &[u8]) -> String {
    let mut all = vec!["share"];
    all.extend_from_slice(args);
    let out = fx.cli_in(&[], &all, stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "share {args:?}: {}",
        text(&out.stderr)
    );
    let link = text(&out.stdout).trim().to_string();
    assert!(link.starts_with(&format!("{}/s/", fx.url)), "{link}");
    assert_eq!(link.split('#').nth(1).map(str::len), Some(43), "{link}");
    link
}

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
    let create_project = [
        "projects", "create", "demo", "--env", "dev", "--env", "prod",
    ];
    fx.ok(&[], &create_project);
    fx.ok(&[], &["setup", "--no-input", "-p", "demo", "-e", "dev"]);
    let stranger = tempfile::tempdir().unwrap();

    text_once(&fx, stranger.path());
    file_bytes(&fx, stranger.path());
    passphrase(&fx, stranger.path());
    two_views(&fx, stranger.path());
    from_secret_then_revoke(&fx, stranger.path());
    refused_input(&fx, stranger.path());
    drop(db);
}

/// A text opens exactly once, byte for byte, for someone not signed in.
fn text_once(fx: &Fixture, stranger: &Path) {
    let value = "hunter2 ✓\nsecond line, no newline at the end";
    let link = create(fx, &["--label", "for bob"], value.as_bytes());
    let out = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), value);
    assert!(
        text(&out.stderr).contains("used up"),
        "{}",
        text(&out.stderr)
    );

    let again = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains(GONE),
        "{}",
        text(&again.stderr)
    );
    assert!(again.stdout.is_empty());
}

/// A file keeps its bytes and name; an existing file is never overwritten.
fn file_bytes(fx: &Fixture, stranger: &Path) {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let src = fx.home.path().join("id_ed25519");
    std::fs::write(&src, &bytes).unwrap();
    let link = create(fx, &["--file", src.to_str().unwrap(), "--views", "2"], b"");

    let out = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        out.stdout.is_empty(),
        "a file never goes to stdout by default"
    );
    assert_eq!(std::fs::read(stranger.join("id_ed25519")).unwrap(), bytes);
    assert!(text(&out.stderr).contains("id_ed25519"));

    // Its own name is taken now: written beside it, nothing overwritten.
    std::fs::write(stranger.join("id_ed25519"), b"keep me").unwrap();
    let out = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(stranger.join("id_ed25519")).unwrap(),
        b"keep me"
    );
    assert_eq!(std::fs::read(stranger.join("id_ed25519.1")).unwrap(), bytes);
    let out = run_in(stranger, &["share", "open", &link], b"");
    assert!(text(&out.stderr).contains(GONE), "{}", text(&out.stderr));

    // --output picks the path; an existing one is refused before any view is used.
    let link = create(fx, &["--file", src.to_str().unwrap()], b"");
    let out = run_in(stranger, &["share", "open", &link, "-o", "id_ed25519"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    let out = run_in(stranger, &["share", "open", &link, "-o", "copy.bin"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(stranger.join("copy.bin")).unwrap(), bytes);
}

/// A wrong passphrase is refused without using the view; the right one opens.
fn passphrase(fx: &Fixture, stranger: &Path) {
    let right = fx.home.path().join("pass");
    std::fs::write(&right, "corre\u{301}ct horse\n").unwrap();
    let link = create(
        fx,
        &["--passphrase-file", right.to_str().unwrap()],
        b"DATABASE_URL=postgres://u:p@db/x",
    );

    // Without one (stdin is not a terminal): a hint, no request that counts.
    let out = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--passphrase-file"),
        "{}",
        text(&out.stderr)
    );

    let wrong = stranger.join("wrong");
    std::fs::write(&wrong, "incorrect horse\n").unwrap();
    let args = [
        "share",
        "open",
        &link,
        "--passphrase-file",
        wrong.to_str().unwrap(),
    ];
    let out = run_in(stranger, &args, b"");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!err.contains("incorrect horse"), "{err}");
    assert!(out.stdout.is_empty());

    // NFC: the composed form of the same passphrase opens it.
    let composed = stranger.join("composed");
    std::fs::write(&composed, "corr\u{e9}ct horse").unwrap();
    let args = [
        "share",
        "open",
        &link,
        "--passphrase-file",
        composed.to_str().unwrap(),
    ];
    let out = run_in(stranger, &args, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "DATABASE_URL=postgres://u:p@db/x");
}

/// `--views 2`: two opens, then gone.
fn two_views(fx: &Fixture, stranger: &Path) {
    let link = create(fx, &["--views", "2", "--expires", "30m"], b"twice");
    for left in ["1 more time", "used up"] {
        let out = run_in(stranger, &["share", "open", &link], b"");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "twice");
        assert!(text(&out.stderr).contains(left), "{}", text(&out.stderr));
    }
    let out = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(GONE));
}

/// `--secret KEY` shares the project's value and names it as the source;
/// `share list` shows it (never the value), `share revoke` ends it.
fn from_secret_then_revoke(fx: &Fixture, stranger: &Path) {
    fx.ok(&[], &["secrets", "set", "API_TOKEN=s3cr3t-from-project"]);
    let out = fx.ok(
        &[],
        &["share", "--secret", "API_TOKEN", "--json", "--label", "api"],
    );
    let created: Value = serde_json::from_str(&out).unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let link = created["link"].as_str().unwrap().to_string();
    assert!(link.contains(&id));
    assert_eq!(created["passphrase"], false);

    let listed: Value = serde_json::from_str(&fx.ok(&[], &["share", "list", "--json"])).unwrap();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .expect("the new share is listed");
    assert_eq!(mine["label"], "api");
    assert_eq!(mine["views_left"], 1);
    assert_eq!(mine["source"]["key"], "API_TOKEN");
    assert_eq!(mine["source"]["project"], "demo");
    let table = fx.ok(&[], &["share", "list"]);
    assert!(table.contains(&id) && !table.contains("s3cr3t"), "{table}");
    assert!(!listed.to_string().contains("s3cr3t"));

    let out = fx.ok(&[], &["share", "revoke", &id]);
    assert!(out.contains(&id));
    let out = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(GONE));
    let listed = fx.ok(&[], &["share", "list", "--json"]);
    assert!(!listed.contains(&id), "{listed}");

    // A second share of it opens to the value.
    let link = create(fx, &["--secret", "API_TOKEN"], b"");
    let out = run_in(stranger, &["share", "open", &link], b"");
    assert_eq!(text(&out.stdout), "s3cr3t-from-project");

    // Once the project's admins forbid sharing, --secret is refused.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = heartlock_client::Client::new(&fx.url).unwrap();
        let tokens = c.login("alice@example.com", PASSWORD).await.unwrap();
        let c = c.with_token(tokens.access_token);
        c.set_project_sharing("demo", false).await.unwrap();
        assert!(!c.project_sharing("demo").await.unwrap());
    });
    let out = fx.cli(&[], &["share", "--secret", "API_TOKEN"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("do not allow share links"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
    // Text typed in by the sender is still theirs to share.
    create(fx, &[], b"not from the project");
}

/// Mistakes are caught before anything is sent, and links are checked.
fn refused_input(fx: &Fixture, stranger: &Path) {
    let out = fx.cli_in(&[], &["share"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("empty"), "{}", text(&out.stderr));
    let out = fx.cli_in(&[], &["share", "--expires", "5 fortnights-ish"], b"x");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("30m, 2h or 7d"),
        "{}",
        text(&out.stderr)
    );
    let out = fx.cli_in(&[], &["share", "--views", "0"], b"x");
    assert_eq!(out.status.code(), Some(2));
    let out = fx.cli_in(&[], &["share", "--secret", "NOPE_MISSING"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let link = create(fx, &[], b"v");
    let no_key = link.split('#').next().unwrap().to_string();
    let out = run_in(stranger, &["share", "open", &no_key], b"");
    assert_eq!(out.status.code(), Some(2));
    // A key for another share: the access value is wrong.
    let (_, key) = link.split_once('#').unwrap();
    let other = create(fx, &[], b"w");
    let (other_base, _) = other.split_once('#').unwrap();
    let out = run_in(
        stranger,
        &["share", "open", &format!("{other_base}#{key}")],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run_in(stranger, &["share", "open", &other], b"");
    assert_eq!(text(&out.stdout), "w", "{}", text(&out.stderr));
}
