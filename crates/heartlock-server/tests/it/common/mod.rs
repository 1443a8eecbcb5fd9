//! A live server on 127.0.0.1:0 with its own database, for integration tests.
#![allow(dead_code)]
use heartlock_config::{Secret, Settings};
use heartlock_core::{Clock, SystemClock};
use heartlock_server::AppState;
use heartlock_store::testing::TestDb;
use heartlock_store::{Backend, DbTarget, Store, StoreOptions};
use std::net::SocketAddr;
use std::sync::Arc;

pub mod push;
pub mod smtp;
pub mod turnstile;

pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    /// A separate handle on the server's database, for setup and for
    /// checking what was stored (the server itself reaches it only
    /// through the domain).
    pub store: Store,
    /// None for a second instance sharing another server's database.
    pub db: Option<TestDb>,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Test settings: DEBUG on, a fresh key, the given database; `tweak` edits.
pub fn settings_for(
    db: &TestDb,
    dir: &std::path::Path,
    tweak: impl FnOnce(&mut Settings),
) -> Settings {
    let mut s = Settings::for_tests(dir);
    s.database_url = Secret::new(db.url.clone());
    s.database_owner_url = db.owner_url.clone().map(Secret::new);
    s.encryption_key = Some(Secret::new(heartlock_core::Keyring::generate_key()));
    tweak(&mut s);
    s
}

impl TestServer {
    pub async fn start(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::start_with_clock(backend, Arc::new(SystemClock), tweak).await
    }

    /// With an injected clock, so tests can move time (token expiry).
    pub async fn start_with_clock(
        backend: Backend,
        clock: Arc<dyn Clock>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let settings = settings_for(&db, dir.path(), tweak);
        let state = heartlock_server::boot(settings, clock).await.expect("boot");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(heartlock_server::serve(
            state.clone(),
            listener,
            async move {
                let _ = rx.await;
            },
        ));
        Self {
            addr,
            base: format!("http://{addr}"),
            store: db.store().await,
            state,
            db: Some(db),
            dir,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop_shared(self) {
        self.stop().await
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }
}

/// Another instance on the same database (same keys), as behind a load balancer.
pub async fn second_instance(first: &TestServer, key: Option<Secret>) -> TestServer {
    second_instance_with(first, key, |_| {}).await
}

/// As [`second_instance`], with `tweak` editing its settings first (the
/// database URL and keys are set again after it).
pub async fn second_instance_with(
    first: &TestServer,
    key: Option<Secret>,
    tweak: impl FnOnce(&mut Settings),
) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(dir.path());
    tweak(&mut settings);
    settings.database_url = first.state.settings.database_url.clone();
    settings.database_owner_url = first.state.settings.database_owner_url.clone();
    settings.encryption_key = key;
    settings.jwt.secret_key = Some(Secret::new("shared-jwt-key-for-both-instances-0123456789"));
    let state = heartlock_server::boot(settings, Arc::new(SystemClock))
        .await
        .expect("boot second");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(heartlock_server::serve(
        state.clone(),
        listener,
        async move {
            let _ = rx.await;
        },
    ));
    // Let the change listener connect before the test writes.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    TestServer {
        addr,
        base: format!("http://{addr}"),
        store: side_store(&first.state).await,
        state,
        db: None,
        dir,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

/// A separate store on the database a server uses now.
pub async fn side_store(state: &AppState) -> Store {
    // The owner in the two-role setup: the runtime role sees nothing
    // without an actor.
    let target: DbTarget = match &state.settings.database_owner_url {
        Some(o) => DbTarget::Postgres(o.expose().to_string()),
        None => state.database_target(),
    };
    Store::connect(&StoreOptions::new(target))
        .await
        .expect("connect to the test database")
}

/// A JSON request helper: (status, body as JSON or Null).
pub async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = client().request(method, &url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Registers a user and returns (access token, refresh token, user id).
pub async fn register(srv: &TestServer, email: &str) -> (String, String, String) {
    let (status, body) = call(
        reqwest::Method::POST,
        srv.url("/api/v1/auth/register"),
        None,
        Some(serde_json::json!({ "email": email, "password": "correct horse battery staple" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
        body["user"]["id"].as_str().unwrap().to_string(),
    )
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// One `#[tokio::test]` per backend: `backend_test!(name, |backend| async move {..})`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(heartlock_store::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(heartlock_store::Backend::Postgres).await;
            }
        }
    };
}

/// A bare browser-like client: a cookie jar, no redirects followed.
pub fn cookie_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
