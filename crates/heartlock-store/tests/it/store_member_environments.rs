//! Environment limits of memberships on both databases.
use crate::store_secrets::{project, user};
use heartlock_core::roles::ProjectRole;
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

store_test!(membership_limits_round_trip, |db: TestDb| async move {
    let store = db.store().await;
    let owner = user(&store, "owner@example.com").await;
    let dev = user(&store, "dev@example.com").await;
    let (pid, env) = project(&store, Some(owner.clone())).await;
    // A new owner and a member added the old way reach every environment.
    assert_eq!(
        store.membership_environments(&pid, &owner).await.unwrap(),
        None
    );
    assert_eq!(
        store.membership_environments(&pid, &dev).await.unwrap(),
        None
    );

    let limit = vec![env.clone()];
    store
        .set_membership_with_environments(&pid, &dev, ProjectRole::Member, Some(&limit), 2)
        .await
        .unwrap();
    assert_eq!(
        store.membership_role(&pid, &dev).await.unwrap(),
        Some(ProjectRole::Member)
    );
    assert_eq!(
        store.membership_environments(&pid, &dev).await.unwrap(),
        Some(limit.clone())
    );
    let mut all = store.member_environments(&pid).await.unwrap();
    all.sort();
    let mut want = vec![(owner.clone(), None), (dev.clone(), Some(limit))];
    want.sort();
    assert_eq!(all, want);

    // Changing the role through the old path keeps the limit; setting it
    // again with `None` lifts it.
    store
        .set_membership(&pid, &dev, ProjectRole::Viewer, 3)
        .await
        .unwrap();
    assert_eq!(
        store.membership_environments(&pid, &dev).await.unwrap(),
        Some(vec![env.clone()])
    );
    store
        .set_membership_with_environments(&pid, &dev, ProjectRole::Viewer, None, 4)
        .await
        .unwrap();
    assert_eq!(
        store.membership_environments(&pid, &dev).await.unwrap(),
        None
    );
});
