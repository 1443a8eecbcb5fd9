//! Started once in production without an encryption key (ephemeral key),
//! the server must persist nothing under that key, so a restart with a real
//! key works (it used to exit on a JWT key nobody could decrypt).
use crate::support::{PASSWORD, as_user};
use heartlock_config::{Secret, Settings};
use heartlock_core::SystemClock;
use heartlock_core::formats::SecretMap;
use heartlock_domain::projects::{self, NewProjectRequest};
use heartlock_domain::secrets::{self, Changes, EnvRef};
use heartlock_domain::users::{self, NewAccount};
use heartlock_domain::{Domain, DomainError, Principal};
use heartlock_store::store_test;
use heartlock_store::testing::TestDb;
use std::sync::Arc;

fn production(db: &TestDb, dir: &std::path::Path) -> Settings {
    let mut s = Settings::for_tests(dir);
    s.debug = false;
    s.database_url = Secret::new(db.url.clone());
    s.encryption_key = None;
    s.secret_key = Some(Secret::new("k7Vq2pXz9LmR4tYw8NcB3hJf6GdS1aEu0iOo5"));
    s.users.enable_registration = true;
    s
}

#[tokio::test]
async fn production_without_secret_key_refuses_to_serve() {
    let db = TestDb::new(heartlock_store::Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = production(&db, dir.path());
    settings.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
    settings.secret_key = None;
    let err = match Domain::boot_to_serve(settings.clone(), Arc::new(SystemClock)).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("served production without SECRET_KEY"),
    };
    assert!(err.contains("SECRET_KEY is not set"), "{err}");
    // DEBUG serves (cookies then use a per-process key).
    settings.debug = true;
    Domain::boot_to_serve(settings, Arc::new(SystemClock))
        .await
        .unwrap()
        .shutdown()
        .await;
}

store_test!(
    an_ephemeral_first_start_persists_nothing,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let dom = Domain::boot(production(&db, dir.path()), Arc::new(SystemClock))
            .await
            .unwrap();
        assert!(!dom.key_source.is_stable());
        let account = NewAccount {
            email: "early@example.com",
            display_name: None,
            password: PASSWORD,
        };
        let user = users::register(&dom, &Principal::anonymous(), account)
            .await
            .unwrap();
        let who = as_user(user);
        let new = NewProjectRequest {
            name: "Early".into(),
            ..Default::default()
        };
        projects::create_info(&dom, &who, new).await.unwrap();
        let mut set = SecretMap::new();
        set.insert("API_KEY".into(), "would-be-lost".into());
        let changes = Changes {
            set: &set,
            delete: &[],
            comment: None,
            action: "secret.write",
        };
        let at = EnvRef {
            project: "early",
            env: "production",
        };
        let err = secrets::write(&dom, &who, at, changes).await.unwrap_err();
        assert!(
            matches!(&err, DomainError::Unavailable(m) if m.contains("HEARTLOCK_ENCRYPTION_KEY")),
            "{err:?}"
        );
        dom.shutdown().await;
        let store = db.store().await;
        assert_eq!(store.server_secret("jwt_secret_key").await.unwrap(), None);
        assert_eq!(store.server_secret("key_check").await.unwrap(), None);

        // The operator sets a key and restarts: it starts, and claims the database.
        let mut settings = production(&db, dir.path());
        settings.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
        let dom = Domain::boot(settings, Arc::new(SystemClock)).await.unwrap();
        assert!(dom.key_source.is_stable());
        dom.shutdown().await;
        assert!(
            store
                .server_secret("jwt_secret_key")
                .await
                .unwrap()
                .is_some()
        );
    }
);

#[tokio::test]
async fn open_admin_registration_refuses_to_start_in_production() {
    let db = TestDb::new(heartlock_store::Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = production(&db, dir.path());
    settings.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
    settings.users.default_role = heartlock_config::UserRole::Admin;
    let err = match Domain::boot_to_serve(settings.clone(), Arc::new(SystemClock)).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("anyone could register as an administrator"),
    };
    assert!(
        err.contains("DEFAULT_USER_ROLE=admin") && err.contains("ENABLE_REGISTRATION"),
        "{err}"
    );
    assert!(
        settings
            .deploy_check()
            .iter()
            .any(|f| f.id == "heartlock.W019")
    );
    // Closed registration, or an explicit opt-in, starts.
    let mut closed = settings.clone();
    closed.users.enable_registration = false;
    Domain::boot_to_serve(closed, Arc::new(SystemClock))
        .await
        .unwrap()
        .shutdown()
        .await;
    let mut meant = settings;
    meant.users.allow_open_admin_registration = true;
    Domain::boot_to_serve(meant, Arc::new(SystemClock))
        .await
        .unwrap()
        .shutdown()
        .await;
}

store_test!(
    deploy_findings_follow_the_first_administrator,
    |db: TestDb| async move {
        use heartlock_config::{Finding, RuntimeFacts};
        use heartlock_domain::deploy;
        let dir = tempfile::tempdir().unwrap();
        let mut settings = production(&db, dir.path());
        settings.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
        let open = |f: &[Finding]| f.iter().any(|f| f.id == "heartlock.W040");
        let dom = Domain::boot(settings.clone(), Arc::new(SystemClock))
            .await
            .unwrap();
        assert!(open(&deploy::deploy_findings(&dom).await));
        let mut facts = RuntimeFacts::default();
        deploy::read_database_facts(&settings, &mut facts)
            .await
            .unwrap();
        assert_eq!(facts.admin_exists, Some(false));

        let account = NewAccount {
            email: "root@example.com",
            display_name: None,
            password: PASSWORD,
        };
        users::create_superuser(&dom, &Principal::system("test"), account)
            .await
            .unwrap();
        // Computed on each call: no restart needed.
        assert!(!open(&deploy::deploy_findings(&dom).await));
        let mut facts = RuntimeFacts::default();
        deploy::read_database_facts(&settings, &mut facts)
            .await
            .unwrap();
        assert_eq!(facts.admin_exists, Some(true));
        assert!(!open(&settings.deploy_check_with(&facts)));
        dom.shutdown().await;
    }
);

#[tokio::test]
async fn deploy_probe_of_a_fresh_install_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(dir.path());
    settings.debug = false;
    let path = settings.sqlite_path().unwrap();
    let mut facts = heartlock_config::RuntimeFacts::default();
    heartlock_domain::deploy::read_database_facts(&settings, &mut facts)
        .await
        .unwrap();
    assert_eq!(facts.admin_exists, Some(false));
    assert!(!path.exists(), "the check must not create the database");
    let ids: Vec<&str> = settings
        .deploy_check_with(&facts)
        .iter()
        .map(|f| f.id)
        .collect();
    assert!(ids.contains(&"heartlock.W040"), "{ids:?}");
}
