//! Operator commands act on the domain directly (no HTTP) and are audited
//! as the system principal.
use crate::support::World;
use heartlock_config::{Secret, Settings};
use heartlock_core::audit::ActorKind;
use heartlock_domain::records::AuditFilter;
use heartlock_domain::{Principal, rotation};
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

store_test!(migrate_is_audited_as_the_system, |db: TestDb| async move {
    // A fresh database: the two-role test setup comes migrated.
    let db = TestDb::with_roles(db.backend, false).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(dir.path());
    settings.database_url = Secret::new(db.url.clone());
    let applied = heartlock_domain::migrate(&settings).await.unwrap();
    assert!(applied > 0);
    // Nothing left to apply: nothing more to record.
    assert_eq!(heartlock_domain::migrate(&settings).await.unwrap(), 0);
    let store = db.store().await;
    let filter = AuditFilter {
        action: Some("database.migrate".into()),
        ..Default::default()
    };
    let heartlock_store::AuditPage { events, total, .. } =
        store.list_audit(&filter, 10, 0).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(events[0].event.actor_kind, ActorKind::System);
    assert_eq!(events[0].event.actor_name.as_deref(), Some("migrate"));
});

store_test!(
    rotate_key_is_audited_as_the_system,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let report = rotation::run(&w.dom, &Principal::system("rotate-key"), true)
            .await
            .unwrap();
        assert_eq!(report.unreadable(), 0);
        // Only server administrators and the system may rotate.
        assert!(rotation::run(&w.dom, &w.owner, true).await.is_err());
        w.dom.flush_audit().await;
        let filter = AuditFilter {
            action: Some("key.rotate".into()),
            ..Default::default()
        };
        let heartlock_store::AuditPage { events, total, .. } =
            w.store.list_audit(&filter, 10, 0).await.unwrap();
        assert_eq!(total, 1);
        assert_eq!(events[0].event.actor_kind, ActorKind::System);
        assert_eq!(events[0].event.actor_name.as_deref(), Some("rotate-key"));
    }
);
