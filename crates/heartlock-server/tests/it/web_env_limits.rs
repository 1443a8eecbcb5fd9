//! The web UI for a member limited to one environment: its environment
//! works (the authorization matrix), every secrets page and form of another
//! environment is 404, the grid leaves the other environments out, and the
//! members page sets and shows the limit without JavaScript.
use crate::web_authz_matrix::web::{ENV, KEY, PROJECT, Principal, World};

const OTHER_ENV: &str = "staging";

backend_test!(
    a_limited_member_gets_404_outside_its_environment,
    |backend| async move {
        let w = World::start(backend).await;
        let owner = w.browser(Principal::Owner);
        let main = format!("/projects/{PROJECT}");
        for value in ["staging one", "staging two"] {
            let form = [("key", KEY), ("value", value), ("environment", OTHER_ENV)];
            let r = owner.post(&format!("{main}/secrets"), &form).await;
            assert_eq!(r.status, 303, "{}", r.body);
        }
        let key = format!("{main}/environments/{OTHER_ENV}/secrets/{KEY}");
        let limited = w.browser(Principal::Limited);
        let member = w.browser(Principal::Member);

        // The grid shows the limited member its environment only.
        let grid = limited.get(&main).await;
        assert_eq!(grid.status, 200);
        assert!(
            grid.body
                .contains(&format!("/environments/{ENV}/secrets/{KEY}"))
        );
        assert!(!grid.body.contains(&format!("/environments/{OTHER_ENV}/")));
        assert!(member.get(&main).await.body.contains(&key));

        // Every secrets page and form of the other environment: 404.
        let gets = [
            key.clone(),
            format!("{key}/edit"),
            format!("{key}/history"),
            format!("{main}/export?environment={OTHER_ENV}"),
        ];
        for path in &gets {
            assert_eq!(limited.get(path).await.status, 404, "GET {path}");
            assert_eq!(member.get(path).await.status, 200, "GET {path} as member");
        }
        let added = [("key", "ADDED"), ("value", "x"), ("environment", OTHER_ENV)];
        let imported = [("environment", OTHER_ENV), ("content", "IMPORTED=x\n")];
        let posts: [(String, &[(&str, &str)]); 5] = [
            (key.clone(), &[("value", "stolen"), ("comment", "no")]),
            (format!("{key}/delete"), &[]),
            (format!("{key}/rollback"), &[("version", "1")]),
            (format!("{main}/secrets"), &added),
            (format!("{main}/import"), &imported),
        ];
        for (path, form) in &posts {
            assert_eq!(limited.post(path, form).await.status, 404, "POST {path}");
        }
        // Nothing changed in the other environment.
        let r = owner.get(&key).await;
        assert!(r.body.contains("staging two"), "{}", r.body);

        // The members page shows the limit and sets one from checkboxes.
        let page = owner.get(&format!("{main}/members")).await;
        assert!(
            page.body.contains(&format!("<code>{ENV}</code>")),
            "{}",
            page.body
        );
        let (email, id) = w.throwaway_user().await;
        let form = [
            ("email", email.as_str()),
            ("role", "viewer"),
            ("env", OTHER_ENV),
        ];
        let r = owner.post(&format!("{main}/members"), &form).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let project = w.project().await;
        let limit = (w.srv.store)
            .membership_environments(&project.id, &id)
            .await
            .unwrap();
        let staging = w.environment(OTHER_ENV).await.unwrap();
        assert_eq!(limit, Some(vec![staging.id]));
        // No box ticked: every environment.
        let r = owner
            .post(&format!("{main}/members/{id}/role"), &[("role", "member")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let limit = (w.srv.store)
            .membership_environments(&project.id, &id)
            .await
            .unwrap();
        assert_eq!(limit, None);
        // Owners and admins are never limited: refused on the page.
        let form = [("email", email.as_str()), ("role", "admin"), ("env", ENV)];
        let r = owner.post(&format!("{main}/members"), &form).await;
        assert_eq!(r.status, 422, "{}", r.body);
        w.srv.stop().await;
    }
);
