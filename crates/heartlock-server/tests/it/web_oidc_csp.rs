//! After a single sign-on, the pages' CSP lets the sign-out form's redirect
//! reach the provider's end-session address (browsers hold form redirects to
//! `form-action`; e2e/tests/70-sso.test.mjs signs out with a real Chromium),
//! and nothing else: other browsers keep the strict policy. Uses the real
//! OpenID Provider `e2e/oidc/op.mjs`, signing in non-interactively with
//! `login_hint`.
use crate::common::{TestServer, cookie_browser};
use heartlock_config::Secret;
use heartlock_server::middleware::CONTENT_SECURITY_POLICY;
use reqwest::header::{CONTENT_SECURITY_POLICY as CSP, LOCATION};
use std::process::Stdio;
use std::time::Duration;

const CLIENT_SECRET: &str = "heartlock-csp-test-secret-0123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// op.mjs on `port` for `srv`'s callback; killed when dropped.
async fn start_op(port: u16, srv: &TestServer) -> tokio::process::Child {
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
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the OpenID Provider did not start on port {port}");
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn csp(r: &reqwest::Response) -> String {
    r.headers()
        .get(CSP)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

backend_test!(
    sign_out_form_may_redirect_to_the_provider_only_after_sso,
    |backend| async move {
        let op_port = free_port();
        let issuer = format!("http://127.0.0.1:{op_port}");
        let srv = TestServer::start(backend, |s| {
            s.oidc.enable = Some(true);
            s.oidc.client_id = Some("heartlock".into());
            s.oidc.client_secret = Some(Secret::new(CLIENT_SECRET));
            s.oidc.issuer = Some(issuer.clone());
            s.oidc.scopes = ["openid", "email", "profile", "groups"]
                .map(String::from)
                .to_vec();
        })
        .await;
        let _op = start_op(op_port, &srv).await;

        // Not signed in through the provider: the strict policy.
        let b = cookie_browser();
        let login = b.get(srv.url("/login")).send().await.unwrap();
        assert_eq!(csp(&login), CONTENT_SECURITY_POLICY);

        // Sign in as alice: Heartlock → provider → callback → /projects.
        let r = b.get(srv.url("/oauth/login")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let mut url = url::Url::parse(&format!("{}&login_hint=alice", location(&r))).unwrap();
        let mut reached_callback = false;
        for _ in 0..10 {
            let r = b.get(url.as_str()).send().await.unwrap();
            assert!(r.status().is_redirection(), "{} at {url}", r.status());
            url = url.join(&location(&r)).unwrap();
            if url.as_str().starts_with(&srv.url("/oauth/callback")) {
                reached_callback = true;
                break;
            }
        }
        assert!(reached_callback, "the provider never sent the browser back");
        let done = b.get(url.as_str()).send().await.unwrap();
        assert_eq!(location(&done), "/projects");

        // Every page now allows the provider's origin as a form target, and
        // only that: the rest of the policy is unchanged.
        let projects = b.get(srv.url("/projects")).send().await.unwrap();
        assert_eq!(projects.status(), 200);
        let policy = csp(&projects);
        assert_eq!(
            policy,
            CONTENT_SECURITY_POLICY.replace(
                "form-action 'self'",
                &format!("form-action 'self' {issuer}")
            ),
        );

        // The HTML 404 page (the router's fallback) has the sign-out form too.
        let missing = b
            .get(srv.url("/no-such-page"))
            .header(reqwest::header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        assert_eq!(csp(&missing), policy);

        // Another browser is unaffected.
        let other = cookie_browser()
            .get(srv.url("/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(csp(&other), CONTENT_SECURITY_POLICY);
        srv.stop().await;
    }
);
