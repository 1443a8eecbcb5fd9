//! Audit log storage; each test runs on SQLite and on PostgreSQL.
use heartlock_core::audit::{
    ActorKind, AuditEvent, ChainVerifier, GENESIS_HASH, NewAuditEvent, Outcome, event_hash,
};
use heartlock_store::testing::TestDb;
use heartlock_store::{AuditFilter, AuditPage, Store, store_test};

fn ev(at_ms: i64, action: &str, project: Option<&str>, actor: &str) -> NewAuditEvent {
    NewAuditEvent {
        at_ms,
        actor_kind: ActorKind::User,
        actor_id: Some(actor.into()),
        actor_name: Some(format!("{actor}@example.com")),
        action: action.into(),
        project_id: project.map(Into::into),
        environment_id: None,
        secret_key: Some("DB_URL".into()),
        ip: Some("10.0.0.1".into()),
        outcome: Outcome::Success,
        detail: None,
    }
}

async fn all(store: &Store) -> Vec<AuditEvent> {
    store.audit_batch(0, 100_000).await.unwrap()
}

fn assert_chain(events: &[AuditEvent]) {
    let mut v = ChainVerifier::new();
    for e in events {
        v.push(e).unwrap();
    }
}

store_test!(append_continues_the_chain, |db: TestDb| async move {
    let store = db.store().await;
    assert!(store.append_audit(&[]).await.unwrap().is_empty());
    let mut detailed = ev(1, "auth.login", None, "u1");
    detailed.detail = Some(String::new());
    detailed.actor_kind = ActorKind::Anonymous;
    detailed.outcome = Outcome::Denied;
    let first = store
        .append_audit(&[detailed.clone(), ev(2, "secret.read", Some("p1"), "u1")])
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!((first[0].seq, first[1].seq), (1, 2));
    assert_eq!(first[0].prev_hash, GENESIS_HASH);
    assert_eq!(first[1].prev_hash, first[0].hash);
    assert_eq!(
        first[0].hash,
        event_hash(1, &first[0].id, &detailed, GENESIS_HASH)
    );
    let second = store
        .append_audit(&[ev(3, "secret.write", Some("p1"), "u2")])
        .await
        .unwrap();
    assert_eq!(second[0].seq, 3);
    assert_eq!(second[0].prev_hash, first[1].hash);

    // What is read back is exactly what was returned (Some("") stays Some("")).
    let stored = all(&store).await;
    assert_eq!(stored[..2], first[..]);
    assert_eq!(stored[2], second[0]);
    assert_chain(&stored);
    assert_eq!(store.audit_batch(1, 1).await.unwrap()[0].seq, 2);
    assert!(store.audit_batch(3, 10).await.unwrap().is_empty());
});

