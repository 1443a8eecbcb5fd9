//! A member limited to some environments: the others are 404 for every
//! secrets operation and left out of every list; owners and admins are
//! never limited.
use crate::support::{PASSWORD, World, as_user};
use heartlock_core::formats::{Format, SecretMap};
use heartlock_domain::secrets::{self, Changes, EnvRef};
use heartlock_domain::users::{self, NewAccount};
use heartlock_domain::{DomainError, Principal, audit, environments, members, projects};
use heartlock_store::testing::TestDb;
use heartlock_store::{AuditFilter, store_test};

const P: &str = "payments";

async fn account(w: &World, email: &str) -> Principal {
    let account = NewAccount {
        email,
        display_name: None,
        password: PASSWORD,
    };
    as_user(
        users::register(&w.dom, &Principal::anonymous(), account)
            .await
            .unwrap(),
    )
}

async fn put(
    w: &World,
    who: &Principal,
    env: &str,
    key: &str,
    value: &str,
) -> Result<(), DomainError> {
    let mut set = SecretMap::new();
    set.insert(key.into(), value.into());
    let changes = Changes {
        set: &set,
        delete: &[],
        comment: None,
        action: "secret.write",
    };
    secrets::write(&w.dom, who, EnvRef { project: P, env }, changes)
        .await
        .map(|_| ())
}

fn at(env: &str) -> EnvRef<'_> {
    EnvRef { project: P, env }
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, DomainError>) -> bool {
    matches!(r, Err(DomainError::NotFound(_)))
}

