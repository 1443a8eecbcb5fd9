//! Stored data that does not parse is an error, never a permissive default:
//! a token whose CIDR list is corrupt must not become usable from anywhere.
use crate::support::{World, as_user};
use heartlock_domain::tokens::{self, NewToken};
use heartlock_domain::{DomainError, auth, projects};
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

async fn token(w: &World, cidrs: &[&str]) -> String {
    let cidrs: Vec<String> = cidrs.iter().map(|c| c.to_string()).collect();
    let envs = ["production".to_string()];
    let new = NewToken {
        name: "deploy",
        environments: &envs,
        access: "read",
        expires_in_days: None,
        allowed_cidrs: &cidrs,
    };
    tokens::create(&w.dom, &w.owner, "payments", new)
        .await
        .unwrap()
        .token
}

store_test!(
    a_corrupt_cidr_list_refuses_the_token,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let secret = token(&w, &["10.0.0.0/8"]).await;
        let inside = Some("10.1.2.3".parse().unwrap());
        assert!(
            auth::authenticate_bearer(&w.dom, &secret, inside)
                .await
                .is_ok()
        );

        // Unparseable entries and unparseable JSON: both refuse, from any address.
        for corrupt in [r#"["10.0.0.0/8", "anywhere"]"#, "not json"] {
            let sql = format!("UPDATE service_tokens SET allowed_cidrs = '{corrupt}'");
            w.store.execute_raw(&sql).await.unwrap();
            // Nothing cached from before the corruption.
            w.dom.clear_caches();
            for peer in [inside, Some("192.0.2.1".parse().unwrap()), None] {
                match auth::authenticate_bearer(&w.dom, &secret, peer).await {
                    Err(DomainError::Integrity(what)) => {
                        assert!(what.contains("allowed_cidrs"), "{what}")
                    }
                    other => panic!("a corrupt CIDR list must refuse the token: {other:?}"),
                }
            }
        }
    }
);

store_test!(an_unknown_role_string_is_refused, |db: TestDb| async move {
    let w = World::new(db).await;
    let user = w.owner.user().unwrap().clone();
    let secret = token(&w, &[]).await;

    // A membership role nobody knows: no access, not "no role" and not a default.
    w.store
        .execute_raw("UPDATE memberships SET role = 'superowner'")
        .await
        .unwrap();
    let err = projects::get(&w.dom, &w.owner, "payments")
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Integrity(_)), "{err:?}");

    // A server role nobody knows: the account cannot be loaded at all.
    w.store
        .execute_raw("UPDATE users SET role = 'root'")
        .await
        .unwrap();
    let err = w.store.user_by_id(&user.id).await.unwrap_err();
    assert!(err.to_string().contains("users.role"), "{err}");
    let again = as_user(user);
    assert!(projects::get(&w.dom, &again, "payments").await.is_err());

    // A token access level nobody knows.
    w.store
        .execute_raw("UPDATE service_tokens SET access = 'admin'")
        .await
        .unwrap();
    w.dom.clear_caches();
    let err = auth::authenticate_bearer(&w.dom, &secret, None)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Integrity(_)), "{err:?}");
});
