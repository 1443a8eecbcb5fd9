//! `heartlock login --sso --no-browser` end to end, on both databases: a
//! real `heartlock serve`, the real OpenID Provider (`e2e/oidc/op.mjs`, npm
//! `oidc-provider`, which signs in the user named by `login_hint` without a
//! form), and the CLI as a child process. The browser is reqwest with a
//! small cookie jar, following every redirect by hand: the printed address →
//! the provider → Heartlock's callback → the CLI's loopback address.
use crate::common::{Server, heartlock};
use heartlock_store::Backend;
use heartlock_store::testing::TestDb;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const CLIENT_SECRET: &str = "heartlock-test-secret-0123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The provider on `port` for the server at `srv_url`; killed when dropped.
async fn start_op(port: u16, srv_url: &str) -> tokio::process::Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/oidc/op.mjs");
    let child = tokio::process::Command::new("node")
        .arg(script)
        .env("OP_PORT", port.to_string())
        .env("OP_REDIRECT_URI", format!("{srv_url}/oauth/callback"))
        .env("OP_POST_LOGOUT", format!("{srv_url}/login"))
        .env("OP_CLIENT_SECRET", CLIENT_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node (with e2e/node_modules installed) is needed for the OIDC tests");
    let discovery = format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(&discovery).await
            && r.status().is_success()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the OpenID Provider did not start on port {port}");
}

/// A browser's cookies, by name (Heartlock and the provider are both on
/// 127.0.0.1, and browsers do not separate cookies by port).
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    async fn get(&mut self, url: &str) -> reqwest::Response {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let cookie = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = client.get(url);
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        let r = req.send().await.unwrap();
        for set in r.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = set.to_ascii_lowercase().contains("max-age=0");
            if value.is_empty() || expired {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_string(), value.to_string());
            }
        }
        r
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(TestDb::new(Backend::Sqlite).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(TestDb::new(Backend::Postgres).await).await;
            }
        }
    };
}

both_backends!(login_sso_signs_the_cli_in, |db: TestDb| async move {
    let srv_dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let op_port = free_port();
    let key = heartlock_core::Keyring::generate_key();
    let issuer = format!("http://127.0.0.1:{op_port}");
    let srv = Server::start(
        srv_dir.path(),
        &[
            ("DATABASE_URL", &db.url),
            ("HEARTLOCK_ENCRYPTION_KEY", &key),
            // Plain HTTP on loopback: the callback the provider knows is http.
            ("DEBUG", "true"),
            ("OIDC_ENABLE", "true"),
            ("OIDC_CLIENT_ID", "heartlock"),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
            ("OIDC_ISSUER", &issuer),
            ("OIDC_SCOPES", "openid email profile groups"),
        ],
    );
    let srv_url = srv.url("");
    let _op = start_op(op_port, &srv_url).await;

    let mut cmd = tokio::process::Command::from(heartlock(home.path(), &[]));
    cmd.args(["login", "--sso", "--no-browser", "--server", &srv_url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut cli = cmd.spawn().expect("spawn heartlock login --sso");
    let mut stdout = BufReader::new(cli.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
        .await
        .expect("the CLI prints the address to open")
        .unwrap();
    let start = line.trim().to_string();
    assert!(
        start.starts_with(&format!(
            "{srv_url}/oauth/login?cli_redirect=http%3A%2F%2F127.0.0.1%3A"
        )),
        "{start}"
    );
    let start_url = url::Url::parse(&start).unwrap();
    let param = |name: &str| {
        start_url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let loopback = param("cli_redirect");
    assert_eq!(param("cli_challenge").len(), 43);

    // A visit with another state is answered and ignored: the CLI waits on.
    let stray = reqwest::get(format!("{loopback}?code=hl_cc_forged&state=other"))
        .await
        .unwrap();
    assert_eq!(stray.status(), 400);

    // The browser: Heartlock → the provider (signs alice in) → Heartlock's
    // callback → the loopback address.
    let mut b = Jar::default();
    let r = b.get(&start).await;
    assert_eq!(r.status(), 303, "{}", srv.log_text());
    let mut next = url::Url::parse(&format!("{}&login_hint=alice", location(&r))).unwrap();
    let mut hops = 0;
    while !next.as_str().starts_with(&loopback) {
        hops += 1;
        assert!(hops < 12, "the browser never came back to the CLI: {next}");
        let r = b.get(next.as_str()).await;
        assert!(
            r.status().is_redirection(),
            "{} at {next}: {}",
            r.status(),
            r.text().await.unwrap()
        );
        next = next.join(&location(&r)).unwrap();
    }
    let done = reqwest::get(next.as_str()).await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("close this tab"));

    let status = tokio::time::timeout(Duration::from_secs(20), cli.wait())
        .await
        .expect("the CLI finishes after the browser came back")
        .unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).await.unwrap();
    let mut err = String::new();
    cli.stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    assert!(status.success(), "exit {status}: {err}\n{}", srv.log_text());
    assert_eq!(
        rest,
        format!("logged in to {srv_url} as alice@example.test\n")
    );

    // The same profile as a password sign-in: whoami and the project
    // commands use it.
    let profiles = home.path().join(".config/heartlock/profiles");
    let written: Vec<_> = std::fs::read_dir(&profiles)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1, "one profile in {profiles:?}");
    let profile = std::fs::read_to_string(&written[0]).unwrap();
    assert!(
        profile.contains("refresh_token = \"hl_rt_"),
        "a refresh-token profile"
    );
    assert!(profile.contains("alice@example.test"));
    let cli = |args: &[&str]| {
        let out = heartlock(home.path(), &[]).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "heartlock {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let me: serde_json::Value = serde_json::from_str(&cli(&["whoami", "--json"])).unwrap();
    assert_eq!(me["email"], "alice@example.test");
    assert_eq!(me["kind"], "user");
    cli(&["projects", "create", "demo", "--env", "dev"]);
    cli(&[
        "secrets",
        "set",
        "API_KEY=from-sso",
        "-p",
        "demo",
        "-e",
        "dev",
    ]);
    assert_eq!(
        cli(&["secrets", "get", "API_KEY", "-p", "demo", "-e", "dev"]),
        "from-sso\n"
    );
    let (status, log) = srv.terminate();
    assert!(status.success(), "{log}");
});
