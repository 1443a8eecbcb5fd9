//! A populated server for API tests: one project with a user per role, an
//! outsider who owns another project, a server admin, and the odd tokens
//! (expired, tampered) that authorization must refuse, and service tokens.
#![allow(dead_code)]
use crate::common::TestServer;
use heartlock_client::{Client, NewProject, NewToken};
use heartlock_core::roles::ServerRole;
use heartlock_store::{Backend, NewUser};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

pub const JWT_SECRET: &str = "matrix-test-jwt-secret-0123456789abcdef0123456789";
/// Strong enough for the zxcvbn policy.
pub const PASSWORD: &str = "violet-Harbor-trumpet-42-glacier";
pub const PROJECT: &str = "main-app";
pub const OTHER_PROJECT: &str = "other-app";
pub const ENV: &str = "development";
/// Outside the service tokens' environments.
pub const OTHER_ENV: &str = "staging";
/// Present in `ENV` (and `OTHER_ENV`) at all times, with at least one earlier version.
pub const KEY: &str = "SHARED_KEY";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    Anonymous,
    Expired,
    Tampered,
    Viewer,
    Member,
    Admin,
    Owner,
    /// Owner of another project only.
    Outsider,
    ServerAdmin,
    /// Service token of the project, `read`, limited to `ENV`.
    TokenRead,
    /// Service token of the project, `read_write`, limited to `ENV`.
    TokenWrite,
    /// Service token (`read_write`) of the other project.
    TokenOther,
    /// A `member` of the project limited to `ENV`.
    Limited,
    /// A user who reaches the project only through an IdP group grant
    /// (`member`). Not in [`Principal::ALL`]: the matrix checks separately
    /// that every cell answers exactly as for [`Principal::Member`].
    GroupMember,
    /// An account made by single sign-on (no password), a direct `member`.
    /// Not in [`Principal::ALL`]: checked against [`Principal::Member`].
    SsoMember,
}

impl Principal {
    pub const ALL: [Principal; 13] = [
        Principal::Anonymous,
        Principal::Expired,
        Principal::Tampered,
        Principal::Viewer,
        Principal::Member,
        Principal::Admin,
        Principal::Owner,
        Principal::Outsider,
        Principal::ServerAdmin,
        Principal::TokenRead,
        Principal::TokenWrite,
        Principal::TokenOther,
        Principal::Limited,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Principal::Anonymous => "anon",
            Principal::Expired => "expired",
            Principal::Tampered => "tampered",
            Principal::Viewer => "viewer",
            Principal::Member => "member",
            Principal::Admin => "admin",
            Principal::Owner => "owner",
            Principal::Outsider => "outsider",
            Principal::ServerAdmin => "srvadmin",
            Principal::TokenRead => "token-ro",
            Principal::TokenWrite => "token-rw",
            Principal::TokenOther => "token-q",
            Principal::Limited => "env-limit",
            Principal::GroupMember => "group-member",
            Principal::SsoMember => "sso-member",
        }
    }

    /// The account behind a signed-in principal.
    pub fn email(self) -> Option<&'static str> {
        match self {
            Principal::Viewer => Some("viewer@example.com"),
            Principal::Member => Some("member@example.com"),
            Principal::Admin => Some("admin@example.com"),
            Principal::Owner => Some("owner@example.com"),
            Principal::Outsider => Some("outsider@example.com"),
            Principal::ServerAdmin => Some("root@example.com"),
            Principal::Limited => Some("limited@example.com"),
            Principal::GroupMember => Some(GROUPED),
            Principal::SsoMember => Some(SSO_USER),
            _ => None,
        }
    }
}

/// Accounts that are acted upon (never principals).
pub const EXTRA: &str = "extra@example.com";
pub const VICTIM: &str = "victim@example.com";
pub const VICTIM_OWNER: &str = "victim-owner@example.com";
pub const PROMOTED: &str = "promoted@example.com";
pub const TARGET: &str = "target@example.com";
/// The account of [`Principal::GroupMember`], and the group granted `member`.
pub const GROUPED: &str = "grouped@example.com";
pub const MATRIX_GROUP: &str = "matrix-devs";
/// The account of [`Principal::Limited`].
pub const LIMITED: &str = "limited@example.com";
pub const LOGIN_USER: &str = "login@example.com";
/// The account of [`Principal::SsoMember`].
pub const SSO_USER: &str = "sso@example.com";

pub struct World {
    pub srv: TestServer,
    tokens: Vec<(Principal, String)>,
    pub ids: Vec<(String, String)>,
    counter: AtomicU32,
}

impl World {
    pub async fn start(backend: Backend) -> World {
        Self::start_with(backend, heartlock_config::NoAuthPolicy::Deny).await
    }

