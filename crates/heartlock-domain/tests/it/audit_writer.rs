//! The group-commit audit writer and chain verification, on both databases.
use heartlock_core::audit::{ActorKind, ChainBreak, NewAuditEvent, Outcome};
use heartlock_domain::audit::{self, AuditFilter, AuditLog};
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

fn ev(task: usize, i: usize) -> NewAuditEvent {
    NewAuditEvent {
        at_ms: 1_700_000_000_000 + i as i64,
        actor_kind: ActorKind::Token,
        actor_id: Some(format!("tok{task}")),
        actor_name: Some(format!("ci-{task}")),
        action: "environment.read".into(),
        project_id: Some("p1".into()),
        environment_id: Some("e1".into()),
        secret_key: None,
        ip: Some("127.0.0.1".into()),
        outcome: Outcome::Success,
        detail: Some(format!("{i}")),
    }
}

store_test!(
    concurrent_records_all_land_in_one_chain,
    |db: TestDb| async move {
        let store = db.store().await;
        let (log, handle) = AuditLog::start(store.clone());
        let mut tasks = Vec::new();
        for t in 0..16 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..125 {
                    log.record(ev(t, i)).await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        log.flush().await;
        let all = store.audit_batch(0, 10_000).await.unwrap();
        assert_eq!(all.len(), 2000);
        assert!(all.iter().enumerate().all(|(i, e)| e.seq == i as i64 + 1));
        // Each task's events keep their order.
        for t in 0..16 {
            let mine: Vec<_> = all
                .iter()
                .filter(|e| e.event.actor_id.as_deref() == Some(&format!("tok{t}")))
                .map(|e| e.event.detail.clone().unwrap())
                .collect();
            assert_eq!(mine, (0..125).map(|i| i.to_string()).collect::<Vec<_>>());
        }
        let report = audit::verify(&store).await.unwrap();
        assert_eq!(report.events, 2000);
        assert!(report.is_intact(), "{report:?}");
        handle.shutdown().await;
    }
);

store_test!(list_sees_its_own_writes, |db: TestDb| async move {
    let store = db.store().await;
    let (log, handle) = AuditLog::start(store.clone());
    for i in 0..3 {
        log.record(ev(0, i)).await;
    }
    let filter = AuditFilter {
        actor_id: Some("tok0".into()),
        ..Default::default()
    };
    log.flush().await;
    let heartlock_store::AuditPage {
        events: page,
        total,
        ..
    } = store.list_audit(&filter, 2, 0).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].seq, 3);
    handle.shutdown().await;
});

store_test!(shutdown_drains_what_was_queued, |db: TestDb| async move {
    let store = db.store().await;
    let (log, handle) = AuditLog::start(store.clone());
    for i in 0..700 {
        log.record(ev(1, i)).await;
    }
    handle.shutdown().await;
    assert_eq!(store.audit_batch(0, 10_000).await.unwrap().len(), 700);
    // Late events are still stored (directly), and flush does not hang.
    log.record(ev(2, 0)).await;
    log.flush().await;
    let report = audit::verify(&store).await.unwrap();
    assert_eq!(report.events, 701);
    assert!(report.is_intact());
});

store_test!(
    verify_detects_edits_and_deletions,
    |db: TestDb| async move {
        let store = db.store().await;
        let report = audit::verify(&store).await.unwrap();
        assert_eq!((report.events, report.first_break), (0, None));

        let (log, handle) = AuditLog::start(store.clone());
        for i in 0..10 {
            log.record(ev(0, i)).await;
        }
        handle.shutdown().await;
        let report = audit::verify(&store).await.unwrap();
        assert_eq!((report.events, report.first_break), (10, None));

        let n = store
            .execute_raw("UPDATE audit_events SET action = 'secret.delete' WHERE seq = 4")
            .await
            .unwrap();
        assert_eq!(n, 1);
        let report = audit::verify(&store).await.unwrap();
        assert_eq!(report.events, 10);
        assert_eq!(
            report.first_break,
            Some(ChainBreak::HashMismatch { seq: 4 })
        );

        store
            .execute_raw("UPDATE audit_events SET action = 'environment.read' WHERE seq = 4")
            .await
            .unwrap();
        assert!(audit::verify(&store).await.unwrap().is_intact());

        store
            .execute_raw("DELETE FROM audit_events WHERE seq = 6")
            .await
            .unwrap();
        let report = audit::verify(&store).await.unwrap();
        assert_eq!(report.events, 9);
        assert_eq!(
            report.first_break,
            Some(ChainBreak::Gap { after: 5, next: 7 })
        );
    }
);

store_test!(verify_streams_past_one_batch, |db: TestDb| async move {
    let store = db.store().await;
    let events: Vec<_> = (0..2500).map(|i| ev(0, i)).collect();
    store.append_audit(&events).await.unwrap();
    let report = audit::verify(&store).await.unwrap();
    assert_eq!((report.events, report.first_break), (2500, None));
    store
        .execute_raw("UPDATE audit_events SET ip = '10.9.9.9' WHERE seq = 2222")
        .await
        .unwrap();
    let report = audit::verify(&store).await.unwrap();
    assert_eq!(
        report.first_break,
        Some(ChainBreak::HashMismatch { seq: 2222 })
    );
});

store_test!(
    a_failing_database_delays_but_never_drops,
    |db: TestDb| async move {
        let store = db.store().await;
        let (log, handle) = AuditLog::start(store.clone());
        log.record(ev(0, 0)).await;
        log.flush().await;
        // Hide the table: every append now fails and is retried.
        store
            .execute_raw("ALTER TABLE audit_events RENAME TO audit_events_hidden")
            .await
            .unwrap();
        // Each caller waits for its own commit (its response would too).
        let waiting: Vec<_> = (1..50)
            .map(|i| {
                let log = log.clone();
                tokio::spawn(async move { log.record(ev(0, i)).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            waiting.iter().all(|t| !t.is_finished()),
            "no caller is released before its event is committed"
        );
        store
            .execute_raw("ALTER TABLE audit_events_hidden RENAME TO audit_events")
            .await
            .unwrap();
        for t in waiting {
            t.await.unwrap();
        }
        let report = audit::verify(&store).await.unwrap();
        assert_eq!((report.events, report.first_break), (50, None));
        handle.shutdown().await;
    }
);

store_test!(
    verify_detects_a_deleted_tail_and_a_missing_head,
    |db: TestDb| async move {
        let store = db.store().await;
        let (log, handle) = AuditLog::start(store.clone());
        for i in 0..1200 {
            log.record(ev(0, i)).await;
        }
        handle.shutdown().await;
        assert!(audit::verify(&store).await.unwrap().is_intact());

        // The reported attack: delete the newest rows.
        store
            .execute_raw("DELETE FROM audit_events WHERE seq > 200")
            .await
            .unwrap();
        let report = audit::verify(&store).await.unwrap();
        assert_eq!(report.events, 200);
        assert_eq!(
            report.first_break,
            Some(ChainBreak::Truncated {
                last: 200,
                head: 1200
            })
        );

        // Deleting the head as well is no way out.
        store.execute_raw("DELETE FROM audit_head").await.unwrap();
        let report = audit::verify(&store).await.unwrap();
        assert_eq!(
            report.first_break,
            Some(ChainBreak::HeadMismatch { last: 200 })
        );
    }
);
