//! `heartlock login --sso` at the HTTP level: `/oauth/login` with the CLI's
//! loopback parameters, the real OpenID Provider (`e2e/oidc/op.mjs`, as in
//! web_oidc.rs), the redirect to the loopback address with a one-time code,
//! and `POST /api/v1/auth/sso/exchange`: good, wrong verifier, replayed,
//! expired, and refused redirects.
use crate::common::{TestServer, cookie_browser as browser};
use heartlock_config::{Secret, Settings};
use heartlock_core::audit::Outcome;
use heartlock_core::{Clock, FixedClock, pkce};
use heartlock_domain::Principal;
use heartlock_domain::oidc::cli_login::{self, CliRequest};
use reqwest::header::{LOCATION, SET_COOKIE};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

const CLIENT_SECRET: &str = "heartlock-test-secret-0123456789";
/// Nothing listens there: the browser leg stops at the redirect to it.
const LOOPBACK: &str = "http://127.0.0.1:49999/callback";

/// The provider process; killed when dropped.
struct Op {
    _child: tokio::process::Child,
}

impl Op {
    async fn start(port: u16, srv: &TestServer) -> Op {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/oidc/op.mjs");
        let child = tokio::process::Command::new("node")
            .arg(script)
            .env("OP_PORT", port.to_string())
            .env("OP_REDIRECT_URI", srv.url("/oauth/callback"))
            .env("OP_POST_LOGOUT", srv.url("/login"))
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
                return Op { _child: child };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the OpenID Provider did not start on port {port}");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn with_oidc(s: &mut Settings, op_port: u16) {
    s.oidc.enable = Some(true);
    s.oidc.client_id = Some("heartlock".into());
    s.oidc.client_secret = Some(Secret::new(CLIENT_SECRET));
    s.oidc.issuer = Some(format!("http://127.0.0.1:{op_port}"));
    s.oidc.scopes = ["openid", "email", "profile", "groups"]
        .map(String::from)
        .to_vec();
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn login_path(redirect: &str, challenge: &str, state: &str) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("cli_redirect", redirect)
        .append_pair("cli_challenge", challenge)
        .append_pair("cli_state", state)
        .finish();
    format!("/oauth/login?{q}")
}

/// The browser leg for the CLI: `/oauth/login` with the CLI's parameters →
/// the provider (signing `user` in) → Heartlock's callback → the loopback
/// address. Returns the code, after checking the state and that no browser
/// session was started.
async fn browser_leg(srv: &TestServer, user: &str, challenge: &str, state: &str) -> String {
    let b = browser();
    let r = b
        .get(srv.url(&login_path(LOOPBACK, challenge, state)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let auth = location(&r);
    let mut url = url::Url::parse(&format!("{auth}&login_hint={user}")).unwrap();
    for _ in 0..10 {
        let r = b.get(url.as_str()).send().await.unwrap();
        assert!(r.status().is_redirection(), "{} at {url}", r.status());
        url = url.join(&location(&r)).unwrap();
        if url.as_str().starts_with(&srv.url("/oauth/callback")) {
            break;
        }
    }
    assert!(
        url.as_str().starts_with(&srv.url("/oauth/callback")),
        "{url}"
    );
    let r = b.get(url.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cookies: Vec<String> = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        !cookies
            .iter()
            .any(|c| c.starts_with("heartlock_session=") && !c.starts_with("heartlock_session=;")),
        "the CLI's sign-in starts no browser session: {cookies:?}"
    );
    let back = url::Url::parse(&location(&r)).unwrap();
    assert!(back.as_str().starts_with(LOOPBACK), "{back}");
    let q = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_eq!(q("state"), state);
    let code = q("code");
    assert!(code.starts_with("hl_cc_"), "{code}");
    code
}

async fn exchange(srv: &TestServer, code: &str, verifier: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(srv.url("/api/v1/auth/sso/exchange"))
        .json(&serde_json::json!({ "code": code, "code_verifier": verifier }))
        .send()
        .await
        .unwrap()
}

async fn assert_refused(r: reqwest::Response) {
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body = r.text().await.unwrap();
    assert!(!body.contains("hl_cc_"), "no code in errors: {body}");
}

async fn exchange_events(srv: &TestServer, outcome: Outcome) -> usize {
    srv.state.flush_audit().await;
    let filter = heartlock_store::AuditFilter {
        action: Some("auth.sso_exchange".into()),
        ..Default::default()
    };
    let events = srv.store.list_audit(&filter, 100, 0).await.unwrap().events;
    events.iter().filter(|e| e.event.outcome == outcome).count()
}

backend_test!(
    cli_sso_code_is_redeemed_once_with_its_verifier,
    |backend| async move {
        let op_port = free_port();
        let srv = TestServer::start(backend, |s| with_oidc(s, op_port)).await;
        let _op = Op::start(op_port, &srv).await;

        // The right verifier: the same tokens as a password sign-in.
        let verifier = pkce::new_verifier();
        let code = browser_leg(&srv, "alice", &pkce::challenge_s256(&verifier), "st-1").await;
        let r = exchange(&srv, &code, &verifier).await;
        assert_eq!(r.status(), 200);
        let tokens: serde_json::Value = r.json().await.unwrap();
        assert_eq!(tokens["user"]["email"], "alice@example.test");
        assert_eq!(tokens["token_type"], "Bearer");
        assert!(
            tokens["refresh_token"]
                .as_str()
                .unwrap()
                .starts_with("hl_rt_")
        );
        let me = reqwest::Client::new()
            .get(srv.url("/api/v1/auth/me"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);

        // Replayed: the code is gone.
        assert_refused(exchange(&srv, &code, &verifier).await).await;

        // A wrong verifier is refused and burns the code: the right one
        // then finds nothing.
        let verifier = pkce::new_verifier();
        let code = browser_leg(&srv, "alice", &pkce::challenge_s256(&verifier), "st-2").await;
        assert_refused(exchange(&srv, &code, &pkce::new_verifier()).await).await;
        assert_refused(exchange(&srv, &code, &verifier).await).await;
        // A malformed body is a 422, not a refusal.
        let r = reqwest::Client::new()
            .post(srv.url("/api/v1/auth/sso/exchange"))
            .json(&serde_json::json!({ "code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);

        assert_eq!(exchange_events(&srv, Outcome::Success).await, 1);
        assert_eq!(exchange_events(&srv, Outcome::Denied).await, 3);
        let filter = heartlock_store::AuditFilter {
            action: Some("auth.sso_cli_code".into()),
            ..Default::default()
        };
        let issued = srv.store.list_audit(&filter, 10, 0).await.unwrap().events;
        assert_eq!(issued.len(), 2, "each code is audited");
        srv.stop().await;
    }
);

backend_test!(
    cli_sso_codes_expire_after_two_minutes,
    |backend| async move {
        let clock = FixedClock::new(1_700_000_000_000);
        // No provider is contacted: codes are made through the domain.
        let srv = TestServer::start_with_clock(backend, Arc::new(clock.clone()), |s| {
            with_oidc(s, free_port())
        })
        .await;
        // Registration is closed with single sign-on on: straight into the store.
        let new = heartlock_store::NewUser {
            id: heartlock_core::ids::new_id(),
            email: "carol@example.com".into(),
            display_name: "Carol".into(),
            password_hash: None,
            role: heartlock_core::roles::ServerRole::User,
            is_superuser: false,
        };
        let user = srv.store.create_user(&new, clock.now_ms()).await.unwrap();
        let verifier = pkce::new_verifier();
        let req = CliRequest::parse(
            Some(LOOPBACK),
            Some(&pkce::challenge_s256(&verifier)),
            Some("st"),
        )
        .unwrap()
        .unwrap();
        let code_of = |url: String| {
            url::Url::parse(&url)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "code")
                .unwrap()
                .1
                .into_owned()
        };
        let anon = Principal::anonymous();

        let late = code_of(
            cli_login::issue_code(&srv.state, &anon, &user, &req)
                .await
                .unwrap(),
        );
        let in_time = code_of(
            cli_login::issue_code(&srv.state, &anon, &user, &req)
                .await
                .unwrap(),
        );
        clock.advance(cli_login::CODE_TTL_MS - 1);
        assert_eq!(exchange(&srv, &in_time, &verifier).await.status(), 200);
        clock.advance(1);
        assert_refused(exchange(&srv, &late, &verifier).await).await;
        assert_eq!(exchange_events(&srv, Outcome::Denied).await, 1);

        // Of concurrent redemptions of one code, exactly one wins.
        let raced = code_of(
            cli_login::issue_code(&srv.state, &anon, &user, &req)
                .await
                .unwrap(),
        );
        let url = srv.url("/api/v1/auth/sso/exchange");
        let body = serde_json::json!({ "code": raced, "code_verifier": verifier });
        let tries: Vec<_> = (0..5)
            .map(|_| {
                let (url, body) = (url.clone(), body.clone());
                tokio::spawn(async move {
                    let r = reqwest::Client::new().post(url).json(&body).send().await;
                    r.unwrap().status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tries {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 401).count(),
            4,
            "{statuses:?}"
        );

        // An unknown code is refused the same way.
        assert_refused(exchange(&srv, "hl_cc_unknown", &verifier).await).await;
        srv.stop().await;
    }
);

backend_test!(
    cli_sso_refuses_non_loopback_redirects,
    |backend| async move {
        // Refused before the provider is asked: none needs to run.
        let srv = TestServer::start(backend, |s| with_oidc(s, free_port())).await;
        let challenge = pkce::challenge_s256(&pkce::new_verifier());
        let b = browser();
        for redirect in [
            "https://127.0.0.1:5000/callback",
            "http://evil.example/callback",
            "http://127.0.0.1.evil.example:5000/callback",
            "http://10.0.0.1:5000/callback",
            "http://127.0.0.1:5000/callback?next=x",
        ] {
            let r = b
                .get(srv.url(&login_path(redirect, &challenge, "st")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{redirect}");
            assert!(r.headers().get(LOCATION).is_none(), "{redirect}");
        }
        // A plain challenge (not S256-shaped) and a lone parameter too.
        let r = b
            .get(srv.url(&login_path(LOOPBACK, "plain", "st")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = b
            .get(srv.url("/oauth/login?cli_redirect=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        srv.stop().await;
    }
);

backend_test!(cli_sso_exchange_is_404_without_sso, |backend| async move {
    let srv = TestServer::start(backend, |_| {}).await;
    let r = exchange(&srv, "hl_cc_x", &pkce::new_verifier()).await;
    assert_eq!(r.status(), 404);
    srv.stop().await;
});
