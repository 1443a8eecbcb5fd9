//! The authorization matrix of the web UI: EVERY route of `web::ROUTES`
//! against every kind of visitor, with the exact answer expected in each
//! cell. A web route added without a row here fails the test. Requests go
//! through real browser sessions (the login form, cookie jars, CSRF tokens
//! scraped from the pages); every form carries a valid CSRF token, so a
//! cell tests authorization, not CSRF. Destructive forms act on throwaway
//! fixtures made for the cell, and where the form's effect can be read back
//! from the store, a refused form must also have changed nothing.
#[path = "common/web.rs"]
pub(crate) mod web;

#[path = "common/web_expect.rs"]
mod expect;

use expect::{Expect, short, title};
use std::collections::BTreeSet;
use web::{ENV, KEY, LOGIN_USER, OTHER_PROJECT, PASSWORD, PROJECT, Principal, Reply, World};

#[derive(Debug, Clone, Copy)]
enum Op {
    Home,
    LoginPage,
    Login,
    RegisterPage,
    /// Single sign-on is off in this matrix: its pages do not exist.
    OidcLogin,
    OidcCallback,
    OidcLinkPage,
    OidcLink,
    Register,
    Logout,
    SetLocale,
    Account,
    ChangePassword,
    SavePreferences,
    SignOutEverywhere,
    Static,
    /// Browser push (web::push): the service worker and the account's own
    /// subscriptions.
    ServiceWorker,
    PushSubscribe,
    PushUnsubscribe,
    PushTest,
    PushDelete,
    OnboardingPage,
    Onboarding,
    OnboardingTestDb,
    AdminIndex,
    AdminUsers,
    AdminSetRole,
    AdminDisable,
    AdminEnable,
    AdminAudit,
    AdminStatus,
    AdminOidc,
    AdminOidcSave,
    AdminOidcRemove,
    Projects,
    CreateProject,
    Grid,
    AddSecret,
    Import,
    Export,
    Reveal,
    Save,
    Edit,
    DeleteSecret,
    History,
    Rollback,
    Environments,
    CreateEnv,
    RenameEnv,
    MoveEnv,
    DeleteEnv,
    /// "Notify me" on an environment, and stopping it.
    Watch,
    Unwatch,
    Members,
    AddMember,
    /// Granting the owner role takes an owner.
    AddOwner,
    ChangeRole,
    /// Taking the owner role away takes an owner.
    DemoteOwner,
    /// A user who is a member of the other project only: not found here.
    ChangeRoleForeign,
    RemoveMember,
    /// Removing an owner takes an owner.
    RemoveOwner,
    RemoveForeignMember,
    /// Granting a role to an identity-provider group.
    GrantGroup,
    /// Granting the owner role to a group takes an owner.
    GrantGroupOwner,
    ChangeGroupGrant,
    RemoveGroupGrant,
    /// Inviting an email address; an owner invitation takes an owner.
    Invite,
    InviteOwner,
    ResendInvitation,
    RevokeInvitation,
    /// The public invitation link page and its form (an unknown link here).
    InvitePage,
    AcceptInvite,
    Tokens,
    CreateToken,
    RevokeToken,
    /// A token of the other project, through this project's route.
    RevokeForeignToken,
    ProjectAudit,
    /// Share links (web::shares): the public recipient page of a live link
    /// and of an unknown one, the sender's pages (the form also prefilled
    /// from a secret), revoking the owner's link, a project's switch.
    ShareOpen,
    ShareOpenGone,
    Shares,
    ShareNew,
    ShareNewFromSecret,
    ShareRevoke,
    ProjectSharing,
    /// share.js's creation request (JSON with the CSRF header).
    ShareCreate,
}

/// One row: a route (or a variant of one) and the answer per principal, in
/// the order of [`Principal::ALL`].
struct Row {
    op: Op,
    method: &'static str,
    path: String,
    expect: [Expect; 8],
}

