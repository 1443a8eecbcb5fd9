//! `heartlock audit verify`, run as a real process on both databases.
use crate::common::run;
use heartlock_core::audit::{ActorKind, NewAuditEvent, Outcome};
use heartlock_store::testing::TestDb;
use heartlock_store::{Backend, DbTarget};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(TestDb::new(Backend::Sqlite).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(TestDb::new(Backend::Postgres).await).await;
            }
        }
    };
}

/// The URL the binary must get to open the same database. TestDb's SQLite
/// URL (`sqlite:///abs`) reads as a relative path under the Django-style
/// rules of heartlock-config, so absolute paths get the four-slash form.
fn database_url(db: &TestDb) -> String {
    match &db.target {
        DbTarget::Sqlite(path) => format!("sqlite:///{}", path.display()),
        DbTarget::Postgres(url) => url.clone(),
    }
}

fn ev(i: i64) -> NewAuditEvent {
    NewAuditEvent {
        at_ms: 1_700_000_000_000 + i,
        actor_kind: ActorKind::User,
        actor_id: Some("u1".into()),
        actor_name: Some("alice@example.com".into()),
        action: "secret.read".into(),
        project_id: Some("p1".into()),
        environment_id: Some("e1".into()),
        secret_key: Some("DB_URL".into()),
        ip: None,
        outcome: Outcome::Success,
        detail: None,
    }
}

both_backends!(
    verify_reports_intact_then_tampered,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(&db);
        let env = [("DATABASE_URL", url.as_str())];

        // An empty (even unmigrated) database is intact.
        let out = run(dir.path(), &env, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("audit log intact: 0 event(s)"));

        let store = db.store().await;
        store
            .append_audit(&(0..5).map(ev).collect::<Vec<_>>())
            .await
            .unwrap();
        let out = run(dir.path(), &env, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("audit log intact: 5 event(s)"),
            "{}",
            text(&out.stdout)
        );

        store
            .execute_raw("UPDATE audit_events SET secret_key = 'OTHER' WHERE seq = 3")
            .await
            .unwrap();
        let out = run(dir.path(), &env, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("audit log TAMPERED: hash mismatch at seq 3"),
            "{stdout}"
        );

        store
            .execute_raw("UPDATE audit_events SET secret_key = 'DB_URL' WHERE seq = 3")
            .await
            .unwrap();
        store
            .execute_raw("DELETE FROM audit_events WHERE seq = 2")
            .await
            .unwrap();
        let out = run(dir.path(), &env, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("audit log TAMPERED: gap after seq 1 (next is seq 3)"),
            "{stdout}"
        );
        store.close().await;
    }
);

both_backends!(verify_fails_on_a_truncated_log, |db: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&db);
    let env = [("DATABASE_URL", url.as_str())];
    let store = db.store().await;
    store
        .append_audit(&(0..1000).map(ev).collect::<Vec<_>>())
        .await
        .unwrap();
    // Deleting the newest rows leaves a valid but shorter chain.
    store
        .execute_raw("DELETE FROM audit_events WHERE seq > 10")
        .await
        .unwrap();
    let out = run(dir.path(), &env, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .contains("TAMPERED: truncated: the log ends at seq 10 but its head records seq 1000"),
        "{stdout}"
    );
});
