//! Throttling counters; each test runs on SQLite and on PostgreSQL.
use heartlock_core::throttle::Counter;
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

fn counter(hits: i64, at: i64, locked_until: i64) -> Counter {
    Counter {
        hits,
        last_hit_at: at,
        locked_until,
    }
}

store_test!(swap_inserts_then_compares, |db: TestDb| async move {
    let store = db.store().await;
    assert_eq!(store.throttle_get("k").await.unwrap(), None);
    let one = counter(1, 10, 0);
    assert!(store.throttle_swap("k", None, &one, 100).await.unwrap());
    // A second "first hit" lost the race: the row exists now.
    assert!(!store.throttle_swap("k", None, &one, 100).await.unwrap());
    assert_eq!(store.throttle_get("k").await.unwrap(), Some(one));

    let two = counter(2, 20, 0);
    assert!(
        store
            .throttle_swap("k", Some(&one), &two, 100)
            .await
            .unwrap()
    );
    // Stale expectation: refused, the row keeps the newer value.
    let stale = counter(2, 30, 5_000);
    assert!(
        !store
            .throttle_swap("k", Some(&one), &stale, 100)
            .await
            .unwrap()
    );
    assert_eq!(store.throttle_get("k").await.unwrap(), Some(two));
});

store_test!(
    concurrent_swaps_count_every_hit_once,
    |db: TestDb| async move {
        let store = db.store().await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                // Read, add one, write if unchanged; again on a lost race.
                loop {
                    let cur = store.throttle_get("busy").await.unwrap();
                    let hits = cur.map_or(0, |c| c.hits) + 1;
                    let next = counter(hits, hits, 0);
                    if store
                        .throttle_swap("busy", cur.as_ref(), &next, 1_000)
                        .await
                        .unwrap()
                    {
                        break;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(store.throttle_get("busy").await.unwrap().unwrap().hits, 8);
    }
);

store_test!(set_clear_and_purge, |db: TestDb| async move {
    let store = db.store().await;
    store
        .throttle_set("old", &counter(3, 1, 0), 50)
        .await
        .unwrap();
    store
        .throttle_set("new", &counter(1, 1, 0), 500)
        .await
        .unwrap();
    // Unconditional: overwrites whatever is there.
    store
        .throttle_set("new", &counter(7, 2, 9), 500)
        .await
        .unwrap();
    assert_eq!(
        store.throttle_get("new").await.unwrap(),
        Some(counter(7, 2, 9))
    );
    assert_eq!(store.throttle_purge(100).await.unwrap(), 1);
    assert_eq!(store.throttle_get("old").await.unwrap(), None);
    assert!(store.throttle_get("new").await.unwrap().is_some());
    store.throttle_clear("new").await.unwrap();
    assert_eq!(store.throttle_get("new").await.unwrap(), None);
    // Clearing what is not there is fine.
    store.throttle_clear("new").await.unwrap();
});
