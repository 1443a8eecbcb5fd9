//! A populated server for web UI tests: one project with a user per role,
//! an outsider who owns another project and a server administrator, each
//! signed in through the real login form with its own cookie jar (redirects
//! not followed), plus the throwaway fixtures destructive forms act upon.
#![allow(dead_code)]
use crate::common::TestServer;
use heartlock_core::roles::{ProjectRole, ServerRole};
use heartlock_store::{Backend, NewUser};
use reqwest::header::LOCATION;
use std::sync::atomic::{AtomicU32, Ordering};

/// Strong enough for the zxcvbn policy.
pub const PASSWORD: &str = "violet-Harbor-trumpet-42-glacier";
pub const PROJECT: &str = "main-app";
pub const OTHER_PROJECT: &str = "other-app";
pub const ENV: &str = "development";
/// Present in `ENV` at all times, with at least two versions.
pub const KEY: &str = "SHARED_KEY";
/// An account that is signed in by the login form cells (never a principal).
pub const LOGIN_USER: &str = "login@example.com";
/// The IdP group granted `member` on the main project.
pub const MATRIX_GROUP: &str = "matrix-devs";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    /// No session cookie (but a valid double-submit CSRF cookie).
    Anonymous,
    Viewer,
    Member,
    Admin,
    Owner,
    /// Owner of another project only.
    Outsider,
    ServerAdmin,
    /// A `member` of the project limited to `ENV`.
    Limited,
    /// Reaches the project only through an IdP group granted `member`.
    /// Not in [`Principal::ALL`]: checked against [`Principal::Member`].
    GroupMember,
    /// An account made by single sign-on (no password), a direct `member`.
    /// Not in [`Principal::ALL`]: checked against [`Principal::Member`].
    SsoMember,
}

impl Principal {
    pub const ALL: [Principal; 8] = [
        Principal::Anonymous,
        Principal::Viewer,
        Principal::Member,
        Principal::Admin,
        Principal::Owner,
        Principal::Outsider,
        Principal::ServerAdmin,
        Principal::Limited,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Principal::Anonymous => "anon",
            Principal::Viewer => "viewer",
            Principal::Member => "member",
            Principal::Admin => "admin",
            Principal::Owner => "owner",
            Principal::Outsider => "outsider",
            Principal::ServerAdmin => "srvadmin",
            Principal::Limited => "env-limit",
            Principal::GroupMember => "group-member",
            Principal::SsoMember => "sso-member",
        }
    }

    /// The account behind a signed-in principal.
    pub fn email(self) -> Option<&'static str> {
        match self {
            Principal::Anonymous => None,
            Principal::Viewer => Some("viewer@example.com"),
            Principal::Member => Some("member@example.com"),
            Principal::Admin => Some("admin@example.com"),
            Principal::Owner => Some("owner@example.com"),
            Principal::Outsider => Some("outsider@example.com"),
            Principal::ServerAdmin => Some("root@example.com"),
            Principal::Limited => Some("limited@example.com"),
            Principal::GroupMember => Some("grouped@example.com"),
            Principal::SsoMember => Some("sso@example.com"),
        }
    }

    /// The role on `PROJECT` given at setup.
    fn project_role(self) -> Option<&'static str> {
        match self {
            Principal::Viewer => Some("viewer"),
            Principal::Member | Principal::Limited | Principal::SsoMember => Some("member"),
            Principal::Admin => Some("admin"),
            _ => None,
        }
    }
}

/// One response, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub location: String,
    pub body: String,
}

/// The `value` of the `<input>` whose name is `name`, wherever the
/// attributes sit in the tag.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

/// A browser: its own cookie jar, no redirects followed.
pub struct Browser {
    http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: String,
    signed_in: bool,
}

impl Browser {
    pub fn new(srv: &TestServer) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            jar,
            base: srv.base.clone(),
            signed_in: false,
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

    pub async fn get(&self, path: &str) -> Reply {
        let resp = self.http.get(format!("{}{path}", self.base));
        Self::reply(resp.send().await.unwrap()).await
    }

    /// An htmx request for a fragment.
    pub async fn hx(&self, path: &str) -> Reply {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("HX-Request", "true");
        Self::reply(resp.send().await.unwrap()).await
    }

