//! Counts one request (or one user) can create are bounded.
use crate::support::World;
use heartlock_domain::projects::{self, MAX_ENVIRONMENTS, NewProjectRequest};
use heartlock_domain::{DomainError, environments};
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;

fn with_envs(name: &str, n: usize) -> NewProjectRequest {
    NewProjectRequest {
        name: name.into(),
        environments: Some((0..n).map(|i| format!("env-{i}")).collect()),
        ..Default::default()
    }
}

store_test!(
    environments_per_project_are_bounded,
    |db: TestDb| async move {
        let w = World::new(db).await;
        // 10,000 in one request used to be accepted.
        let err = projects::create_info(&w.dom, &w.owner, with_envs("Huge", 10_000))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation { .. }), "{err:?}");
        let err = projects::create_info(&w.dom, &w.owner, with_envs("Big", MAX_ENVIRONMENTS + 1))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation { .. }), "{err:?}");
        projects::create_info(&w.dom, &w.owner, with_envs("Full", MAX_ENVIRONMENTS))
            .await
            .unwrap();
        let err = environments::create(&w.dom, &w.owner, "full", "one-more", None)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)), "{err:?}");
    }
);

store_test!(projects_per_user_are_bounded, |db: TestDb| async move {
    let w = World::new(db).await;
    let user = w.owner.user().unwrap().id.clone();
    // 999 more memberships (the owner has one project already).
    w.store
        .execute_raw(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999) \
             INSERT INTO projects (id, slug, name, created_at, updated_at) \
             SELECT 'bulk-' || i, 'bulk-' || i, 'Bulk', 0, 0 FROM n; \
             INSERT INTO memberships (project_id, user_id, role, created_at) \
             SELECT id, '{user}', 'viewer', 0 FROM projects WHERE name = 'Bulk';"
        ))
        .await
        .unwrap();
    let new = NewProjectRequest {
        name: "One too many".into(),
        ..Default::default()
    };
    let err = projects::create_info(&w.dom, &w.owner, new)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DomainError::Conflict(m) if m.contains("1000")),
        "{err:?}"
    );
});
