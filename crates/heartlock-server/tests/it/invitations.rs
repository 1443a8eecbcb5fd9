//! Invitations through the API, with the messages captured by the real SMTP
//! relay (scripts/peers/smtp_capture.py): create, list, resend, revoke,
//! accept (new account with registration closed, existing account signed
//! in), expiry on the injected clock, one use only (also when two accepts
//! race), the role ceiling, refusals, the audit events, and the token never
//! in an answer or the audit log. On SQLite and PostgreSQL.
use crate::common::smtp::{self, Relay};
use crate::common::{TestServer, client};
use heartlock_client::{Client, NewInvitation, NewProject, PageParams};
use heartlock_config::{EmailBackend, Secret, Settings};
use heartlock_core::FixedClock;
use heartlock_store::{AuditFilter, Backend};
use std::sync::Arc;
use std::time::Duration;

/// The web tests' password, so their browsers can sign in too.
pub const PASSWORD: &str = crate::web_authz_matrix::web::PASSWORD;
pub const PROJECT: &str = "payments";

/// Plain SMTP (no TLS) with AUTH to the capture relay on `port`.
pub fn mail_to(s: &mut Settings, port: u16) {
    s.email.backend = EmailBackend::Smtp;
    s.email.host = Some("127.0.0.1".into());
    s.email.port = port;
    s.email.host_user = Some(smtp::USER.into());
    s.email.host_password = Some(Secret::new(smtp::PASSWORD));
    s.email.use_tls = false;
    s.email.use_ssl = false;
    s.email.retry_base_secs = 1;
    s.email.timeout_secs = 3;
}

pub struct Setup {
    pub srv: TestServer,
    pub relay: Relay,
    _out: tempfile::TempDir,
    pub clock: FixedClock,
}