    /// The same world on a server whose POLICY_NO_AUTH_DEFAULT is `policy`.
    pub async fn start_with(backend: Backend, policy: heartlock_config::NoAuthPolicy) -> World {
        let srv = TestServer::start(backend, |s| {
            s.jwt.secret_key = Some(heartlock_config::Secret::new(JWT_SECRET));
            s.policy_no_auth_default = policy;
        })
        .await;
        // Accounts go straight into the store with one shared hash: argon2
        // is slow and registration is covered by the matrix itself.
        let hash = heartlock_core::password::hash_password(PASSWORD).unwrap();
        let mut ids = Vec::new();
        let now = srv.state.clock.now_ms();
        let principals = Principal::ALL
            .iter()
            .filter_map(|p| p.email().map(|e| (e, *p == Principal::ServerAdmin)));
        let others = [
            EXTRA,
            VICTIM,
            VICTIM_OWNER,
            PROMOTED,
            TARGET,
            LOGIN_USER,
            GROUPED,
        ]
        .into_iter()
        .map(|e| (e, false));
        for (email, admin) in principals.chain(others) {
            let user = NewUser {
                id: heartlock_core::ids::new_id(),
                email: email.into(),
                display_name: email.split('@').next().unwrap().into(),
                password_hash: Some(hash.clone()),
                role: if admin {
                    ServerRole::Admin
                } else {
                    ServerRole::User
                },
                is_superuser: false,
            };
            let rec = srv.store.create_user(&user, now).await.unwrap();
            ids.push((email.to_string(), rec.id));
        }
        let mut world = World {
            srv,
            tokens: Vec::new(),
            ids,
            counter: AtomicU32::new(0),
        };
        for p in Principal::ALL {
            if let Some(email) = p.email() {
                let t = world.anonymous().login(email, PASSWORD).await.unwrap();
                world.tokens.push((p, t.access_token));
            }
        }
        // The group member's only tie to the project is its stored group.
        let grouped = world.user_id(GROUPED).to_string();
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
        let t = world.anonymous().login(GROUPED, PASSWORD).await.unwrap();
        world.tokens.push((Principal::GroupMember, t.access_token));
        // The SSO account: made by a provider sign-in, it has no password.
        let sso = NewUser {
            id: heartlock_core::ids::new_id(),
            email: SSO_USER.into(),
            display_name: "sso".into(),
            password_hash: None,
            role: ServerRole::User,
            is_superuser: false,
        };
        (world.srv.store)
            .create_oidc_user(&sso, "https://idp.test", "sso-member", &[], now)
            .await
            .unwrap();
        world.ids.push((SSO_USER.to_string(), sso.id.clone()));
        let t = world.sso_session().await;
        world.tokens.push((Principal::SsoMember, t));
        let member_token = world.token(Principal::Member).to_string();
        world
            .tokens
            .push((Principal::Expired, expired(&member_token)));
        world
            .tokens
            .push((Principal::Tampered, tampered(&member_token)));
        world.populate().await;
        for (p, project, access) in [
            (Principal::TokenRead, PROJECT, "read"),
            (Principal::TokenWrite, PROJECT, "read_write"),
            (Principal::TokenOther, OTHER_PROJECT, "read_write"),
        ] {
            let creator = world.client(if project == PROJECT {
                Principal::Owner
            } else {
                Principal::Outsider
            });
            let t = creator
                .create_token(project, &token_request(access))
                .await
                .unwrap();
            world.tokens.push((p, t.token));
        }
        world
    }

