//! Encryption at rest against a real database: key check, rotation, binding.
use crate::common::settings_for;
use heartlock_core::{CryptoError, Keyring, SystemClock};
use heartlock_domain::rotation;
use heartlock_server::BootError;
use heartlock_store::EncryptedColumn;
use heartlock_store::testing::TestDb;
use std::sync::Arc;

async fn seed_values(store: &heartlock_store::Store, ring: &Keyring, n: usize) {
    for i in 0..n {
        let name = format!("value{i:03}");
        let ct = ring
            .seal(
                &heartlock_core::binding::server_secret_context(&name),
                format!("plain-{i}").as_bytes(),
            )
            .unwrap();
        store
            .server_secret_get_or_insert(&name, &ct, 1)
            .await
            .unwrap();
    }
}

backend_test!(
    rotate_key_moves_every_value_to_the_new_key,
    |backend| async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let old = Keyring::generate_key();
        let new = Keyring::generate_key();
        let old_ring = Keyring::parse(&old).unwrap();
        seed_values(&store, &old_ring, 1203).await;

        let both = Keyring::parse(&format!("{new},{old}")).unwrap();
        let before = rotation::usage(&store, &both).await.unwrap();
        assert_eq!(before.remaining_old(), 1203);
        let report = rotation::rotate(&store, &both).await.unwrap();
        assert_eq!(report.rotated(), 1203);
        assert_eq!(report.remaining_old(), 0);
        assert_eq!(report.unreadable(), 0);

        // Every stored value now opens with "new" alone.
        let new_only = Keyring::parse(&new).unwrap();
        let col = EncryptedColumn::ServerSecretValue;
        let rows = store.encrypted_batch(col, "", 5000).await.unwrap();
        assert_eq!(rows.len(), 1203);
        for row in rows {
            let opened = new_only
                .open(&row.binding.context(), &row.ciphertext)
                .unwrap();
            assert_eq!(opened.key_index, 0);
        }
        // Running again is a no-op (resumable).
        assert_eq!(rotation::rotate(&store, &both).await.unwrap().rotated(), 0);
    }
);

backend_test!(
    a_ciphertext_moved_to_another_row_fails_integrity,
    |backend| async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let ring = Keyring::parse(&Keyring::generate_key()).unwrap();
        seed_values(&store, &ring, 2).await;
        let col = EncryptedColumn::ServerSecretValue;
        let a = store.server_secret("value000").await.unwrap().unwrap();
        let b = store.server_secret("value001").await.unwrap().unwrap();
        assert!(
            store
                .replace_ciphertext(col, "value001", &b, &a)
                .await
                .unwrap()
        );
        let moved = store.server_secret("value001").await.unwrap().unwrap();
        assert_eq!(
            ring.open(
                &heartlock_core::binding::server_secret_context("value001"),
                &moved
            )
            .err(),
            Some(CryptoError::Integrity)
        );
        assert_eq!(
            rotation::usage(&store, &ring).await.unwrap().unreadable(),
            1
        );
    }
);

backend_test!(a_wrong_key_is_a_clear_startup_error, |backend| async move {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let first = settings_for(&db, dir.path(), |_| {});
    heartlock_server::boot(first, Arc::new(SystemClock))
        .await
        .unwrap()
        .shutdown()
        .await;
    let other = settings_for(&db, dir.path(), |_| {});
    let err = match heartlock_server::boot(other, Arc::new(SystemClock)).await {
        Err(e) => e,
        Ok(_) => panic!("a different key must not boot"),
    };
    assert!(matches!(err, BootError::WrongKey(_)));
    assert!(
        err.to_string().contains("does not match this database"),
        "{err}"
    );
});

backend_test!(
    a_version_moved_under_another_key_fails_integrity,
    |backend| async move {
        use reqwest::Method;
        use serde_json::json;
        let srv = crate::common::TestServer::start(backend, |_| {}).await;
        let (token, _, _) = crate::common::register(&srv, "owner@example.com").await;
        crate::common::call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&token),
            Some(json!({ "name": "Payments" })),
        )
        .await;
        let base = "/api/v1/projects/payments/environments/development/secrets";
        for (k, v) in [("A", "value-of-a"), ("B", "value-of-b")] {
            let r = crate::common::call(
                Method::PUT,
                srv.url(&format!("{base}/{k}")),
                Some(&token),
                Some(json!({ "value": v })),
            )
            .await;
            assert_eq!(r.0, 200);
        }
        // Re-parent A's version row under B (as someone with database access could).
        srv.store
        .execute_raw(
            "UPDATE secrets SET current_version = 2 WHERE key = 'B'; \
             UPDATE secret_versions SET secret_id = (SELECT id FROM secrets WHERE key = 'B'), version = 2 \
             WHERE secret_id = (SELECT id FROM secrets WHERE key = 'A')",
        )
        .await
        .unwrap();
        let (status, body) = crate::common::call(
            Method::GET,
            srv.url(&format!("{base}/B")),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(
            status, 500,
            "must fail loudly, not serve A's value as B: {body}"
        );
        assert!(!body.to_string().contains("value-of-a"));
        let report = rotation::usage(&srv.store, &srv.state.keyring)
            .await
            .unwrap();
        assert_eq!(report.unreadable(), 1);
        srv.stop().await;
    }
);