impl Setup {
    /// A server with registration closed, mail to a relay, a fixed clock
    /// (set to now), and `owner@example.com` owning PROJECT.
    pub async fn start(backend: Backend) -> (Setup, Client) {
        let out = tempfile::tempdir().unwrap();
        let port = smtp::free_port();
        let relay = Relay::start(port, out.path(), None);
        let clock = FixedClock::new(heartlock_core::Clock::now_ms(&heartlock_core::SystemClock));
        let srv = TestServer::start_with_clock(backend, Arc::new(clock.clone()), |s| {
            mail_to(s, port);
            s.users.enable_registration = false;
        })
        .await;
        let setup = Setup {
            srv,
            relay,
            _out: out,
            clock,
        };
        let owner = setup.account("owner@example.com").await;
        owner
            .create_project(&NewProject {
                name: "Payments".into(),
                slug: Some(PROJECT.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        (setup, owner)
    }

    /// An account made by the operator (registration is closed), signed in.
    pub async fn account(&self, email: &str) -> Client {
        let account = heartlock_domain::users::NewAccount {
            email,
            display_name: None,
            password: PASSWORD,
        };
        let system = heartlock_domain::Principal::system("test");
        heartlock_domain::users::create_by_admin(&self.srv.state, &system, account, Some("user"))
            .await
            .unwrap();
        self.sign_in(email).await
    }

    pub async fn sign_in(&self, email: &str) -> Client {
        let c = Client::new(&self.srv.base).unwrap();
        let t = c.login(email, PASSWORD).await.unwrap();
        c.with_token(t.access_token)
    }

    pub fn anonymous(&self) -> Client {
        Client::new(&self.srv.base).unwrap()
    }

    /// The `n`th captured message (waiting for it) and the link token in it.
    pub async fn message(&self, n: usize) -> (serde_json::Value, String) {
        let got = smtp::wait_for(&self.relay.out, n, Duration::from_secs(20)).await;
        let m = got[n - 1].clone();
        let token = link_token(m["plain"].as_str().unwrap());
        (m, token)
    }
}

/// The token of the first `/invite/<token>` link in a text.
pub fn link_token(text: &str) -> String {
    let at = text.find("/invite/").expect("an invitation link") + "/invite/".len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

async fn invite(owner: &Client, email: &str, role: &str, envs: Option<Vec<String>>) -> String {
    let new = NewInvitation {
        email: email.into(),
        role: role.into(),
        environments: envs,
        language: None,
    };
    owner.invite(PROJECT, &new).await.unwrap().id
}

async fn audit_actions(srv: &TestServer) -> Vec<(String, Option<String>)> {
    let filter = AuditFilter {
        action: Some("invitation.".into()),
        ..Default::default()
    };
    let events = srv.store.list_audit(&filter, 100, 0).await.unwrap().events;
    events
        .into_iter()
        .map(|e| (e.event.action, e.event.detail))
        .collect()
}

backend_test!(
    an_invitation_creates_the_account_with_registration_closed,
    |backend| async move {
        let (s, owner) = Setup::start(backend).await;
        // Accept-Language picks the message's language; the JSON answer has no token.
        let r = client()
            .post(
                s.srv
                    .url(&format!("/api/v1/projects/{PROJECT}/invitations")),
            )
            .bearer_auth(owner.token().unwrap())
            .header("accept-language", "fr-FR,fr;q=0.9")
            .json(&serde_json::json!({
                "email": "New.Person@Example.com", "role": "member", "environments": ["development"]
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created = r.text().await.unwrap();
        let (m, token) = s.message(1).await;
        assert!(
            token.starts_with("hl_inv_") && token.len() == 7 + 43,
            "{token}"
        );
        assert!(!created.contains(&token), "the token is never in an answer");
        assert_eq!(m["rcpt_tos"], serde_json::json!(["new.person@example.com"]));
        assert_eq!(m["content_type"], "multipart/alternative");
        assert_eq!(m["subject"], "Invitation au projet Payments sur Heartlock");
        // No HEARTLOCK_BASE_URL: the link uses the request's host.
        let link = format!("{}/invite/{token}", s.srv.base);
        assert!(m["plain"].as_str().unwrap().contains(&link), "{m}");
        assert!(
            m["html"]
                .as_str()
                .unwrap()
                .contains(&format!("href=\"{link}\""))
        );

        let list = owner
            .list_invitations(PROJECT, PageParams::default())
            .await
            .unwrap();
        assert_eq!(list.items.len(), 1);
        let inv = &list.items[0];
        assert_eq!(
            (inv.email.as_str(), inv.role.as_str()),
            ("new.person@example.com", "member")
        );
        assert_eq!(inv.environments, Some(vec!["development".to_string()]));
        assert_eq!(inv.language, "fr");
        assert_eq!(inv.invited_by.as_deref(), Some("owner@example.com"));
        assert!(!inv.expired);
        let days = i64::from(s.srv.state.settings.invitation_expiry_days);
        assert_eq!(inv.expires_at - inv.created_at, days * 86_400_000);

        // Without a password there is no account to create.
        let err = s
            .anonymous()
            .accept_invitation(&token, None, None)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(422));
        let anon = s.anonymous();
        let weak = anon.accept_invitation(&token, Some("short"), None);
        assert_eq!(weak.await.unwrap_err().status(), Some(422));

        // Registration is closed, yet the invitation creates the account.
        let a = s
            .anonymous()
            .accept_invitation(&token, Some(PASSWORD), Some("New Person"))
            .await
            .unwrap();
        assert!(a.account_created);
        assert_eq!((a.project.as_str(), a.role.as_str()), (PROJECT, "member"));
        assert_eq!(a.user.email, "new.person@example.com");
        let newcomer = s.sign_in("new.person@example.com").await;
        let p = newcomer.get_project(PROJECT).await.unwrap();
        assert_eq!(p.slug, PROJECT);
        let members = owner
            .list_members(PROJECT, PageParams::default())
            .await
            .unwrap();
        let m = members
            .items
            .iter()
            .find(|m| m.email == "new.person@example.com")
            .unwrap();
        assert_eq!(m.role, "member");
        assert_eq!(m.environments, Some(vec!["development".to_string()]));

        // One use only; the pending list is empty now.
        let again = s
            .anonymous()
            .accept_invitation(&token, Some(PASSWORD), None)
            .await
            .unwrap_err();
        assert_eq!(again.status(), Some(409));
        let list = owner.list_invitations(PROJECT, PageParams::default()).await;
        assert!(list.unwrap().items.is_empty());
        // An unknown token is simply not found.
        let anon = s.anonymous();
        let unknown = anon.accept_invitation("hl_inv_nope", Some(PASSWORD), None);
        assert_eq!(unknown.await.unwrap_err().status(), Some(404));

        // Audited, without the token.
        let events = audit_actions(&s.srv).await;
        let actions: Vec<_> = events.iter().map(|(a, _)| a.as_str()).collect();
        assert!(actions.contains(&"invitation.create"), "{actions:?}");
        assert!(actions.contains(&"invitation.accept"), "{actions:?}");
        assert!(
            events
                .iter()
                .all(|(_, d)| !d.clone().unwrap_or_default().contains(&token))
        );
    }
);

backend_test!(
    resend_replaces_the_link_revoke_kills_it_and_links_expire,
    |backend| async move {
        let (s, owner) = Setup::start(backend).await;
        let id = invite(&owner, "late@example.com", "viewer", None).await;
        let (_, first) = s.message(1).await;
        let resent = owner.resend_invitation(PROJECT, &id).await.unwrap();
        assert_eq!(resent.id, id);
        let (m, second) = s.message(2).await;
        assert_ne!(first, second);
        assert_eq!(
            m["subject"],
            "Invitation to the Payments project on Heartlock"
        );
        // The old link died with the resend.
        let anon = s.anonymous();
        let old = anon.accept_invitation(&first, Some(PASSWORD), None);
        assert_eq!(old.await.unwrap_err().status(), Some(404));

        // Past the expiry (the injected clock), the link is refused.
        let days = i64::from(s.srv.state.settings.invitation_expiry_days);
        s.clock.advance(days * 86_400_000 + 1);
        let anon = s.anonymous();
        let late = anon.accept_invitation(&second, Some(PASSWORD), None);
        let err = late.await.unwrap_err();
        assert_eq!(err.status(), Some(409));
        assert!(err.to_string().contains("expired"), "{err}");
        s.clock.advance(-(days * 86_400_000 + 1));

        // Revoked: refused, and it leaves the pending list.
        owner.revoke_invitation(PROJECT, &id).await.unwrap();
        let anon = s.anonymous();
        let revoked = anon.accept_invitation(&second, Some(PASSWORD), None);
        let err = revoked.await.unwrap_err();
        assert_eq!(err.status(), Some(409));
        assert!(err.to_string().contains("revoked"), "{err}");
        let again = owner.revoke_invitation(PROJECT, &id).await.unwrap_err();
        assert_eq!(again.status(), Some(409));
        let resend = owner.resend_invitation(PROJECT, &id).await.unwrap_err();
        assert_eq!(resend.status(), Some(409));
        let none = owner.revoke_invitation(PROJECT, "no-such-id").await;
        assert_eq!(none.unwrap_err().status(), Some(404));
        assert!(
            owner
                .list_invitations(PROJECT, PageParams::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(
            s.srv
                .store
                .user_by_email("late@example.com")
                .await
                .unwrap()
                .is_none()
        );
        let actions: Vec<_> = audit_actions(&s.srv)
            .await
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        for a in [
            "invitation.create",
            "invitation.resend",
            "invitation.revoke",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
    }
);

backend_test!(
    only_admins_invite_and_only_owners_invite_owners,
    |backend| async move {
        let (s, owner) = Setup::start(backend).await;
        let admin = s.account("admin@example.com").await;
        let viewer = s.account("viewer@example.com").await;
        let outsider = s.account("outsider@example.com").await;
        for (email, role) in [
            ("admin@example.com", "admin"),
            ("viewer@example.com", "viewer"),
        ] {
            owner.add_member(PROJECT, email, role).await.unwrap();
        }
        let new = |email: &str, role: &str| NewInvitation {
            email: email.into(),
            role: role.into(),
            ..Default::default()
        };
        let status = |r: Result<heartlock_client::Invitation, heartlock_client::ClientError>| {
            r.map(|_| 201).unwrap_or_else(|e| e.status().unwrap())
        };
        // Role ceiling: an admin invites up to admin, not owner.
        assert_eq!(
            status(admin.invite(PROJECT, &new("a@example.com", "admin")).await),
            201
        );
        assert_eq!(
            status(admin.invite(PROJECT, &new("b@example.com", "owner")).await),
            403
        );
        assert_eq!(
            status(owner.invite(PROJECT, &new("b@example.com", "owner")).await),
            201
        );
        assert_eq!(
            status(
                viewer
                    .invite(PROJECT, &new("c@example.com", "viewer"))
                    .await
            ),
            403
        );
        assert_eq!(
            status(
                outsider
                    .invite(PROJECT, &new("c@example.com", "viewer"))
                    .await
            ),
            404
        );
        assert_eq!(
            status(
                s.anonymous()
                    .invite(PROJECT, &new("c@example.com", "viewer"))
                    .await
            ),
            401
        );
        let list = viewer
            .list_invitations(PROJECT, PageParams::default())
            .await;
        assert_eq!(list.unwrap_err().status(), Some(403));
        // The owner invitation cannot be revoked by an admin either.
        let pending = owner
            .list_invitations(PROJECT, PageParams::default())
            .await
            .unwrap()
            .items;
        let owner_inv = pending.iter().find(|i| i.role == "owner").unwrap();
        let r = admin.revoke_invitation(PROJECT, &owner_inv.id).await;
        assert_eq!(r.unwrap_err().status(), Some(403));
        // Validation and conflicts.
        assert_eq!(
            status(owner.invite(PROJECT, &new("not-an-email", "viewer")).await),
            422
        );
        assert_eq!(
            status(owner.invite(PROJECT, &new("d@example.com", "king")).await),
            422
        );
        let limited_admin = NewInvitation {
            environments: Some(vec!["development".into()]),
            ..new("d@example.com", "admin")
        };
        assert_eq!(status(owner.invite(PROJECT, &limited_admin).await), 422);
        let unknown_env = NewInvitation {
            environments: Some(vec!["nowhere".into()]),
            ..new("d@example.com", "viewer")
        };
        assert_eq!(status(owner.invite(PROJECT, &unknown_env).await), 422);
        assert_eq!(
            status(owner.invite(PROJECT, &new("A@example.com", "viewer")).await),
            409
        );
        assert_eq!(
            status(
                owner
                    .invite(PROJECT, &new("viewer@example.com", "member"))
                    .await
            ),
            409
        );
    }
);

backend_test!(
    an_existing_account_accepts_signed_in_as_itself,
    |backend| async move {
        let (s, owner) = Setup::start(backend).await;
        let existing = s.account("known@example.com").await;
        let other = s.account("other@example.com").await;
        invite(&owner, "KNOWN@example.com", "viewer", None).await;
        let (_, token) = s.message(1).await;
        // Without a session: sign in first (no second account is made).
        let guest = s.anonymous();
        let anon = guest.accept_invitation(&token, Some(PASSWORD), None);
        assert_eq!(anon.await.unwrap_err().status(), Some(401));
        // Signed in as someone else: refused.
        let wrong = other.accept_invitation(&token, None, None).await;
        assert_eq!(wrong.unwrap_err().status(), Some(403));
        let a = existing
            .accept_invitation(&token, None, None)
            .await
            .unwrap();
        assert!(!a.account_created);
        assert_eq!(a.role, "viewer");
        existing.get_project(PROJECT).await.unwrap();
    }
);

backend_test!(
    of_two_concurrent_accepts_exactly_one_wins,
    |backend| async move {
        let (s, owner) = Setup::start(backend).await;
        invite(&owner, "race@example.com", "member", None).await;
        let (_, token) = s.message(1).await;
        let tries: Vec<_> = (0..4)
            .map(|_| {
                let c = s.anonymous();
                let t = token.clone();
                tokio::spawn(async move { c.accept_invitation(&t, Some(PASSWORD), None).await })
            })
            .collect();
        let mut results = Vec::new();
        for t in tries {
            results.push(t.await.unwrap());
        }
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "{results:?}");
        // The losers see the link used (409), or, past the winner's commit,
        // the account it made (401: sign in first).
        for r in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(matches!(r.status(), Some(409 | 401)), "{r}");
        }
        let project = s.srv.store.project_by_slug(PROJECT).await.unwrap().unwrap();
        let members = s.srv.store.members(&project.id).await.unwrap();
        assert_eq!(
            members
                .iter()
                .filter(|(u, _)| u.email == "race@example.com")
                .count(),
            1
        );
    }
);
