//! A service token reads only the environments it was given, whichever
//! operation it calls.
use crate::support::World;
use heartlock_domain::tokens::{self, NewToken};
use heartlock_domain::{Principal, auth, secrets};
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

store_test!(
    the_grid_shows_a_token_its_environments_only,
    |db: TestDb| async move {
        let w = World::new(db).await;
        let envs = ["staging".to_string()];
        let new = NewToken {
            name: "ci",
            environments: &envs,
            access: "read",
            expires_in_days: None,
            allowed_cidrs: &[],
        };
        let secret = tokens::create(&w.dom, &w.owner, "payments", new)
            .await
            .unwrap()
            .token;
        let actor = auth::authenticate_bearer(&w.dom, &secret, None)
            .await
            .unwrap();
        let token = Principal::new(actor);
        let (_, grid) = secrets::grid(&w.dom, &token, "payments").await.unwrap();
        let seen: Vec<&str> = grid.iter().map(|(e, _)| e.slug.as_str()).collect();
        assert_eq!(seen, ["staging"]);
        // The owner sees all three.
        let (_, grid) = secrets::grid(&w.dom, &w.owner, "payments").await.unwrap();
        assert_eq!(grid.len(), 3);
    }
);
