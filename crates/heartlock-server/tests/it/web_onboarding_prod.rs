//! The wizard of a production server (DEBUG off): nothing without the
//! one-time setup code, no database error text, and the operator's own
//! DATABASE_URL / HEARTLOCK_ENCRYPTION_KEY never replaced. Settings are
//! loaded as the real binary loads them, so their sources are real.

use crate::common::TestServer;
use heartlock_config::{LoadInput, Settings};
use heartlock_domain::onboarding::{self, setup_code};
use heartlock_store::Backend;
use std::collections::HashMap;

const PASSWORD: &str = "a long and unusual passphrase 42";

/// Production settings as from the environment; the key is the
/// operator's, and so is the test database when `operator_db`.
fn production(base: &Settings, operator_db: bool) -> Settings {
    let mut env: HashMap<String, String> = [
        ("DEBUG", "false"),
        ("SECRET_KEY", "Jc8kqT2vN5rX7zB1mW4pL9sH3dF6gA0yE"),
        ("DATABASE_URL", base.database_url.expose()),
        (
            "HEARTLOCK_ENCRYPTION_KEY",
            base.encryption_key.as_ref().unwrap().expose(),
        ),
        ("HEARTLOCK_DATA_DIR", base.data_dir.to_str().unwrap()),
        ("ALLOWED_HOSTS", "127.0.0.1"),
        // Plain HTTP in the test; TLS handling has its own tests.
        ("SECURE_SSL_REDIRECT", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if !operator_db {
        env.remove("DATABASE_URL");
    }
    let input = LoadInput {
        env,
        cwd: base.data_dir.clone(),
    };
    let mut settings = heartlock_config::load(&input).unwrap().settings;
    // The test's database, though the settings say "default".
    settings.database_url = base.database_url.clone();
    settings
}

async fn prod_server(backend: Backend, operator_db: bool) -> TestServer {
    TestServer::start(backend, |s| *s = production(s, operator_db)).await
}

/// A browser over plain HTTP: Secure cookies are carried by hand (a real
/// browser only sends them over HTTPS, which the proxy would provide).
struct Browser {
    http: reqwest::Client,
    cookies: String,
}

impl Browser {
    fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            cookies: String::new(),
        }
    }

    fn keep_cookies(&mut self, resp: &reqwest::Response) {
        for v in resp.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap().to_string();
            if !self.cookies.is_empty() {
                self.cookies.push_str("; ");
            }
            self.cookies.push_str(&pair);
        }
    }

    async fn get(&mut self, url: &str) -> (u16, String) {
        let resp = self
            .http
            .get(url)
            .header("cookie", &self.cookies)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&resp);
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let resp = self
            .http
            .post(url)
            .header("cookie", &self.cookies)
            .header("origin", url.split("/onboarding").next().unwrap())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&resp);
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (resp.status().as_u16(), resp.text().await.unwrap(), location)
    }
}

fn input_value(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).unwrap();
    let rest = &html[at..];
    let start = rest.find("value=\"").unwrap() + 7;
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_string()
}

fn wizard<'a>(
    csrf: &'a str,
    code: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("csrf_token", csrf),
        ("setup_code", code),
        ("base_url", "https://secrets.example.com"),
        ("db_mode", "keep"),
        ("key_mode", "keep"),
        ("email", "ops@example.com"),
        ("display_name", "Ops"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    for (k, v) in extra {
        f.retain(|(name, _)| name != k);
        f.push((k, v));
    }
    f
}

