//! The "new sign-in from a new browser" email and the message preferences
//! (API and account page), against the real SMTP relay, on both databases.
use crate::common::smtp::{self, Relay};
use crate::common::{TestServer, call, cookie_browser, register};
use std::time::Duration;

/// A browser: its own cookie jar (and so its own `heartlock_browser` id).
struct Browser {
    http: reqwest::Client,
    base: String,
}

/// The `value` of the form's `csrf_token` input.
fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\"")
        .expect("a csrf_token input");
    let v = at + html[at..].find("value=\"").expect("its value") + 7;
    html[v..v + html[v..].find('"').unwrap()].to_string()
}

struct Reply {
    status: u16,
    location: String,
    body: String,
}

impl Browser {
    fn new(srv: &TestServer) -> Self {
        Self {
            http: cookie_browser(),
            base: srv.base.clone(),
        }
    }

    async fn get(&self, path: &str) -> Reply {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        Self::reply(r).await
    }

    async fn reply(r: reqwest::Response) -> Reply {
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        Reply {
            status: r.status().as_u16(),
            location,
            body: r.text().await.unwrap(),
        }
    }

    /// Posts `form` with the CSRF token of the page `from`.
    async fn post_from(&self, from: &str, path: &str, form: &[(&str, &str)]) -> Reply {
        let mut page = self.get(from).await;
        if page.status == 303 {
            // Signed in already: forms carry the session's token.
            page = self.get("/account").await;
        }
        let csrf = csrf_in(&page.body);
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend_from_slice(form);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&fields)
            .send()
            .await
            .unwrap();
        Self::reply(r).await
    }
}

const PASSWORD: &str = "correct horse battery staple";
const SUBJECT_EN: &str = "New sign-in to Heartlock from a new browser";

async fn sign_in(b: &Browser, email: &str) {
    let r = b
        .post_from(
            "/login",
            "/login",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303, "sign-in: {}", r.body);
}

/// Outbox rows addressed to `to` (they are written with the sign-in).
async fn queued(srv: &TestServer, to: &str) -> usize {
    let all = srv.store.list_outbox(None, 500).await.unwrap();
    all.iter().filter(|m| m.recipient == to).count()
}

async fn put_prefs(
    srv: &TestServer,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let (status, body) = call(
        reqwest::Method::PUT,
        srv.url("/api/v1/account/preferences"),
        Some(token),
        Some(body),
    )
    .await;
    (status, body)
}

backend_test!(
    a_new_browser_emails_the_account_unless_it_opted_out,
    |backend| async move {
        let certs = smtp::certs();
        let out = tempfile::tempdir().unwrap();
        let port = smtp::free_port();
        let _relay = Relay::start(port, out.path(), Some(&certs));
        let srv = TestServer::start(backend, |s| {
            crate::mail_outbox::smtp_to(s, port, Some(&certs.ca))
        })
        .await;
        let email = "roaming@example.com";
        let (token, _, _) = register(&srv, email).await;

        // The first browser is the account's own: nothing to tell.
        let first = Browser::new(&srv);
        sign_in(&first, email).await;
        sign_in(&first, email).await;
        assert_eq!(queued(&srv, email).await, 0, "first browser, twice");

        // Another browser: one message, naming the address it came from.
        let second = Browser::new(&srv);
        sign_in(&second, email).await;
        assert_eq!(queued(&srv, email).await, 1);
        let got = smtp::wait_for(out.path(), 1, Duration::from_secs(20)).await;
        assert_eq!(got[0]["subject"], SUBJECT_EN);
        assert_eq!(got[0]["rcpt_tos"], serde_json::json!([email]));
        let plain = got[0]["plain"].as_str().unwrap();
        assert!(plain.contains("127.0.0.1"), "{plain}");
        assert!(plain.contains(&format!("{}/account", srv.base)), "{plain}");
        assert!(!plain.contains(PASSWORD));
        // ...and only once for that browser.
        sign_in(&second, email).await;
        assert_eq!(queued(&srv, email).await, 1);

        // Opting out through the API.
        let (s, body) = put_prefs(
            &srv,
            &token,
            serde_json::json!({"language": null, "notify_new_sign_in": false}),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["notify_new_sign_in"], false);
        sign_in(&Browser::new(&srv), email).await;
        assert_eq!(queued(&srv, email).await, 1, "opted out");

        // Back on, in French, through the account page's form.
        let web = Browser::new(&srv);
        sign_in(&web, email).await;
        let page = web.get("/account").await;
        assert!(
            page.body.contains("name=\"notify_new_sign_in\""),
            "{}",
            page.body
        );
        let r = web
            .post_from(
                "/account",
                "/account/preferences",
                &[("language", "fr"), ("notify_new_sign_in", "on")],
            )
            .await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/account"),
            "{}",
            r.body
        );
        let (_, got_prefs) = call(
            reqwest::Method::GET,
            srv.url("/api/v1/account/preferences"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(
            got_prefs,
            serde_json::json!({"language": "fr", "notify_new_sign_in": true})
        );
        sign_in(&Browser::new(&srv), email).await;
        let got = smtp::wait_for(out.path(), 2, Duration::from_secs(20)).await;
        assert_eq!(
            got[1]["subject"],
            "Nouvelle connexion à Heartlock depuis un nouveau navigateur"
        );
    }
);

backend_test!(
    preferences_are_validated_and_audited,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (token, _, user_id) = register(&srv, "prefs@example.com").await;
        let (s, body) = put_prefs(
            &srv,
            &token,
            serde_json::json!({"language": "de", "notify_new_sign_in": true}),
        )
        .await;
        assert_eq!(s, 422, "{body}");
        let (s, _) = put_prefs(&srv, &token, serde_json::json!({"language": "en"})).await;
        assert_eq!(s, 422, "the flag is required");
        let (s, _) = put_prefs(
            &srv,
            &token,
            serde_json::json!({"language": "en", "notify_new_sign_in": true, "extra": 1}),
        )
        .await;
        assert_eq!(s, 422, "unknown fields are refused");
        let (s, body) = put_prefs(
            &srv,
            &token,
            serde_json::json!({"language": "en", "notify_new_sign_in": false}),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        let user = srv.store.user_by_id(&user_id).await.unwrap().unwrap();
        assert_eq!(user.language.as_deref(), Some("en"));
        assert!(!user.notify_new_sign_in);
        let (s, _) = call(
            reqwest::Method::GET,
            srv.url("/api/v1/account/preferences"),
            None,
            None,
        )
        .await;
        assert_eq!(s, 401);
        let events = srv.store.audit_batch(0, 1000).await.unwrap();
        let ev = events
            .iter()
            .find(|e| e.event.action == "account.preferences")
            .expect("the change is audited");
        assert_eq!(ev.event.actor_id.as_deref(), Some(user_id.as_str()));
    }
);
