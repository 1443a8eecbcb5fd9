//! The outbox: enqueued with a write, claimed under a lease, marked; each
//! test runs on SQLite and on PostgreSQL.
use heartlock_core::binding::Binding;
use heartlock_store::{EncryptedColumn, NewOutboxMessage, store_test};

fn message(id: &str, at: i64) -> NewOutboxMessage {
    NewOutboxMessage {
        id: id.into(),
        kind: "email".into(),
        recipient: format!("{id}@example.com"),
        payload_ct: format!("sealed-{id}"),
        created_at: at,
    }
}

store_test!(
    claims_leases_retries_and_marks,
    |db: heartlock_store::testing::TestDb| async move {
        let store = db.store().await;
        store
            .enqueue_outbox(vec![message("m1", 100), message("m2", 101)])
            .await
            .unwrap();
        assert_eq!(store.outbox_counts().await.unwrap().pending, 2);

        // One claim takes the oldest; a second claimer gets the other one only.
        let a = store.claim_outbox("wa", 1_000, 5_000, 1).await.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].id, "m1");
        assert_eq!(a[0].attempts, 1);
        assert_eq!(a[0].payload_ct.as_deref(), Some("sealed-m1"));
        let b = store.claim_outbox("wb", 1_000, 5_000, 10).await.unwrap();
        assert_eq!(b.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["m2"]);
        assert!(
            store
                .claim_outbox("wc", 1_000, 5_000, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Only the holder marks; a retry waits for its time.
        assert!(!store.outbox_sent("m1", "wb", 1_100).await.unwrap());
        assert!(
            store
                .outbox_retry("m1", "wa", 3_000, "451 try later")
                .await
                .unwrap()
        );
        assert!(
            store
                .claim_outbox("wc", 2_000, 9_000, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let again = store.claim_outbox("wc", 3_000, 9_000, 10).await.unwrap();
        assert_eq!(again[0].id, "m1");
        assert_eq!(again[0].attempts, 2);
        assert_eq!(again[0].last_error.as_deref(), Some("451 try later"));
        assert!(store.outbox_sent("m1", "wc", 3_100).await.unwrap());

        // wb died holding m2: once its lease ends, another worker gets it.
        assert!(
            store
                .claim_outbox("wd", 4_999, 9_000, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let taken = store.claim_outbox("wd", 5_000, 9_000, 10).await.unwrap();
        assert_eq!(taken[0].id, "m2");
        // The old holder can no longer mark it.
        assert!(!store.outbox_sent("m2", "wb", 5_001).await.unwrap());
        assert!(
            store
                .outbox_failed("m2", "wd", 5_002, "550 no such user")
                .await
                .unwrap()
        );

        let counts = store.outbox_counts().await.unwrap();
        assert_eq!((counts.pending, counts.sent, counts.failed), (0, 1, 1));
        let failed = store.list_outbox(Some("failed"), 10).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].recipient, "m2@example.com");
        assert_eq!(failed[0].last_error.as_deref(), Some("550 no such user"));
        assert_eq!(failed[0].payload_ct, None, "listings carry no payload");
        assert!(
            store
                .claim_outbox("we", 99_999, 999_999, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Key rotation sees the failed row's payload (the sent one was dropped).
        let rows = store
            .encrypted_batch(EncryptedColumn::OutboxPayload, "", 10)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].binding, Binding::Outbox { id: "m2".into() });

        assert_eq!(store.purge_sent_outbox(3_101).await.unwrap(), 1);
        assert_eq!(store.list_outbox(None, 10).await.unwrap().len(), 1);
    }
);