async fn takeover_attempts_are_refused_without_the_code(backend: Backend) {
    let srv = prod_server(backend, true).await;
    let dir = srv.state.settings.data_dir.clone();
    let code = setup_code::read(&dir)
        .unwrap()
        .expect("a production server issues a setup code at start");
    let mut b = Browser::new();
    let (status, html) = b.get(&srv.url("/onboarding")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"setup_code\""),
        "the wizard asks for the code"
    );
    let csrf = input_value(&html, "csrf_token");

    // Without the code, or with a wrong one: nothing is tried, nothing created.
    let unreachable = "postgres://intruder:guess@127.0.0.1:1/nothing";
    for given in ["", "AAAA-BBBB-CCCC-DDDD-EEEE"] {
        let form = wizard(&csrf, given, &[("database_url", unreachable)]);
        let (status, html, _) = b.post(&srv.url("/onboarding/test-database"), &form).await;
        assert_eq!(status, 403, "test-database without the code");
        assert!(html.contains("not the setup code"), "{html}");
        assert!(!html.contains("Connected") && !html.contains("cannot be used"));
        let (status, _, _) = b
            .post(&srv.url("/onboarding"), &wizard(&csrf, given, &[]))
            .await;
        assert_eq!(status, 403, "completion without the code");
    }
    assert!(
        onboarding::is_open(&srv.state).await,
        "no administrator was created"
    );

    // With the code, the operator's DATABASE_URL cannot be swapped (below);
    // where the database is the default, a failed test says so without the
    // database's own words.
    let other = prod_server(backend, false).await;
    let other_code = setup_code::read(&other.state.settings.data_dir)
        .unwrap()
        .unwrap();
    let mut ob = Browser::new();
    let (_, page) = ob.get(&other.url("/onboarding")).await;
    let other_csrf = input_value(&page, "csrf_token");
    let form = wizard(&other_csrf, &other_code, &[("database_url", unreachable)]);
    let (status, html, _) = ob
        .post(&other.url("/onboarding/test-database"), &form)
        .await;
    other.stop().await;
    assert_eq!(status, 200);
    assert!(html.contains("This database cannot be used."), "{html}");
    for leak in [
        "onnection refused",
        "os error",
        "cannot reach the database",
        "127.0.0.1:1",
        "intruder",
    ] {
        let shown = html.replace(unreachable, "");
        assert!(!shown.contains(leak), "database error text leaked: {leak}");
    }

    // DATABASE_URL and the key came from the operator: the wizard keeps them.
    let (status, html, _) = b
        .post(
            &srv.url("/onboarding"),
            &wizard(
                &csrf,
                &code,
                &[("db_mode", "postgres"), ("database_url", unreachable)],
            ),
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("DATABASE_URL is set in the server"), "{html}");
    let other_key = heartlock_core::Keyring::generate_key();
    let (status, html, _) = b
        .post(
            &srv.url("/onboarding"),
            &wizard(
                &csrf,
                &code,
                &[("key_mode", "paste"), ("pasted_key", &other_key)],
            ),
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("HEARTLOCK_ENCRYPTION_KEY is set"), "{html}");
    assert!(onboarding::is_open(&srv.state).await);

    // The operator, with the code (typed loosely), completes it.
    let loose = code.to_lowercase().replace('-', " ");
    let (status, html, location) = b
        .post(&srv.url("/onboarding"), &wizard(&csrf, &loose, &[]))
        .await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(location, "/projects");
    assert!(!onboarding::is_open(&srv.state).await);
    assert_eq!(setup_code::read(&dir).unwrap(), None, "a used code is gone");
    let appconfig = std::fs::read_to_string(dir.join("appconfig.json")).unwrap();
    assert!(
        !appconfig.contains("HEARTLOCK_ENCRYPTION_KEY") && !appconfig.contains("DATABASE_URL"),
        "appconfig.json must not shadow the operator's environment: {appconfig}"
    );
    // `createsuperuser` now says the wizard already ran.
    let note = onboarding::completed_note(&srv.state).await.unwrap();
    assert!(note.contains("onboarding wizard"), "{note}");
    // The wizard is closed for good, code or not.
    let mut late = Browser::new();
    let (status, _) = late.get(&srv.url("/onboarding")).await;
    assert_eq!(status, 404);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_takeover_attempts_are_refused_without_the_code() {
    takeover_attempts_are_refused_without_the_code(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_takeover_attempts_are_refused_without_the_code() {
    takeover_attempts_are_refused_without_the_code(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_servers_issue_no_code() {
    let srv = TestServer::start(Backend::Sqlite, |s| s.encryption_key = None).await;
    let dir = srv.state.settings.data_dir.clone();
    assert_eq!(setup_code::read(&dir).unwrap(), None);
    assert!(onboarding::completed_note(&srv.state).await.is_none());
    srv.stop().await;
}
