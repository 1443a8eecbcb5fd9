//! The web matrix's rows again, for visitors that must answer like another
//! column (a group-granted member, an SSO-only account) or browse a server
//! with another POLICY_NO_AUTH_DEFAULT (anonymous under view_only and
//! allow_all).
use super::expect::{Expect, title};
use super::web::{Principal, World};
use super::{MAIN, Op, run, table};

/// What an anonymous visitor gets on every row of [`table`] under
/// POLICY_NO_AUTH_DEFAULT `view_only` and `allow_all`: [view_only, allow_all].
/// `view_only` browses what a viewer sees and changes nothing (a form sends
/// to the sign-in page); `allow_all` acts on every project as an owner.
/// Neither is an account: the account and administration pages still ask
/// for a sign-in.
#[rustfmt::skip]
fn anonymous_under_policy(op: Op) -> [Expect; 2] {
    use Expect::{Login as L, See};
    use Op::*;
    let (ok, nf) = (Expect::Status(200), Expect::Status(404));
    let envs = "/projects/main-app/environments";
    let members = "/projects/main-app/members";
    match op {
        Home => [See("/projects"), See("/projects")],
        LoginPage | RegisterPage | Static | ServiceWorker => [ok, ok],
        PushSubscribe | PushUnsubscribe | PushTest | PushDelete => [L, L],
        Login => [See("/"), See("/")],
        Register => [See("/projects"), See("/projects")],
        Logout => [See("/login"), See("/login")],
        SetLocale => [See("/"), See("/")],
        OidcLogin | OidcCallback | OidcLinkPage | OidcLink => [nf, nf],
        OnboardingPage | Onboarding | OnboardingTestDb => [nf, nf],
        Account | ChangePassword | SavePreferences | SignOutEverywhere => [L, L],
        AdminIndex | AdminUsers | AdminSetRole | AdminDisable | AdminEnable | AdminAudit
        | AdminStatus | AdminOidc | AdminOidcSave | AdminOidcRemove => [L, L],
        Projects | Grid | Export | Reveal | History | Environments | Members => [ok, ok],
        CreateProject => [L, See("/projects/created-*")],
        AddSecret | Import | Save | DeleteSecret => [L, See(MAIN)],
        Rollback => [L, See("/projects/main-app/environments/development/secrets/SHARED_KEY/history")],
        Edit => [L, ok],
        CreateEnv | RenameEnv | MoveEnv | DeleteEnv => [L, See(envs)],
        // Only people watch: no policy makes a visitor one.
        Watch | Unwatch => [L, L],
        AddMember | AddOwner | ChangeRole | DemoteOwner | RemoveMember | RemoveOwner => [L, See(members)],
        GrantGroup | GrantGroupOwner | ChangeGroupGrant | RemoveGroupGrant => [L, See(members)],
        // Inviting names an inviter: a signed-in user, whatever the policy.
        Invite | InviteOwner | ResendInvitation => [L, L],
        RevokeInvitation => [L, See(members)],
        InvitePage | AcceptInvite => [nf, nf],
        ChangeRoleForeign | RemoveForeignMember | RevokeForeignToken => [L, nf],
        Tokens => [L, ok],
        // The audit log needs a signed-in user under every policy.
        ProjectAudit => [L, L],
        CreateToken => [L, Expect::Status(201)],
        RevokeToken => [L, See("/projects/main-app/tokens")],
        // Share links: the recipient page is public; the sender's pages
        // need an account (anonymous creation is off by default); the
        // switch is a project setting like the others.
        ShareOpen => [ok, ok],
        ShareOpenGone => [nf, nf],
        Shares | ShareNew | ShareNewFromSecret | ShareRevoke => [L, L],
        ProjectSharing => [L, See(envs)],
        ShareCreate => [Expect::Status(401), Expect::Status(401)],
        // Rows still to be written fail the test (no answer is a 0 status).
        #[allow(unreachable_patterns)]
        _ => [Expect::Status(0), Expect::Status(0)],
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
        let mut w = World::start_with(backend, policy).await;
        // Every page says that no sign-in is needed.
        let page = w.browser(Principal::Anonymous).get("/projects").await;
        assert!(
            page.body.contains("class=\"policy-banner\"") && page.body.contains(policy.as_str()),
            "no banner under {}",
            policy.as_str()
        );
        for row in &rows {
            let want = anonymous_under_policy(row.op)[i];
            let (reply, landed) = run(&mut w, row.op, Principal::Anonymous).await;
            let what = format!(
                "{} {} ({:?}) anonymous under {}",
                row.method,
                row.path,
                row.op,
                policy.as_str()
            );
            if !want.matches(&reply) {
                failures.push(format!(
                    "{what}: expected {want:?}, got {} {}{}",
                    reply.status,
                    reply.location,
                    title(&reply.body)
                ));
            } else if landed.is_some_and(|l| l != want.allowed()) {
                failures.push(format!("{what}: the change did not match the answer"));
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

// A user who reaches the project only through an IdP group granted
// `member`, and an account made by single sign-on (no password) with a
// direct `member` membership, get a direct member's answer on every row
// (the SSO account has no password to change).
backend_test!(
    group_and_sso_members_answer_as_direct_members,
    |backend| async move {
        let member = Principal::ALL
            .iter()
            .position(|p| *p == Principal::Member)
            .unwrap();
        let mut w = World::start(backend).await;
        let mut failures = Vec::new();
        for p in [Principal::GroupMember, Principal::SsoMember] {
            for row in table() {
                let want = match (p, row.op) {
                    // No password to change: the form answers with its error.
                    (Principal::SsoMember, Op::ChangePassword) => Expect::Status(403),
                    _ => row.expect[member],
                };
                let (reply, landed) = run(&mut w, row.op, p).await;
                let what = format!("{} {} ({:?}) as {}", row.method, row.path, row.op, p.name());
                if !want.matches(&reply) {
                    failures.push(format!(
                        "{what}: expected {want:?}, got {} {}{}",
                        reply.status,
                        reply.location,
                        title(&reply.body)
                    ));
                } else if landed.is_some_and(|l| l != want.allowed()) {
                    failures.push(format!("{what}: the change did not match the answer"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        w.srv.stop().await;
    }
);
