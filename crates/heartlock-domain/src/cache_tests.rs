//! Single flight: concurrent misses share one load, an invalidation starts
//! a new one, errors are not kept, and a lost leader hangs nobody. The
//! loaders here are gated by the test, so no assertion depends on timing;
//! the last test goes through a real store on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use heartlock_store::testing::TestDb;
use heartlock_store::{StoredSecret, store_test};
use std::sync::atomic::AtomicUsize;
use tokio::sync::oneshot;

const ENV: &str = "env-1";

fn snapshot_of(value: &str) -> Arc<Snapshot> {
    let secrets = vec![StoredSecret {
        key: "K".into(),
        secret_id: "s".into(),
        version: 1,
        version_id: "v".into(),
        value_ct: value.into(),
        updated_at: 0,
    }];
    Arc::new(Snapshot::new(ENV, secrets))
}

fn value(s: &Snapshot) -> &str {
    &s.secrets()[0].value_ct
}

type Loaded = Result<Arc<Snapshot>, StoreError>;

/// A snapshot lookup of `ENV` whose load (if this caller runs it) counts in
/// `ran` and answers `answer`.
async fn lookup(cache: &Cache, ran: &AtomicUsize, answer: Loaded) -> Loaded {
    let load = || async {
        ran.fetch_add(1, Ordering::SeqCst);
        answer
    };
    let kind = CacheKind::Snapshot;
    cache
        .snapshots
        .get(&cache.epoch, kind, ENV.into(), load)
        .await
}

/// A lookup on its own task whose load, if it runs, says so on `started`
/// and answers what arrives on the returned sender.
fn gated_lookup(
    cache: &Arc<Cache>,
    ran: &Arc<AtomicUsize>,
) -> (
    tokio::task::JoinHandle<Loaded>,
    oneshot::Receiver<()>,
    oneshot::Sender<Loaded>,
) {
    let (started_tx, started) = oneshot::channel();
    let (gate, gate_rx) = oneshot::channel::<Loaded>();
    let (cache, ran) = (cache.clone(), ran.clone());
    let task = tokio::spawn(async move {
        let load = || async move {
            ran.fetch_add(1, Ordering::SeqCst);
            let _ = started_tx.send(());
            gate_rx.await.unwrap()
        };
        let kind = CacheKind::Snapshot;
        cache
            .snapshots
            .get(&cache.epoch, kind, ENV.into(), load)
            .await
    });
    (task, started, gate)
}

/// Waits (without timing) until `n` callers hold the flight of `ENV`; fails
/// as soon as one of them runs a load of its own instead of joining.
async fn joined(cache: &Cache, ran: &AtomicUsize, n: usize) {
    loop {
        assert_eq!(ran.load(Ordering::SeqCst), 1, "a caller did not join");
        let refs = {
            let flights = cache.snapshots.flights.lock().unwrap();
            flights.get(ENV).map_or(0, |f| Arc::strong_count(f) - 1)
        };
        if refs >= n {
            return;
        }
        tokio::task::yield_now().await;
    }
}

