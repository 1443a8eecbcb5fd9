//! Cookies: signed with SECRET_KEY (older keys accepted from
//! SECRET_KEY_FALLBACKS), and `Secure` outside DEBUG and whenever APP_ENV
//! is qa or prod.

use crate::common::TestServer;
use heartlock_config::{Secret, Settings};
use heartlock_store::Backend;

const K1: &str = "first-secret-key-3f9a7c1e5b2d8f4a6c0e9b7d";
const K2: &str = "second-secret-key-8e2c4a6f0b9d7e1c3a5f8b2d";

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `heartlock_csrf` Set-Cookie line and the form's csrf_token.
async fn login_page(srv: &TestServer) -> (String, String) {
    let resp = plain_client().get(srv.url("/login")).send().await.unwrap();
    let set_cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("heartlock_csrf="))
        .expect("a CSRF cookie on the first visit");
    let html = resp.text().await.unwrap();
    let at = html.find("name=\"csrf_token\"").unwrap();
    let start = html[at..].find("value=\"").unwrap() + at + 7;
    let end = html[start..].find('"').unwrap() + start;
    (set_cookie, html[start..end].to_string())
}

fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_string()
}

/// Posts the sign-in form with this CSRF cookie and token; the status.
async fn post_login(srv: &TestServer, cookie: &str, token: &str) -> u16 {
    plain_client()
        .post(srv.url("/login"))
        .header("cookie", format!("heartlock_csrf={cookie}"))
        .form(&[
            ("csrf_token", token),
            ("email", "nobody@example.com"),
            ("password", "not the password at all"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn keys(current: &str, fallbacks: &[&str]) -> impl FnOnce(&mut Settings) {
    let current = current.to_string();
    let fallbacks: Vec<Secret> = fallbacks.iter().map(|k| Secret::new(*k)).collect();
    move |s: &mut Settings| {
        s.secret_key = Some(Secret::new(current));
        s.secret_key_fallbacks = fallbacks;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_signed_and_forgeries_refused() {
    let srv = TestServer::start(Backend::Sqlite, keys(K1, &[])).await;
    let (set_cookie, token) = login_page(&srv).await;
    let cookie = cookie_value(&set_cookie);
    assert!(
        cookie.starts_with(&format!("{token}.")),
        "the cookie is the form token plus a signature"
    );
    assert_ne!(post_login(&srv, &cookie, &token).await, 403);
    // A cookie minted by the client (no or a wrong signature) is no cookie.
    assert_eq!(post_login(&srv, &token, &token).await, 403);
    let forged = format!("{token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(post_login(&srv, &forged, &token).await, 403);
    // A session cookie that is not signed is ignored: the visitor is anonymous.
    let resp = plain_client()
        .get(srv.url("/projects"))
        .header("cookie", "heartlock_session=hl_unsigned_guess")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_key_rotation_keeps_fallback_signatures_valid() {
    let old = TestServer::start(Backend::Sqlite, keys(K1, &[])).await;
    let (set_cookie, token) = login_page(&old).await;
    let cookie = cookie_value(&set_cookie);
    old.stop().await;

    let rotated = TestServer::start(Backend::Sqlite, keys(K2, &[K1])).await;
    assert_ne!(
        post_login(&rotated, &cookie, &token).await,
        403,
        "signed with a fallback key: still valid"
    );
    // New cookies are signed with the new key.
    let (fresh, fresh_token) = login_page(&rotated).await;
    let fresh = cookie_value(&fresh);
    rotated.stop().await;

    let dropped = TestServer::start(Backend::Sqlite, keys(K2, &[])).await;
    assert_eq!(
        post_login(&dropped, &cookie, &token).await,
        403,
        "the old key is gone: its signatures are refused"
    );
    assert_ne!(post_login(&dropped, &fresh, &fresh_token).await, 403);
    dropped.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_in_qa_and_prod_even_with_debug() {
    for (app_env, secure) in [
        (None, false),
        (Some("dev"), false),
        (Some("qa"), true),
        (Some("prod"), true),
    ] {
        let srv = TestServer::start(Backend::Sqlite, |s| {
            s.debug = true;
            s.app_env = app_env.map(str::to_string);
        })
        .await;
        let (set_cookie, _) = login_page(&srv).await;
        assert_eq!(
            set_cookie.contains("; Secure"),
            secure,
            "APP_ENV={app_env:?}: {set_cookie}"
        );
        srv.stop().await;
    }
}