fn field(r: Result<members::Member, DomainError>) -> String {
    match r {
        Err(DomainError::Validation { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

store_test!(
    a_limited_member_reaches_its_environments_only,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let dev = account(&w, "dev@example.com").await;
        for env in ["development", "staging", "production"] {
            put(&w, &w.owner, env, "KEY", &format!("{env} value"))
                .await
                .unwrap();
        }
        let limit = ["development".to_string(), "staging".to_string()];
        let m = members::add(
            &w.dom,
            &w.owner,
            P,
            "dev@example.com",
            "member",
            Some(&limit),
        )
        .await
        .unwrap();
        assert_eq!(m.environments.as_deref(), Some(&limit[..]));

        // Inside: everything works.
        assert_eq!(
            secrets::get(&w.dom, &dev, at("staging"), "KEY")
                .await
                .unwrap()
                .value,
            "staging value"
        );
        put(&w, &dev, "development", "KEY", "changed")
            .await
            .unwrap();
        // Outside: every operation answers as for an environment that does not exist.
        let prod = at("production");
        assert!(is_not_found(secrets::list(&w.dom, &dev, prod).await));
        assert!(is_not_found(secrets::get(&w.dom, &dev, prod, "KEY").await));
        assert!(is_not_found(
            secrets::export(&w.dom, &dev, prod, Format::Dotenv).await
        ));
        assert!(is_not_found(
            secrets::history(&w.dom, &dev, prod, "KEY", 10, 0).await
        ));
        assert!(is_not_found(
            secrets::rollback(&w.dom, &dev, prod, "KEY", 1).await
        ));
        assert!(is_not_found(
            secrets::import(&w.dom, &dev, prod, "dotenv", "A=1\n").await
        ));
        assert!(is_not_found(
            secrets::get_for_edit(&w.dom, &dev, prod, "KEY").await
        ));
        assert!(is_not_found(
            put(&w, &dev, "production", "KEY", "stolen").await
        ));
        assert_eq!(
            secrets::get(&w.dom, &w.owner, prod, "KEY")
                .await
                .unwrap()
                .value,
            "production value"
        );

        // Lists show the allowed environments only.
        let slugs = |envs: Vec<String>| envs;
        let (_, grid) = secrets::grid(&w.dom, &dev, P).await.unwrap();
        assert_eq!(
            slugs(grid.into_iter().map(|(e, _)| e.slug).collect()),
            ["development", "staging"]
        );
        let cmp = secrets::compare(&w.dom, &dev, P, "KEY").await.unwrap();
        assert_eq!(
            slugs(cmp.into_iter().map(|(e, _)| e.slug).collect()),
            ["development", "staging"]
        );
        let (_, envs) = environments::list(&w.dom, &dev, P).await.unwrap();
        assert_eq!(envs.len(), 2);
        assert_eq!(
            projects::get(&w.dom, &dev, P)
                .await
                .unwrap()
                .environments
                .len(),
            2
        );
        assert_eq!(
            projects::get(&w.dom, &w.owner, P)
                .await
                .unwrap()
                .environments
                .len(),
            3
        );

        // The limit is shown and audited.
        let list = members::list(&w.dom, &w.owner, P).await.unwrap();
        let shown = list
            .iter()
            .find(|m| m.user.email == "dev@example.com")
            .unwrap();
        assert_eq!(shown.environments.as_deref(), Some(&limit[..]));
        let events = audit::search(&w.dom, &w.owner, Some(P), AuditFilter::default(), 100, 0)
            .await
            .unwrap()
            .events;
        assert!(events.iter().any(|e| e.event.action == "member.set"
            && e.event.detail.as_deref()
                == Some("dev@example.com is now member in development, staging")));

        // Changing the role without a limit gives every environment back.
        members::change_role(&w.dom, &w.owner, P, &shown.user.id, "viewer", None)
            .await
            .unwrap();
        assert_eq!(
            secrets::get(&w.dom, &dev, prod, "KEY").await.unwrap().value,
            "production value"
        );
    }
);

store_test!(
    a_recreated_environment_is_not_reached,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let dev = account(&w, "dev@example.com").await;
        let limit = ["staging".to_string()];
        members::add(
            &w.dom,
            &w.owner,
            P,
            "dev@example.com",
            "viewer",
            Some(&limit),
        )
        .await
        .unwrap();
        assert!(secrets::list(&w.dom, &dev, at("staging")).await.is_ok());
        environments::delete(&w.dom, &w.owner, P, "staging")
            .await
            .unwrap();
        environments::create(&w.dom, &w.owner, P, "staging", None)
            .await
            .unwrap();
        // Same slug, new environment: outside the limit.
        assert!(is_not_found(
            secrets::list(&w.dom, &dev, at("staging")).await
        ));
        let list = members::list(&w.dom, &w.owner, P).await.unwrap();
        let shown = list
            .iter()
            .find(|m| m.user.email == "dev@example.com")
            .unwrap();
        assert_eq!(shown.environments.as_deref(), Some(&[][..]));
    }
);

store_test!(limits_are_validated, |db: TestDb| async move {
    let w = World::new(db).await;
    account(&w, "dev@example.com").await;
    let unknown = ["nowhere".to_string()];
    let r = members::add(
        &w.dom,
        &w.owner,
        P,
        "dev@example.com",
        "member",
        Some(&unknown),
    )
    .await;
    assert_eq!(field(r), "environments");
    let dev = ["development".to_string()];
    // Owners and admins always reach every environment.
    let r = members::add(&w.dom, &w.owner, P, "dev@example.com", "admin", Some(&dev)).await;
    assert_eq!(field(r), "environments");
    let r = members::add(&w.dom, &w.owner, P, "dev@example.com", "member", Some(&[])).await;
    assert_eq!(field(r), "environments");
    // Nothing was added by the refused requests.
    let list = members::list(&w.dom, &w.owner, P).await.unwrap();
    assert_eq!(list.len(), 1);
});

store_test!(admins_are_never_limited, |db: TestDb| async move {
    let w = World::new(db).await;
    let admin = account(&w, "admin@example.com").await;
    put(&w, &w.owner, "production", "KEY", "v").await.unwrap();
    let dev = ["development".to_string()];
    let m = members::add(
        &w.dom,
        &w.owner,
        P,
        "admin@example.com",
        "member",
        Some(&dev),
    )
    .await
    .unwrap();
    assert!(is_not_found(
        secrets::get(&w.dom, &admin, at("production"), "KEY").await
    ));
    // Promoted with the old limit still stored: an admin reaches everything.
    let pid = projects::get(&w.dom, &w.owner, P).await.unwrap().project.id;
    w.store
        .set_membership(
            &pid,
            &m.user.id,
            heartlock_core::roles::ProjectRole::Admin,
            5,
        )
        .await
        .unwrap();
    assert!(
        secrets::get(&w.dom, &admin, at("production"), "KEY")
            .await
            .is_ok()
    );
    let (_, grid) = secrets::grid(&w.dom, &admin, P).await.unwrap();
    assert_eq!(grid.len(), 3);
});