store_test!(list_filters_paginates_and_counts, |db: TestDb| async move {
    let store = db.store().await;
    let mut events = Vec::new();
    for i in 0..10 {
        let project = if i % 2 == 0 { "p1" } else { "p2" };
        let action = if i < 6 { "secret.read" } else { "secret.write" };
        events.push(ev(1000 + i, action, Some(project), &format!("u{}", i % 3)));
    }
    let mut denied = ev(2000, "auth.login", None, "u9");
    denied.outcome = Outcome::Denied;
    events.push(denied);
    // Looks like a prefix match for "secret." under LIKE-style rules, but is not.
    events.push(ev(2001, "secretX.read", Some("p1"), "u0"));
    store.append_audit(&events).await.unwrap();

    let list = |f: AuditFilter, limit: i64, offset: i64| {
        let store = store.clone();
        async move {
            let page = store.list_audit(&f, limit, offset).await.unwrap();
            assert!(page.total_exact);
            (page.events, page.total)
        }
    };

    // Newest first, with the total of everything.
    let (page, total) = list(AuditFilter::default(), 5, 0).await;
    assert_eq!(total, 12);
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [12, 11, 10, 9, 8]
    );
    let (page, total) = list(AuditFilter::default(), 5, 10).await;
    assert_eq!((page.len(), total), (2, 12));
    assert_eq!(page[1].seq, 1);

    let (page, total) = list(
        AuditFilter {
            project_id: Some("p1".into()),
            ..Default::default()
        },
        3,
        0,
    )
    .await;
    assert_eq!((page.len(), total), (3, 6));
    assert!(
        page.iter()
            .all(|e| e.event.project_id.as_deref() == Some("p1"))
    );

    let by_projects = |ids: Vec<&str>| AuditFilter {
        project_ids: Some(ids.into_iter().map(Into::into).collect()),
        ..Default::default()
    };
    assert_eq!(list(by_projects(vec!["p1", "p2"]), 100, 0).await.1, 11);
    assert_eq!(list(by_projects(vec!["p2"]), 100, 0).await.1, 5);
    assert_eq!(list(by_projects(vec![]), 100, 0).await.1, 0);

    let action = |a: &str| AuditFilter {
        action: Some(a.into()),
        ..Default::default()
    };
    assert_eq!(list(action("secret.read"), 100, 0).await.1, 6);
    assert_eq!(list(action("secret."), 100, 0).await.1, 10);
    assert_eq!(list(action("secret.*"), 100, 0).await.1, 10);
    assert_eq!(list(action("SECRET."), 100, 0).await.1, 0);
    assert_eq!(list(action("secret"), 100, 0).await.1, 0);

    let (page, total) = list(
        AuditFilter {
            outcome: Some(Outcome::Denied),
            ..Default::default()
        },
        100,
        0,
    )
    .await;
    assert_eq!(total, 1);
    assert_eq!(page[0].event.action, "auth.login");

    let (_, total) = list(
        AuditFilter {
            actor_id: Some("u0".into()),
            project_id: Some("p1".into()),
            ..Default::default()
        },
        100,
        0,
    )
    .await;
    // u0 acts at i = 0, 3, 6, 9; p1 at even i; plus the secretX row.
    assert_eq!(total, 3);

    let (page, total) = list(
        AuditFilter {
            since_ms: Some(1002),
            until_ms: Some(1005),
            ..Default::default()
        },
        100,
        0,
    )
    .await;
    assert_eq!(total, 3);
    assert_eq!(
        page.iter().map(|e| e.event.at_ms).collect::<Vec<_>>(),
        [1004, 1003, 1002]
    );
});

