//! Sign-in, password-change and registration throttling, with a clock the
//! tests move; each test runs on SQLite and on PostgreSQL.
use heartlock_config::{Secret, Settings};
use heartlock_core::FixedClock;
use heartlock_domain::users::{self, NewAccount};
use heartlock_domain::{Actor, Domain, DomainError, Principal};
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery staple";
const WRONG: &str = "not the password at all";
const ANN: &str = "ann@example.com";
const T0: i64 = 1_800_000_000_000;

struct World {
    dom: Domain,
    clock: FixedClock,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

impl World {
    /// A domain on a clock at T0, with the account `ann@example.com`.
    async fn new(db: TestDb) -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_tests(dir.path());
        settings.database_url = Secret::new(db.url.clone());
        settings.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
        settings.users.enable_registration = true;
        let clock = FixedClock::new(T0);
        let dom = Domain::boot(settings, Arc::new(clock.clone()))
            .await
            .unwrap();
        let w = World {
            dom,
            clock,
            _db: db,
            _dir: dir,
        };
        w.register(ANN, "192.0.2.1").await.unwrap();
        w
    }

    async fn register(&self, email: &str, ip: &str) -> Result<(), DomainError> {
        let account = NewAccount {
            email,
            display_name: None,
            password: PASSWORD,
        };
        users::register(&self.dom, &from(ip), account)
            .await
            .map(drop)
    }

    async fn login(&self, email: &str, pw: &str, ip: &str) -> Result<(), DomainError> {
        users::login_user(&self.dom, &from(ip), email, pw)
            .await
            .map(drop)
    }