    /// The token forms must carry: the session's (read from the account
    /// page) once signed in, else the double-submit cookie's (from the
    /// login page, which sets the cookie on the first visit).
    pub async fn csrf(&self) -> String {
        let page = if self.signed_in { "/account" } else { "/login" };
        let r = self.get(page).await;
        assert_eq!(r.status, 200, "GET {page} for a CSRF token: {}", r.body);
        input_value(&r.body, "csrf_token").expect("a csrf_token input")
    }

    /// Posts a form with a valid CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf().await;
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend_from_slice(form);
        let resp = self.http.post(format!("{}{path}", self.base)).form(&fields);
        Self::reply(resp.send().await.unwrap()).await
    }

    /// Posts JSON the way a page script does: the CSRF token in the
    /// X-CSRF-Token header.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Reply {
        let csrf = self.csrf().await;
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", csrf)
            .json(body);
        Self::reply(resp.send().await.unwrap()).await
    }

    /// Takes a session cookie made on the server's side (an SSO account
    /// has no password to type).
    pub fn adopt_session(&mut self, set_cookie: &str) {
        let url = reqwest::Url::parse(&self.base).unwrap();
        self.jar.add_cookie_str(set_cookie, &url);
        self.signed_in = true;
    }

    /// Says the jar now holds a session (signed in by the caller's own form post).
    pub fn mark_signed_in(&mut self) {
        self.signed_in = true;
    }

    /// Signs in through the login form (GET for the CSRF cookie and token,
    /// then POST), as a person would.
    pub async fn sign_in(&mut self, email: &str) {
        self.signed_in = false;
        let r = self
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/"),
            "sign-in of {email}: {}",
            r.body
        );
        self.signed_in = true;
    }
}

pub struct World {
    pub srv: TestServer,
    browsers: Vec<(Principal, Browser)>,
    pub project_id: String,
    pub env_id: String,
    hash: String,
    counter: AtomicU32,
}

impl World {
    pub async fn start(backend: Backend) -> World {
        Self::start_with(backend, heartlock_config::NoAuthPolicy::Deny).await
    }

    /// The same world on a server whose POLICY_NO_AUTH_DEFAULT is `policy`.
    pub async fn start_with(backend: Backend, policy: heartlock_config::NoAuthPolicy) -> World {
        let srv = TestServer::start(backend, |s| s.policy_no_auth_default = policy).await;
        // Accounts go straight into the store with one shared hash (argon2
        // is slow); registration is covered by the matrix itself.
        let hash = heartlock_core::password::hash_password(PASSWORD).unwrap();
        let mut world = World {
            srv,
            browsers: Vec::new(),
            project_id: String::new(),
            env_id: String::new(),
            hash,
            counter: AtomicU32::new(0),
        };
        let accounts = Principal::ALL
            .iter()
            .filter_map(|p| p.email().map(|e| (e, *p == Principal::ServerAdmin)))
            .chain([(LOGIN_USER, false)]);
        for (email, admin) in accounts {
            world
                .create_user(email, if admin { "admin" } else { "user" })
                .await;
        }
        // The group member: a password account whose only tie to the
        // project is its stored IdP group; the SSO account has no password.
        let grouped = world
            .create_user(Principal::GroupMember.email().unwrap(), "user")
            .await;
        let now = world.srv.state.clock.now_ms();
        (world.srv.store)
            .record_oidc_sign_in(
                "https://idp.test",
                "grouped",
                &grouped,
                &[MATRIX_GROUP.into()],
                now,
            )
            .await
            .unwrap();
        let sso = NewUser {
            id: heartlock_core::ids::new_id(),
            email: Principal::SsoMember.email().unwrap().into(),
            display_name: "sso".into(),
            password_hash: None,
            role: ServerRole::User,
            is_superuser: false,
        };
        (world.srv.store)
            .create_oidc_user(&sso, "https://idp.test", "sso-member", &[], now)
            .await
            .unwrap();
        let everyone = Principal::ALL
            .into_iter()
            .chain([Principal::GroupMember, Principal::SsoMember]);
        for p in everyone {
            let b = world.fresh(p).await;
            world.browsers.push((p, b));
        }
        world.populate().await;
        world
    }

