//! The OIDC settings page (/admin/oidc): sources shown, the form holds only
//! admin-set values, the secret is write-only, errors are readable, and a
//! save applies at once (the API tests cover storage and other instances).
use crate::common::{TestServer, cookie_browser};
use heartlock_domain::users;

const PASSWORD: &str = "correct horse battery staple";
const SECRET: &str = "page-set-client-secret-0123456789";

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf_token\" value=\"").expect("a form") + 25;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

async fn signed_in_admin(srv: &TestServer) -> reqwest::Client {
    let account = users::NewAccount {
        email: "root@example.com",
        display_name: Some("Root"),
        password: PASSWORD,
    };
    users::create_superuser(
        &srv.state,
        &heartlock_domain::Principal::system("test"),
        account,
    )
    .await
    .unwrap();
    let b = cookie_browser();
    let page = b.get(srv.url("/login")).send().await.unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    let r = b
        .post(srv.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "root@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    b
}

async fn page(srv: &TestServer, b: &reqwest::Client) -> String {
    let r = b.get(srv.url("/admin/oidc")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

backend_test!(
    the_page_shows_sources_and_saves_live,
    |backend| async move {
        let srv = TestServer::start(backend, |s| {
            s.oidc.client_id = Some("from-start".into());
        })
        .await;
        let b = signed_in_admin(&srv).await;
        let html = page(&srv, &b).await;
        assert!(html.contains("OIDC_CLIENT_ID") && html.contains("from-start"));
        assert!(html.contains("name=\"OIDC_CLIENT_SECRET\""));

        // Save: values typed become the admin-set layer, applied at once.
        let csrf = csrf_in(&html);
        let r = b
            .post(srv.url("/admin/oidc"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("OIDC_CLIENT_ID", "from-page"),
                ("OIDC_CLIENT_SECRET", SECRET),
                ("OIDC_ENABLE", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"].to_str().unwrap(), "/admin/oidc");
        let live = srv.state.oidc();
        assert_eq!(live.client_id.as_deref(), Some("from-page"));
        assert_eq!(
            live.client_secret.as_ref().map(|s| s.expose()),
            Some(SECRET)
        );
        let html = page(&srv, &b).await;
        assert!(
            html.contains("value=\"from-page\""),
            "the input holds the admin value"
        );
        assert!(!html.contains(SECRET), "the secret is write-only");

        // A blank secret keeps it; an invalid value is shown, changing nothing.
        let r = b
            .post(srv.url("/admin/oidc"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("OIDC_CLIENT_ID", "from-page"),
                ("OIDC_CLIENT_SECRET", ""),
                ("OIDC_TOKEN_ENDPOINT", "not a url"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("role=\"alert\"") && html.contains("OIDC_TOKEN_ENDPOINT"));
        assert!(
            html.contains("value=\"not a url\""),
            "the typed values are kept"
        );
        assert!(!html.contains(SECRET));
        assert_eq!(srv.state.oidc().token_endpoint, None);
        let r = b
            .post(srv.url("/admin/oidc"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("OIDC_CLIENT_ID", "again"),
                ("OIDC_CLIENT_SECRET", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let live = srv.state.oidc();
        assert_eq!(live.client_id.as_deref(), Some("again"));
        assert_eq!(
            live.client_secret.as_ref().map(|s| s.expose()),
            Some(SECRET)
        );

        // Remove: the start-up value is back.
        let r = b
            .post(srv.url("/admin/oidc/remove"))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(srv.state.oidc().client_id.as_deref(), Some("from-start"));
        assert_eq!(srv.state.oidc().client_secret, None);
        srv.stop().await;
    }
);
