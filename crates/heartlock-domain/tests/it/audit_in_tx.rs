//! A change and its audit rows commit together: a write is never stored
//! without its event, nor answered before the event is durable.
use crate::support::World;
use heartlock_core::formats::SecretMap;
use heartlock_domain::secrets::{self, Changes, EnvRef};
use heartlock_store::AuditFilter;
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

const AT: EnvRef<'static> = EnvRef {
    project: "payments",
    env: "production",
};

fn one(key: &str, value: &str) -> SecretMap {
    let mut set = SecretMap::new();
    set.insert(key.into(), value.into());
    set
}

fn changes(set: &SecretMap) -> Changes<'_> {
    Changes {
        set,
        delete: &[],
        comment: None,
        action: "secret.write",
    }
}

async fn write_events(w: &World, key: &str) -> usize {
    let filter = AuditFilter {
        action: Some("secret.write".into()),
        ..Default::default()
    };
    let events = w.store.list_audit(&filter, 1000, 0).await.unwrap().events;
    events
        .iter()
        .filter(|e| e.event.secret_key.as_deref() == Some(key))
        .count()
}

store_test!(
    a_write_is_stored_with_its_event_or_not_at_all,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let set = one("API_KEY", "first");
        secrets::write(&w.dom, &w.owner, AT, changes(&set))
            .await
            .unwrap();
        // No flush: the event was committed with the version.
        assert_eq!(write_events(&w, "API_KEY").await, 1);

        // With the audit table unwritable, the write fails and leaves nothing.
        w.store
            .execute_raw("ALTER TABLE audit_events RENAME TO audit_events_hidden")
            .await
            .unwrap();
        let set = one("API_KEY", "second");
        let refused = secrets::write(&w.dom, &w.owner, AT, changes(&set)).await;
        assert!(
            refused.is_err(),
            "a change without its audit row must not commit"
        );
        w.store
            .execute_raw("ALTER TABLE audit_events_hidden RENAME TO audit_events")
            .await
            .unwrap();
        let current = secrets::get(&w.dom, &w.owner, AT, "API_KEY").await.unwrap();
        assert_eq!(current.value, "first");
        assert_eq!(current.version, 1);
        assert_eq!(write_events(&w, "API_KEY").await, 1);
        assert!(
            heartlock_domain::audit::verify(&w.store)
                .await
                .unwrap()
                .is_intact()
        );
    }
);
