//! The first-run onboarding wizard, through a browser-like client (cookies,
//! no redirects followed): SQLite and PostgreSQL, closing for good,
//! concurrent completions, the off switch and CSRF.

use crate::common::TestServer;
use heartlock_config::{Secret, Settings};
use heartlock_core::{Keyring, SystemClock};
use heartlock_store::Backend;
use heartlock_store::testing::TestDb;
use std::sync::Arc;

const PASSWORD: &str = "a long and unusual passphrase 42";

use crate::common::cookie_browser as browser;

/// The `value` of the input named `name` in `html`.
fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name} in page"));
    let rest = &html[at..];
    let start = rest.find("value=\"").expect("value attribute") + 7;
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_string()
}

/// A fresh server that has not been onboarded: no key configured (DEBUG's
/// development key file is used), no administrator.
async fn fresh(backend: Backend) -> TestServer {
    TestServer::start(backend, |s| s.encryption_key = None).await
}

/// Opens the wizard; returns (csrf token, generated key).
async fn open_wizard(srv: &TestServer, client: &reqwest::Client) -> (String, String) {
    let resp = client.get(srv.url("/onboarding")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let html = resp.text().await.unwrap();
    // Nobody can sign in or register before the wizard has made the first
    // account: the header does not offer it.
    assert!(
        !html.contains("href=\"/login\"") && !html.contains("href=\"/register\""),
        "{html}"
    );
    (
        input_value(&html, "csrf_token"),
        input_value(&html, "generated_key"),
    )
}

fn form(csrf: &str, key: &str, email: &str, db: Option<&str>) -> Vec<(String, String)> {
    let mut f = vec![
        ("csrf_token", csrf),
        ("base_url", "https://secrets.example.com/"),
        ("key_mode", "generate"),
        ("generated_key", key),
        ("key_stored", "yes"),
        ("email", email),
        ("display_name", "First Admin"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    match db {
        Some(url) => f.extend([("db_mode", "postgres"), ("database_url", url)]),
        None => f.push(("db_mode", "keep")),
    }
    f.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn appconfig(srv: &TestServer) -> (serde_json::Value, u32) {
    let path = srv.state.settings.data_dir.join("appconfig.json");
    let text = std::fs::read_to_string(&path).expect("appconfig.json written");
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777
    };
    #[cfg(not(unix))]
    let mode = 0o600;
    (serde_json::from_str(&text).unwrap(), mode)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_onboarding_creates_the_admin_and_closes_for_good() {
    let srv = fresh(Backend::Sqlite).await;
    let client = browser();
    let home = client.get(srv.url("/")).send().await.unwrap();
    assert_eq!(home.headers()["location"], "/onboarding");
    let (csrf, key) = open_wizard(&srv, &client).await;

    // The generated key must be confirmed as stored.
    let mut unconfirmed = form(&csrf, &key, "admin@example.com", None);
    unconfirmed.retain(|(k, _)| k != "key_stored");
    let resp = client
        .post(srv.url("/onboarding"))
        .form(&unconfirmed)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Confirm that you have stored the generated key safely"));
    assert!(!html.contains(PASSWORD), "passwords are never echoed");
    assert_eq!(
        input_value(&html, "generated_key"),
        key,
        "the same key stays on the page"
    );

    let resp = client
        .post(srv.url("/onboarding"))
        .form(&form(&csrf, &key, "Admin@Example.com", None))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_eq!(resp.headers()["location"], "/projects");

    // Signed in as the new administrator.
    let account = client.get(srv.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), 200);
    assert!(account.text().await.unwrap().contains("admin@example.com"));
    let admin = crate::common::side_store(&srv.state)
        .await
        .user_by_email("admin@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(admin.is_superuser && admin.role.as_str() == "admin");
    assert_eq!(srv.store.count_admins().await.unwrap(), 1);

    // The server now uses the generated key, and persisted everything.
    let ring = Keyring::parse(&key).unwrap();
    assert_eq!(srv.state.keyring.fingerprints(), ring.fingerprints());
    let (cfg, mode) = appconfig(&srv);
    assert_eq!(mode, 0o600);
    assert_eq!(cfg["HEARTLOCK_BASE_URL"], "https://secrets.example.com");
    assert_eq!(cfg["HEARTLOCK_ENCRYPTION_KEY"], key.as_str());
    assert_eq!(cfg["DATABASE_URL"], srv.db.as_ref().unwrap().url.as_str());

    // Closed: the wizard is gone, even for a new anonymous visitor.
    assert_eq!(
        client
            .get(srv.url("/onboarding"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let other = browser();
    let login = other
        .get(srv.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let anon_csrf = input_value(&login, "csrf_token");
    let again = other
        .post(srv.url("/onboarding"))
        .form(&form(&anon_csrf, &key, "intruder@example.com", None))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    assert_eq!(
        other.get(srv.url("/")).send().await.unwrap().headers()["location"],
        "/login"
    );

    // A restart with what appconfig.json holds passes the key check (the
    // canary and the JWT key were re-sealed under the new key).
    let mut srv = srv;
    let db = srv.db.take();
    srv.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(dir.path());
    settings.database_url = Secret::new(cfg["DATABASE_URL"].as_str().unwrap());
    settings.encryption_key = Some(Secret::new(key.clone()));
    let restarted = heartlock_server::boot(settings, Arc::new(SystemClock)).await;
    assert!(
        restarted.is_ok(),
        "{:?}",
        restarted.err().map(|e| e.to_string())
    );
    restarted.unwrap().shutdown().await;
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_switches_the_running_server_to_postgresql() {
    let srv = fresh(Backend::Sqlite).await;
    let pg = TestDb::new(Backend::Postgres).await;
    let client = browser();
    let (csrf, key) = open_wizard(&srv, &client).await;

    // The connection test reports the migrations to apply, keeping the form.
    let mut test = form(&csrf, &key, "ops@example.com", Some(&pg.url));
    test.retain(|(k, _)| !k.starts_with("password"));
    let resp = client
        .post(srv.url("/onboarding/test-database"))
        .form(&test)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Connected."), "{html}");
    assert_eq!(input_value(&html, "email"), "ops@example.com");

    let bad = client
        .post(srv.url("/onboarding/test-database"))
        .form(&form(
            &csrf,
            &key,
            "ops@example.com",
            Some("mysql://nope/db"),
        ))
        .send()
        .await
        .unwrap();
    assert!(bad.text().await.unwrap().contains("postgres://"));

    let resp = client
        .post(srv.url("/onboarding"))
        .form(&form(&csrf, &key, "ops@example.com", Some(&pg.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_eq!(srv.state.backend(), Backend::Postgres);

    // The flow continues against PostgreSQL: sign in through the API, create a project.
    let (status, body) = crate::common::call(
        reqwest::Method::POST,
        srv.url("/api/v1/auth/login"),
        None,
        Some(serde_json::json!({ "email": "ops@example.com", "password": PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    let (status, body) = crate::common::call(
        reqwest::Method::POST,
        srv.url("/api/v1/projects"),
        Some(&token),
        Some(serde_json::json!({ "name": "Payments", "slug": "payments" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let direct = pg.store().await;
    let admin = direct
        .user_by_email("ops@example.com")
        .await
        .unwrap()
        .expect("admin in PostgreSQL");
    assert!(admin.is_superuser);
    assert!(direct.project_by_slug("payments").await.unwrap().is_some());
    assert!(
        direct
            .server_secret("onboarding_done")
            .await
            .unwrap()
            .is_some()
    );
    // The old SQLite database got nothing.
    let old = srv.db.as_ref().unwrap().store().await;
    assert_eq!(old.count_admins().await.unwrap(), 0);
    assert!(old.project_by_slug("payments").await.unwrap().is_none());

    let (cfg, mode) = appconfig(&srv);
    assert_eq!(mode, 0o600);
    assert_eq!(cfg["DATABASE_URL"], pg.url.as_str());
    assert_eq!(
        client
            .get(srv.url("/onboarding"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_completions_create_exactly_one_admin() {
    let srv = fresh(Backend::Sqlite).await;
    let (a, b) = (browser(), browser());
    let (csrf_a, key_a) = open_wizard(&srv, &a).await;
    let (csrf_b, key_b) = open_wizard(&srv, &b).await;
    let fa = form(&csrf_a, &key_a, "a@example.com", None);
    let fb = form(&csrf_b, &key_b, "b@example.com", None);
    let (ra, rb) = tokio::join!(
        a.post(srv.url("/onboarding")).form(&fa).send(),
        b.post(srv.url("/onboarding")).form(&fb).send(),
    );
    let mut statuses = [ra.unwrap().status().as_u16(), rb.unwrap().status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 404]);
    assert_eq!(srv.store.count_admins().await.unwrap(), 1);
    let (list, total) = srv.store.list_users(10, 0).await.unwrap();
    assert_eq!(total, 1);
    // The persisted key is the winner's, and it is the one in use.
    let (cfg, _) = appconfig(&srv);
    let winner_key = if list[0].email == "a@example.com" {
        key_a
    } else {
        key_b
    };
    assert_eq!(cfg["HEARTLOCK_ENCRYPTION_KEY"], winner_key.as_str());
    assert_eq!(
        srv.state.keyring.fingerprints(),
        Keyring::parse(&winner_key).unwrap().fingerprints()
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_onboarding_answers_404() {
    let srv = TestServer::start(Backend::Sqlite, |s| {
        s.encryption_key = None;
        s.disable_onboarding = true;
    })
    .await;
    let client = browser();
    assert_eq!(
        client
            .get(srv.url("/onboarding"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client.get(srv.url("/")).send().await.unwrap().headers()["location"],
        "/login"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_csrf_token_is_refused() {
    let srv = fresh(Backend::Sqlite).await;
    let client = browser();
    let (csrf, key) = open_wizard(&srv, &client).await;
    let mut f = form(&csrf, &key, "admin@example.com", None);
    f.retain(|(k, _)| k != "csrf_token");
    let resp = client
        .post(srv.url("/onboarding"))
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = client
        .post(srv.url("/onboarding/test-database"))
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(srv.store.count_admins().await.unwrap(), 0);
    srv.stop().await;
}
