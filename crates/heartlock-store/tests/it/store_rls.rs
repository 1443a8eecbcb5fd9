//! PostgreSQL row-level security with two roles: what the runtime role may
//! do and see, by actor. (SQLite has no roles: nothing to test there.)
use crate::store_secrets::{project, user};
use heartlock_core::audit::{ActorKind, NewAuditEvent, Outcome};
use heartlock_core::ids::new_id;
use heartlock_core::roles::{ProjectRole, TokenAccess};
use heartlock_store::testing::{TEST_APP_ROLE, TestDb};
use heartlock_store::{
    Author, Backend, DbTarget, SecretWrite, Store, StoreOptions, TokenRecord, TxActor,
};

fn actor(kind: &'static str, id: &str) -> TxActor {
    TxActor {
        kind,
        id: Some(id.to_string()),
    }
}

fn write(key: &str) -> SecretWrite {
    SecretWrite {
        key: key.into(),
        version_id: new_id(),
        value_ct: Some(format!("ct-{key}")),
        comment: None,
    }
}

fn event(project: &str, kind: ActorKind, id: &str) -> NewAuditEvent {
    NewAuditEvent {
        at_ms: 1,
        actor_kind: kind,
        actor_id: Some(id.to_string()),
        actor_name: None,
        action: "secret.read".into(),
        project_id: Some(project.to_string()),
        environment_id: None,
        secret_key: None,
        ip: None,
        outcome: Outcome::Success,
        detail: None,
    }
}

async fn runtime(db: &TestDb) -> Store {
    let store = Store::connect(&StoreOptions::new(DbTarget::Postgres(db.url.clone())))
        .await
        .unwrap();
    assert!(store.row_security(), "the runtime store must see RLS is on");
    store
}

struct World {
    owner: Store,
    app: Store,
    alice: String,
    p1: String,
    p1_dev: String,
    p1_prod: String,
    p2_dev: String,
}

/// Alice owns p1 (dev A, prod B); Bob owns p2 (dev C).
async fn world(db: &TestDb) -> World {
    let owner = db.store().await;
    let app = runtime(db).await;
    let alice = user(&owner, "alice@example.com").await;
    let bob = user(&owner, "bob@example.com").await;
    let (p1, p1_dev) = project(&owner, Some(alice.clone())).await;
    let (p2, p2_dev) = project(&owner, Some(bob.clone())).await;
    let p1_prod = owner
        .environments(&p1)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.slug == "production")
        .unwrap()
        .id;
    let nobody = Author {
        user_id: None,
        token_id: None,
    };
    owner
        .write_secrets(&p1_dev, &[write("A")], &nobody, 2)
        .await
        .unwrap();
    owner
        .write_secrets(&p1_prod, &[write("B")], &nobody, 2)
        .await
        .unwrap();
    owner
        .write_secrets(&p2_dev, &[write("C")], &nobody, 2)
        .await
        .unwrap();
    owner
        .append_audit(&[event(&p1, ActorKind::User, &alice)])
        .await
        .unwrap();
    owner
        .append_audit(&[event(&p2, ActorKind::User, &bob)])
        .await
        .unwrap();
    assert_eq!(owner.members(&p2).await.unwrap()[0].1, ProjectRole::Owner);
    World {
        owner,
        app,
        alice,
        p1,
        p1_dev,
        p1_prod,
        p2_dev,
    }
}

