//! Single sign-on and existing accounts (linking by password proof,
//! registration closed, sign-in required), groups lost at the provider,
//! and sign-out with the provider down.
use super::{Op, browser, csrf_of, free_port, location, server, sign_in};
use crate::common::TestServer;
use heartlock_store::Backend;

/// A local account made by an administrator (registration is closed while
/// single sign-on is on).
async fn local_account(srv: &TestServer, email: &str) -> String {
    let new = heartlock_domain::users::NewAccount {
        email,
        display_name: None,
        password: LOCAL_PASSWORD,
    };
    let caller = heartlock_domain::Principal::system("test");
    heartlock_domain::users::create_by_admin(&srv.state, &caller, new, None)
        .await
        .unwrap()
        .id
}

const LOCAL_PASSWORD: &str = "correct horse battery staple";

async fn oidc_audit(srv: &TestServer, action: &str) -> Vec<heartlock_core::audit::AuditEvent> {
    srv.state.flush_audit().await;
    let filter = heartlock_store::AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    srv.store.list_audit(&filter, 10, 0).await.unwrap().events
}

backend_test!(sso_never_takes_over_a_local_account, |backend| async move {
    let op_port = free_port();
    let srv = server(backend, op_port).await;
    let local_id = local_account(&srv, "bob@example.test").await;

    // The provider does not vouch for the email: refused outright.
    let op = Op::start(op_port, &srv, &[("OP_EMAIL_UNVERIFIED", "bob")]).await;
    let b = browser();
    let r = sign_in(&b, &srv, "bob").await;
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("has not verified this email"), "{body}");
    assert_eq!(
        b.get(srv.url("/projects")).send().await.unwrap().status(),
        303
    );
    let events = oidc_audit(&srv, "auth.oidc_login").await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].event.outcome,
        heartlock_core::audit::Outcome::Denied
    );
    let detail = events[0].event.detail.clone().unwrap_or_default();
    assert!(detail.contains("has not verified"), "{detail}");
    assert!(
        srv.store
            .user_by_oidc_identity(&op.issuer(), "bob")
            .await
            .unwrap()
            .is_none()
    );
    op.stop().await;

    // A verified email: the person is asked for the local password first.
    let op = Op::start(op_port, &srv, &[]).await;
    let b = browser();
    let r = sign_in(&b, &srv, "bob").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/oauth/link");
    let page = b.get(srv.url("/oauth/link")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("bob@example.test"), "{html}");
    let csrf = csrf_of(&html);
    // Another browser has no offer to confirm.
    let stranger = browser();
    let r = stranger.get(srv.url("/oauth/link")).send().await.unwrap();
    assert_eq!(location(&r), "/login");

    // A wrong password links nothing.
    let r = b
        .post(srv.url("/oauth/link"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        srv.store
            .user_by_oidc_identity(&op.issuer(), "bob")
            .await
            .unwrap()
            .is_none()
    );

    // The right password links, and signing in through the provider again
    // reaches the local account.
    let r = b
        .post(srv.url("/oauth/link"))
        .form(&[("csrf_token", csrf.as_str()), ("password", LOCAL_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/oauth/login");
    let linked = srv
        .store
        .user_by_oidc_identity(&op.issuer(), "bob")
        .await
        .unwrap()
        .expect("linked");
    assert_eq!(linked.id, local_id);
    let events = oidc_audit(&srv, "auth.oidc_link").await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].event.outcome,
        heartlock_core::audit::Outcome::Success
    );
    let r = sign_in(&b, &srv, "bob").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/projects");
    assert_eq!(
        b.get(srv.url("/projects")).send().await.unwrap().status(),
        200
    );
    let bob = srv.store.user_by_id(&local_id).await.unwrap().unwrap();
    assert!(bob.password_hash.is_some(), "the password still works");
    assert_eq!(bob.idp_groups, vec!["devs"]);
    op.stop().await;
    srv.stop().await;
});

