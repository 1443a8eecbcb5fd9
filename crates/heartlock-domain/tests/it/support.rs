//! A booted domain on a fresh test database, with a signed-in owner.
use heartlock_config::{Secret, Settings};
use heartlock_core::SystemClock;
use heartlock_domain::projects::{self, NewProjectRequest};
use heartlock_domain::records::UserRecord;
use heartlock_domain::users::{self, NewAccount};
use heartlock_domain::{Actor, Domain, Principal};
use heartlock_store::Store;
use heartlock_store::testing::TestDb;
use std::sync::Arc;

pub struct World {
    pub dom: Domain,
    /// A separate handle on the same database (to corrupt rows).
    pub store: Store,
    pub owner: Principal,
    /// Kept alive: dropping it drops the test database.
    _db: TestDb,
    _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery staple";

pub fn as_user(user: UserRecord) -> Principal {
    Principal::new(Actor::User {
        user: Box::new(user),
        session_id: "test-session".into(),
    })
}

impl World {
    /// A domain with project `payments` owned by `owner@example.com`.
    pub async fn new(db: TestDb) -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_tests(dir.path());
        settings.database_url = Secret::new(db.url.clone());
        settings.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
        settings.users.enable_registration = true;
        let dom = Domain::boot(settings, Arc::new(SystemClock)).await.unwrap();
        let account = NewAccount {
            email: "owner@example.com",
            display_name: None,
            password: PASSWORD,
        };
        let user = users::register(&dom, &Principal::anonymous(), account)
            .await
            .unwrap();
        let owner = as_user(user);
        let new = NewProjectRequest {
            name: "Payments".into(),
            ..Default::default()
        };
        projects::create_info(&dom, &owner, new).await.unwrap();
        World {
            store: db.store().await,
            dom,
            owner,
            _db: db,
            _dir: dir,
        }
    }
}
