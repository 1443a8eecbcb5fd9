//! The project pages, driven like a browser: HTML forms, a cookie jar, the
//! CSRF token scraped from the page, htmx fragments via `HX-Request`.

use crate::common::*;
use reqwest::header::{CONTENT_DISPOSITION, LOCATION};

const PASSWORD: &str = "correct horse battery staple";

struct Browser {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

struct Reply {
    status: u16,
    location: String,
    body: String,
}

/// The text of `attr="…"` right after `marker` in `html`.
fn scrape(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let start = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

impl Browser {
    fn new(srv: &TestServer) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            base: srv.base.clone(),
            csrf: String::new(),
        }
    }

    async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        Reply {
            status,
            location,
            body: resp.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Reply {
        let resp = self.http.get(format!("{}{path}", self.base));
        Self::reply(resp.send().await.unwrap()).await
    }

    /// An htmx request for a fragment.
    async fn hx(&self, path: &str) -> Reply {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("HX-Request", "true");
        Self::reply(resp.send().await.unwrap()).await
    }

    /// Loads a page and keeps the CSRF token its forms carry.
    async fn open(&mut self, path: &str) -> Reply {
        let page = self.get(path).await;
        self.csrf = scrape(&page.body, "name=\"csrf_token\"", "value").expect("csrf_token");
        page
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let mut fields = vec![("csrf_token", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let resp = self.http.post(format!("{}{path}", self.base)).form(fields);
        Self::reply(resp.send().await.unwrap()).await
    }

    /// Follows a redirect after a form and returns the page (with its flash).
    async fn follow(&self, r: &Reply) -> String {
        assert_eq!(r.status, 303, "expected a redirect, got: {}", r.body);
        self.get(&r.location).await.body
    }
}

const P: &str = "/projects/web-app";
const DEV_KEY: &str = "/projects/web-app/environments/development/secrets/API_KEY";

async fn sign_up(srv: &TestServer, email: &str) -> Browser {
    let mut b = Browser::new(srv);
    b.open("/register").await;
    let r = b
        .post(
            "/register",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("display_name", "Owner"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    b.open("/projects").await;
    b
}

backend_test!(project_pages_end_to_end, |backend| async move {
    let srv = TestServer::start(backend, |_| {}).await;

    // Not signed in: to the login page, and back afterwards.
    let anon = Browser::new(&srv);
    let r = anon.get("/projects").await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/login?next=%2Fprojects")
    );

    let owner = sign_up(&srv, "owner@example.com").await;
    // A form without its CSRF token is refused.
    let r = owner.post_raw("/projects", &[("name", "Web App")]).await;
    assert_eq!(r.status, 403);
    let r = owner.post("/projects", &[("name", "Web App")]).await;
    assert_eq!(r.location, P);
    assert!(owner.follow(&r).await.contains("Project created"));
    // Live search answers with just the list.
    let list = owner.hx("/projects?q=web").await;
    assert!(list.body.contains("/projects/web-app") && !list.body.contains("<html"));
    assert!(
        !owner
            .hx("/projects?q=nothing")
            .await
            .body
            .contains("web-app")
    );

    // Secrets in two environments; a key missing in one.
    for (env, key, value) in [
        ("development", "API_KEY", "s3cret-dev-value"),
        ("production", "API_KEY", "s3cret-prod-value"),
        ("development", "DB_URL", "postgres://dev-only"),
    ] {
        let form = [("key", key), ("value", value), ("environment", env)];
        let r = owner.post(&format!("{P}/secrets"), &form).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let bad = owner
        .post(
            &format!("{P}/secrets"),
            &[
                ("key", "1BAD"),
                ("value", "x"),
                ("environment", "development"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("role=\"alert\""));

    // The grid: no plaintext, markers for differing and missing keys.
    let grid = owner.get(P).await.body;
    for v in [
        "s3cret-dev-value",
        "s3cret-prod-value",
        "postgres://dev-only",
    ] {
        assert!(!grid.contains(v), "{v} leaked into the grid");
    }
    assert!(grid.contains("row-differs") && grid.contains("differs across environments"));
    assert!(grid.contains("row-missing") && grid.contains("missing in some environments"));
    assert!(grid.contains(&format!("hx-get=\"{DEV_KEY}\"")));

    // Reveal: an htmx fragment with the value and a copy button; a page without JS.
    let cell = owner.hx(DEV_KEY).await;
    assert_eq!(cell.status, 200);
    assert!(cell.body.contains("s3cret-dev-value") && cell.body.contains("data-copy="));
    assert!(!cell.body.contains("<html"));
    let page = owner.get(DEV_KEY).await;
    assert!(page.body.contains("<html") && page.body.contains("s3cret-dev-value"));

    // Inline edit: a form fragment, then a plain POST.
    let form = owner.hx(&format!("{DEV_KEY}/edit")).await;
    assert!(form.body.contains("<textarea") && form.body.contains("s3cret-dev-value"));
    let r = owner
        .post(
            DEV_KEY,
            &[("value", "s3cret-dev-v2"), ("comment", "rotated")],
        )
        .await;
    assert!(owner.follow(&r).await.contains("Secret saved."));
    assert!(owner.hx(DEV_KEY).await.body.contains("s3cret-dev-v2"));

    // History: newest first, masked, per-version reveal, roll back.
    let history = owner.get(&format!("{DEV_KEY}/history")).await.body;
    assert!(history.contains("rotated") && history.contains("owner@example.com"));
    // Row headers (not a random CSRF token that may happen to hold "v1").
    let row = |v: &str| history.find(&format!("<th scope=\"row\">{v}")).unwrap();
    assert!(row("v2") < row("v1"));
    assert!(!history.contains("s3cret-dev-value") && !history.contains("s3cret-dev-v2"));
    let v1 = owner.hx(&format!("{DEV_KEY}/history?reveal=1")).await;
    assert!(v1.body.contains("s3cret-dev-value") && !v1.body.contains("s3cret-dev-v2"));
    let r = owner
        .post(&format!("{DEV_KEY}/rollback"), &[("version", "1")])
        .await;
    assert!(owner.follow(&r).await.contains("rollback to version 1"));
    assert!(owner.hx(DEV_KEY).await.body.contains("s3cret-dev-value"));

    // Import: a bad line names its number and writes nothing.
    let env_file = "IMPORTED_ONE=1\nthis line is wrong\nIMPORTED_TWO=2\n";
    let r = owner
        .post(
            &format!("{P}/import"),
            &[("environment", "staging"), ("content", env_file)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("line 2") && r.body.contains("Nothing was imported"));
    assert!(!owner.get(P).await.body.contains("IMPORTED_ONE"));
    let good = "IMPORTED_ONE=1\n# comment\nIMPORTED_TWO=\"two words\"\n";
    let r = owner
        .post(
            &format!("{P}/import"),
            &[("environment", "staging"), ("content", good)],
        )
        .await;
    assert!(owner.follow(&r).await.contains("IMPORTED_TWO"));

    // Export: a download.
    let resp = owner
        .http
        .get(srv.url(&format!("{P}/export?environment=staging&format=dotenv")))
        .send()
        .await
        .unwrap();
    let disposition = resp.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(disposition, "attachment; filename=\"web-app-staging.env\"");
    assert!(resp.text().await.unwrap().contains("IMPORTED_ONE=1"));

    // Environments: add, rename, move, delete.
    let envs = format!("{P}/environments");
    let r = owner.post(&envs, &[("slug", "qa"), ("name", "QA")]).await;
    assert!(owner.follow(&r).await.contains("Environment added."));
    let r = owner
        .post(&format!("{envs}/qa/rename"), &[("name", "Quality")])
        .await;
    assert!(owner.follow(&r).await.contains("Quality"));
    let r = owner
        .post(&format!("{envs}/qa/move"), &[("direction", "up")])
        .await;
    let page = owner.follow(&r).await;
    assert!(page.find("Quality").unwrap() < page.find("Production").unwrap());
    let r = owner.post(&format!("{envs}/qa/delete"), &[]).await;
    assert!(!owner.follow(&r).await.contains("Quality"));

    // A service token is shown once, in the answer to the form.
    let tokens = format!("{P}/tokens");
    let r = owner
        .post(
            &tokens,
            &[
                ("name", "ci"),
                ("env", "development"),
                ("env", "production"),
                ("access", "read"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.contains("shown only this once"));
    let token = scrape(&r.body, "id=\"new-token\"", "data-value").unwrap();
    assert!(token.starts_with("hl_st_"));
    let api = srv.url("/api/v1/projects/web-app/environments/production/secrets/API_KEY");
    let (status, body) = call(reqwest::Method::GET, api, Some(&token), None).await;
    assert_eq!(
        (status, body["value"].as_str()),
        (200, Some("s3cret-prod-value"))
    );
    let listing = owner.get(&tokens).await.body;
    assert!(listing.contains("<th scope=\"row\">ci</th>") && !listing.contains(&token));
    let at = listing.find("/revoke\"").unwrap();
    let id_start = listing[..at].rfind('/').unwrap() + 1;
    let r = owner
        .post(&format!("{tokens}/{}/revoke", &listing[id_start..at]), &[])
        .await;
    assert!(owner.follow(&r).await.contains("Token revoked."));

    // A viewer (added on the members page) reveals, but cannot write.
    register(&srv, "viewer@example.com").await;
    let members = format!("{P}/members");
    let r = owner
        .post(
            &members,
            &[("email", "viewer@example.com"), ("role", "viewer")],
        )
        .await;
    assert!(owner.follow(&r).await.contains("viewer@example.com"));
    let missing = owner
        .post(
            &members,
            &[("email", "nobody@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("no user with this email"));

    let mut viewer = Browser::new(&srv);
    viewer.open(&format!("/login?next={P}")).await;
    let r = viewer
        .post(
            "/login",
            &[
                ("email", "viewer@example.com"),
                ("password", PASSWORD),
                ("next", P),
            ],
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, P));
    let grid = viewer.open(P).await.body;
    assert!(grid.contains("Reveal") && !grid.contains("Add a secret") && !grid.contains("/delete"));
    assert!(!grid.contains("/edit") && !grid.contains("/import"));
    assert!(viewer.hx(DEV_KEY).await.body.contains("s3cret-dev-value"));
    let forced = [
        (
            format!("{P}/secrets"),
            vec![
                ("key", "NEW"),
                ("value", "x"),
                ("environment", "development"),
            ],
        ),
        (DEV_KEY.to_string(), vec![("value", "hacked")]),
        (format!("{DEV_KEY}/delete"), vec![]),
        (format!("{DEV_KEY}/rollback"), vec![("version", "2")]),
        (
            format!("{P}/import"),
            vec![("environment", "development"), ("content", "A=1")],
        ),
    ];
    for (path, form) in forced {
        assert_eq!(viewer.post(&path, &form).await.status, 403, "{path}");
    }
    assert_eq!(viewer.get(&format!("{P}/audit")).await.status, 403);
    assert_eq!(viewer.get(&tokens).await.status, 403);
    assert!(owner.hx(DEV_KEY).await.body.contains("s3cret-dev-value"));

    // The owner's audit log has it all; unknown things are 404 pages.
    let audit = owner.get(&format!("{P}/audit")).await.body;
    assert!(audit.contains("secret.write") && audit.contains("token.create"));
    assert!(audit.contains("denied"));
    for path in [
        "/projects/nope".to_string(),
        format!("{P}/environments/nope/secrets/API_KEY"),
        format!("{P}/environments/development/secrets/NOPE"),
        format!("{P}/environments/development/secrets/not-a-key/history"),
    ] {
        assert_eq!(owner.get(&path).await.status, 404, "{path}");
    }
    // French pages come from the French catalogue.
    let fr = owner
        .http
        .get(srv.url(P))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert!(
        fr.text()
            .await
            .unwrap()
            .contains("diffère selon l’environnement")
    );
    srv.stop().await;
});