async fn keys(store: &Store, env: &str) -> Vec<String> {
    store
        .current_secrets(env)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.key)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_actor_the_runtime_role_sees_no_project_rows() {
    let db = TestDb::with_roles(Backend::Postgres, true).await;
    let w = world(&db).await;
    assert!(w.app.actor().is_none());
    assert!(w.app.environments(&w.p1).await.unwrap().is_empty());
    assert!(keys(&w.app, &w.p1_dev).await.is_empty());
    assert!(w.app.members(&w.p1).await.unwrap().is_empty());
    let heartlock_store::AuditPage { events, total, .. } =
        w.app.list_audit(&Default::default(), 50, 0).await.unwrap();
    assert!(events.is_empty() && total == 0, "{events:?}");
    // Nor may it write project rows for nobody.
    let nobody = Author {
        user_id: None,
        token_id: None,
    };
    assert!(
        w.app
            .write_secrets(&w.p1_dev, &[write("X")], &nobody, 3)
            .await
            .is_err()
    );
    assert_eq!(keys(&w.owner, &w.p1_dev).await, ["A"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_sees_and_writes_only_their_projects() {
    let db = TestDb::with_roles(Backend::Postgres, true).await;
    let w = world(&db).await;
    let alice = w.app.acting_as(actor("user", &w.alice));
    assert_eq!(alice.environments(&w.p1).await.unwrap().len(), 2);
    assert_eq!(keys(&alice, &w.p1_dev).await, ["A"]);
    assert_eq!(keys(&alice, &w.p1_prod).await, ["B"]);
    assert!(keys(&alice, &w.p2_dev).await.is_empty());
    let events = alice
        .list_audit(&Default::default(), 50, 0)
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.project_id.as_deref(), Some(w.p1.as_str()));
    let by_alice = Author {
        user_id: Some(w.alice.clone()),
        token_id: None,
    };
    // A transaction of hers cannot write into Bob's project...
    assert!(
        alice
            .write_secrets(&w.p2_dev, &[write("EVIL")], &by_alice, 3)
            .await
            .is_err()
    );
    assert_eq!(keys(&w.owner, &w.p2_dev).await, ["C"]);
    // ...but can into hers, and its audit append is accepted.
    alice
        .write_secrets(&w.p1_dev, &[write("D")], &by_alice, 3)
        .await
        .unwrap();
    alice
        .append_audit(&[event(&w.p1, ActorKind::User, &w.alice)])
        .await
        .unwrap();
    // The system principal sees everything.
    let system = w.app.acting_as(actor("system", "test"));
    assert_eq!(keys(&system, &w.p2_dev).await, ["C"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_sees_its_environments_only() {
    let db = TestDb::with_roles(Backend::Postgres, true).await;
    let w = world(&db).await;
    let token = TokenRecord {
        id: new_id(),
        name: "ci".into(),
        project_id: w.p1.clone(),
        environments: vec![w.p1_dev.clone()],
        access: TokenAccess::Read,
        token_hash: new_id(),
        display_prefix: "hl_".into(),
        allowed_cidrs: vec![],
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        created_by: None,
        created_at: 1,
    };
    w.owner.create_token(&token).await.unwrap();
    let t = w.app.acting_as(actor("token", &token.id));
    assert_eq!(keys(&t, &w.p1_dev).await, ["A"]);
    assert!(keys(&t, &w.p1_prod).await.is_empty());
    assert!(keys(&t, &w.p2_dev).await.is_empty());
    assert_eq!(t.environments(&w.p1).await.unwrap().len(), 2);
    // Revoked, it sees nothing.
    w.owner
        .execute_raw(&format!(
            "UPDATE service_tokens SET revoked_at = 5 WHERE id = '{}'",
            token.id
        ))
        .await
        .unwrap();
    assert!(keys(&t, &w.p1_dev).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_role_has_no_ddl_and_the_audit_log_is_append_only() {
    let db = TestDb::with_roles(Backend::Postgres, true).await;
    let w = world(&db).await;
    let system = w.app.acting_as(actor("system", "test"));
    assert_eq!(system.current_role().await.unwrap(), TEST_APP_ROLE);
    for sql in [
        "ALTER TABLE secrets ADD COLUMN x TEXT",
        "DROP TABLE secrets",
        "CREATE TABLE intruder (x BIGINT)",
        "ALTER TABLE audit_events DISABLE ROW LEVEL SECURITY",
        "DROP POLICY heartlock_actor ON secrets",
        "UPDATE audit_events SET detail = 'edited'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE _sqlx_migrations SET checksum = ''",
    ] {
        let err = system.execute_raw(sql).await.err();
        let msg = format!("{err:?}");
        assert!(
            msg.contains("permission denied") || msg.contains("must be owner"),
            "{sql}: {msg}"
        );
    }
    // Appending still works, and the chain stays intact.
    system
        .append_audit(&[event(&w.p1, ActorKind::System, "test")])
        .await
        .unwrap();
    let heartlock_store::AuditPage { events, total, .. } =
        system.list_audit(&Default::default(), 50, 0).await.unwrap();
    assert_eq!((events.len(), total), (3, 3));
    assert_eq!(w.owner.audit_head().await.unwrap().unwrap().0, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_pages_by_cursor_and_number_show_only_visible_events() {
    let db = TestDb::with_roles(Backend::Postgres, true).await;
    let w = world(&db).await;
    // Seqs 1 (p1) and 2 (p2) from the world; then p2, p1, p2, p1 (seqs 3-6).
    let p2 = w
        .owner
        .audit_batch(1, 1)
        .await
        .unwrap()
        .remove(0)
        .event
        .project_id
        .unwrap();
    for p in [&p2, &w.p1, &p2, &w.p1] {
        w.owner
            .append_audit(&[event(p, ActorKind::System, "seed")])
            .await
            .unwrap();
    }
    let alice = w.app.acting_as(actor("user", &w.alice));
    let mine = |before: Option<i64>| heartlock_store::AuditFilter {
        before_seq: before,
        ..Default::default()
    };
    // Her seqs are 6, 4 and 1: not dense, so no page may be found by seq
    // arithmetic, and the total is hers, not the head.
    let mut walked = Vec::new();
    let mut before = None;
    loop {
        let page = alice.list_audit(&mine(before), 1, 0).await.unwrap();
        assert_eq!((page.total, page.total_exact), (3, true));
        walked.extend(page.events.iter().map(|e| e.seq));
        match page.older {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert_eq!(walked, [6, 4, 1]);
    let by_number = alice.list_audit(&mine(None), 1, 1).await.unwrap();
    assert_eq!(by_number.events[0].seq, 4);
    assert_eq!((by_number.older, by_number.newer), (Some(4), Some(4)));
    let last = alice.list_audit(&mine(None), 1, 2).await.unwrap();
    assert_eq!((last.events[0].seq, last.older), (1, None));
}
