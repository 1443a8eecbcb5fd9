//! Every domain write transaction knows its actor: on PostgreSQL it carries
//! `heartlock.actor_kind` / `heartlock.actor_id` as transaction-local
//! settings (what row-level security policies will read).
use crate::support::World;
use heartlock_core::formats::SecretMap;
use heartlock_domain::secrets::{self, Changes, EnvRef};
use heartlock_store::Backend;
use heartlock_store::testing::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_write_carries_its_actor_on_postgres() {
    let w = World::new(TestDb::new(Backend::Postgres).await).await;
    // A trigger records what the writing transaction says about its actor.
    w.store
        .execute_raw(
            "CREATE TABLE seen_actor (kind TEXT, id TEXT); \
             GRANT INSERT, SELECT ON seen_actor TO PUBLIC; \
             CREATE FUNCTION note_actor() RETURNS trigger AS $$ BEGIN \
               INSERT INTO seen_actor VALUES (current_setting('heartlock.actor_kind', true), \
                                              current_setting('heartlock.actor_id', true)); \
               RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER note_actor AFTER INSERT ON secret_versions \
               FOR EACH ROW EXECUTE FUNCTION note_actor();",
        )
        .await
        .unwrap();
    let mut set = SecretMap::new();
    set.insert("API_KEY".into(), "s3cr3t-value".into());
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
    secrets::write(&w.dom, &w.owner, at, changes).await.unwrap();
    let seen = w
        .store
        .query_pairs_for_tests("SELECT kind, id FROM seen_actor")
        .await;
    let user_id = w.owner.user().unwrap().id.clone();
    assert_eq!(seen, vec![("user".to_string(), user_id)]);
    // Outside that transaction the setting is gone (transaction-local).
    let after = w
        .store
        .query_pairs_for_tests(
            "SELECT COALESCE(current_setting('heartlock.actor_kind', true), ''), ''",
        )
        .await;
    assert_eq!(after, vec![(String::new(), String::new())]);
}
