//! Users, projects, versioned secrets and sessions on both databases.
use heartlock_core::ids::new_id;
use heartlock_store::testing::TestDb;
use heartlock_store::{
    Author, NewProject, NewRefresh, NewUser, RefreshOutcome, SecretWrite, Store, StoreError,
    store_test,
};

pub(crate) async fn project(store: &Store, owner: Option<String>) -> (String, String) {
    let env_id = new_id();
    let p = store
        .create_project(
            &NewProject {
                id: new_id(),
                slug: format!("p{}", &new_id()[24..]),
                name: "Payments".into(),
                org: None,
                environments: vec![
                    (env_id.clone(), "development".into(), "Development".into()),
                    (new_id(), "production".into(), "Production".into()),
                ],
                owner_user_id: owner,
            },
            1,
        )
        .await
        .unwrap();
    (p.id, env_id)
}

fn write(key: &str, ct: Option<&str>) -> SecretWrite {
    SecretWrite {
        key: key.into(),
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

pub(crate) async fn user(store: &Store, email: &str) -> String {
    let id = new_id();
    store
        .create_user(
            &NewUser {
                id: id.clone(),
                email: email.into(),
                display_name: "A".into(),
                password_hash: None,
                role: heartlock_core::roles::ServerRole::User,
                is_superuser: false,
            },
            1,
        )
        .await
        .unwrap();
    id
}

store_test!(versions_history_and_delete, |db: TestDb| async move {
    let store = db.store().await;
    let (_, env) = project(&store, None).await;
    store
        .write_secrets(&env, &[write("A", Some("ct1"))], &nobody(), 10)
        .await
        .unwrap();
    let v = store
        .write_secrets(&env, &[write("A", Some("ct2"))], &nobody(), 11)
        .await
        .unwrap();
    assert_eq!(v[0].version, 2);
    assert_eq!(
        store
            .current_secret(&env, "A")
            .await
            .unwrap()
            .unwrap()
            .value_ct,
        "ct2"
    );
    store
        .write_secrets(&env, &[write("A", None)], &nobody(), 12)
        .await
        .unwrap();
    assert!(store.current_secret(&env, "A").await.unwrap().is_none());
    let (hist, total) = store.secret_history(&env, "A", 10, 0).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(hist[0].deleted, 1);
    assert_eq!(hist[2].value_ct.as_deref(), Some("ct1"));
    // Deleting what is already gone is NotFound; writing again revives it.
    assert!(matches!(
        store
            .write_secrets(&env, &[write("A", None)], &nobody(), 13)
            .await,
        Err(StoreError::NotFound)
    ));
    let v = store
        .write_secrets(&env, &[write("A", Some("ct4"))], &nobody(), 14)
        .await
        .unwrap();
    assert_eq!(v[0].version, 4);
});

store_test!(
    concurrent_writes_to_one_key_lose_nothing,
    |db: TestDb| async move {
        let store = db.store().await;
        let (_, env) = project(&store, None).await;
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (store, env) = (store.clone(), env.clone());
            tasks.push(tokio::spawn(async move {
                store
                    .write_secrets(&env, &[write("K", Some(&format!("ct{i}")))], &nobody(), i)
                    .await
                    .unwrap()
            }));
        }
        let mut versions: Vec<i64> = Vec::new();
        for t in tasks {
            versions.push(t.await.unwrap()[0].version);
        }
        versions.sort();
        assert_eq!(versions, (1..=10).collect::<Vec<_>>());
        assert_eq!(store.secret_history(&env, "K", 100, 0).await.unwrap().1, 10);
    }
);

store_test!(a_failing_batch_writes_nothing, |db: TestDb| async move {
    let store = db.store().await;
    let (_, env) = project(&store, None).await;
    // The second write deletes a key that does not exist: the batch fails whole.
    let r = store
        .write_secrets(
            &env,
            &[write("NEW", Some("ct")), write("MISSING", None)],
            &nobody(),
            1,
        )
        .await;
    assert!(r.is_err());
    assert!(store.current_secrets(&env).await.unwrap().is_empty());
});

store_test!(projects_memberships_and_listing, |db: TestDb| async move {
    let store = db.store().await;
    let alice = user(&store, "alice@example.com").await;
    let (pid, _) = project(&store, Some(alice.clone())).await;
    let _other = project(&store, None).await;
    assert_eq!(
        store.membership_role(&pid, &alice).await.unwrap(),
        Some(heartlock_core::roles::ProjectRole::Owner)
    );
    assert_eq!(
        store
            .list_projects(Some(&alice), None, 10, 0)
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(store.list_projects(None, None, 10, 0).await.unwrap().1, 2);
    assert_eq!(
        store
            .list_projects(None, Some("PAYM"), 10, 0)
            .await
            .unwrap()
            .1,
        2
    );
    assert_eq!(
        store
            .list_projects(None, Some("zzz"), 10, 0)
            .await
            .unwrap()
            .1,
        0
    );
    let envs = store.environments(&pid).await.unwrap();
    assert_eq!(
        envs.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(),
        ["development", "production"]
    );
    let st = store
        .create_environment(&new_id(), &pid, "staging", "Staging", 2)
        .await
        .unwrap();
    store
        .update_environment(&pid, &st.id, None, Some(1))
        .await
        .unwrap();
    let envs = store.environments(&pid).await.unwrap();
    assert_eq!(
        envs.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(),
        ["development", "staging", "production"]
    );
    assert!(matches!(
        store
            .create_environment(&new_id(), &pid, "staging", "x", 3)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .create_user(
                &NewUser {
                    id: new_id(),
                    email: "alice@example.com".into(),
                    display_name: "x".into(),
                    password_hash: None,
                    role: heartlock_core::roles::ServerRole::User,
                    is_superuser: false
                },
                1
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
});

store_test!(refresh_reuse_revokes_the_family, |db: TestDb| async move {
    let store = db.store().await;
    let uid = user(&store, "bob@example.com").await;
    let r = |h: &str| NewRefresh {
        id: new_id(),
        token_hash: h.into(),
        expires_at: 1_000,
    };
    store
        .create_session("s1", &uid, &r("h1"), None, None, 1)
        .await
        .unwrap();
    assert!(store.session_user("s1", 2).await.unwrap().is_some());
    assert_eq!(
        store.rotate_refresh("h1", &r("h2"), 2).await.unwrap(),
        RefreshOutcome::Rotated {
            user_id: uid.clone(),
            session_id: "s1".into()
        }
    );
    // h1 again: reuse, the family dies, h2 no longer works.
    assert_eq!(
        store.rotate_refresh("h1", &r("h3"), 3).await.unwrap(),
        RefreshOutcome::Reused {
            session_id: "s1".into()
        }
    );
    assert!(matches!(
        store.rotate_refresh("h2", &r("h4"), 4).await.unwrap(),
        RefreshOutcome::Reused { .. }
    ));
    assert!(store.session_user("s1", 5).await.unwrap().is_none());
    assert_eq!(
        store.rotate_refresh("nope", &r("h5"), 5).await.unwrap(),
        RefreshOutcome::Unknown
    );
    // Expiry.
    store
        .create_session("s2", &uid, &r("e1"), None, None, 1)
        .await
        .unwrap();
    assert_eq!(
        store.rotate_refresh("e1", &r("e2"), 2_000).await.unwrap(),
        RefreshOutcome::Expired
    );
});
