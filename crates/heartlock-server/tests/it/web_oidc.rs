//! Single sign-on against a real OpenID Provider: `e2e/oidc/op.mjs`
//! (npm `oidc-provider`, installed by scripts/install-test-deps.sh) run with
//! node on a free port. The browser is a reqwest client with a cookie jar
//! that follows no redirects; the provider signs the user named in
//! `login_hint` in without a form.
use crate::common::TestServer;
use heartlock_config::Secret;
use heartlock_store::Backend;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::process::Stdio;
use std::time::Duration;

const CLIENT_SECRET: &str = "heartlock-test-secret-0123456789";

/// The provider process; killed when dropped.
struct Op {
    port: u16,
    child: tokio::process::Child,
}

impl Op {
    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts op.mjs on `port` for `srv`'s callback; waits for discovery.
    async fn start(port: u16, srv: &TestServer, env: &[(&str, &str)]) -> Op {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/oidc/op.mjs");
        let child = tokio::process::Command::new("node")
            .arg(script)
            .env("OP_PORT", port.to_string())
            .env("OP_REDIRECT_URI", srv.url("/oauth/callback"))
            .env("OP_POST_LOGOUT", srv.url("/login"))
            .env("OP_CLIENT_SECRET", CLIENT_SECRET)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node (with e2e/node_modules installed) is needed for the OIDC tests");
        let op = Op { port, child };
        let discovery = format!("{}/.well-known/openid-configuration", op.issuer());
        for _ in 0..100 {
            if let Ok(r) = reqwest::get(&discovery).await
                && r.status().is_success()
            {
                return op;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the OpenID Provider did not start on port {port}");
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn server(backend: Backend, op_port: u16) -> TestServer {
    TestServer::start(backend, |s| {
        s.oidc.enable = Some(true);
        s.oidc.client_id = Some("heartlock".into());
        s.oidc.client_secret = Some(Secret::new(CLIENT_SECRET));
        s.oidc.issuer = Some(format!("http://127.0.0.1:{op_port}"));
        s.oidc.scopes = ["openid", "email", "profile", "groups"]
            .map(String::from)
            .to_vec();
    })
    .await
}

use crate::common::cookie_browser as browser;

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A started sign-in: the pending cookie Heartlock set and the callback
/// address the provider sent the browser to (not visited yet).
struct Leg {
    pending_cookie: String,
    callback: String,
}

/// `/oauth/login` → the provider (signing `user` in) → up to the callback.
async fn to_callback(b: &reqwest::Client, srv: &TestServer, user: &str) -> Leg {
    let r = b.get(srv.url("/oauth/login")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let pending_cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("heartlock_oidc_pending="))
        .and_then(|v| v.split(';').next())
        .expect("pending sign-in cookie")
        .to_string();
    let auth = location(&r);
    assert!(auth.contains("code_challenge_method=S256"), "{auth}");
    assert!(auth.contains("nonce=") && auth.contains("state="), "{auth}");
    let mut url = url::Url::parse(&format!("{auth}&login_hint={user}")).unwrap();
    for _ in 0..10 {
        let r = b.get(url.as_str()).send().await.unwrap();
        let status = r.status();
        if !status.is_redirection() {
            panic!(
                "provider answered {status} at {url}: {}",
                r.text().await.unwrap()
            );
        }
        let next = url.join(&location(&r)).unwrap();
        if next.as_str().starts_with(&srv.url("/oauth/callback")) {
            return Leg {
                pending_cookie,
                callback: next.to_string(),
            };
        }
        url = next;
    }
    panic!("the provider never sent the browser back");
}

/// A whole sign-in; returns the callback's answer.
async fn sign_in(b: &reqwest::Client, srv: &TestServer, user: &str) -> reqwest::Response {
    let leg = to_callback(b, srv, user).await;
    b.get(&leg.callback).send().await.unwrap()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

backend_test!(
    sso_signs_in_creates_and_updates_the_account,
    |backend| async move {
        let op_port = free_port();
        let srv = server(backend, op_port).await;
        let op = Op::start(op_port, &srv, &[]).await;

        // The login page offers single sign-on.
        let b = browser();
        let page = b.get(srv.url("/login")).send().await.unwrap();
        assert!(page.text().await.unwrap().contains("href=\"/oauth/login\""));

        let r = sign_in(&b, &srv, "alice").await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/projects");
        let projects = b.get(srv.url("/projects")).send().await.unwrap();
        assert_eq!(projects.status(), 200);

        let alice = srv
            .store
            .user_by_email("alice@example.test")
            .await
            .unwrap()
            .expect("an account was created");
        assert_eq!(alice.password_hash, None, "SSO-only account");
        assert_eq!(alice.display_name, "Alice Admin");
        assert_eq!(alice.role, heartlock_core::roles::ServerRole::User);
        assert_eq!(alice.idp_groups, vec!["heartlock-admins", "devs"]);
        let linked = srv
            .store
            .user_by_oidc_identity(&op.issuer(), "alice")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(linked.id, alice.id);
        let filter = heartlock_store::AuditFilter {
            action: Some("auth.oidc_login".into()),
            actor_id: Some(alice.id.clone()),
            ..Default::default()
        };
        let events = srv.store.list_audit(&filter, 10, 0).await.unwrap().events;
        assert_eq!(events.len(), 1, "the sign-in is audited");
        assert_eq!(
            events[0].event.outcome,
            heartlock_core::audit::Outcome::Success
        );

        // Sign-out ends the session and continues to the provider's end-session
        // address with the ID token as hint.
        let html = b
            .get(srv.url("/projects"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let out = b
            .post(srv.url("/logout"))
            .form(&[("csrf_token", csrf_of(&html))])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        let end = location(&out);
        assert!(
            end.starts_with(&format!("{}/session/end?", op.issuer())),
            "{end}"
        );
        assert!(end.contains("id_token_hint=ey"), "{end}");
        let post_logout = format!(
            "post_logout_redirect_uri={}",
            url::form_urlencoded::byte_serialize(srv.url("/login").as_bytes()).collect::<String>()
        );
        assert!(end.contains(&post_logout), "{end}");
        let after = b.get(srv.url("/projects")).send().await.unwrap();
        assert_eq!(after.status(), 303, "signed out");

        // The provider now reports other groups: the next sign-in stores them,
        // on the same account.
        op.stop().await;
        let op = Op::start(op_port, &srv, &[("OP_GROUPS_ALICE", "devs,ops")]).await;
        let b = browser();
        assert_eq!(sign_in(&b, &srv, "alice").await.status(), 303);
        let again = srv
            .store
            .user_by_email("alice@example.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.id, alice.id);
        assert_eq!(again.idp_groups, vec!["devs", "ops"]);

        // A disabled account is refused.
        srv.store
            .set_user_disabled(&alice.id, true, 0)
            .await
            .unwrap();
        let b = browser();
        let r = sign_in(&b, &srv, "alice").await;
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("disabled"));
        op.stop().await;
        srv.stop().await;
    }
);

backend_test!(
    sso_refuses_forged_replayed_and_takeovers,
    |backend| async move {
        let op_port = free_port();
        let srv = server(backend, op_port).await;
        let op = Op::start(op_port, &srv, &[]).await;

        // A callback whose state is not the one started here.
        let b = browser();
        let leg = to_callback(&b, &srv, "bob").await;
        let mut forged = url::Url::parse(&leg.callback).unwrap();
        let pairs: Vec<(String, String)> = forged
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    "forged".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        forged.query_pairs_mut().clear().extend_pairs(pairs);
        let r = b.get(forged.as_str()).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("does not match"));

        // RFC 9207: a callback naming another issuer is refused.
        let b = browser();
        let leg = to_callback(&b, &srv, "bob").await;
        assert!(leg.callback.contains("iss="), "the provider names itself");
        let mut other = url::Url::parse(&leg.callback).unwrap();
        let pairs: Vec<(String, String)> = other
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "iss" {
                    "http://127.0.0.1:1".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        other.query_pairs_mut().clear().extend_pairs(pairs);
        let r = b.get(other.as_str()).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("another identity provider")
        );

        // A callback without the pending sign-in (another browser) is refused.
        // (A fresh browser per sign-in: each one signs in at the provider.)
        let b = browser();
        let leg = to_callback(&b, &srv, "bob").await;
        let r = browser().get(&leg.callback).send().await.unwrap();
        assert_eq!(r.status(), 400);

        // The same code twice: the provider refuses the second exchange.
        let b = browser();
        let leg = to_callback(&b, &srv, "bob").await;
        assert_eq!(b.get(&leg.callback).send().await.unwrap().status(), 303);
        let replay = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(&leg.callback)
            .header(COOKIE, &leg.pending_cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 403);
        let body = replay.text().await.unwrap();
        assert!(body.contains("refused"), "{body}");
        assert!(!body.contains(CLIENT_SECRET));

        // A provider error on the callback is a readable refusal.
        let b = browser();
        let leg = to_callback(&b, &srv, "bob").await;
        let state = url::Url::parse(&leg.callback)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let r = b
            .get(srv.url(&format!(
                "/oauth/callback?error=access_denied&state={state}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        op.stop().await;
        srv.stop().await;
    }
);

#[tokio::test]
async fn sso_routes_are_absent_when_oidc_is_off() {
    let srv = TestServer::start(Backend::Sqlite, |_| {}).await;
    let b = browser();
    assert_eq!(
        b.get(srv.url("/oauth/login"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        b.get(srv.url("/oauth/callback?code=x&state=y"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let page = b
        .get(srv.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/oauth/login"));
    srv.stop().await;
}

mod accounts;
