//! `heartlock backup`, `restore` and `migrate-db` as real processes: a
//! seeded SQLite instance restored into PostgreSQL serves the same
//! exports, copies round-trip exactly between backends, and bad inputs
//! (a non-empty target, a flipped byte, the wrong key) write nothing.
use crate::cli_support::{Fixture, text};
use crate::common::{Server, run};
use heartlock_store::testing::TestDb;
use heartlock_store::{Backend, DbTarget, Snapshot, Store, StoreOptions};
use std::path::Path;

/// A SQLite instance with two users, a project with two environments,
/// secrets with several versions, a token and the audit events of all
/// that. Returns the fixture (server stopped), its DATABASE_URL, its key
/// and a read token for both environments.
fn seeded(key: &str) -> (Fixture, String, String) {
    let mut fx = Fixture::start_with(&[("HEARTLOCK_ENCRYPTION_KEY", key)]);
    fx.register("alice@example.com");
    fx.register("bob@example.com");
    let out = fx.cli_in(
        &[],
        &[
            "login",
            "--server",
            &fx.url,
            "--email",
            "alice@example.com",
            "--password-stdin",
        ],
        format!("{}\n", crate::cli_support::PASSWORD).as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    fx.ok(
        &[],
        &[
            "projects", "create", "demo", "--env", "dev", "--env", "prod",
        ],
    );
    fx.ok(&[], &["setup", "--no-input", "-p", "demo", "-e", "dev"]);
    fx.ok(&[], &["secrets", "set", "DB_URL=postgres://one"]);
    fx.ok(
        &[],
        &["secrets", "set", "DB_URL=postgres://two", "API_KEY=k1"],
    );
    fx.ok(&[], &["secrets", "set", "MULTI=line one\nline \"two\" é"]);
    fx.ok(
        &[],
        &["secrets", "set", "-e", "prod", "DB_URL=postgres://prod"],
    );
    fx.ok(
        &[],
        &["secrets", "set", "-e", "prod", "DB_URL=postgres://prod2"],
    );
    let out = fx.cli(
        &[],
        &["tokens", "create", "ci", "--env", "dev", "--env", "prod"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    fx.stop();
    let url = format!(
        "sqlite:///{}",
        fx.srv_dir.path().join("hl.sqlite3").display()
    );
    (fx, url, token)
}

/// `export` of both environments through a server on `db_url`.
fn exports(cwd: &Path, db_url: &str, key: &str, token: &str) -> Vec<String> {
    let srv = Server::start(
        cwd,
        &[
            ("DATABASE_URL", db_url),
            ("HEARTLOCK_ENCRYPTION_KEY", key),
            ("SECURE_SSL_REDIRECT", "false"),
        ],
    );
    let server = format!("http://{}", srv.addr);
    let env = [
        ("HEARTLOCK_SERVER", server.as_str()),
        ("HEARTLOCK_TOKEN", token),
    ];
    let mut out = Vec::new();
    for e in ["dev", "prod"] {
        let o = run(
            cwd,
            &env,
            &["export", "-p", "demo", "-e", e, "--format", "json"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        out.push(text(&o.stdout));
    }
    let (status, log) = srv.terminate();
    assert!(status.success(), "{log}");
    out
}

/// Every row, read as the system principal (under row-level security a
/// store without an actor sees no project rows).
async fn snapshot_of(target: DbTarget) -> Snapshot {
    let store = Store::connect(&StoreOptions::new(target))
        .await
        .unwrap()
        .acting_as(heartlock_store::TxActor {
            kind: "system",
            id: Some("test".into()),
        });
    let snap = store.snapshot(&mut |_, _| {}).await.unwrap();
    store.close().await;
    snap
}

async fn in_use(db: &TestDb) -> bool {
    let store = db.store().await;
    let used = store.is_in_use().await.unwrap();
    store.close().await;
    used
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_restores_into_postgres_and_bad_inputs_write_nothing() {
    let key = heartlock_core::Keyring::generate_key();
    let (fx, src_url, token) = tokio::task::spawn_blocking({
        let key = key.clone();
        move || seeded(&key)
    })
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path().to_path_buf();
    let file = cwd.join("hl.backup");
    let file_s = file.display().to_string();
    let src_env = [
        ("DATABASE_URL", src_url.as_str()),
        ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
    ];
    let before = exports(&cwd, &src_url, &key, &token);
    assert!(before[0].contains("postgres://two") && before[1].contains("postgres://prod2"));

    let out = run(&cwd, &src_env, &["backup", &file_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("backup written to"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("secret_versions"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !text(&bytes).contains("postgres://two"),
        "values stay encrypted"
    );

    // Into PostgreSQL (a fresh, unmigrated database).
    let pg = TestDb::new(Backend::Postgres).await;
    // Restoring needs the owner role of a two-role database (the runtime
    // role may not delete audit rows).
    let mut pg_env: Vec<(&str, &str)> = vec![
        ("DATABASE_URL", pg.url.as_str()),
        ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
    ];
    if let Some(o) = &pg.owner_url {
        pg_env.push(("DATABASE_OWNER_URL", o.as_str()));
    }
    let out = run(&cwd, &pg_env, &["restore", &file_s]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("audit log intact"), "{stdout}");
    assert!(stdout.contains("the configured key opens"), "{stdout}");
    let after = exports(&cwd, &pg.url, &key, &token);
    let out = run(&cwd, &pg_env, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    assert_eq!(before, after);

    // A database in use is refused without --force, replaced with it.
    let out = run(&cwd, &pg_env, &["restore", &file_s]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("--force"));
    let out = run(&cwd, &pg_env, &["restore", "--force", &file_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Exactly the data backed up (the source was not touched since).
    let restored = snapshot_of(pg.target.clone()).await;
    let source = snapshot_of(DbTarget::Sqlite(fx.srv_dir.path().join("hl.sqlite3"))).await;
    assert_eq!(restored, source);

    // And back from PostgreSQL into SQLite: the same rows, line for line.
    let pg_file = cwd.join("pg.backup");
    let out = run(&cwd, &pg_env, &["backup", &pg_file.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let data_lines = |b: &[u8]| {
        let t = text(b);
        let lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[1..lines.len() - 1].to_vec()
    };
    assert_eq!(
        data_lines(&bytes),
        data_lines(&std::fs::read(&pg_file).unwrap())
    );
    let sq = TestDb::new(Backend::Sqlite).await;
    let sq_env = [
        ("DATABASE_URL", sq.url.as_str()),
        ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
    ];
    let out = run(&cwd, &sq_env, &["restore", &pg_file.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(snapshot_of(sq.target.clone()).await, source);

    // One flipped byte: refused before anything is written.
    let empty = TestDb::new(Backend::Sqlite).await;
    let mut bad = bytes.clone();
    let i = bad.len() / 2;
    bad[i] ^= 0x01;
    let bad_file = cwd.join("bad.backup");
    std::fs::write(&bad_file, &bad).unwrap();
    let empty_env = [
        ("DATABASE_URL", empty.url.as_str()),
        ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
    ];
    let out = run(
        &cwd,
        &empty_env,
        &["restore", &bad_file.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("backup file is corrupted"),
        "{}",
        text(&out.stderr)
    );
    assert!(!in_use(&empty).await);

    // The wrong key: a clear error, nothing written.
    let other = heartlock_core::Keyring::generate_key();
    let wrong_env = [
        ("DATABASE_URL", empty.url.as_str()),
        ("HEARTLOCK_ENCRYPTION_KEY", other.as_str()),
    ];
    let out = run(&cwd, &wrong_env, &["restore", &file_s]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("does not match"), "{stderr}");
    assert!(!stderr.contains(&key) && !stderr.contains(&other));
    assert!(!in_use(&empty).await);
    drop(fx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_db_round_trips_sqlite_postgres_sqlite_exactly() {
    let key = heartlock_core::Keyring::generate_key();
    let (fx, src_url, _token) = tokio::task::spawn_blocking({
        let key = key.clone();
        move || seeded(&key)
    })
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    let pg = TestDb::new(Backend::Postgres).await;
    let back = cwd.join("back.sqlite3");
    let back_url = format!("sqlite:///{}", back.display());

    // Into a two-role database through its owner (docs/deployment.md).
    let pg_to = pg.owner_url.as_ref().unwrap_or(&pg.url);
    let out = run(
        cwd,
        &[("DATABASE_URL", src_url.as_str())],
        &["migrate-db", "--to", pg_to],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("audit log intact"));
    assert!(
        text(&out.stderr).contains("copied  secret_versions"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        cwd,
        &[("DATABASE_URL", pg.url.as_str())],
        &["migrate-db", "--to", &back_url],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let source = snapshot_of(DbTarget::Sqlite(fx.srv_dir.path().join("hl.sqlite3"))).await;
    let middle = snapshot_of(pg.target.clone()).await;
    let last = snapshot_of(DbTarget::Sqlite(back.clone())).await;
    assert!(source.table("secret_versions").unwrap().rows.len() >= 5);
    assert!(source.table("audit_events").unwrap().rows.len() > 5);
    assert_eq!(source, middle);
    assert_eq!(source, last);

    // A target in use is refused and left as it was.
    let out = run(
        cwd,
        &[("DATABASE_URL", src_url.as_str())],
        &["migrate-db", "--to", &back_url],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(snapshot_of(DbTarget::Sqlite(back)).await, source);
    let out = run(
        cwd,
        &[
            ("DATABASE_URL", pg.url.as_str()),
            ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
        ],
        &["audit", "verify"],
    );
    assert_eq!(out.status.code(), Some(0));
    drop(fx);
}