/// With single sign-on configured every non-public path needs a sign-in,
/// whatever POLICY_NO_AUTH_DEFAULT says, and accounts come from the provider:
/// registration is closed.
#[tokio::test]
async fn sso_on_requires_sign_in_whatever_the_policy() {
    let op_port = free_port();
    let srv = TestServer::start(Backend::Sqlite, |s| {
        s.oidc.enable = Some(true);
        s.oidc.client_id = Some("heartlock".into());
        s.oidc.issuer = Some(format!("http://127.0.0.1:{op_port}"));
        s.policy_no_auth_default = heartlock_config::NoAuthPolicy::AllowAll;
    })
    .await;
    // An administrator exists (else the first-run wizard is the start page).
    let new = heartlock_domain::users::NewAccount {
        email: "root@example.test",
        display_name: None,
        password: LOCAL_PASSWORD,
    };
    let system = heartlock_domain::Principal::system("test");
    heartlock_domain::users::create_by_admin(&srv.state, &system, new, Some("admin"))
        .await
        .unwrap();
    let b = browser();
    let home = b.get(srv.url("/")).send().await.unwrap();
    assert_eq!(location(&home), "/login");
    let projects = b.get(srv.url("/projects")).send().await.unwrap();
    assert!(location(&projects).starts_with("/login?next="));
    let login = b.get(srv.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(html.contains("href=\"/oauth/login\""));
    assert!(!html.contains("href=\"/register\""), "no registration link");
    assert!(
        !html.contains("policy-banner"),
        "the policy is not in force"
    );
    let register = b.get(srv.url("/register")).send().await.unwrap();
    assert_eq!(register.status(), 404);
    let (status, _) = crate::common::call(
        reqwest::Method::POST,
        srv.url("/api/v1/auth/register"),
        None,
        Some(serde_json::json!({ "email": "x@example.test", "password": "correct horse battery staple" })),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = crate::common::call(
        reqwest::Method::GET,
        srv.url("/api/v1/projects"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    srv.stop().await;
}

backend_test!(
    a_group_lost_at_the_provider_ends_access_and_sessions,
    |backend| async move {
        let op_port = free_port();
        let srv = server(backend, op_port).await;
        // A project whose only way in is a grant to the group `devs`.
        let project = heartlock_store::NewProject {
            id: heartlock_core::ids::new_id(),
            slug: "pay".into(),
            name: "Pay".into(),
            org: None,
            environments: vec![(
                heartlock_core::ids::new_id(),
                "development".into(),
                "Development".into(),
            )],
            owner_user_id: None,
        };
        let now = srv.state.clock.now_ms();
        let p = srv.store.create_project(&project, now).await.unwrap();
        let member = heartlock_core::roles::ProjectRole::Member;
        (srv.store)
            .upsert_group_grant(&p.id, "devs", member, None, now)
            .await
            .unwrap();

        // Alice is in `devs` at the provider: the project opens.
        let op = Op::start(op_port, &srv, &[]).await;
        let first = browser();
        assert_eq!(sign_in(&first, &srv, "alice").await.status(), 303);
        let r = first.get(srv.url("/projects/pay")).send().await.unwrap();
        assert_eq!(r.status(), 200);

        // The provider drops her from `devs`; she signs in again elsewhere.
        op.stop().await;
        let op = Op::start(op_port, &srv, &[("OP_GROUPS_ALICE", "heartlock-admins")]).await;
        let second = browser();
        assert_eq!(sign_in(&second, &srv, "alice").await.status(), 303);
        let r = second.get(srv.url("/projects/pay")).send().await.unwrap();
        assert_eq!(r.status(), 404, "no access without the group");
        let r = second.get(srv.url("/projects")).send().await.unwrap();
        assert_eq!(r.status(), 200, "the new session works");
        // The session from before the loss has ended.
        let r = first.get(srv.url("/projects/pay")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(location(&r).starts_with("/login?next="), "{}", location(&r));
        let ended = oidc_audit(&srv, "auth.sessions_ended_groups_lost").await;
        assert_eq!(ended.len(), 1);
        let detail = ended[0].event.detail.clone().unwrap_or_default();
        assert!(detail.contains("devs"), "{detail}");

        // Signing in again with the same groups ends nothing.
        let third = browser();
        assert_eq!(sign_in(&third, &srv, "alice").await.status(), 303);
        let r = second.get(srv.url("/projects")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            oidc_audit(&srv, "auth.sessions_ended_groups_lost")
                .await
                .len(),
            1
        );
        op.stop().await;
        srv.stop().await;
    }
);

backend_test!(
    sign_out_works_when_the_provider_is_down,
    |backend| async move {
        let op_port = free_port();
        let srv = server(backend, op_port).await;
        let op = Op::start(op_port, &srv, &[]).await;
        let issuer = op.issuer();
        let b = browser();
        assert_eq!(sign_in(&b, &srv, "alice").await.status(), 303);
        let html = b
            .get(srv.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        op.stop().await;
        // No request goes to the provider: the session ends and the browser is
        // sent to the end-session address (which it may or may not reach).
        let out = b
            .post(srv.url("/logout"))
            .form(&[("csrf_token", csrf_of(&html))])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        let end = location(&out);
        assert!(end.starts_with(&format!("{issuer}/session/end?")), "{end}");
        assert!(end.contains("id_token_hint="), "{end}");
        let after = b.get(srv.url("/projects")).send().await.unwrap();
        assert!(location(&after).starts_with("/login"), "signed out");
        srv.stop().await;
    }
);