const P: &str = "/projects/{project}";
const K: &str = "/projects/{project}/environments/{env}/secrets/{key}";
/// The concrete pages of the main project.
const MAIN: &str = "/projects/main-app";
const MAIN_KEY: &str = "/projects/main-app/environments/development/secrets/SHARED_KEY";

#[rustfmt::skip]
fn table() -> Vec<Row> {
    use Expect::{Login as L, See};
    let row = |op, method, path: &str, expect| Row { op, method, path: path.to_string(), expect };
    let (ok, no, nf) = (Expect::Status(200), Expect::Status(403), Expect::Status(404));
    // Project pages: reading (viewer and up), writing secrets (member and
    // up), managing (project admin and up); an outsider sees nothing.
    // The member limited to ENV answers as a member: every route here is in ENV
    // (web_env_limits checks the other environments).
    let read = [L, ok, ok, ok, ok, nf, ok, ok];
    let write = |to| [L, no, See(to), See(to), See(to), nf, See(to), See(to)];
    let manage = |to| [L, no, no, See(to), See(to), nf, See(to), no];
    let owners = |to| [L, no, no, no, See(to), nf, See(to), no];
    let admin_page = [L, no, no, no, no, no, ok, no];
    let admin_form = [L, no, no, no, no, no, See("/admin/users"), no];
    let signed_in = |e| [L, e, e, e, e, e, e, e];
    let everyone = |e| [e; 8];
    let envs = "/projects/main-app/environments";
    let members = "/projects/main-app/members";
    //            anon viewer member admin owner outsider srvadmin env-limit
    vec![
        row(Op::Home,              "GET",  "/",                      [See("/login"), See("/projects"), See("/projects"), See("/projects"), See("/projects"), See("/projects"), See("/projects"), See("/projects")]),
        row(Op::LoginPage,         "GET",  "/login",                 [ok, See("/"), See("/"), See("/"), See("/"), See("/"), See("/"), See("/")]),
        // From a throwaway browser (signing in replaces its session).
        row(Op::Login,             "POST", "/login",                 everyone(See("/"))),
        row(Op::RegisterPage,      "GET",  "/register",              everyone(ok)),
        row(Op::Register,          "POST", "/register",              everyone(See("/projects"))),
        row(Op::Logout,            "POST", "/logout",                everyone(See("/login"))),
        row(Op::OidcLogin,         "GET",  "/oauth/login",           everyone(nf)),
        row(Op::OidcCallback,      "GET",  "/oauth/callback",        everyone(nf)),
        row(Op::OidcLinkPage,      "GET",  "/oauth/link",            everyone(nf)),
        row(Op::OidcLink,          "POST", "/oauth/link",            everyone(nf)),
        row(Op::SetLocale,         "POST", "/set-locale",            everyone(See("/"))),
        row(Op::Account,           "GET",  "/account",               signed_in(ok)),
        row(Op::ChangePassword,    "POST", "/account/password",      signed_in(See("/account"))),
        row(Op::SavePreferences,   "POST", "/account/preferences",   signed_in(See("/account"))),
        row(Op::SignOutEverywhere, "POST", "/account/sign-out-everywhere", signed_in(See("/login"))),
        row(Op::Static,            "GET",  "/static/{*path}",        everyone(ok)),
        row(Op::ServiceWorker,     "GET",  "/sw.js",                 everyone(ok)),
        row(Op::PushSubscribe,     "POST", "/account/push/subscribe", signed_in(Expect::Status(201))),
        row(Op::PushUnsubscribe,   "POST", "/account/push/unsubscribe", signed_in(Expect::Status(204))),
        row(Op::PushTest,          "POST", "/account/push/test",     signed_in(See("/account#push"))),
        row(Op::PushDelete,        "POST", "/account/push/{id}/delete", signed_in(See("/account#push"))),
        // An administrator exists: the wizard is gone for everyone.
        row(Op::OnboardingPage,    "GET",  "/onboarding",            everyone(nf)),
        row(Op::Onboarding,        "POST", "/onboarding",            everyone(nf)),
        row(Op::OnboardingTestDb,  "POST", "/onboarding/test-database", everyone(nf)),
        row(Op::AdminIndex,        "GET",  "/admin",                 [L, no, no, no, no, no, See("/admin/users"), no]),
        row(Op::AdminUsers,        "GET",  "/admin/users",           admin_page),
        row(Op::AdminSetRole,      "POST", "/admin/users/{user_id}/role",    admin_form),
        row(Op::AdminDisable,      "POST", "/admin/users/{user_id}/disable", admin_form),
        row(Op::AdminEnable,       "POST", "/admin/users/{user_id}/enable",  admin_form),
        row(Op::AdminAudit,        "GET",  "/admin/audit",           admin_page),
        row(Op::AdminStatus,       "GET",  "/admin/status",          admin_page),
        row(Op::AdminOidc,         "GET",  "/admin/oidc",            admin_page),
        row(Op::AdminOidcSave,     "POST", "/admin/oidc",            [L, no, no, no, no, no, See("/admin/oidc"), no]),
        row(Op::AdminOidcRemove,   "POST", "/admin/oidc/remove",     [L, no, no, no, no, no, See("/admin/oidc"), no]),
        row(Op::Projects,          "GET",  "/projects",              signed_in(ok)),
        row(Op::CreateProject,     "POST", "/projects",              signed_in(See("/projects/created-*"))),
        row(Op::Grid,              "GET",  P,                        read),
        row(Op::AddSecret,         "POST", &format!("{P}/secrets"),  write(MAIN)),
        row(Op::Import,            "POST", &format!("{P}/import"),   write(MAIN)),
        row(Op::Export,            "GET",  &format!("{P}/export"),   read),
        row(Op::Reveal,            "GET",  K,                        read),
        row(Op::Save,              "POST", K,                        write(MAIN)),
        row(Op::Edit,              "GET",  &format!("{K}/edit"),     [L, no, ok, ok, ok, nf, ok, ok]),
        row(Op::DeleteSecret,      "POST", &format!("{K}/delete"),   write(MAIN)),
        row(Op::History,           "GET",  &format!("{K}/history"),  read),
        row(Op::Rollback,          "POST", &format!("{K}/rollback"), write("/projects/main-app/environments/development/secrets/SHARED_KEY/history")),
        row(Op::Environments,      "GET",  &format!("{P}/environments"), read),
        row(Op::CreateEnv,         "POST", &format!("{P}/environments"), manage(envs)),
        row(Op::RenameEnv,         "POST", &format!("{P}/environments/{{env}}/rename"), manage(envs)),
        row(Op::MoveEnv,           "POST", &format!("{P}/environments/{{env}}/move"),   manage(envs)),
        row(Op::DeleteEnv,         "POST", &format!("{P}/environments/{{env}}/delete"), manage(envs)),
        // Anyone who may read the environment watches it (for themselves).
        row(Op::Watch,             "POST", &format!("{P}/environments/{{env}}/watch"),   [L, See(envs), See(envs), See(envs), See(envs), nf, See(envs), See(envs)]),
        row(Op::Unwatch,           "POST", &format!("{P}/environments/{{env}}/unwatch"), [L, See(envs), See(envs), See(envs), See(envs), nf, See(envs), See(envs)]),
        row(Op::Members,           "GET",  &format!("{P}/members"),  read),
        row(Op::AddMember,         "POST", &format!("{P}/members"),  manage(members)),
        row(Op::AddOwner,          "POST", &format!("{P}/members"),  owners(members)),
        row(Op::ChangeRole,        "POST", &format!("{P}/members/{{user_id}}/role"),   manage(members)),
        row(Op::DemoteOwner,       "POST", &format!("{P}/members/{{user_id}}/role"),   owners(members)),
        row(Op::ChangeRoleForeign, "POST", &format!("{P}/members/{{user_id}}/role"),   [L, no, no, nf, nf, nf, nf, no]),
        row(Op::RemoveMember,      "POST", &format!("{P}/members/{{user_id}}/remove"), manage(members)),
        row(Op::RemoveOwner,       "POST", &format!("{P}/members/{{user_id}}/remove"), owners(members)),
        row(Op::RemoveForeignMember, "POST", &format!("{P}/members/{{user_id}}/remove"), [L, no, no, nf, nf, nf, nf, no]),
        row(Op::GrantGroup,        "POST", &format!("{P}/group-grants"),        manage(members)),
        row(Op::GrantGroupOwner,   "POST", &format!("{P}/group-grants"),        owners(members)),
        row(Op::ChangeGroupGrant,  "POST", &format!("{P}/group-grants/change"), manage(members)),
        row(Op::RemoveGroupGrant,  "POST", &format!("{P}/group-grants/remove"), manage(members)),
        row(Op::Invite,            "POST", &format!("{P}/invitations"),  manage(members)),
        row(Op::InviteOwner,       "POST", &format!("{P}/invitations"),  owners(members)),
        row(Op::ResendInvitation,  "POST", &format!("{P}/invitations/{{invitation_id}}/resend"), manage(members)),
        row(Op::RevokeInvitation,  "POST", &format!("{P}/invitations/{{invitation_id}}/revoke"), manage(members)),
        row(Op::InvitePage,        "GET",  "/invite/{token}",        everyone(nf)),
        row(Op::AcceptInvite,      "POST", "/invite/{token}",        everyone(nf)),
        row(Op::Tokens,            "GET",  &format!("{P}/tokens"),   [L, no, no, ok, ok, nf, ok, no]),
        // The new token is shown once, on the page answering the form.
        row(Op::CreateToken,       "POST", &format!("{P}/tokens"),   [L, no, no, Expect::Status(201), Expect::Status(201), nf, Expect::Status(201), no]),
        row(Op::RevokeToken,       "POST", &format!("{P}/tokens/{{token_id}}/revoke"), manage("/projects/main-app/tokens")),
        row(Op::RevokeForeignToken, "POST", &format!("{P}/tokens/{{token_id}}/revoke"), [L, no, no, nf, nf, nf, nf, no]),
        row(Op::ProjectAudit,      "GET",  &format!("{P}/audit"),    [L, no, no, ok, ok, nf, ok, no]),
        // Share links: the link is the credential; a GET consumes nothing.
        row(Op::ShareOpen,         "GET",  "/s/{id}",                everyone(ok)),
        row(Op::ShareOpenGone,     "GET",  "/s/{id}",                everyone(nf)),
        row(Op::Shares,            "GET",  "/shares",                signed_in(ok)),
        row(Op::ShareNew,          "GET",  "/shares/new",            signed_in(ok)),
        row(Op::ShareNewFromSecret, "GET", "/shares/new",            read),
        // Only its creator (the owner) revokes a link; to others it does not exist.
        row(Op::ShareRevoke,       "POST", "/shares/{id}/revoke",    [L, nf, nf, nf, See("/shares"), nf, nf, nf]),
        row(Op::ProjectSharing,    "POST", &format!("{P}/sharing"),  manage(envs)),
        // Anonymous creation is off by default: a person signs in first.
        row(Op::ShareCreate,       "POST", "/shares",                [Expect::Status(401), Expect::Status(201), Expect::Status(201), Expect::Status(201), Expect::Status(201), Expect::Status(201), Expect::Status(201), Expect::Status(201)]),
    ]
}

