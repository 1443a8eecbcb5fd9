//! The authorization matrix: EVERY route of the router against every kind
//! of caller, with the exact status expected in each cell. A route added to
//! the router without a row here fails the test. Requests go through
//! heartlock-client, so this is also the client's end-to-end test (its typed
//! methods only succeed on the exact success status of their route).
#[path = "common/api.rs"]
mod api;

use api::{
    ENV, EXTRA, KEY, LOGIN_USER, OTHER_ENV, PASSWORD, PROJECT, PROMOTED, Principal, TARGET, VICTIM,
    VICTIM_OWNER, World, token_request,
};
use heartlock_client::{
    AuditQuery, BatchWrite, ClientError, EnvironmentUpdate, NewProject, NewUser, PageParams,
    ProjectQuery, ProjectUpdate, UserUpdate,
};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy)]
enum Op {
    Healthz,
    Readyz,
    Metrics,
    OpenApi,
    Register,
    LoginGood,
    LoginBad,
    RefreshGood,
    RefreshUnknown,
    SsoExchange,
    Logout,
    ChangePassword,
    Me,
    GetPreferences,
    PutPreferences,
    ListProjects,
    CreateProject,
    GetProject,
    UpdateProject,
    DeleteProject,
    ListEnvs,
    CreateEnv,
    UpdateEnv,
    DeleteEnv,
    ListMembers,
    AddMember,
    AddOwner,
    UpdateMember,
    RemoveMember,
    RemoveOwner,
    ListGroupGrants,
    GrantGroup,
    GrantGroupOwner,
    UpdateGroupGrant,
    RevokeGroupGrant,
    ListInvitations,
    Invite,
    InviteOwner,
    ResendInvitation,
    RevokeInvitation,
    AcceptInvitation,
    ListTokens,
    CreateToken,
    RevokeToken,
    ListSecrets,
    Batch,
    Import,
    Export,
    GetSecret,
    GetSecretOutside,
    PutSecret,
    DeleteSecret,
    Versions,
    Rollback,
    Compare,
    AuditAll,
    AuditProject,
    ListUsers,
    CreateUser,
    UpdateUser,
    ListOutbox,
    GetWatch,
    PutWatch,
    DeleteWatch,
    ListWatches,
    PushKey,
    ListPushSubs,
    SubscribePush,
    DeletePushSub,
    TestPush,
    CreateShare,
    ListShares,
    RevokeShare,
    PublicShare,
    RevealShare,
    ShareCounts,
    GetSharing,
    PutSharing,
    /// The OIDC admin routes; `true` = the documented `/admin/oidc/`.
    GetOidc(bool),
    PutOidc(bool),
    PatchOidc(bool),
    DeleteOidc(bool),
}

/// One row: a route (or a variant of one) and the status per principal, in
/// the order of [`Principal::ALL`].
struct Row {
    op: Op,
    method: &'static str,
    path: String,
    expect: [u16; 13],
    /// The environment of the environment routes.
    env: &'static str,
}

const P: &str = "/api/v1/projects/{project}";
const E: &str = "/api/v1/projects/{project}/environments/{env}";