    async fn populate(&self) {
        let owner = self.client(Principal::Owner);
        owner
            .create_project(&NewProject {
                name: "Main app".into(),
                slug: Some(PROJECT.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        for (p, role) in [
            (Principal::Viewer, "viewer"),
            (Principal::Member, "member"),
            (Principal::Admin, "admin"),
            (Principal::SsoMember, "member"),
        ] {
            owner
                .add_member(PROJECT, p.email().unwrap(), role)
                .await
                .unwrap();
        }
        owner
            .add_member_in(PROJECT, LIMITED, "member", Some(&[ENV.into()]))
            .await
            .unwrap();
        owner.add_member(PROJECT, EXTRA, "viewer").await.unwrap();
        owner
            .grant_group(PROJECT, MATRIX_GROUP, "member", None)
            .await
            .unwrap();
        owner
            .put_secret(PROJECT, ENV, KEY, "first value", None)
            .await
            .unwrap();
        owner
            .put_secret(PROJECT, ENV, KEY, "second value", Some("rotated"))
            .await
            .unwrap();
        owner
            .put_secret(PROJECT, OTHER_ENV, KEY, "staging value", None)
            .await
            .unwrap();
        owner
            .put_secret(PROJECT, OTHER_ENV, KEY, "staging value 2", None)
            .await
            .unwrap();
        let outsider = self.client(Principal::Outsider);
        outsider
            .create_project(&NewProject {
                name: "Other app".into(),
                slug: Some(OTHER_PROJECT.into()),
                ..Default::default()
            })
            .await
            .unwrap();
    }

    pub fn anonymous(&self) -> Client {
        Client::new(&self.srv.base).unwrap()
    }

    pub fn token(&self, p: Principal) -> &str {
        self.tokens
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    }

    /// A client acting as `p` with its long-lived session.
    pub fn client(&self, p: Principal) -> Client {
        match p {
            Principal::Anonymous => self.anonymous(),
            _ => self.anonymous().with_token(self.token(p)),
        }
    }

    /// As [`World::client`], but signed-in principals get a new session
    /// (for calls that end the session they are made with).
    /// An API session of the SSO account, as `heartlock login --sso` gets.
    async fn sso_session(&self) -> String {
        let user = (self.srv.store)
            .user_by_email(SSO_USER)
            .await
            .unwrap()
            .unwrap();
        let system = heartlock_domain::Principal::system("test");
        heartlock_domain::users::start_session(&self.srv.state, &system, user)
            .await
            .unwrap()
            .access_token
    }

    pub async fn fresh_session(&self, p: Principal) -> Client {
        if p == Principal::SsoMember {
            return self.anonymous().with_token(self.sso_session().await);
        }
        match p.email() {
            Some(email) => {
                let t = self.anonymous().login(email, PASSWORD).await.unwrap();
                self.anonymous().with_token(t.access_token)
            }
            None => self.client(p),
        }
    }

    pub fn user_id(&self, email: &str) -> &str {
        self.ids
            .iter()
            .find(|(e, _)| e == email)
            .map(|(_, id)| id.as_str())
            .unwrap()
    }

    /// A name never used before in this world (slugs, emails, keys).
    pub fn unique(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.counter.fetch_add(1, Ordering::Relaxed))
    }

    /// A project to destroy, with the same members as the main one.
    pub async fn throwaway_project(&self) -> String {
        let slug = self.unique("doomed");
        let owner = self.client(Principal::Owner);
        let new = NewProject {
            name: slug.clone(),
            slug: Some(slug.clone()),
            environments: Some(vec![ENV.into()]),
            org: None,
        };
        owner.create_project(&new).await.unwrap();
        for (p, role) in [
            (Principal::Viewer, "viewer"),
            (Principal::Member, "member"),
            (Principal::Admin, "admin"),
            (Principal::SsoMember, "member"),
        ] {
            owner
                .add_member(&slug, p.email().unwrap(), role)
                .await
                .unwrap();
        }
        owner
            .add_member_in(&slug, LIMITED, "member", Some(&[ENV.into()]))
            .await
            .unwrap();
        owner
            .grant_group(&slug, MATRIX_GROUP, "member", None)
            .await
            .unwrap();
        slug
    }
}

/// A service token limited to `ENV`.
pub fn token_request(access: &str) -> NewToken {
    NewToken {
        name: format!("ci {access}"),
        environments: vec![ENV.into()],
        access: access.into(),
        ..Default::default()
    }
}

fn claims(token: &str) -> serde_json::Value {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.set_issuer(&["heartlock"]);
    let key = jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes());
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
        .unwrap()
        .claims
}

/// The same user and live session, signed with the real key, expired.
pub fn expired(token: &str) -> String {
    let mut c = claims(token);
    let now = c["iat"].as_i64().unwrap();
    c["iat"] = (now - 7200).into();
    c["exp"] = (now - 60).into();
    let key = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &c,
        &key,
    )
    .unwrap();
    // Sanity: the session is live and only the expiry is wrong.
    assert_eq!(claims_unchecked(&token)["sid"], c["sid"]);
    token
}

fn claims_unchecked(token: &str) -> serde_json::Value {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.validate_exp = false;
    v.set_issuer(&["heartlock"]);
    let key = jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes());
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
        .unwrap()
        .claims
}

/// A valid token with one signature character changed. The last character
/// of base64url can carry padding bits only, so change one in the middle.
pub fn tampered(token: &str) -> String {
    let sig_start = token.rfind('.').unwrap() + 1;
    let i = sig_start + (token.len() - sig_start) / 2;
    let mut bytes = token.as_bytes().to_vec();
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// Every (method, path) the server answers: the OpenAPI document generated
/// from the route definitions, plus the routes outside it.
pub fn served_routes() -> BTreeSet<(String, String)> {
    let (_, doc) = heartlock_server::api::routes();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), format!("/api/v1{path}")));
            }
        }
    }
    for (m, p) in [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        // Mounted only when metrics are on (the matrix's server has them off).
        ("GET", "/metrics"),
        ("GET", "/api/v1/openapi.json"),
    ] {
        out.insert((m.into(), p.into()));
    }
    out
}

/// A grid of cells, one line per labelled row, a column per principal.
pub fn render(labels: &[String], grid: &[Vec<String>]) -> String {
    let width = labels.iter().map(|l| l.len()).max().unwrap_or(0) + 2;
    let mut out = format!("{:<width$}", "route");
    for p in Principal::ALL {
        out.push_str(&format!("{:>10}", p.name()));
    }
    out.push('\n');
    for (label, cells) in labels.iter().zip(grid) {
        out.push_str(&format!("{label:<width$}"));
        for cell in cells {
            out.push_str(&format!("{cell:>10}"));
        }
        out.push('\n');
    }
    out
}