/// Performs `op` as `p` on fresh fixtures. Returns the answer and, for forms
/// whose effect can be read back, whether the change landed.
async fn run(w: &mut World, op: Op, p: Principal) -> (Reply, Option<bool>) {
    let key_url = |key: &str| format!("{MAIN}/environments/{ENV}/secrets/{key}");
    let b = w.browser(p);
    match op {
        Op::Home => (b.get("/").await, None),
        Op::LoginPage => (b.get("/login").await, None),
        Op::Login => {
            let fresh = w.fresh(p).await;
            let r = fresh
                .post("/login", &[("email", LOGIN_USER), ("password", PASSWORD)])
                .await;
            (r, None)
        }
        Op::RegisterPage => (b.get("/register").await, None),
        Op::OidcLogin => (b.get("/oauth/login").await, None),
        Op::OidcCallback => (b.get("/oauth/callback?code=c&state=s").await, None),
        Op::OidcLinkPage => (b.get("/oauth/link").await, None),
        Op::OidcLink => (b.post("/oauth/link", &[("password", PASSWORD)]).await, None),
        Op::Register => {
            let email = format!("{}@example.com", w.unique("registered"));
            let fresh = w.fresh(p).await;
            let form = [
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("display_name", "Registered"),
            ];
            let r = fresh.post("/register", &form).await;
            let landed = w.srv.store.user_by_email(&email).await.unwrap();
            (r, Some(landed.is_some()))
        }
        Op::Logout => (w.fresh(p).await.post("/logout", &[]).await, None),
        Op::SetLocale => (
            b.post("/set-locale", &[("locale", "en"), ("next", "/")])
                .await,
            None,
        ),
        Op::Account => (b.get("/account").await, None),
        // The same password again: the long-lived session survives.
        Op::ChangePassword => {
            let form = [("current_password", PASSWORD), ("new_password", PASSWORD)];
            (b.post("/account/password", &form).await, None)
        }
        Op::SavePreferences => {
            let form = [("language", ""), ("notify_new_sign_in", "on")];
            (b.post("/account/preferences", &form).await, None)
        }
        // Ends every session of the user, the long-lived one included.
        Op::SignOutEverywhere => {
            let r = w
                .fresh(p)
                .await
                .post("/account/sign-out-everywhere", &[])
                .await;
            w.sign_in_again(p).await;
            (r, None)
        }
        Op::Static => (b.get("/static/app.css").await, None),
        Op::Projects => (b.get("/projects").await, None),
        Op::CreateProject => {
            let slug = w.unique("created");
            let r = b
                .post("/projects", &[("name", &slug), ("slug", &slug)])
                .await;
            let landed = w.srv.store.project_by_slug(&slug).await.unwrap();
            (r, Some(landed.is_some()))
        }
        Op::Grid => (b.get(MAIN).await, None),
        Op::AddSecret => {
            let key = w.unique_key("added");
            let form = [
                ("key", key.as_str()),
                ("value", "added value"),
                ("environment", ENV),
                ("comment", "matrix"),
            ];
            let r = b.post(&format!("{MAIN}/secrets"), &form).await;
            (r, Some(w.secret_version(&key).await.is_some()))
        }
        Op::Import => {
            let key = w.unique_key("imported");
            let content = format!("{key}=imported\n");
            let form = [("environment", ENV), ("content", content.as_str())];
            let r = b.post(&format!("{MAIN}/import"), &form).await;
            (r, Some(w.secret_version(&key).await.is_some()))
        }
        Op::Export => (
            b.get(&format!("{MAIN}/export?environment={ENV}")).await,
            None,
        ),
        Op::Reveal => (b.get(MAIN_KEY).await, None),
        Op::Save => {
            let before = w.secret_version(KEY).await;
            let form = [("value", "saved value"), ("comment", "matrix")];
            let r = b.post(MAIN_KEY, &form).await;
            (r, Some(w.secret_version(KEY).await != before))
        }
        Op::Edit => (b.get(&format!("{MAIN_KEY}/edit")).await, None),
        Op::DeleteSecret => {
            let key = w.unique_key("doomed");
            w.put_secret(&key, "short-lived").await;
            let r = w
                .browser(p)
                .post(&format!("{}/delete", key_url(&key)), &[])
                .await;
            (r, Some(w.secret_version(&key).await.is_none()))
        }
        Op::History => (b.get(&format!("{MAIN_KEY}/history")).await, None),
        Op::Rollback => {
            let before = w.secret_version(KEY).await;
            let r = b
                .post(&format!("{MAIN_KEY}/rollback"), &[("version", "1")])
                .await;
            (r, Some(w.secret_version(KEY).await != before))
        }
        Op::Environments => (b.get(&format!("{MAIN}/environments")).await, None),
        Op::CreateEnv => {
            let slug = w.unique("created-env");
            let form = [("slug", slug.as_str()), ("name", "Created")];
            let r = b.post(&format!("{MAIN}/environments"), &form).await;
            (r, Some(w.environment(&slug).await.is_some()))
        }
        Op::RenameEnv => {
            let env = w.throwaway_env().await;
            let r = w
                .browser(p)
                .post(
                    &format!("{MAIN}/environments/{}/rename", env.slug),
                    &[("name", "Renamed")],
                )
                .await;
            let now = w.environment(&env.slug).await.unwrap();
            (r, Some(now.name == "Renamed"))
        }
        Op::MoveEnv => {
            // The newest environment is last: up moves it.
            let env = w.throwaway_env().await;
            let r = w
                .browser(p)
                .post(
                    &format!("{MAIN}/environments/{}/move", env.slug),
                    &[("direction", "up")],
                )
                .await;
            let now = w.environment(&env.slug).await.unwrap();
            (r, Some(now.position != env.position))
        }
        Op::DeleteEnv => {
            let env = w.throwaway_env().await;
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/environments/{}/delete", env.slug), &[])
                .await;
            (r, Some(w.environment(&env.slug).await.is_none()))
        }
        Op::Members => (b.get(&format!("{MAIN}/members")).await, None),
        Op::Tokens => (b.get(&format!("{MAIN}/tokens")).await, None),
        Op::CreateToken => {
            let name = w.unique("created-token");
            let form = [
                ("name", name.as_str()),
                ("env", ENV),
                ("access", "read_write"),
                ("expires_in_days", "30"),
                ("allowed_cidrs", ""),
            ];
            let r = b.post(&format!("{MAIN}/tokens"), &form).await;
            (r, Some(w.token(&name).await.is_some()))
        }
        Op::RevokeToken => {
            let t = w.throwaway_token().await;
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/tokens/{}/revoke", t.id), &[])
                .await;
            let now = w.token(&t.name).await.unwrap();
            (r, Some(now.revoked_at.is_some()))
        }
        Op::RevokeForeignToken => {
            let name = w.unique("foreign-token");
            let form = [("name", name.as_str()), ("env", ENV), ("access", "read")];
            let r = w
                .browser(Principal::Outsider)
                .post(&format!("/projects/{OTHER_PROJECT}/tokens"), &form)
                .await;
            assert_eq!(r.status, 201, "outsider creates a token: {}", r.body);
            let other = w.other_project_id().await;
            let find = |tokens: Vec<heartlock_store::TokenRecord>| {
                tokens.into_iter().find(|t| t.name == name).unwrap()
            };
            let t = find(w.srv.store.project_tokens(&other).await.unwrap());
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/tokens/{}/revoke", t.id), &[])
                .await;
            let now = find(w.srv.store.project_tokens(&other).await.unwrap());
            (r, Some(now.revoked_at.is_some()))
        }
        Op::ProjectAudit => (b.get(&format!("{MAIN}/audit")).await, None),
        op @ (Op::AddMember
        | Op::AddOwner
        | Op::ChangeRole
        | Op::DemoteOwner
        | Op::ChangeRoleForeign
        | Op::RemoveForeignMember
        | Op::RemoveMember
        | Op::RemoveOwner
        | Op::GrantGroup
        | Op::GrantGroupOwner
        | Op::ChangeGroupGrant
        | Op::RemoveGroupGrant
        | Op::ServiceWorker
        | Op::PushSubscribe
        | Op::PushUnsubscribe
        | Op::PushDelete
        | Op::PushTest
        | Op::Watch
        | Op::Unwatch
        | Op::Invite
        | Op::InviteOwner
        | Op::ResendInvitation
        | Op::RevokeInvitation
        | Op::InvitePage
        | Op::AcceptInvite) => more::run(w, op, p).await,
        op @ (Op::ShareOpen
        | Op::ShareOpenGone
        | Op::Shares
        | Op::ShareNew
        | Op::ShareNewFromSecret
        | Op::ShareRevoke
        | Op::ProjectSharing
        | Op::ShareCreate) => shares::run(w, op, p).await,
        op @ (Op::OnboardingPage
        | Op::Onboarding
        | Op::OnboardingTestDb
        | Op::AdminIndex
        | Op::AdminUsers
        | Op::AdminSetRole
        | Op::AdminDisable
        | Op::AdminEnable
        | Op::AdminAudit
        | Op::AdminStatus
        | Op::AdminOidc
        | Op::AdminOidcSave
        | Op::AdminOidcRemove) => admin::run(w, op, p).await,
    }
}

