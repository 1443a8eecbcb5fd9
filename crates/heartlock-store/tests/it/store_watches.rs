//! Environment watches on both databases: upsert, list, delete, cascades,
//! and the cost of the fan-out's lookup next to a secret write.
use crate::store_secrets::{project, user};
use heartlock_store::testing::TestDb;
use heartlock_store::{WatchRecord, store_test};

fn watch(user_id: &str, env: &str, project: &str, email: bool, push: bool) -> WatchRecord {
    WatchRecord {
        user_id: user_id.into(),
        environment_id: env.into(),
        project_id: project.into(),
        email,
        push,
        created_at: 5,
    }
}

store_test!(watches_round_trip_and_cascade, |db: TestDb| async move {
    let store = db.store().await;
    let ann = user(&store, "ann@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    let (pid, env) = project(&store, None).await;
    assert!(store.environment_watchers(&env).await.unwrap().is_empty());

    store
        .upsert_watch(&watch(&ann, &env, &pid, true, false))
        .await
        .unwrap();
    store
        .upsert_watch(&watch(&bob, &env, &pid, false, true))
        .await
        .unwrap();
    // Changing the channels keeps the creation time.
    let mut again = watch(&ann, &env, &pid, true, true);
    again.created_at = 99;
    store.upsert_watch(&again).await.unwrap();
    let got = store.watch(&ann, &env).await.unwrap().unwrap();
    assert_eq!((got.email, got.push, got.created_at), (true, true, 5));
    assert_eq!(store.environment_watchers(&env).await.unwrap().len(), 2);

    let mine = store.user_watches(&ann).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (
            mine[0].project_name.as_str(),
            mine[0].environment_slug.as_str()
        ),
        ("Payments", "development")
    );

    assert!(store.delete_watch(&ann, &env).await.unwrap());
    assert!(!store.delete_watch(&ann, &env).await.unwrap());
    assert!(store.watch(&ann, &env).await.unwrap().is_none());

    // Deleting the environment's project takes its watches along.
    store.delete_project(&pid).await.unwrap();
    assert!(store.user_watches(&bob).await.unwrap().is_empty());
});