#[rustfmt::skip]
fn table() -> Vec<Row> {
    let row = |op, method, path: &str, expect| Row { op, method, path: path.to_string(), expect, env: ENV };
    // The same route in `OTHER_ENV`: outside the tokens' set and the limited member's.
    let outside = |op, method, path: &str, expect| Row { op, method, path: path.to_string(), expect, env: OTHER_ENV };
    //            anon expired tampered viewer member admin owner outsider srvadmin token-ro token-rw token-q env-limit
    vec![
        row(Op::Healthz,        "GET",    "/healthz",               [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(Op::Readyz,         "GET",    "/readyz",                [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        // Off by default (docs/metrics.md): absent for every caller.
        row(Op::Metrics,        "GET",    "/metrics",               [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        row(Op::OpenApi,        "GET",    "/api/v1/openapi.json",   [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        // A presented but invalid token is refused even on public routes.
        row(Op::Register,       "POST",   "/api/v1/auth/register",  [201, 401, 401, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201]),
        row(Op::LoginGood,      "POST",   "/api/v1/auth/login",     [200, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(Op::LoginBad,       "POST",   "/api/v1/auth/login",     [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
        row(Op::RefreshGood,    "POST",   "/api/v1/auth/refresh",   [200, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(Op::RefreshUnknown, "POST",   "/api/v1/auth/refresh",   [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
        // Public like sign-in; single sign-on is off in this world, so 404
        // (the codes themselves are tested in api_sso.rs).
        row(Op::SsoExchange,    "POST",   "/api/v1/auth/sso/exchange", [404, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        // Session routes need a user; a service token is not one.
        row(Op::Logout,         "POST",   "/api/v1/auth/logout",    [401, 401, 401, 204, 204, 204, 204, 204, 204, 401, 401, 401, 204]),
        row(Op::ChangePassword, "POST",   "/api/v1/auth/password",  [401, 401, 401, 200, 200, 200, 200, 200, 200, 401, 401, 401, 200]),
        row(Op::Me,             "GET",    "/api/v1/auth/me",        [401, 401, 401, 200, 200, 200, 200, 200, 200, 401, 401, 401, 200]),
        row(Op::GetPreferences, "GET",    "/api/v1/account/preferences", [401, 401, 401, 200, 200, 200, 200, 200, 200, 401, 401, 401, 200]),
        row(Op::PutPreferences, "PUT",    "/api/v1/account/preferences", [401, 401, 401, 200, 200, 200, 200, 200, 200, 401, 401, 401, 200]),
        row(Op::ListProjects,   "GET",    "/api/v1/projects",       [401, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(Op::CreateProject,  "POST",   "/api/v1/projects",       [401, 401, 401, 201, 201, 201, 201, 201, 201, 403, 403, 403, 201]),
        row(Op::GetProject,     "GET",    P,                        [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        row(Op::UpdateProject,  "PATCH",  P,                        [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::DeleteProject,  "DELETE", P,                        [401, 401, 401, 403, 403, 403, 204, 404, 204, 404, 404, 404, 403]),
        row(Op::ListEnvs,       "GET",    &format!("{P}/environments"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        row(Op::CreateEnv,      "POST",   &format!("{P}/environments"), [401, 401, 401, 403, 403, 201, 201, 404, 201, 404, 404, 404, 403]),
        row(Op::UpdateEnv,      "PATCH",  E,                        [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::DeleteEnv,      "DELETE", E,                        [401, 401, 401, 403, 403, 204, 204, 404, 204, 404, 404, 404, 403]),
        // Tokens never see the people.
        row(Op::ListMembers,    "GET",    &format!("{P}/members"),  [401, 401, 401, 200, 200, 200, 200, 404, 200, 404, 404, 404, 200]),
        row(Op::AddMember,      "POST",   &format!("{P}/members"),  [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        // Granting the owner role takes an owner.
        row(Op::AddOwner,       "POST",   &format!("{P}/members"),  [401, 401, 401, 403, 403, 403, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::UpdateMember,   "PATCH",  &format!("{P}/members/{{user_id}}"), [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::RemoveMember,   "DELETE", &format!("{P}/members/{{user_id}}"), [401, 401, 401, 403, 403, 204, 204, 404, 204, 404, 404, 404, 403]),
        row(Op::RemoveOwner,    "DELETE", &format!("{P}/members/{{user_id}}"), [401, 401, 401, 403, 403, 403, 204, 404, 204, 404, 404, 404, 403]),
        // Group grants answer exactly as the member routes do.
        row(Op::ListGroupGrants, "GET",   &format!("{P}/group-grants"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 404, 404, 404, 200]),
        row(Op::GrantGroup,     "POST",   &format!("{P}/group-grants"), [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::GrantGroupOwner, "POST",  &format!("{P}/group-grants"), [401, 401, 401, 403, 403, 403, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::UpdateGroupGrant, "PATCH", &format!("{P}/group-grants/{{group}}"), [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::RevokeGroupGrant, "DELETE", &format!("{P}/group-grants/{{group}}"), [401, 401, 401, 403, 403, 204, 204, 404, 204, 404, 404, 404, 403]),
        // Invitations answer as the member routes do; inviting an owner takes an owner.
        row(Op::ListInvitations, "GET",   &format!("{P}/invitations"), [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::Invite,         "POST",   &format!("{P}/invitations"), [401, 401, 401, 403, 403, 201, 201, 404, 201, 404, 404, 404, 403]),
        row(Op::InviteOwner,    "POST",   &format!("{P}/invitations"), [401, 401, 401, 403, 403, 403, 201, 404, 201, 404, 404, 404, 403]),
        row(Op::ResendInvitation, "POST", &format!("{P}/invitations/{{invitation_id}}/resend"), [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::RevokeInvitation, "DELETE", &format!("{P}/invitations/{{invitation_id}}"), [401, 401, 401, 403, 403, 204, 204, 404, 204, 404, 404, 404, 403]),
        // Public: the link's token is the credential (an unknown one here;
        // accepting itself is tested in invitations.rs).
        row(Op::AcceptInvitation, "POST", "/api/v1/invitations/accept", [404, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        row(Op::ListTokens,     "GET",    &format!("{P}/tokens"),   [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        row(Op::CreateToken,    "POST",   &format!("{P}/tokens"),   [401, 401, 401, 403, 403, 201, 201, 404, 201, 404, 404, 404, 403]),
        row(Op::RevokeToken,    "DELETE", &format!("{P}/tokens/{{token_id}}"), [401, 401, 401, 403, 403, 204, 204, 404, 204, 404, 404, 404, 403]),
        row(Op::ListSecrets,    "GET",    &format!("{E}/secrets"),        [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        row(Op::Batch,          "POST",   &format!("{E}/secrets:batch"),  [401, 401, 401, 403, 200, 200, 200, 404, 200, 403, 200, 404, 200]),
        row(Op::Import,         "POST",   &format!("{E}/secrets:import"), [401, 401, 401, 403, 200, 200, 200, 404, 200, 403, 200, 404, 200]),
        row(Op::Export,         "GET",    &format!("{E}/secrets:export"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        row(Op::GetSecret,      "GET",    &format!("{E}/secrets/{{key}}"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        // The same route in an environment outside the tokens' set.
        row(Op::GetSecretOutside, "GET",  &format!("{E}/secrets/{{key}}"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        row(Op::PutSecret,      "PUT",    &format!("{E}/secrets/{{key}}"), [401, 401, 401, 403, 200, 200, 200, 404, 200, 403, 200, 404, 200]),
        row(Op::DeleteSecret,   "DELETE", &format!("{E}/secrets/{{key}}"), [401, 401, 401, 403, 204, 204, 204, 404, 204, 403, 204, 404, 204]),
        row(Op::Versions,       "GET",    &format!("{E}/secrets/{{key}}/versions"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        row(Op::Rollback,       "POST",   &format!("{E}/secrets/{{key}}/rollback"), [401, 401, 401, 403, 200, 200, 200, 404, 200, 403, 200, 404, 200]),
        // Tokens get 200 too, but only their environments' values (checked in `run`).
        row(Op::Compare,        "GET",    &format!("{P}/secrets/{{key}}/compare"),   [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        // Every environment route again in OTHER_ENV: the limited member gets 404, as the tokens do.
        outside(Op::ListSecrets,    "GET",    &format!("{E}/secrets"),        [401, 401, 401, 200, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        outside(Op::Batch,          "POST",   &format!("{E}/secrets:batch"),  [401, 401, 401, 403, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        outside(Op::Import,         "POST",   &format!("{E}/secrets:import"), [401, 401, 401, 403, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        outside(Op::Export,         "GET",    &format!("{E}/secrets:export"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        outside(Op::GetSecret,      "GET",    &format!("{E}/secrets/{{key}}"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        outside(Op::PutSecret,      "PUT",    &format!("{E}/secrets/{{key}}"), [401, 401, 401, 403, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        outside(Op::DeleteSecret,   "DELETE", &format!("{E}/secrets/{{key}}"), [401, 401, 401, 403, 204, 204, 204, 404, 204, 404, 404, 404, 404]),
        outside(Op::Versions,       "GET",    &format!("{E}/secrets/{{key}}/versions"), [401, 401, 401, 200, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        outside(Op::Rollback,       "POST",   &format!("{E}/secrets/{{key}}/rollback"), [401, 401, 401, 403, 200, 200, 200, 404, 200, 404, 404, 404, 404]),
        // Watches are people's: tokens 403 (before any lookup), anonymous 401.
        row(Op::GetWatch,       "GET",    &format!("{E}/watch"),    [401, 401, 401, 200, 200, 200, 200, 404, 200, 403, 403, 403, 200]),
        row(Op::PutWatch,       "PUT",    &format!("{E}/watch"),    [401, 401, 401, 200, 200, 200, 200, 404, 200, 403, 403, 403, 200]),
        row(Op::DeleteWatch,    "DELETE", &format!("{E}/watch"),    [401, 401, 401, 204, 204, 204, 204, 404, 204, 403, 403, 403, 204]),
        outside(Op::PutWatch,   "PUT",    &format!("{E}/watch"),    [401, 401, 401, 200, 200, 200, 200, 404, 200, 403, 403, 403, 404]),
        row(Op::ListWatches,    "GET",    "/api/v1/watches",        [401, 401, 401, 200, 200, 200, 200, 200, 200, 403, 403, 403, 200]),
        // Push: the server's key is public; subscriptions are people's own.
        row(Op::PushKey,        "GET",    "/api/v1/push/public-key", [200, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(Op::ListPushSubs,   "GET",    "/api/v1/push/subscriptions", [401, 401, 401, 200, 200, 200, 200, 200, 200, 403, 403, 403, 200]),
        row(Op::SubscribePush,  "POST",   "/api/v1/push/subscriptions", [401, 401, 401, 201, 201, 201, 201, 201, 201, 403, 403, 403, 201]),
        // Someone else's subscription is 404 (checked in push.rs); here each user's own.
        row(Op::DeletePushSub,  "DELETE", "/api/v1/push/subscriptions/{id}", [401, 401, 401, 204, 204, 204, 204, 204, 204, 403, 403, 403, 204]),
        row(Op::TestPush,       "POST",   "/api/v1/push/subscriptions/test", [401, 401, 401, 202, 202, 202, 202, 202, 202, 403, 403, 403, 202]),
        // Share links: people make, list and revoke their own (tokens 403);
        // anyone holding a link looks and reveals (invalid tokens still 401).
        row(Op::CreateShare,    "POST",   "/api/v1/shares",         [401, 401, 401, 201, 201, 201, 201, 201, 201, 403, 403, 403, 201]),
        row(Op::ListShares,     "GET",    "/api/v1/shares",         [401, 401, 401, 200, 200, 200, 200, 200, 200, 403, 403, 403, 200]),
        row(Op::RevokeShare,    "DELETE", "/api/v1/shares/{id}",    [401, 401, 401, 204, 204, 204, 204, 204, 204, 403, 403, 403, 204]),
        row(Op::PublicShare,    "GET",    "/api/v1/shares/{id}/public", [200, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(Op::RevealShare,    "POST",   "/api/v1/shares/{id}/reveal", [200, 401, 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(Op::ShareCounts,    "GET",    "/api/v1/admin/shares",   [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::GetSharing,     "GET",    &format!("{P}/sharing"),  [401, 401, 401, 200, 200, 200, 200, 404, 200, 200, 200, 404, 200]),
        row(Op::PutSharing,     "PUT",    &format!("{P}/sharing"),  [401, 401, 401, 403, 403, 200, 200, 404, 200, 404, 404, 404, 403]),
        // Without ?project every user gets (their share of) the log.
        row(Op::AuditAll,       "GET",    "/api/v1/audit",          [401, 401, 401, 200, 200, 200, 200, 200, 200, 401, 401, 401, 200]),
        row(Op::AuditProject,   "GET",    "/api/v1/audit",          [401, 401, 401, 403, 403, 200, 200, 404, 200, 401, 401, 401, 403]),
        row(Op::ListUsers,      "GET",    "/api/v1/admin/users",    [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::CreateUser,     "POST",   "/api/v1/admin/users",    [401, 401, 401, 403, 403, 403, 403, 403, 201, 401, 401, 401, 403]),
        row(Op::UpdateUser,     "PATCH",  "/api/v1/admin/users/{user_id}", [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::ListOutbox,     "GET",    "/api/v1/admin/outbox",   [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::GetOidc(true),     "GET",    "/api/v1/admin/oidc/", [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::PutOidc(true),     "PUT",    "/api/v1/admin/oidc/", [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::PatchOidc(true),   "PATCH",  "/api/v1/admin/oidc/", [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::DeleteOidc(true),  "DELETE", "/api/v1/admin/oidc/", [401, 401, 401, 403, 403, 403, 403, 403, 204, 401, 401, 401, 403]),
        row(Op::GetOidc(false),    "GET",    "/api/v1/admin/oidc",  [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::PutOidc(false),    "PUT",    "/api/v1/admin/oidc",  [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::PatchOidc(false),  "PATCH",  "/api/v1/admin/oidc",  [401, 401, 401, 403, 403, 403, 403, 403, 200, 401, 401, 401, 403]),
        row(Op::DeleteOidc(false), "DELETE", "/api/v1/admin/oidc",  [401, 401, 401, 403, 403, 403, 403, 403, 204, 401, 401, 401, 403]),
    ]
}

/// A browser subscription to a loopback endpoint nobody listens on (DEBUG
/// allows loopback endpoints): fresh keys, a unique endpoint.
fn push_subscription(w: &World) -> (String, String, String) {
    let keys = heartlock_core::webpush::VapidKeys::generate();
    let endpoint = format!("http://127.0.0.1:9/push/{}", w.unique("sub"));
    (
        endpoint,
        keys.public_b64(),
        heartlock_core::webpush::b64url(&[7u8; 16]),
    )
}

/// Performs `op` as `p` (in `env` for the environment routes) on fresh fixtures; Ok is the success status the
/// client method insists on.
async fn run(w: &World, op: Op, p: Principal, env: &str) -> Result<u16, ClientError> {
    let c = w.client(p);
    let owner = w.client(Principal::Owner);
    let page = PageParams::default();
    match op {
        Op::Healthz => c.healthz().await.map(|_| 200),
        Op::Readyz => c.readyz().await.map(|_| 200),
        Op::Metrics => {
            // No client method: a scraper, not the CLI, reads it.
            let mut req = reqwest::Client::new().get(w.srv.url("/metrics"));
            if let Some(t) = c.token() {
                req = req.bearer_auth(t);
            }
            let res = req
                .send()
                .await
                .map_err(|e| ClientError::Decode(e.to_string()))?;
            Ok(res.status().as_u16())
        }
        Op::OpenApi => c.openapi().await.map(|_| 200),
        Op::Register => {
            // More than ten registrations from one address are throttled
            // (see the throttle tests): each cell starts from a fresh count.
            let scope = heartlock_core::throttle::Scope::Registration { ip: "127.0.0.1" };
            w.srv.store.throttle_clear(&scope.key()).await.unwrap();
            c.register(&format!("{}@example.com", w.unique("reg")), PASSWORD, None)
                .await
                .map(|_| 201)
        }
        Op::LoginGood => c.login(LOGIN_USER, PASSWORD).await.map(|_| 200),
        // One account per cell: ten wrong passwords for one account from
        // one address would be throttled (429, see the throttle tests).
        Op::LoginBad => c
            .login(
                &format!("{}@example.com", w.unique("nobody")),
                "not-the-password-at-all",
            )
            .await
            .map(|_| 200),
        Op::RefreshGood => {
            let t = w.anonymous().login(LOGIN_USER, PASSWORD).await.unwrap();
            c.refresh(&t.refresh_token).await.map(|_| 200)
        }
        Op::RefreshUnknown => c.refresh("hl_rt_unknown-token").await.map(|_| 200),
        Op::SsoExchange => c
            .sso_exchange("hl_cc_unknown", &heartlock_core::pkce::new_verifier())
            .await
            .map(|_| 200),
        Op::Logout => w.fresh_session(p).await.logout().await.map(|_| 204),
        // Same password again, from the long-lived session (which survives).
        Op::ChangePassword => c.change_password(PASSWORD, PASSWORD).await.map(|_| 200),
        Op::Me => c.me().await.map(|_| 200),
        Op::GetPreferences => c.preferences().await.map(|_| 200),
        Op::PutPreferences => {
            let p = heartlock_client::preferences::Preferences {
                language: None,
                notify_new_sign_in: true,
            };
            c.set_preferences(&p).await.map(|_| 200)
        }
        Op::ListProjects => c.list_projects(&ProjectQuery::default()).await.map(|_| 200),
        Op::CreateProject => {
            let new = NewProject {
                name: w.unique("created"),
                ..Default::default()
            };
            c.create_project(&new).await.map(|_| 201)
        }
        Op::GetProject => c.get_project(PROJECT).await.map(|_| 200),
        Op::UpdateProject => c
            .update_project(
                PROJECT,
                &ProjectUpdate {
                    name: Some("Main app".into()),
                    org: None,
                },
            )
            .await
            .map(|_| 200),
        Op::DeleteProject => c
            .delete_project(&w.throwaway_project().await)
            .await
            .map(|_| 204),
        Op::ListEnvs => c.list_environments(PROJECT, page).await.map(|_| 200),
        Op::CreateEnv => c
            .create_environment(PROJECT, &w.unique("env"), None)
            .await
            .map(|_| 201),
        Op::UpdateEnv => c
            .update_environment(
                PROJECT,
                ENV,
                &EnvironmentUpdate {
                    name: Some("Development".into()),
                    position: None,
                },
            )
            .await
            .map(|_| 200),
        Op::DeleteEnv => {
            let env = w.unique("doomed-env");
            owner.create_environment(PROJECT, &env, None).await.unwrap();
            c.delete_environment(PROJECT, &env).await.map(|_| 204)
        }
        Op::ListMembers => c.list_members(PROJECT, page).await.map(|_| 200),
        Op::AddMember => c.add_member(PROJECT, TARGET, "viewer").await.map(|_| 200),
        Op::AddOwner => c.add_member(PROJECT, PROMOTED, "owner").await.map(|_| 200),
        Op::UpdateMember => c
            .update_member(PROJECT, w.user_id(EXTRA), "member")
            .await
            .map(|_| 200),
        Op::RemoveMember => {
            owner.add_member(PROJECT, VICTIM, "viewer").await.unwrap();
            c.remove_member(PROJECT, w.user_id(VICTIM))
                .await
                .map(|_| 204)
        }
        Op::RemoveOwner => {
            owner
                .add_member(PROJECT, VICTIM_OWNER, "owner")
                .await
                .unwrap();
            c.remove_member(PROJECT, w.user_id(VICTIM_OWNER))
                .await
                .map(|_| 204)
        }
        Op::ListGroupGrants => c.list_group_grants(PROJECT, page).await.map(|_| 200),
        Op::GrantGroup => c
            .grant_group(PROJECT, &w.unique("group"), "viewer", None)
            .await
            .map(|_| 200),
        Op::GrantGroupOwner => c
            .grant_group(PROJECT, &w.unique("group"), "owner", None)
            .await
            .map(|_| 200),
        Op::UpdateGroupGrant | Op::RevokeGroupGrant => {
            let group = w.unique("group");
            owner
                .grant_group(PROJECT, &group, "viewer", None)
                .await
                .unwrap();
            match op {
                Op::UpdateGroupGrant => c
                    .update_group_grant(PROJECT, &group, "member", None)
                    .await
                    .map(|_| 200),
                _ => c.revoke_group_grant(PROJECT, &group).await.map(|_| 204),
            }
        }
        Op::ListInvitations => c.list_invitations(PROJECT, page).await.map(|_| 200),
        Op::Invite | Op::InviteOwner => {
            let new = heartlock_client::NewInvitation {
                email: format!("{}@example.com", w.unique("invited")),
                role: if matches!(op, Op::InviteOwner) {
                    "owner"
                } else {
                    "viewer"
                }
                .into(),
                ..Default::default()
            };
            c.invite(PROJECT, &new).await.map(|_| 201)
        }
        Op::ResendInvitation | Op::RevokeInvitation => {
            let new = heartlock_client::NewInvitation {
                email: format!("{}@example.com", w.unique("invited")),
                role: "viewer".into(),
                ..Default::default()
            };
            let inv = owner.invite(PROJECT, &new).await.unwrap();
            match op {
                Op::ResendInvitation => c.resend_invitation(PROJECT, &inv.id).await.map(|_| 200),
                _ => c.revoke_invitation(PROJECT, &inv.id).await.map(|_| 204),
            }
        }
        Op::AcceptInvitation => c
            .accept_invitation("hl_inv_unknown-token", Some(PASSWORD), None)
            .await
            .map(|_| 200),
        Op::ListTokens => c.list_tokens(PROJECT, page).await.map(|_| 200),
        Op::CreateToken => c
            .create_token(PROJECT, &token_request("read"))
            .await
            .map(|_| 201),
        Op::RevokeToken => {
            let t = owner
                .create_token(PROJECT, &token_request("read"))
                .await
                .unwrap();
            c.revoke_token(PROJECT, &t.info.id).await.map(|_| 204)
        }
        Op::ListSecrets => c.list_secrets(PROJECT, env, page).await.map(|_| 200),
        Op::Batch => {
            let mut b = BatchWrite {
                comment: Some("matrix".into()),
                ..Default::default()
            };
            b.set.insert("BATCH_KEY".into(), "batch value".into());
            c.batch_write(PROJECT, env, &b).await.map(|_| 200)
        }
        Op::Import => c
            .import_secrets(PROJECT, env, "dotenv", "IMPORTED_KEY=imported\n")
            .await
            .map(|_| 200),
        Op::Export => c.export_secrets(PROJECT, env, None).await.map(|_| 200),
        Op::GetSecret => c.get_secret(PROJECT, env, KEY).await.map(|_| 200),
        Op::GetSecretOutside => c.get_secret(PROJECT, OTHER_ENV, KEY).await.map(|_| 200),
        Op::PutSecret => c
            .put_secret(PROJECT, env, KEY, "put value", Some("matrix"))
            .await
            .map(|_| 200),
        Op::DeleteSecret => {
            owner
                .put_secret(PROJECT, env, "DOOMED_KEY", "short-lived", None)
                .await
                .unwrap();
            c.delete_secret(PROJECT, env, "DOOMED_KEY", Some("matrix"))
                .await
                .map(|_| 204)
        }
        Op::Versions => c
            .secret_versions(PROJECT, env, KEY, page)
            .await
            .map(|_| 200),
        Op::Rollback => c.rollback_secret(PROJECT, env, KEY, 1).await.map(|_| 200),
        Op::Compare => {
            let cmp = c.compare_secret(PROJECT, KEY).await?;
            // A token limited to ENV must not read other environments this way.
            // So must the member limited to ENV.
            let limited = matches!(
                p,
                Principal::TokenRead | Principal::TokenWrite | Principal::Limited
            );
            let leaked: Vec<_> = cmp
                .environments
                .iter()
                .filter(|e| limited && e.environment != ENV && e.value.is_some())
                .map(|e| e.environment.clone())
                .collect();
            if leaked.is_empty() {
                Ok(200)
            } else {
                Err(ClientError::Decode(format!(
                    "200 but reveals values of {leaked:?}"
                )))
            }
        }
        Op::AuditAll => c.list_audit(&AuditQuery::default()).await.map(|_| 200),
        Op::AuditProject => c
            .list_audit(&AuditQuery {
                project: Some(PROJECT.into()),
                ..Default::default()
            })
            .await
            .map(|_| 200),
        Op::ListUsers => c.list_users(page).await.map(|_| 200),
        Op::ListOutbox => c.list_outbox(Some("failed")).await.map(|_| 200),
        Op::GetWatch => c.watch_status(PROJECT, env).await.map(|_| 200),
        Op::PutWatch => c.watch(PROJECT, env, true, false).await.map(|_| 200),
        Op::DeleteWatch => c.unwatch(PROJECT, env).await.map(|_| 204),
        Op::ListWatches => c.list_watches(page).await.map(|_| 200),
        Op::PushKey => c.push_public_key().await.map(|_| 200),
        Op::ListPushSubs => c.list_push_subscriptions(page).await.map(|_| 200),
        Op::SubscribePush => {
            let (endpoint, p256dh, auth) = push_subscription(w);
            c.subscribe_push(&endpoint, &p256dh, &auth)
                .await
                .map(|_| 201)
        }
        Op::DeletePushSub => {
            // The caller's own when it can have one, else the owner's.
            let (endpoint, p256dh, auth) = push_subscription(w);
            let sub = match c.subscribe_push(&endpoint, &p256dh, &auth).await {
                Ok(s) => s,
                Err(_) => owner
                    .subscribe_push(&endpoint, &p256dh, &auth)
                    .await
                    .unwrap(),
            };
            c.delete_push_subscription(&sub.id).await.map(|_| 204)
        }
        Op::TestPush => c.test_push().await.map(|_| 202),
        Op::CreateShare => c.create_share(&new_share()).await.map(|_| 201),
        Op::ListShares => c.list_shares(page).await.map(|_| 200),
        Op::RevokeShare => {
            // The caller's own when it can make one, else the owner's.
            let made = match c.create_share(&new_share()).await {
                Ok(s) => s,
                Err(_) => owner_share(w).await,
            };
            c.revoke_share(&made.id).await.map(|_| 204)
        }
        Op::PublicShare | Op::RevealShare => {
            let made = owner_share(w).await;
            match op {
                Op::PublicShare => c.share_public(&made.id).await.map(|_| 200),
                _ => c.reveal_share(&made.id, &[5u8; 32]).await.map(|_| 200),
            }
        }
        Op::ShareCounts => c.share_counts().await.map(|_| 200),
        Op::GetSharing => c.project_sharing(PROJECT).await.map(|_| 200),
        Op::PutSharing => c.set_project_sharing(PROJECT, true).await.map(|_| 200),
        Op::CreateUser => {
            let new = NewUser {
                email: format!("{}@example.com", w.unique("made")),
                password: PASSWORD.into(),
                ..Default::default()
            };
            c.create_user(&new).await.map(|_| 201)
        }
        Op::UpdateUser => c
            .update_user(
                w.user_id(TARGET),
                &UserUpdate {
                    role: Some("user".into()),
                    disabled: None,
                },
            )
            .await
            .map(|_| 200),
        Op::GetOidc(slash) => c.oidc_settings(slash).await.map(|_| 200),
        Op::PutOidc(slash) => c
            .replace_oidc_settings(slash, &serde_json::json!({ "OIDC_CLIENT_ID": "matrix" }))
            .await
            .map(|_| 200),
        Op::PatchOidc(slash) => c
            .update_oidc_settings(slash, &serde_json::json!({ "OIDC_GROUPS_CLAIM": "teams" }))
            .await
            .map(|_| 200),
        Op::DeleteOidc(slash) => c.delete_oidc_settings(slash).await.map(|_| 204),
    }
}

/// A share the server accepts (it never opens one): 64 opaque bytes and
/// the access value every matrix share uses.
fn new_share() -> heartlock_client::shares::NewShare {
    heartlock_client::shares::NewShare {
        ciphertext: vec![9u8; 64],
        auth: vec![5u8; 32],
        ..Default::default()
    }
}

/// A share of the owner's, past the hourly creation cap (the matrix makes
/// more than a person would: each cell starts from a fresh count).
async fn owner_share(w: &World) -> heartlock_client::Share {
    let owner = Principal::Owner.email().unwrap();
    let creator = format!("user:{}", w.user_id(owner));
    let scope = heartlock_core::throttle::Scope::ShareCreate { creator: &creator };
    w.srv.store.throttle_clear(&scope.key()).await.unwrap();
    w.client(Principal::Owner)
        .create_share(&new_share())
        .await
        .unwrap()
}

backend_test!(every_route_against_every_principal, |backend| async move {
    let rows = table();
    assert!(rows.iter().all(|r| r.expect.len() == Principal::ALL.len()));
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    let served = api::served_routes();
    let missing: Vec<_> = served.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes without a matrix row: {missing:?}; rows for routes that do not exist: {stale:?}"
    );

    let w = World::start(backend).await;
    let mut grid = Vec::with_capacity(rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let mut cells = Vec::with_capacity(Principal::ALL.len());
        for (i, p) in Principal::ALL.into_iter().enumerate() {
            let want = row.expect[i];
            let cell = match run(&w, row.op, p, row.env).await {
                Ok(status) | Err(ClientError::Problem { status, .. }) if status == want => {
                    want.to_string()
                }
                Ok(status) | Err(ClientError::Problem { status, .. }) => {
                    failures.push(format!(
                        "{} {} ({:?}) as {}: expected {want}, got {status}",
                        row.method,
                        row.path,
                        row.op,
                        p.name()
                    ));
                    format!("{want}!{status}")
                }
                Err(other) => {
                    failures.push(format!(
                        "{} {} ({:?}) as {}: expected {want}, got error {other}",
                        row.method,
                        row.path,
                        row.op,
                        p.name()
                    ));
                    format!("{want}!err")
                }
            };
            cells.push(cell);
        }
        grid.push(cells);
    }
    assert!(
        failures.is_empty(),
        "\n{}\n{} wrong cell(s):\n{}",
        api::render(
            &rows
                .iter()
                .map(|r| format!("{} {} ({:?})", r.method, r.path, r.op))
                .collect::<Vec<_>>(),
            &grid
        ),
        failures.len(),
        failures.join("\n")
    );
    w.srv.stop().await;
});

mod round_trips;
mod variants;
