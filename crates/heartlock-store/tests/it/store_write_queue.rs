//! Many writers of one process at once: every write transaction (secret
//! writes carrying audit events, the audit writer's appends, batches that
//! fail and roll back) gets its turn, none fails on a busy database, and
//! every audit event lands on one unbroken chain. Both databases.
use crate::store_secrets::project;
use heartlock_core::audit::{ActorKind, ChainVerifier, NewAuditEvent, Outcome};
use heartlock_core::ids::new_id;
use heartlock_store::testing::TestDb;
use heartlock_store::{Author, SecretWrite, StoreError, store_test};

const TASKS: usize = 48;
const ROUNDS: usize = 5;

fn ev(i: usize, action: &str) -> NewAuditEvent {
    NewAuditEvent {
        at_ms: i as i64,
        actor_kind: ActorKind::User,
        actor_id: Some(format!("u{i}")),
        actor_name: None,
        action: action.into(),
        project_id: None,
        environment_id: None,
        secret_key: None,
        ip: None,
        outcome: Outcome::Success,
        detail: None,
    }
}

fn write(key: String, ct: Option<&str>) -> SecretWrite {
    SecretWrite {
        key,
        version_id: new_id(),
        value_ct: ct.map(str::to_string),
        comment: None,
    }
}

fn nobody() -> Author {
    Author {
        user_id: None,
        token_id: None,
    }
}

store_test!(
    concurrent_writers_all_commit_with_their_audit,
    |db: TestDb| async move {
        let store = db.store().await;
        let (_, env) = project(&store, None).await;
        let mut tasks = Vec::new();
        for t in 0..TASKS {
            let (store, env) = (store.clone(), env.clone());
            tasks.push(tokio::spawn(async move {
                let mut events = 0;
                for r in 0..ROUNDS {
                    let n = t * ROUNDS + r;
                    match n % 4 {
                        // A write and its audit event, in one transaction.
                        0 | 1 => {
                            let s = store.with_audit(vec![ev(n, "secret.write")]);
                            s.write_secrets(
                                &env,
                                &[write(format!("K_{n}"), Some("ct"))],
                                &nobody(),
                                1,
                            )
                            .await
                            .unwrap();
                            assert!(!s.audit_pending());
                            events += 1;
                        }
                        // The audit writer's path: events alone.
                        2 => {
                            store
                                .append_audit(&[ev(n, "secret.read"), ev(n, "secret.read")])
                                .await
                                .unwrap();
                            events += 2;
                        }
                        // A batch that fails half-way: rolled back, its
                        // event not recorded, and the next writer not stuck.
                        _ => {
                            let s = store.with_audit(vec![ev(n, "secret.write")]);
                            let batch = [
                                write(format!("X_{n}"), Some("ct")),
                                write(format!("MISSING_{n}"), None),
                            ];
                            let r = s.write_secrets(&env, &batch, &nobody(), 1).await;
                            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
                        }
                    }
                }
                events
            }));
        }
        let mut expected = 0;
        for t in tasks {
            expected += t.await.unwrap();
        }
        let stored = store.audit_batch(0, 100_000).await.unwrap();
        assert_eq!(stored.len(), expected);
        let mut chain = ChainVerifier::new();
        for (i, e) in stored.iter().enumerate() {
            assert_eq!(e.seq, i as i64 + 1);
            chain.push(e).unwrap();
        }
        let secrets = store.current_secrets(&env).await.unwrap();
        assert_eq!(secrets.len(), TASKS * ROUNDS / 2);
        assert!(secrets.iter().all(|s| s.key.starts_with("K_")));
    }
);