    async fn populate(&mut self) {
        let owner = self.browser(Principal::Owner);
        let r = owner
            .post("/projects", &[("name", "Main app"), ("slug", PROJECT)])
            .await;
        assert_eq!(r.location, format!("/projects/{PROJECT}"), "{}", r.body);
        let project = self.project().await;
        self.project_id = project.id.clone();
        self.env_id = (self.srv.store)
            .environment_by_slug(&project.id, ENV)
            .await
            .unwrap()
            .expect("the default development environment")
            .id;
        let now = self.srv.state.clock.now_ms();
        (self.srv.store)
            .upsert_group_grant(&project.id, MATRIX_GROUP, ProjectRole::Member, None, now)
            .await
            .unwrap();
        for p in Principal::ALL.into_iter().chain([Principal::SsoMember]) {
            if let Some(role) = p.project_role() {
                let id = self.user_id(p.email().unwrap()).await;
                let limit = [self.env_id.clone()];
                let limit = (p == Principal::Limited).then_some(&limit[..]);
                let role = ProjectRole::parse(role).unwrap();
                (self.srv.store)
                    .set_membership_with_environments(&project.id, &id, role, limit, now)
                    .await
                    .unwrap();
            }
        }
        for value in ["first value", "second value"] {
            self.put_secret(KEY, value).await;
        }
        let r = self
            .browser(Principal::Outsider)
            .post(
                "/projects",
                &[("name", "Other app"), ("slug", OTHER_PROJECT)],
            )
            .await;
        assert_eq!(
            r.location,
            format!("/projects/{OTHER_PROJECT}"),
            "{}",
            r.body
        );
    }

    pub async fn project(&self) -> heartlock_store::ProjectRecord {
        (self.srv.store)
            .project_by_slug(PROJECT)
            .await
            .unwrap()
            .expect("the main project")
    }

    pub async fn other_project_id(&self) -> String {
        (self.srv.store)
            .project_by_slug(OTHER_PROJECT)
            .await
            .unwrap()
            .expect("the other project")
            .id
    }

