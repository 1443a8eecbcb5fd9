//! Storage tests; each runs on SQLite and on PostgreSQL.
use heartlock_store::{EncryptedColumn, store_test};

store_test!(
    migrations_apply_once_and_report_none_pending,
    |db: heartlock_store::testing::TestDb| async move {
        let store = db.store().await;
        assert_eq!(store.pending_migrations().await.unwrap(), 0);
        // Re-running is a no-op, as `serve` and `heartlock migrate` both run it.
        store.migrate().await.unwrap();
        store.ping().await.unwrap();
    }
);

store_test!(
    fresh_database_reports_pending_migrations,
    |db: heartlock_store::testing::TestDb| async move {
        // The two-role test setup migrates up front: a one-role database is fresh.
        let db = heartlock_store::testing::TestDb::with_roles(db.backend, false).await;
        let store =
            heartlock_store::Store::connect(&heartlock_store::StoreOptions::new(db.target.clone()))
                .await
                .unwrap();
        assert!(store.pending_migrations().await.unwrap() > 0);
    }
);

store_test!(
    server_secrets_first_writer_wins,
    |db: heartlock_store::testing::TestDb| async move {
        let store = db.store().await;
        assert_eq!(store.server_secret("jwt").await.unwrap(), None);
        let a = store
            .server_secret_get_or_insert("jwt", "ct-a", 1)
            .await
            .unwrap();
        let b = store
            .server_secret_get_or_insert("jwt", "ct-b", 2)
            .await
            .unwrap();
        assert_eq!(a, "ct-a");
        assert_eq!(b, "ct-a");
    }
);

store_test!(
    encrypted_batches_page_and_swap,
    |db: heartlock_store::testing::TestDb| async move {
        let store = db.store().await;
        for i in 0..5 {
            store
                .server_secret_get_or_insert(&format!("k{i}"), &format!("ct{i}"), 1)
                .await
                .unwrap();
        }
        let col = EncryptedColumn::ServerSecretValue;
        let first = store.encrypted_batch(col, "", 3).await.unwrap();
        assert_eq!(first.len(), 3);
        let rest = store.encrypted_batch(col, &first[2].id, 3).await.unwrap();
        assert_eq!(rest.len(), 2);
        assert!(
            store
                .replace_ciphertext(col, "k0", "ct0", "new0")
                .await
                .unwrap()
        );
        // A stale compare-and-swap does nothing.
        assert!(
            !store
                .replace_ciphertext(col, "k0", "ct0", "new1")
                .await
                .unwrap()
        );
        assert_eq!(
            store.server_secret("k0").await.unwrap().as_deref(),
            Some("new0")
        );
    }
);

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_data_folder_and_its_files_are_private() {
    use heartlock_store::{DbTarget, Store, StoreOptions};
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("heartlock_data");
    let path = dir.join("db.sqlite3");
    let store = Store::connect(&StoreOptions::new(DbTarget::Sqlite(path.clone())))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    // Reconnecting tightens whatever the first connection created.
    let store = Store::connect(&StoreOptions::new(DbTarget::Sqlite(path.clone())))
        .await
        .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&path), 0o600);
    store.close().await;
}
