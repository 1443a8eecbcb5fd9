//! The admin area through a browser-like client: access control, users
//! (disable/enable, role), the server audit log and the status page.

use crate::common::TestServer;
use heartlock_domain::users;
use heartlock_store::Backend;

const PASSWORD: &str = "correct horse battery staple";

use crate::common::cookie_browser as browser;

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf_token\" value=\"").expect("a form") + 25;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// Signs in through the login form; returns the status of the POST.
async fn web_login(srv: &TestServer, client: &reqwest::Client, email: &str) -> u16 {
    let page = client.get(srv.url("/login")).send().await.unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    client
        .post(srv.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The session's CSRF token, read from a page.
async fn session_csrf(srv: &TestServer, client: &reqwest::Client) -> String {
    let html = client
        .get(srv.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csrf_in(&html)
}

async fn post(
    srv: &TestServer,
    client: &reqwest::Client,
    path: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = session_csrf(srv, client).await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(extra);
    client.post(srv.url(path)).form(&form).send().await.unwrap()
}

async fn admin(srv: &TestServer) -> (reqwest::Client, String) {
    let account = users::NewAccount {
        email: "root@example.com",
        display_name: Some("Root"),
        password: PASSWORD,
    };
    let user = users::create_superuser(
        &srv.state,
        &heartlock_domain::Principal::system("test"),
        account,
    )
    .await
    .unwrap();
    let client = browser();
    assert_eq!(web_login(srv, &client, "root@example.com").await, 303);
    (client, user.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_server_admins_get_in() {
    let srv = TestServer::start(Backend::Sqlite, |_| {}).await;
    let (_, _, user_id) = crate::common::register(&srv, "user@example.com").await;

    let anon = browser();
    let resp = anon.get(srv.url("/admin/users")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );

    let user = browser();
    assert_eq!(web_login(&srv, &user, "user@example.com").await, 303);
    for path in ["/admin", "/admin/users", "/admin/audit", "/admin/status"] {
        let resp = user.get(srv.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{path}");
    }
    let resp = post(
        &srv,
        &user,
        &format!("/admin/users/{user_id}/role"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(resp.status(), 403);
    let me = srv.store.user_by_id(&user_id).await.unwrap().unwrap();
    assert_eq!(me.role.as_str(), "user", "a user cannot promote themselves");
    // No admin link in the navigation for them.
    let page = user
        .get(srv.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("href=\"/admin\""));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_manage_users_and_a_disabled_user_is_locked_out() {
    let srv = TestServer::start(Backend::Sqlite, |_| {}).await;
    let (root, root_id) = admin(&srv).await;
    let (_, _, user_id) = crate::common::register(&srv, "alice@example.com").await;
    let alice = browser();
    assert_eq!(web_login(&srv, &alice, "alice@example.com").await, 303);

    let html = root
        .get(srv.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("root@example.com") && html.contains("alice@example.com"));
    assert!(html.contains(&format!("/admin/users/{user_id}/disable")));
    assert!(
        html.contains("data-confirm="),
        "destructive actions ask first"
    );

    let resp = post(&srv, &root, &format!("/admin/users/{user_id}/disable"), &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/admin/users");
    // Alice's session ended and she cannot sign in again.
    let resp = alice.get(srv.url("/account")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(web_login(&srv, &alice, "alice@example.com").await, 401);
    let html = root
        .get(srv.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/admin/users/{user_id}/enable")));

    // Nobody disables themselves.
    let resp = post(&srv, &root, &format!("/admin/users/{root_id}/disable"), &[]).await;
    assert_eq!(resp.status(), 303);
    let flash = root
        .get(srv.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(flash.contains("You cannot disable or demote yourself."));
    assert!(
        !srv.store
            .user_by_id(&root_id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );

    // Enable again, then promote.
    post(&srv, &root, &format!("/admin/users/{user_id}/enable"), &[]).await;
    assert_eq!(web_login(&srv, &alice, "alice@example.com").await, 303);
    post(
        &srv,
        &root,
        &format!("/admin/users/{user_id}/role"),
        &[("role", "admin")],
    )
    .await;
    let alice_rec = srv.store.user_by_id(&user_id).await.unwrap().unwrap();
    assert_eq!(alice_rec.role.as_str(), "admin");
    let resp = post(
        &srv,
        &root,
        &format!("/admin/users/{user_id}/role"),
        &[("role", "god")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        srv.store
            .user_by_id(&user_id)
            .await
            .unwrap()
            .unwrap()
            .role
            .as_str(),
        "admin"
    );

    // Everything is in the server audit log, filterable.
    let audit = root
        .get(srv.url("/admin/audit?action=user.&outcome=success"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(audit.contains("user.update") && audit.contains("alice@example.com"));
    assert!(!audit.contains("auth.login"));
    let denied = root
        .get(srv.url("/admin/audit?action=auth&outcome=denied"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        denied.contains("auth.login"),
        "the refused sign-in is listed"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_page_shows_the_database_and_deploy_findings() {
    let srv = TestServer::start(Backend::Sqlite, |_| {}).await;
    let (root, _) = admin(&srv).await;
    let html = root
        .get(srv.url("/admin/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("SQLite"));
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
    assert!(
        html.contains("DEBUG is on"),
        "DEBUG is reported by the deploy check"
    );
    assert!(html.contains("heartlock.W003"), "with its id");
    assert!(html.contains(">error</span>"), "its severity");
    assert!(
        html.contains("Set DEBUG=false in production."),
        "and its fix"
    );
    assert!(html.contains("HEARTLOCK_ENCRYPTION_KEY (environment)"));
    assert!(!html.contains("heartlock.W041"));
    assert!(
        html.contains("0 active (0 anonymous), 0 views left, 0 created in the last 24 hours"),
        "share link counts, never contents"
    );
    // Findings are computed on each load: a key written to appconfig.json
    // now (as the onboarding wizard does) shows without a restart.
    let data_dir = &srv.state.settings.data_dir;
    std::fs::create_dir_all(data_dir).unwrap();
    let key = heartlock_core::Keyring::generate_key();
    std::fs::write(
        data_dir.join("appconfig.json"),
        format!(r#"{{"HEARTLOCK_ENCRYPTION_KEY": "{key}"}}"#),
    )
    .unwrap();
    let html = root
        .get(srv.url("/admin/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("heartlock.W041"), "live finding missing");
    assert!(!html.contains(&key), "the key itself is never shown");
    // French too.
    let fr = root
        .get(srv.url("/admin/status"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fr.contains("État du serveur"));
    srv.stop().await;
}
