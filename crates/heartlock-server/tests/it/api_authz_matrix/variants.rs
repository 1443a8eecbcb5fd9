//! The matrix's rows again, for callers that must answer like another
//! column (a group-granted member, an SSO-only account) or live on a server
//! with another POLICY_NO_AUTH_DEFAULT (anonymous under view_only and
//! allow_all).
use super::api::{Principal, World};
use super::{Op, run, table};
use heartlock_client::ClientError;

/// What an anonymous caller gets on every row of [`table`] under
/// POLICY_NO_AUTH_DEFAULT `view_only` and `allow_all`: [view_only, allow_all].
/// `view_only` reads what a viewer reads (values included) and writes
/// nothing; `allow_all` acts on every project as an owner would. Neither
/// gives an account: session, account and server-administration routes
/// still need a signed-in user.
#[rustfmt::skip]
fn anonymous_under_policy(op: Op) -> [u16; 2] {
    use Op::*;
    match op {
        Healthz | Readyz | OpenApi | LoginGood | RefreshGood => [200, 200],
        // Off by default whatever the policy.
        Metrics => [404, 404],
        Register => [201, 201],
        LoginBad | RefreshUnknown => [401, 401],
        Logout | ChangePassword | Me | GetPreferences | PutPreferences => [401, 401],
        ListProjects | GetProject | ListEnvs | ListMembers | ListSecrets | Export | GetSecret
        | GetSecretOutside | Versions | Compare => [200, 200],
        CreateProject | CreateEnv | CreateToken => [401, 201],
        UpdateProject | UpdateEnv | AddMember | AddOwner | UpdateMember | Batch | Import
        | PutSecret | Rollback => [401, 200],
        DeleteProject | DeleteEnv | RemoveMember | RemoveOwner | RevokeToken | DeleteSecret => [401, 204],
        ListTokens => [401, 200],
        // The audit log needs a signed-in user under every policy.
        AuditAll | AuditProject => [401, 401],
        // Single sign-on is off in this world.
        SsoExchange => [404, 404],
        ListGroupGrants => [200, 200],
        GrantGroup | GrantGroupOwner | UpdateGroupGrant => [401, 200],
        RevokeGroupGrant => [401, 204],
        // Inviting names an inviter: a signed-in user, whatever the policy.
        ListInvitations => [401, 200],
        Invite | InviteOwner | ResendInvitation => [401, 401],
        RevokeInvitation => [401, 204],
        AcceptInvitation => [404, 404],
        ListUsers | CreateUser | UpdateUser => [401, 401],
        ListOutbox => [401, 401],
        // Watches belong to people: no policy makes an anonymous caller one.
        GetWatch | PutWatch | DeleteWatch | ListWatches => [401, 401],
        PushKey => [200, 200],
        ListPushSubs | SubscribePush | DeletePushSub | TestPush => [401, 401],
        GetOidc(_) | PutOidc(_) | PatchOidc(_) | DeleteOidc(_) => [401, 401],
        // Share links are made by people (anonymous creation is its own
        // setting, off here); anyone with a link looks and reveals.
        CreateShare | ListShares | RevokeShare | ShareCounts => [401, 401],
        PublicShare | RevealShare => [200, 200],
        GetSharing => [200, 200],
        PutSharing => [401, 200],
        // Rows still to be written fail the test (no status is 0).
        #[allow(unreachable_patterns)]
        _ => [0, 0],
    }
}

backend_test!(anonymous_under_each_no_auth_policy, |backend| async move {
    use heartlock_config::NoAuthPolicy;
    let rows = table();
    let mut failures = Vec::new();
    for (i, policy) in [NoAuthPolicy::ViewOnly, NoAuthPolicy::AllowAll]
        .into_iter()
        .enumerate()
    {
        let w = World::start_with(backend, policy).await;
        for row in &rows {
            let want = anonymous_under_policy(row.op)[i];
            let got = match run(&w, row.op, Principal::Anonymous, row.env).await {
                Ok(status) | Err(ClientError::Problem { status, .. }) => status.to_string(),
                Err(other) => format!("error {other}"),
            };
            if got != want.to_string() {
                failures.push(format!(
                    "{} {} ({:?}, {}) anonymous under {}: expected {want}, got {got}",
                    row.method,
                    row.path,
                    row.op,
                    row.env,
                    policy.as_str()
                ));
            }
        }
        w.srv.stop().await;
    }
    assert!(
        failures.is_empty(),
        "{} wrong cell(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
});

// A user who reaches the project only through an IdP group grant with the
// role `member` gets, on every row, exactly the answer of a direct member.
backend_test!(
    a_group_granted_member_answers_as_a_direct_member,
    |backend| async move {
        let member = Principal::ALL
            .iter()
            .position(|p| *p == Principal::Member)
            .unwrap();
        let w = World::start(backend).await;
        let mut failures = Vec::new();
        for row in table() {
            let want = row.expect[member];
            let got = match run(&w, row.op, Principal::GroupMember, row.env).await {
                Ok(status) | Err(ClientError::Problem { status, .. }) => status.to_string(),
                Err(other) => format!("error {other}"),
            };
            if got != want.to_string() {
                failures.push(format!(
                    "{} {} ({:?}) in {}: member gets {want}, group member {got}",
                    row.method, row.path, row.op, row.env
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        w.srv.stop().await;
    }
);

// An account made by single sign-on (no password) with a direct `member`
// membership gets, on every row, a direct member's answer; only changing a
// password it does not have is refused.
backend_test!(
    an_sso_member_answers_as_a_direct_member,
    |backend| async move {
        let member = Principal::ALL
            .iter()
            .position(|p| *p == Principal::Member)
            .unwrap();
        let w = World::start(backend).await;
        let mut failures = Vec::new();
        for row in table() {
            let want = match row.op {
                Op::ChangePassword => 403,
                _ => row.expect[member],
            };
            let got = match run(&w, row.op, Principal::SsoMember, row.env).await {
                Ok(status) | Err(ClientError::Problem { status, .. }) => status.to_string(),
                Err(other) => format!("error {other}"),
            };
            if got != want.to_string() {
                failures.push(format!(
                    "{} {} ({:?}) in {}: expected {want}, SSO member {got}",
                    row.method, row.path, row.op, row.env
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        w.srv.stop().await;
    }
);