store_test!(
    concurrent_appends_stay_contiguous,
    |db: TestDb| async move {
        let store = db.store().await;
        let mut tasks = Vec::new();
        for t in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..25 {
                    store
                        .append_audit(&[ev(i, "secret.read", Some("p1"), &format!("t{t}"))])
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let stored = all(&store).await;
        assert_eq!(stored.len(), 200);
        assert!(
            stored
                .iter()
                .enumerate()
                .all(|(i, e)| e.seq == i as i64 + 1)
        );
        assert_chain(&stored);
    }
);

store_test!(
    a_second_store_on_the_same_database_continues_the_chain,
    |db: TestDb| async move {
        // Two "instances" appending alternately and concurrently.
        let a = db.store().await;
        let b = db.store().await;
        let mut tasks = Vec::new();
        for store in [a.clone(), b] {
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    let batch = vec![ev(i, "secret.read", None, "x"); 3];
                    store.append_audit(&batch).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let stored = all(&a).await;
        assert_eq!(stored.len(), 120);
        assert_chain(&stored);
    }
);

fn seqs(page: &AuditPage) -> Vec<i64> {
    page.events.iter().map(|e| e.seq).collect()
}

fn cursor(project: Option<&str>, before: Option<i64>, after: Option<i64>) -> AuditFilter {
    AuditFilter {
        project_id: project.map(Into::into),
        before_seq: before,
        after_seq: after,
        ..Default::default()
    }
}

store_test!(
    keyset_pages_walk_the_log_both_ways,
    |db: TestDb| async move {
        let store = db.store().await;
        // p1 holds seqs 1, 6, 11, 16 and 21.
        let events: Vec<_> = (0..25)
            .map(|i| {
                ev(
                    i,
                    "secret.read",
                    Some(if i % 5 == 0 { "p1" } else { "p2" }),
                    "u1",
                )
            })
            .collect();
        store.append_audit(&events).await.unwrap();
        let list = |f: AuditFilter, limit: i64, offset: i64| {
            let store = store.clone();
            async move { store.list_audit(&f, limit, offset).await.unwrap() }
        };
        let desc = |hi: i64, lo: i64| (lo..=hi).rev().collect::<Vec<_>>();

        // Unfiltered: the head is the exact total, older pages by cursor...
        let first = list(cursor(None, None, None), 10, 0).await;
        assert_eq!(seqs(&first), desc(25, 16));
        assert_eq!((first.total, first.total_exact), (25, true));
        assert_eq!((first.older, first.newer), (Some(16), None));
        let second = list(cursor(None, first.older, None), 10, 0).await;
        assert_eq!(seqs(&second), desc(15, 6));
        assert_eq!(
            (second.older, second.newer, second.total),
            (Some(6), Some(15), 25)
        );
        let last = list(cursor(None, second.older, None), 10, 0).await;
        assert_eq!(seqs(&last), desc(5, 1));
        assert_eq!((last.older, last.newer), (None, Some(5)));
        // ...the same pages by number...
        assert_eq!(list(cursor(None, None, None), 10, 20).await, last);
        assert_eq!(
            seqs(&list(cursor(None, None, None), 10, 10).await),
            desc(15, 6)
        );
        assert!(
            list(cursor(None, None, None), 10, 30)
                .await
                .events
                .is_empty()
        );
        // ...and back to the newest by the other cursor.
        let back = list(cursor(None, None, last.newer), 10, 0).await;
        assert_eq!(seqs(&back), desc(15, 6));
        assert_eq!((back.older, back.newer), (Some(6), Some(15)));
        let top = list(cursor(None, None, back.newer), 10, 0).await;
        assert_eq!(seqs(&top), desc(25, 16));
        assert_eq!((top.older, top.newer), (Some(16), None));
        // A cursor combines with an offset (counted from the cursor).
        assert_eq!(
            seqs(&list(cursor(None, Some(20), None), 3, 2).await),
            [17, 16, 15]
        );

        // Filtered: the same walk over the matching rows only.
        let p1 = Some("p1");
        let a = list(cursor(p1, None, None), 2, 0).await;
        assert_eq!(seqs(&a), [21, 16]);
        assert_eq!(
            (a.total, a.total_exact, a.older, a.newer),
            (5, true, Some(16), None)
        );
        let b = list(cursor(p1, a.older, None), 2, 0).await;
        assert_eq!(seqs(&b), [11, 6]);
        assert_eq!((b.older, b.newer, b.total), (Some(6), Some(11), 5));
        let c = list(cursor(p1, b.older, None), 2, 0).await;
        assert_eq!(seqs(&c), [1]);
        assert_eq!((c.older, c.newer), (None, Some(1)));
        assert_eq!(list(cursor(p1, None, None), 2, 4).await.events, c.events);
        let up = list(cursor(p1, None, c.newer), 2, 0).await;
        assert_eq!(seqs(&up), [11, 6]);
        assert_eq!((up.older, up.newer), (Some(6), Some(11)));
    }
);

store_test!(
    filtered_totals_stop_counting_at_the_cap,
    |db: TestDb| async move {
        let store = db.store().await;
        let cap = heartlock_store::AUDIT_COUNT_CAP;
        let events: Vec<_> = (0..=cap)
            .map(|i| ev(i, "secret.read", Some("p1"), "u1"))
            .collect();
        store.append_audit(&events).await.unwrap();
        let page = store
            .list_audit(&cursor(Some("p1"), None, None), 3, 0)
            .await
            .unwrap();
        assert_eq!((page.total, page.total_exact), (cap, false));
        assert_eq!(seqs(&page), [cap + 1, cap, cap - 1]);
        // Unfiltered, the head gives the exact total at no cost; not under
        // row-level security, where an actor may see only some seqs.
        let all = store
            .list_audit(&AuditFilter::default(), 1, 0)
            .await
            .unwrap();
        let whole = if store.row_security() {
            (cap, false)
        } else {
            (cap + 1, true)
        };
        assert_eq!((all.total, all.total_exact), whole);
        // One fewer matching: exact again.
        let fewer = AuditFilter {
            since_ms: Some(1),
            ..cursor(Some("p1"), None, None)
        };
        let page = store.list_audit(&fewer, 3, 0).await.unwrap();
        assert_eq!((page.total, page.total_exact), (cap, true));
    }
);