    /// The principal's long-lived browser.
    pub fn browser(&self, p: Principal) -> &Browser {
        self.browsers
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, b)| b)
            .unwrap()
    }

    /// A new browser for `p`: signed in with a new session, or (anonymous)
    /// holding just the CSRF cookie.
    pub async fn fresh(&self, p: Principal) -> Browser {
        let mut b = Browser::new(&self.srv);
        if p == Principal::SsoMember {
            let user = (self.srv.store)
                .user_by_email(p.email().unwrap())
                .await
                .unwrap()
                .unwrap();
            let system = heartlock_domain::Principal::system("test");
            let secret = heartlock_domain::web_sessions::start(
                &self.srv.state,
                &system,
                &user,
                None,
                &Default::default(),
            )
            .await
            .unwrap();
            let cookie = heartlock_server::web::session::set_cookie(
                &self.srv.state,
                heartlock_server::web::session::SESSION_COOKIE,
                &secret,
                None,
            );
            b.adopt_session(cookie.to_str().unwrap());
            return b;
        }
        match p.email() {
            Some(email) => b.sign_in(email).await,
            None => {
                b.csrf().await;
            }
        }
        b
    }

    /// Signs the long-lived browser in again (after its sessions were ended).
    pub async fn sign_in_again(&mut self, p: Principal) {
        if p == Principal::SsoMember {
            let b = self.fresh(p).await;
            if let Some(slot) = self.browsers.iter_mut().find(|(q, _)| *q == p) {
                slot.1 = b;
            }
            return;
        }
        if let Some(email) = p.email() {
            let b = self
                .browsers
                .iter_mut()
                .find(|(q, _)| *q == p)
                .map(|(_, b)| b)
                .unwrap();
            b.sign_in(email).await;
        }
    }

    /// A name never used before in this world (slugs, emails, keys).
    pub fn unique(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.counter.fetch_add(1, Ordering::Relaxed))
    }

    /// A key never used before (keys are upper case).
    pub fn unique_key(&self, prefix: &str) -> String {
        self.unique(prefix).replace('-', "_").to_uppercase()
    }

    pub async fn create_user(&self, email: &str, role: &str) -> String {
        let user = NewUser {
            id: heartlock_core::ids::new_id(),
            email: email.into(),
            display_name: email.split('@').next().unwrap().into(),
            password_hash: Some(self.hash.clone()),
            role: ServerRole::parse(role).unwrap(),
            is_superuser: false,
        };
        let now = self.srv.state.clock.now_ms();
        self.srv.store.create_user(&user, now).await.unwrap().id
    }

    /// A new plain user: (email, id).
    pub async fn throwaway_user(&self) -> (String, String) {
        let email = format!("{}@example.com", self.unique("someone"));
        let id = self.create_user(&email, "user").await;
        (email, id)
    }

    /// A new user with `role` on the main project: (email, id).
    pub async fn throwaway_member(&self, role: &str) -> (String, String) {
        let (email, id) = self.throwaway_user().await;
        let now = self.srv.state.clock.now_ms();
        (self.srv.store)
            .set_membership(
                &self.project_id,
                &id,
                ProjectRole::parse(role).unwrap(),
                now,
            )
            .await
            .unwrap();
        (email, id)
    }

    pub async fn user_id(&self, email: &str) -> String {
        self.user(email).await.id
    }

    pub async fn user(&self, email: &str) -> heartlock_store::UserRecord {
        (self.srv.store)
            .user_by_email(email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {email}"))
    }

    /// Writes `key` in `ENV` of the main project as its owner.
    pub async fn put_secret(&self, key: &str, value: &str) {
        let r = self
            .browser(Principal::Owner)
            .post(
                &format!("/projects/{PROJECT}/secrets"),
                &[("key", key), ("value", value), ("environment", ENV)],
            )
            .await;
        assert_eq!(r.status, 303, "owner writes {key}: {}", r.body);
    }

    /// The current version of `key` in `ENV`, if it is live.
    pub async fn secret_version(&self, key: &str) -> Option<i64> {
        (self.srv.store)
            .current_secret(&self.env_id, key)
            .await
            .unwrap()
            .map(|s| s.version)
    }

    /// A new environment of the main project (created by its owner).
    pub async fn throwaway_env(&self) -> heartlock_store::EnvironmentRecord {
        let slug = self.unique("doomed-env");
        let r = self
            .browser(Principal::Owner)
            .post(
                &format!("/projects/{PROJECT}/environments"),
                &[("slug", &slug)],
            )
            .await;
        assert_eq!(r.status, 303, "owner creates {slug}: {}", r.body);
        self.environment(&slug).await.unwrap()
    }

    pub async fn environment(&self, slug: &str) -> Option<heartlock_store::EnvironmentRecord> {
        (self.srv.store)
            .environment_by_slug(&self.project_id, slug)
            .await
            .unwrap()
    }

    /// A new service token of the main project (created by its owner).
    pub async fn throwaway_token(&self) -> heartlock_store::TokenRecord {
        let name = self.unique("doomed-token");
        let r = self
            .browser(Principal::Owner)
            .post(
                &format!("/projects/{PROJECT}/tokens"),
                &[("name", &name), ("env", ENV), ("access", "read")],
            )
            .await;
        assert_eq!(r.status, 201, "owner creates a token: {}", r.body);
        self.token(&name).await.unwrap()
    }

    pub async fn token(&self, name: &str) -> Option<heartlock_store::TokenRecord> {
        (self.srv.store)
            .project_tokens(&self.project_id)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == name)
    }

    pub async fn membership(&self, user_id: &str) -> Option<String> {
        (self.srv.store)
            .membership_role(&self.project_id, user_id)
            .await
            .unwrap()
            .map(|r| r.as_str().to_string())
    }
}

/// A grid of cells, one line per labelled row, a column per principal.
pub fn render(labels: &[String], grid: &[Vec<String>]) -> String {
    let width = labels.iter().map(|l| l.len()).max().unwrap_or(0) + 2;
    let cell = grid
        .iter()
        .flatten()
        .map(|c| c.len() + 2)
        .max()
        .unwrap_or(0)
        .max(10);
    let mut out = format!("{:<width$}", "route");
    for p in Principal::ALL {
        out.push_str(&format!("{:>cell$}", p.name()));
    }
    out.push('\n');
    for (label, cells) in labels.iter().zip(grid) {
        out.push_str(&format!("{label:<width$}"));
        for c in cells {
            out.push_str(&format!("{c:>cell$}"));
        }
        out.push('\n');
    }
    out
}
