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

store_test!(
    batched_swaps_keep_a_concurrent_write,
    |db: heartlock_store::testing::TestDb| async move {
        let store = db.store().await;
        // More rows than one SQLite statement takes, so chunks are crossed.
        let n = 250;
        for i in 0..n {
            store
                .server_secret_get_or_insert(&format!("k{i:03}"), &format!("ct{i}"), 1)
                .await
                .unwrap();
        }
        let col = EncryptedColumn::ServerSecretValue;
        let swaps: Vec<_> = (0..n)
            .map(|i| (format!("k{i:03}"), format!("ct{i}"), format!("new{i}")))
            .collect();
        // A writer replaced k007 after the rotation read it: its value wins.
        assert!(
            store
                .replace_ciphertext(col, "k007", "ct7", "written")
                .await
                .unwrap()
        );
        assert_eq!(store.replace_ciphertexts(col, &swaps).await.unwrap(), n - 1);
        assert_eq!(
            store.server_secret("k007").await.unwrap().as_deref(),
            Some("written")
        );
        assert_eq!(
            store.server_secret("k249").await.unwrap().as_deref(),
            Some("new249")
        );
        // Every old value is stale now: a second run swaps nothing.
        assert_eq!(store.replace_ciphertexts(col, &swaps).await.unwrap(), 0);
        assert_eq!(store.replace_ciphertexts(col, &[]).await.unwrap(), 0);

        // The joined column (secret values) swaps the same way.
        let (_, env) = crate::store_secrets::project(&store, None).await;
        let writes: Vec<_> = ["A", "B"]
            .iter()
            .map(|k| heartlock_store::SecretWrite {
                key: (*k).into(),
                version_id: heartlock_core::ids::new_id(),
                value_ct: Some(format!("ct-{k}")),
                comment: None,
            })
            .collect();
        let author = heartlock_store::Author {
            user_id: None,
            token_id: None,
        };
        store
            .write_secrets(&env, &writes, &author, 1)
            .await
            .unwrap();
        let col = EncryptedColumn::SecretVersionValue;
        let rows = store.encrypted_batch(col, "", 10).await.unwrap();
        let swaps: Vec<_> = rows
            .iter()
            .map(|r| {
                let stale = if r.ciphertext == "ct-A" {
                    "ct-old"
                } else {
                    &r.ciphertext
                };
                (
                    r.id.clone(),
                    stale.to_string(),
                    format!("{}-new", r.ciphertext),
                )
            })
            .collect();
        assert_eq!(store.replace_ciphertexts(col, &swaps).await.unwrap(), 1);
        let mut now: Vec<_> = store
            .encrypted_batch(col, "", 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.ciphertext)
            .collect();
        now.sort();
        assert_eq!(now, ["ct-A", "ct-B-new"]);

        // Settings: only sealed ones are swapped, even when a plain one matches.
        let setting = |name: &str, sealed| heartlock_store::ServerSetting {
            name: name.into(),
            value: "v1".into(),
            sealed,
        };
        store
            .replace_server_settings("oidc", &[setting("A", false), setting("B", true)], 1)
            .await
            .unwrap();
        let swaps: Vec<_> = ["A", "B"]
            .iter()
            .map(|n| (n.to_string(), "v1".to_string(), "v2".to_string()))
            .collect();
        let col = EncryptedColumn::ServerSettingValue;
        assert_eq!(store.replace_ciphertexts(col, &swaps).await.unwrap(), 1);
        let read = store.server_settings("oidc").await.unwrap().unwrap();
        let values: Vec<_> = read.settings.iter().map(|s| s.value.as_str()).collect();
        assert_eq!(values, ["v1", "v2"]);
        // The outbox statement runs too (nothing matches here).
        let col = EncryptedColumn::OutboxPayload;
        assert_eq!(store.replace_ciphertexts(col, &swaps).await.unwrap(), 0);
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
