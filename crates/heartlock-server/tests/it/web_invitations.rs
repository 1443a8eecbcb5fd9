//! The invitation pages: the members page invites, lists, resends and
//! revokes; the link page creates the account (registration closed) and
//! lands in the project, accepts for a signed-in account with the invited
//! address, and says so for used, revoked and unknown links. On SQLite and
//! PostgreSQL, with the messages captured by the real SMTP relay.
use crate::invitations::{PROJECT, Setup};
use crate::web_authz_matrix::web::Browser;

backend_test!(
    invite_in_the_ui_then_create_the_account_from_the_link,
    |backend| async move {
        let (s, _owner) = Setup::start(backend).await;
        let mut owner = Browser::new(&s.srv);
        owner.sign_in("owner@example.com").await;
        let members = format!("/projects/{PROJECT}/members");
        let page = owner.get(&members).await;
        assert!(page.body.contains("Invite by email"), "{}", page.body);

        let form = [
            ("email", "web@example.com"),
            ("role", "viewer"),
            ("env", "development"),
        ];
        let r = owner
            .post(&format!("/projects/{PROJECT}/invitations"), &form)
            .await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, members.as_str()),
            "{}",
            r.body
        );
        let page = owner.get(&members).await;
        assert!(page.body.contains("web@example.com"));
        assert!(page.body.contains("/resend\""), "{}", page.body);
        let (_, token) = s.message(1).await;
        assert!(!page.body.contains(&token));

        // The link, in a browser without a session.
        let mut guest = Browser::new(&s.srv);
        let link = format!("/invite/{token}");
        let r = guest.get(&link).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("Payments") && r.body.contains("owner@example.com"));
        assert!(r.body.contains("name=\"password_confirm\""), "{}", r.body);
        let mismatch = [
            ("password", "a-long-enough-password-1"),
            ("password_confirm", "other-long-password-2"),
        ];
        let r = guest.post(&link, &mismatch).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("not the same"), "{}", r.body);
        let pw = crate::invitations::PASSWORD;
        let good = [
            ("display_name", "Web Person"),
            ("password", pw),
            ("password_confirm", pw),
        ];
        let r = guest.post(&link, &good).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, format!("/projects/{PROJECT}").as_str()),
            "{}",
            r.body
        );
        guest.mark_signed_in();
        let r = guest.get(&format!("/projects/{PROJECT}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("Invitation accepted"), "{}", r.body);

        // Used once; an unknown link is just invalid.
        let r = Browser::new(&s.srv).get(&link).await;
        assert_eq!(r.status, 410);
        assert!(r.body.contains("already used"), "{}", r.body);
        let r = Browser::new(&s.srv).get("/invite/hl_inv_unknown").await;
        assert_eq!(r.status, 404);
        assert!(r.body.contains("not valid"), "{}", r.body);

        // Revoked from the members page: the link says so.
        let form = [("email", "gone@example.com"), ("role", "member")];
        owner
            .post(&format!("/projects/{PROJECT}/invitations"), &form)
            .await;
        let (_, gone) = s.message(2).await;
        let project = s.srv.store.project_by_slug(PROJECT).await.unwrap().unwrap();
        let pending = s.srv.store.open_invitations(&project.id).await.unwrap();
        let id = &pending[0].id;
        let r = owner
            .post(&format!("/projects/{PROJECT}/invitations/{id}/revoke"), &[])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = Browser::new(&s.srv).get(&format!("/invite/{gone}")).await;
        assert_eq!(r.status, 410);
        assert!(r.body.contains("revoked"), "{}", r.body);
    }
);

backend_test!(
    a_signed_in_account_accepts_with_one_button,
    |backend| async move {
        let (s, owner) = Setup::start(backend).await;
        s.account("known@example.com").await;
        let new = heartlock_client::NewInvitation {
            email: "known@example.com".into(),
            role: "member".into(),
            ..Default::default()
        };
        owner.invite(PROJECT, &new).await.unwrap();
        let (_, token) = s.message(1).await;
        let link = format!("/invite/{token}");
        // Not signed in: the page asks to sign in and come back.
        let r = Browser::new(&s.srv).get(&link).await;
        assert!(
            r.body.contains(&format!("/login?next={link}")),
            "{}",
            r.body
        );
        let mut b = Browser::new(&s.srv);
        b.sign_in("known@example.com").await;
        let r = b.get(&link).await;
        assert!(r.body.contains("Accept and join"), "{}", r.body);
        let r = b.post(&link, &[]).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/projects/payments"),
            "{}",
            r.body
        );
        assert_eq!(b.get("/projects/payments").await.status, 200);
    }
);