fn waiter(cache: &Arc<Cache>, ran: &Arc<AtomicUsize>) -> tokio::task::JoinHandle<Loaded> {
    let (cache, ran) = (cache.clone(), ran.clone());
    tokio::spawn(async move { lookup(&cache, &ran, Ok(snapshot_of("waiter's own"))).await })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_misses_share_one_load() {
    let cache = Arc::new(Cache::default());
    let ran = Arc::new(AtomicUsize::new(0));
    let (leader, started, gate) = gated_lookup(&cache, &ran);
    started.await.unwrap();
    let waiters: Vec<_> = (0..63).map(|_| waiter(&cache, &ran)).collect();
    joined(&cache, &ran, 64).await;
    gate.send(Ok(snapshot_of("loaded once"))).unwrap();
    let first = leader.await.unwrap().unwrap();
    for w in waiters {
        assert!(Arc::ptr_eq(&w.await.unwrap().unwrap(), &first));
    }
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(cache.snapshots.loads(), 1);
    // Kept: the next caller does not load.
    let again = lookup(&cache, &ran, Ok(snapshot_of("no"))).await.unwrap();
    assert!(Arc::ptr_eq(&again, &first));
    assert_eq!(cache.snapshots.loads(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_after_an_invalidation_does_not_join_the_older_flight() {
    let cache = Arc::new(Cache::default());
    let ran = Arc::new(AtomicUsize::new(0));
    let (leader, started, gate) = gated_lookup(&cache, &ran);
    started.await.unwrap();
    // Arrived before the change: may share the older load.
    let early = waiter(&cache, &ran);
    joined(&cache, &ran, 2).await;
    let older = cache.snapshots.flights.lock().unwrap().get(ENV).cloned();
    let older = older.unwrap();
    // Held by the leader, the early waiter, the map and `older`.
    assert_eq!(Arc::strong_count(&older), 4);
    cache.invalidate(&Change::Environment(ENV.into()));
    let late = {
        let (cache, ran) = (cache.clone(), ran.clone());
        tokio::spawn(async move { lookup(&cache, &ran, Ok(snapshot_of("fresh"))).await })
    };
    while ran.load(Ordering::SeqCst) < 2 {
        let holders = Arc::strong_count(&older);
        assert!(
            holders <= 4,
            "a caller after the invalidation joined the older flight"
        );
        tokio::task::yield_now().await;
    }
    let late = late.await.unwrap().unwrap();
    assert_eq!(value(&late), "fresh");
    assert_eq!(cache.snapshots.loads(), 2);
    gate.send(Ok(snapshot_of("stale"))).unwrap();
    assert_eq!(value(&leader.await.unwrap().unwrap()), "stale");
    assert_eq!(value(&early.await.unwrap().unwrap()), "stale");
    // The older load finished last but was not kept over the fresh one.
    let next = lookup(&cache, &ran, Ok(snapshot_of("no"))).await.unwrap();
    assert_eq!(value(&next), "fresh");
    assert_eq!(cache.snapshots.loads(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_finishing_after_an_invalidation_is_not_kept() {
    let cache = Arc::new(Cache::default());
    let ran = Arc::new(AtomicUsize::new(0));
    let (leader, started, gate) = gated_lookup(&cache, &ran);
    started.await.unwrap();
    cache.invalidate(&Change::Environment(ENV.into()));
    gate.send(Ok(snapshot_of("stale"))).unwrap();
    leader.await.unwrap().unwrap();
    let next = lookup(&cache, &ran, Ok(snapshot_of("fresh")))
        .await
        .unwrap();
    assert_eq!(value(&next), "fresh");
    assert_eq!(cache.snapshots.loads(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_reaches_the_flights_waiters_and_is_not_kept() {
    let cache = Arc::new(Cache::default());
    let ran = Arc::new(AtomicUsize::new(0));
    let (leader, started, gate) = gated_lookup(&cache, &ran);
    started.await.unwrap();
    let waiters: Vec<_> = (0..3).map(|_| waiter(&cache, &ran)).collect();
    joined(&cache, &ran, 4).await;
    gate.send(Err(StoreError::Unavailable("down".into())))
        .unwrap();
    assert!(matches!(
        leader.await.unwrap(),
        Err(StoreError::Unavailable(m)) if m == "down"
    ));
    for w in waiters {
        assert!(matches!(w.await.unwrap(), Err(StoreError::Unavailable(_))));
    }
    assert_eq!(cache.snapshots.loads(), 1);
    let next = lookup(&cache, &ran, Ok(snapshot_of("back"))).await.unwrap();
    assert_eq!(value(&next), "back");
    assert_eq!(cache.snapshots.loads(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_leader_hands_the_load_to_a_waiter() {
    let cache = Arc::new(Cache::default());
    let ran = Arc::new(AtomicUsize::new(0));
    let (leader, started, _gate) = gated_lookup(&cache, &ran);
    started.await.unwrap();
    let w = waiter(&cache, &ran);
    joined(&cache, &ran, 2).await;
    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    assert_eq!(value(&w.await.unwrap().unwrap()), "waiter's own");
    assert_eq!(cache.snapshots.loads(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_leader_hands_the_load_to_a_waiter() {
    let cache = Arc::new(Cache::default());
    let ran = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = oneshot::channel();
    let (gate, gate_rx) = oneshot::channel::<()>();
    let leader = {
        let (cache, ran) = (cache.clone(), ran.clone());
        tokio::spawn(async move {
            let load = || async move {
                ran.fetch_add(1, Ordering::SeqCst);
                let _ = started_tx.send(());
                gate_rx.await.unwrap();
                panic!("the leader's load panics");
            };
            let kind = CacheKind::Snapshot;
            cache
                .snapshots
                .get(&cache.epoch, kind, ENV.into(), load)
                .await
        })
    };
    started.await.unwrap();
    let w = waiter(&cache, &ran);
    joined(&cache, &ran, 2).await;
    gate.send(()).unwrap();
    assert!(leader.await.unwrap_err().is_panic());
    assert_eq!(value(&w.await.unwrap().unwrap()), "waiter's own");
}

store_test!(
    concurrent_misses_on_a_real_store_load_once,
    |db: TestDb| async move {
        use crate::secrets::{self, Changes, EnvRef};
        use crate::tokens::{self, NewToken};
        use heartlock_config::{Secret, Settings};
        use heartlock_core::formats::SecretMap;

        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_tests(dir.path());
        settings.database_url = Secret::new(db.url.clone());
        settings.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
        settings.users.enable_registration = true;
        let clock = Arc::new(heartlock_core::SystemClock);
        let dom = crate::Domain::boot(settings, clock).await.unwrap();
        let account = crate::users::NewAccount {
            email: "owner@example.com",
            display_name: None,
            password: "correct horse battery staple",
        };
        let user = crate::users::register(&dom, &crate::Principal::anonymous(), account)
            .await
            .unwrap();
        let owner = crate::Principal::new(crate::Actor::User {
            user: Box::new(user),
            session_id: "s".into(),
        });
        let new = crate::projects::NewProjectRequest {
            name: "Payments".into(),
            ..Default::default()
        };
        crate::projects::create_info(&dom, &owner, new)
            .await
            .unwrap();
        let set: SecretMap = (0..50)
            .map(|i| (format!("KEY_{i}"), format!("value {i}")))
            .collect();
        let at = EnvRef {
            project: "payments",
            env: "production",
        };
        let changes = Changes {
            set: &set,
            delete: &[],
            comment: None,
            action: "secret.write",
        };
        secrets::write(&dom, &owner, at, changes).await.unwrap();
        let envs = ["production".to_string()];
        let req = NewToken {
            name: "ci",
            environments: &envs,
            access: "read",
            expires_in_days: None,
            allowed_cidrs: &[],
        };
        let created = tokens::create(&dom, &owner, "payments", req).await.unwrap();
        let hash = heartlock_core::token::hash_token(&created.token);
        let project = dom
            .store
            .project_by_slug("payments")
            .await
            .unwrap()
            .unwrap();
        let env = dom.store.environment_by_slug(&project.id, "production");
        let env = env.await.unwrap().unwrap();

        // A cache of its own: the domain's may be cleared by its listener.
        let cache = Arc::new(Cache::default());
        let store = dom.store_as(&owner);
        let go = Arc::new(tokio::sync::Barrier::new(64));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let (cache, store, go) = (cache.clone(), store.clone(), go.clone());
            let (hash, pid, env_id) = (hash.clone(), project.id.clone(), env.id.clone());
            tasks.spawn(async move {
                go.wait().await;
                let t = cache.token(&store, &hash).await.unwrap().unwrap();
                let p = cache.project(&store, "payments").await.unwrap().unwrap();
                let e = cache.environment(&store, &pid, "production");
                let e = e.await.unwrap().unwrap();
                let s = cache.snapshot(&store, &env_id).await.unwrap();
                (t.id.clone(), p.id.clone(), e.id.clone(), s)
            });
        }
        let mut first: Option<Arc<Snapshot>> = None;
        while let Some(joined) = tasks.join_next().await {
            let (t, p, e, s) = joined.unwrap();
            assert_eq!(
                (t, p, e),
                (
                    created.record.id.clone(),
                    project.id.clone(),
                    env.id.clone()
                )
            );
            assert_eq!(s.len(), 50);
            match &first {
                Some(f) => assert!(Arc::ptr_eq(f, &s)),
                None => first = Some(s),
            }
        }
        assert_eq!(cache.tokens.loads(), 1);
        assert_eq!(cache.projects.loads(), 1);
        assert_eq!(cache.environments.loads(), 1);
        assert_eq!(cache.snapshots.loads(), 1);
    }
);