    /// Seconds until the lock ends, if this sign-in is refused.
    async fn locked(&self, email: &str, ip: &str) -> Option<u64> {
        match self.login(email, PASSWORD, ip).await {
            Err(DomainError::TooManyAttempts { retry_after_secs }) => Some(retry_after_secs),
            Ok(()) => None,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// A wrong password that must be checked (and refused as such).
    async fn fail(&self, email: &str, ip: &str) {
        let err = self.login(email, WRONG, ip).await.unwrap_err();
        assert!(matches!(err, DomainError::Unauthenticated(_)), "{err:?}");
    }

    /// Ann's account, signed in from where she registered.
    async fn dom_user(&self) -> heartlock_domain::records::UserRecord {
        users::login_user(&self.dom, &from("192.0.2.1"), ANN, PASSWORD)
            .await
            .unwrap()
    }

    fn advance_secs(&self, secs: u64) {
        self.clock.advance(i64::try_from(secs).unwrap() * 1_000);
    }
}

fn from(ip: &str) -> Principal {
    let mut p = Principal::anonymous();
    p.ip = Some(ip.to_string());
    p
}

fn retry(e: DomainError) -> u64 {
    match e {
        DomainError::TooManyAttempts { retry_after_secs } => retry_after_secs,
        other => panic!("expected too many attempts, got {other:?}"),
    }
}

const IP: &str = "203.0.113.7";

store_test!(
    five_failures_lock_and_the_locks_double,
    |db: TestDb| async move {
        let w = World::new(db).await;
        for _ in 0..5 {
            w.fail(ANN, IP).await;
        }
        // The fifth failure started a 1 s lock: even the right password waits.
        assert_eq!(retry(w.login(ANN, WRONG, IP).await.unwrap_err()), 1);
        assert_eq!(w.locked(ANN, IP).await, Some(1));
        let mut expected = 1;
        for _ in 0..4 {
            w.advance_secs(expected);
            w.fail(ANN, IP).await;
            expected *= 2;
            assert_eq!(w.locked(ANN, IP).await, Some(expected));
        }
        assert_eq!(expected, 16);
        // When the lock passes, the right password works and resets the counter.
        w.advance_secs(expected);
        assert_eq!(w.locked(ANN, IP).await, None);
        for _ in 0..4 {
            w.fail(ANN, IP).await;
        }
        assert_eq!(w.locked(ANN, IP).await, None);
    }
);

store_test!(
    locks_are_capped_at_fifteen_minutes,
    |db: TestDb| async move {
        let w = World::new(db).await;
        // Guess on, waiting out each lock: 5 free, then 1 s, 2 s … 512 s, 900 s.
        let mut longest = 0;
        for _ in 0..26 {
            match w.login(ANN, WRONG, IP).await.unwrap_err() {
                DomainError::TooManyAttempts { retry_after_secs } => {
                    assert!(retry_after_secs <= 900, "{retry_after_secs}");
                    longest = longest.max(retry_after_secs);
                    w.advance_secs(retry_after_secs);
                }
                DomainError::Unauthenticated(_) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(longest, 900);
    }
);

store_test!(counters_decay_after_an_hour, |db: TestDb| async move {
    let w = World::new(db).await;
    for _ in 0..4 {
        w.fail(ANN, IP).await;
    }
    w.advance_secs(3_600);
    // Without the decay the first of these would lock (the fifth failure).
    for _ in 0..4 {
        w.fail(ANN, IP).await;
    }
    assert_eq!(w.locked(ANN, IP).await, None);
});

store_test!(
    another_address_is_not_locked_by_these_failures,
    |db: TestDb| async move {
        let w = World::new(db).await;
        for _ in 0..5 {
            w.fail(ANN, IP).await;
        }
        assert!(w.locked(ANN, IP).await.is_some());
        assert_eq!(w.locked(ANN, "198.51.100.9").await, None);
        w.fail(ANN, "198.51.100.9").await;
        // Requests without an address share one bucket of their own.
        users::login_user(&w.dom, &Principal::anonymous(), ANN, PASSWORD)
            .await
            .unwrap();
    }
);

store_test!(
    parallel_guesses_cannot_pass_one_check,
    |db: TestDb| async move {
        let w = Arc::new(World::new(db).await);
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                w.login(ANN, WRONG, IP).await.unwrap_err()
            }));
        }
        let mut checked = 0;
        for t in tasks {
            match t.await.unwrap() {
                DomainError::Unauthenticated(_) => checked += 1,
                DomainError::TooManyAttempts { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        // At most the free attempts reached the password check (fewer only
        // if a request gave up on a contended counter).
        assert!((1..=5).contains(&checked), "{checked}");
    }
);

store_test!(
    one_address_guessing_many_accounts_is_locked,
    |db: TestDb| async move {
        let w = World::new(db).await;
        // Unknown accounts count as well: spraying finds nothing for free.
        for i in 0..20 {
            w.fail(&format!("nobody{i}@example.com"), IP).await;
        }
        assert_eq!(w.locked(ANN, IP).await, Some(1));
        assert_eq!(w.locked(ANN, "198.51.100.9").await, None);
    }
);

store_test!(
    the_account_wide_lock_is_bounded_and_spares_known_addresses,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let home = "198.51.100.1";
        // Ann signed in from home before the attack.
        w.login(ANN, PASSWORD, home).await.unwrap();
        // 50 addresses, one wrong guess each: no per-address lock.
        for i in 0..50 {
            w.fail(ANN, &format!("10.0.{}.{}", i / 200, i % 200 + 1))
                .await;
        }
        // A new address waits, whatever the password; home does not.
        assert_eq!(w.locked(ANN, "10.9.9.9").await, Some(1));
        assert_eq!(w.locked(ANN, home).await, None);
        // The attack goes on from fresh addresses: the lock never passes 15 minutes.
        let mut longest = 0;
        for i in 0..12 {
            let wait = w.locked(ANN, "10.9.9.9").await.unwrap();
            assert!(wait <= 900, "{wait}");
            longest = longest.max(wait);
            w.advance_secs(wait);
            w.fail(ANN, &format!("10.1.0.{}", i + 1)).await;
        }
        assert_eq!(longest, 900);
        assert_eq!(w.locked(ANN, home).await, None);
        // Once the lock ends, Ann signs in from a new address too.
        let wait = w.locked(ANN, "10.9.9.9").await.unwrap();
        assert!(wait <= 900);
        w.advance_secs(wait);
        assert_eq!(w.locked(ANN, "10.9.9.9").await, None);
    }
);

store_test!(a_lock_start_is_audited, |db: TestDb| async move {
    let w = World::new(db).await;
    for _ in 0..5 {
        w.fail(ANN, IP).await;
    }
    w.dom.flush_audit().await;
    let store = w._db.store().await;
    let rows = store
        .query_pairs_for_tests(
            "SELECT COALESCE(ip, ''), COALESCE(detail, '') FROM audit_events \
             WHERE action = 'auth.throttled'",
        )
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (ip, detail) = &rows[0];
    assert_eq!(ip, IP);
    assert!(detail.contains(ANN) && detail.contains("1 s"), "{detail}");
    assert!(!detail.contains(WRONG));
});

store_test!(
    a_wrong_current_password_counts_toward_the_lock,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let user = w.dom_user().await;
        let mut me = Principal::new(Actor::User {
            user: Box::new(user),
            session_id: "s".into(),
        });
        me.ip = Some(IP.into());
        let change = |current: &'static str| {
            let (dom, me) = (w.dom.clone(), me.clone());
            async move {
                users::change_password(
                    &dom,
                    &me,
                    current,
                    "a brand new passphrase 42",
                    &Default::default(),
                )
                .await
            }
        };
        for _ in 0..5 {
            let err = change(WRONG).await.unwrap_err();
            assert!(matches!(err, DomainError::Forbidden(_)), "{err:?}");
        }
        assert_eq!(retry(change(PASSWORD).await.unwrap_err()), 1);
        // The same counter guards the sign-in from that address.
        assert_eq!(w.locked(ANN, IP).await, Some(1));
        w.advance_secs(1);
        change(PASSWORD).await.unwrap();
    }
);

store_test!(
    registrations_per_address_are_limited,
    |db: TestDb| async move {
        let w = World::new(db).await;
        for i in 0..10 {
            w.register(&format!("new{i}@example.com"), IP)
                .await
                .unwrap();
        }
        let err = w.register("one-more@example.com", IP).await.unwrap_err();
        assert_eq!(retry(err), 3_600);
        // Another address is not affected; this one waits an hour.
        w.register("elsewhere@example.com", "198.51.100.9")
            .await
            .unwrap();
        w.advance_secs(3_600);
        w.register("one-more@example.com", IP).await.unwrap();
    }
);

store_test!(
    rejected_registration_forms_do_not_count,
    |db: TestDb| async move {
        let w = World::new(db).await;
        for _ in 0..12 {
            let err = w.register("not-an-email", IP).await.unwrap_err();
            assert!(matches!(err, DomainError::Validation { .. }), "{err:?}");
        }
        w.register("fine@example.com", IP).await.unwrap();
    }
);