backend_test!(
    every_web_route_against_every_principal,
    |backend| async move {
        let rows = table();
        let listed: BTreeSet<(String, String)> = rows
            .iter()
            .map(|r| (r.method.to_string(), r.path.clone()))
            .collect();
        let served: BTreeSet<(String, String)> = heartlock_server::web::ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        let missing: Vec<_> = served.difference(&listed).collect();
        let stale: Vec<_> = listed.difference(&served).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "web routes without a matrix row: {missing:?}; rows for routes that do not exist: {stale:?}"
        );

        assert_eq!(MAIN, format!("/projects/{PROJECT}"));
        assert_eq!(MAIN_KEY, format!("{MAIN}/environments/{ENV}/secrets/{KEY}"));
        let mut w = World::start(backend).await;
        let mut grid = Vec::with_capacity(rows.len());
        let mut failures = Vec::new();
        for row in &rows {
            let mut cells = Vec::with_capacity(Principal::ALL.len());
            for (i, p) in Principal::ALL.into_iter().enumerate() {
                let want = row.expect[i];
                let (reply, landed) = run(&mut w, row.op, p).await;
                let what = format!("{} {} ({:?}) as {}", row.method, row.path, row.op, p.name());
                let cell = if !want.matches(&reply) {
                    failures.push(format!(
                        "{what}: expected {want:?}, got {} {}{}",
                        reply.status,
                        reply.location,
                        title(&reply.body)
                    ));
                    format!("{}!{}", want.short(), short(&reply))
                } else if landed.is_some_and(|l| l != want.allowed()) {
                    failures.push(format!(
                        "{what}: answered {} but the change {}",
                        reply.status,
                        if want.allowed() {
                            "did not land"
                        } else {
                            "landed anyway"
                        }
                    ));
                    format!("{}!effect", want.short())
                } else {
                    want.short()
                };
                cells.push(cell);
            }
            grid.push(cells);
        }
        assert!(
            failures.is_empty(),
            "\n{}\n{} wrong cell(s) (expected!got):\n{}",
            web::render(
                &rows
                    .iter()
                    .map(|r| format!("{} {} ({:?})", r.method, r.path, r.op))
                    .collect::<Vec<_>>(),
                &grid
            ),
            failures.len(),
            failures.join("\n")
        );
        // The outsider's own project stays theirs (a sanity check that 404 on
        // the main project is about access, not a broken outsider).
        let r = w
            .browser(Principal::Outsider)
            .get(&format!("/projects/{OTHER_PROJECT}"))
            .await;
        assert_eq!(r.status, 200);
        // Lists answer 200 to everyone signed in, so what they list is checked
        // here: the main project appears exactly for those who may open it.
        let link = format!("href=\"{MAIN}\"");
        for p in Principal::ALL.into_iter().filter(|p| p.email().is_some()) {
            let b = w.browser(p);
            let page = b.get("/projects?q=main").await;
            let fragment = b.hx("/projects?q=main").await;
            let may = p != Principal::Outsider;
            assert_eq!(
                (
                    page.status,
                    page.body.contains(&link),
                    fragment.body.contains(&link)
                ),
                (200, may, may),
                "the projects list as {}",
                p.name()
            );
        }
        w.srv.stop().await;
    }
);

mod admin;
mod more;
mod shares;
mod variants;
