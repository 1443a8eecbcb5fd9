//! Project roles granted to identity-provider groups, through the API and
//! the web UI: a grant reaches a user whose stored groups name it, the
//! highest of membership and grants wins, an environment-limited grant
//! hides the other environments, and PROJECT_VISIBILITY_ENABLED narrows
//! projects and people by the visibility groups. Groups are set through the
//! store here (web_oidc checks that a sign-in stores them).
use crate::common::TestServer;
use crate::web_authz_matrix::web::Browser;
use heartlock_client::{AuditQuery, Client, NewProject, PageParams, ProjectQuery};
use heartlock_core::roles::ServerRole;
use heartlock_store::{Backend, NewUser};

const PASSWORD: &str = "violet-Harbor-trumpet-42-glacier";
const KEY: &str = "API_KEY";

/// A server with accounts made in the store (one shared password hash).
struct Fx {
    srv: TestServer,
    hash: String,
}

impl Fx {
    async fn start(backend: Backend, visibility: bool) -> Fx {
        let srv = TestServer::start(backend, |s| s.project_visibility_enabled = visibility).await;
        let hash = heartlock_core::password::hash_password(PASSWORD).unwrap();
        Fx { srv, hash }
    }

    /// An account with `groups`, and a client signed in as it.
    async fn user(&self, email: &str, admin: bool, groups: &[&str]) -> (String, Client) {
        let now = self.srv.state.clock.now_ms();
        let user = NewUser {
            id: heartlock_core::ids::new_id(),
            email: email.into(),
            display_name: email.split('@').next().unwrap().into(),
            password_hash: Some(self.hash.clone()),
            role: if admin {
                ServerRole::Admin
            } else {
                ServerRole::User
            },
            is_superuser: false,
        };
        let id = self.srv.store.create_user(&user, now).await.unwrap().id;
        self.set_groups(&id, groups).await;
        let c = Client::new(&self.srv.base).unwrap();
        let t = c.login(email, PASSWORD).await.unwrap();
        (id, c.with_token(t.access_token))
    }

    /// Replaces a user's stored IdP groups (as a sign-in would).
    async fn set_groups(&self, id: &str, groups: &[&str]) {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let now = self.srv.state.clock.now_ms();
        (self.srv.store)
            .record_oidc_sign_in("https://idp.test", "nobody", id, &groups, now)
            .await
            .unwrap();
    }
}

async fn project(c: &Client, slug: &str, org: Option<&str>) {
    c.create_project(&NewProject {
        name: slug.into(),
        slug: Some(slug.into()),
        org: org.map(String::from),
        ..Default::default()
    })
    .await
    .unwrap();
}

fn status<T>(r: Result<T, heartlock_client::ClientError>) -> u16 {
    match r {
        Ok(_) => 200,
        Err(e) => e.status().unwrap_or(0),
    }
}

async fn slugs(c: &Client) -> Vec<(String, Option<String>)> {
    let page = c.list_projects(&ProjectQuery::default()).await.unwrap();
    page.items.into_iter().map(|p| (p.slug, p.role)).collect()
}

backend_test!(
    a_group_grant_gives_access_and_the_highest_role_wins,
    |backend| async move {
        let fx = Fx::start(backend, false).await;
        let (_, owner) = fx.user("owner@example.com", false, &[]).await;
        project(&owner, "pay", None).await;
        owner
            .put_secret("pay", "development", KEY, "dev value", None)
            .await
            .unwrap();
        let (alice_id, alice) = fx.user("alice@example.com", false, &["devs"]).await;
        assert_eq!(status(alice.get_project("pay").await), 404);

        // A grant to one of her groups: she reads, as a viewer.
        let g = owner
            .grant_group("pay", "devs", "viewer", None)
            .await
            .unwrap();
        assert_eq!((g.group.as_str(), g.role.as_str()), ("devs", "viewer"));
        let p = alice.get_project("pay").await.unwrap();
        assert_eq!(p.role.as_deref(), Some("viewer"));
        assert_eq!(
            slugs(&alice).await,
            vec![("pay".into(), Some("viewer".into()))]
        );
        let s = alice.get_secret("pay", "development", KEY).await.unwrap();
        assert_eq!(s.value, "dev value");
        assert_eq!(
            status(alice.put_secret("pay", "development", KEY, "x", None).await),
            403
        );

        // Direct membership as member: the higher role wins.
        owner
            .add_member("pay", "alice@example.com", "member")
            .await
            .unwrap();
        assert_eq!(
            status(alice.put_secret("pay", "development", KEY, "x", None).await),
            200
        );
        assert_eq!(
            status(alice.list_tokens("pay", PageParams::default()).await),
            403
        );
        // A grant raised to admin: now she manages tokens.
        owner
            .update_group_grant("pay", "devs", "admin", None)
            .await
            .unwrap();
        assert_eq!(
            status(alice.list_tokens("pay", PageParams::default()).await),
            200
        );
        assert_eq!(
            alice.get_project("pay").await.unwrap().role.as_deref(),
            Some("admin")
        );
        // A group-granted admin reads the project's audit like a member admin.
        let audit = alice
            .list_audit(&AuditQuery {
                project: Some("pay".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<_> = audit.items.iter().map(|e| e.action.as_str()).collect();
        for a in ["group_grant.create", "group_grant.update"] {
            assert!(actions.contains(&a), "{actions:?}");
        }
        // ... and in the unfiltered log (her share of it).
        let all = alice.list_audit(&AuditQuery::default()).await.unwrap();
        assert!(all.items.iter().any(|e| e.action == "group_grant.update"));

        // An admin through a group cannot grant the owner role.
        assert_eq!(
            status(alice.grant_group("pay", "owners", "owner", None).await),
            403
        );
        // Revoked: back to her membership; removed too: gone.
        owner.revoke_group_grant("pay", "devs").await.unwrap();
        assert_eq!(
            status(alice.list_tokens("pay", PageParams::default()).await),
            403
        );
        owner.remove_member("pay", &alice_id).await.unwrap();
        assert_eq!(status(alice.get_project("pay").await), 404);
        assert!(slugs(&alice).await.is_empty());
        let audit = owner
            .list_audit(&AuditQuery {
                project: Some("pay".into()),
                action: Some("group_grant.delete".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.items.len(), 1);

        // The group leaves her stored groups: the grant no longer applies.
        owner
            .grant_group("pay", "devs", "viewer", None)
            .await
            .unwrap();
        assert_eq!(status(alice.get_project("pay").await), 200);
        fx.set_groups(&alice_id, &["other"]).await;
        assert_eq!(status(alice.get_project("pay").await), 404);

        // Validation: names, roles, environments; missing grants are 404.
        let long = "g".repeat(201);
        for (group, role, envs) in [
            ("", "viewer", None),
            (long.as_str(), "viewer", None),
            ("bad\u{7}name", "viewer", None),
            ("devs", "boss", None),
            ("devs", "member", Some(vec!["nowhere".to_string()])),
            ("devs", "admin", Some(vec!["development".to_string()])),
        ] {
            let r = owner.grant_group("pay", group, role, envs.as_deref()).await;
            assert_eq!(status(r), 422, "{group:?} {role}");
        }
        assert_eq!(
            status(
                owner
                    .update_group_grant("pay", "nobody", "viewer", None)
                    .await
            ),
            404
        );
        assert_eq!(status(owner.revoke_group_grant("pay", "nobody").await), 404);
        // Any name a provider may send works, slashes and spaces included.
        owner
            .grant_group("pay", "org/Team A", "viewer", None)
            .await
            .unwrap();
        owner.revoke_group_grant("pay", "org/Team A").await.unwrap();
        fx.srv.stop().await;
    }
);

backend_test!(
    an_environment_limited_grant_hides_the_other_environments,
    |backend| async move {
        let fx = Fx::start(backend, false).await;
        let (_, owner) = fx.user("owner@example.com", false, &[]).await;
        project(&owner, "pay", None).await;
        for env in ["development", "staging", "production"] {
            owner
                .put_secret("pay", env, KEY, &format!("{env} value"), None)
                .await
                .unwrap();
        }
        let (alice_id, alice) = fx.user("alice@example.com", false, &["devs"]).await;
        let dev = vec!["development".to_string()];
        let g = owner
            .grant_group("pay", "devs", "member", Some(&dev))
            .await
            .unwrap();
        assert_eq!(g.environments, Some(dev.clone()));

        assert_eq!(
            status(alice.get_secret("pay", "development", KEY).await),
            200
        );
        for env in ["staging", "production"] {
            assert_eq!(
                status(alice.get_secret("pay", env, KEY).await),
                404,
                "{env}"
            );
            assert_eq!(
                status(alice.list_secrets("pay", env, PageParams::default()).await),
                404
            );
            assert_eq!(status(alice.export_secrets("pay", env, None).await), 404);
            assert_eq!(
                status(
                    alice
                        .secret_versions("pay", env, KEY, PageParams::default())
                        .await
                ),
                404
            );
            assert_eq!(
                status(alice.put_secret("pay", env, KEY, "stolen", None).await),
                404
            );
        }
        let cmp = alice.compare_secret("pay", KEY).await.unwrap();
        let seen: Vec<_> = cmp
            .environments
            .iter()
            .filter(|e| e.value.is_some())
            .map(|e| e.environment.as_str())
            .collect();
        assert_eq!(seen, vec!["development"]);
        let envs = alice
            .list_environments("pay", PageParams::default())
            .await
            .unwrap();
        let names: Vec<_> = envs.items.iter().map(|e| e.slug.as_str()).collect();
        assert_eq!(names, vec!["development"]);

        // The grid in the browser shows her development only.
        let mut b = Browser::new(&fx.srv);
        b.sign_in("alice@example.com").await;
        let grid = b.get("/projects/pay").await;
        assert_eq!(grid.status, 200, "{}", grid.body);
        assert!(grid.body.contains("/environments/development/secrets/"));
        assert!(
            !grid.body.contains("/environments/staging/"),
            "{}",
            grid.body
        );
        let r = b
            .get(&format!("/projects/pay/environments/staging/secrets/{KEY}"))
            .await;
        assert_eq!(r.status, 404);

        // Another source adds its environments: the union.
        let staging = vec!["staging".to_string()];
        owner
            .add_member_in("pay", "alice@example.com", "viewer", Some(&staging))
            .await
            .unwrap();
        assert_eq!(status(alice.get_secret("pay", "staging", KEY).await), 200);
        assert_eq!(
            status(alice.get_secret("pay", "production", KEY).await),
            404
        );
        // An unlimited source: every environment.
        fx.set_groups(&alice_id, &["devs", "readers"]).await;
        owner
            .grant_group("pay", "readers", "viewer", None)
            .await
            .unwrap();
        assert_eq!(
            status(alice.get_secret("pay", "production", KEY).await),
            200
        );
        fx.srv.stop().await;
    }
);

backend_test!(
    visibility_narrows_projects_and_people_by_group,
    |backend| async move {
        let fx = Fx::start(backend, true).await;
        // The owner sees what they create through the assignment scope, and
        // people of the acme org through the org scope.
        let assigned = "heartlock-visibility-assigned";
        let org = "heartlock-visibility-org";
        let (_, owner) = fx
            .user(
                "owner@example.com",
                false,
                &[assigned, org, "heartlock-org-acme"],
            )
            .await;
        project(&owner, "acme-app", Some("acme")).await;
        project(&owner, "beta-app", Some("beta")).await;
        project(&owner, "plain-app", None).await;
        for slug in ["acme-app", "beta-app", "plain-app"] {
            owner
                .grant_group(slug, "staff", "viewer", None)
                .await
                .unwrap();
        }
        let (alice_id, alice) = fx.user("alice@example.com", false, &["staff"]).await;
        let all = ["acme-app", "beta-app", "plain-app"];
        let visible = |list: Vec<(String, Option<String>)>| -> Vec<String> {
            list.into_iter().map(|(s, _)| s).collect()
        };

        // Neither visibility group: nothing, and every project is a 404.
        assert!(slugs(&alice).await.is_empty());
        for slug in all {
            assert_eq!(status(alice.get_project(slug).await), 404, "{slug}");
        }
        // Assignment scope: every project she reaches.
        fx.set_groups(&alice_id, &["staff", assigned]).await;
        assert_eq!(visible(slugs(&alice).await), all);
        // Org scope: only the reached projects of her orgs.
        fx.set_groups(&alice_id, &["staff", org, "heartlock-org-acme"])
            .await;
        assert_eq!(visible(slugs(&alice).await), vec!["acme-app"]);
        assert_eq!(status(alice.get_project("acme-app").await), 200);
        assert_eq!(status(alice.get_project("beta-app").await), 404);
        assert_eq!(
            status(alice.get_secret("beta-app", "development", KEY).await),
            404
        );
        // An org group without the org scope shows nothing.
        fx.set_groups(&alice_id, &["staff", "heartlock-org-acme"])
            .await;
        assert!(slugs(&alice).await.is_empty());
        // Both scopes: the union.
        fx.set_groups(&alice_id, &["staff", org, "heartlock-org-beta", assigned])
            .await;
        assert_eq!(visible(slugs(&alice).await), all);

        // Visibility never grants: an org group without a role shows nothing.
        let (_, bob) = fx
            .user("bob@example.com", false, &[org, "heartlock-org-acme"])
            .await;
        assert!(slugs(&bob).await.is_empty());
        assert_eq!(status(bob.get_project("acme-app").await), 404);

        // A server admin sees everything, with no group at all.
        let (_, root) = fx.user("root@example.com", true, &[]).await;
        assert_eq!(visible(slugs(&root).await), all);
        assert_eq!(status(root.get_project("beta-app").await), 200);

        // People: the owner may add only people sharing a project or an org
        // group with them; others answer as unknown accounts.
        let (_, _carol) = fx.user("carol@example.com", false, &[]).await;
        let r = owner
            .add_member("acme-app", "carol@example.com", "viewer")
            .await;
        assert_eq!(status(r), 422);
        // Alice shares projects with the owner (through her group).
        owner
            .add_member("plain-app", "alice@example.com", "member")
            .await
            .unwrap();
        // Org scope: people in one of the caller's org groups.
        let (dave_id, dave) = fx
            .user("dave@example.com", false, &[org, "heartlock-org-acme"])
            .await;
        owner
            .add_member("acme-app", "dave@example.com", "admin")
            .await
            .unwrap();
        let (_, _erin) = fx
            .user("erin@example.com", false, &["heartlock-org-acme"])
            .await;
        let (_, _frank) = fx
            .user("frank@example.com", false, &["heartlock-org-beta"])
            .await;
        assert_eq!(
            status(
                dave.add_member("acme-app", "erin@example.com", "viewer")
                    .await
            ),
            200
        );
        assert_eq!(
            status(
                dave.add_member("acme-app", "frank@example.com", "viewer")
                    .await
            ),
            422
        );
        // Dave's admin role shows in his (org-scoped) share of the audit log.
        let beta = fx
            .srv
            .store
            .project_by_slug("beta-app")
            .await
            .unwrap()
            .unwrap();
        let acme = fx
            .srv
            .store
            .project_by_slug("acme-app")
            .await
            .unwrap()
            .unwrap();
        let log = dave.list_audit(&AuditQuery::default()).await.unwrap();
        assert!(
            log.items
                .iter()
                .any(|e| e.project_id.as_deref() == Some(&acme.id))
        );
        assert!(
            log.items
                .iter()
                .all(|e| e.project_id.as_deref() != Some(&beta.id))
        );
        // Without his groups dave sees nothing, member or not.
        fx.set_groups(&dave_id, &[]).await;
        assert_eq!(status(dave.get_project("acme-app").await), 404);
        fx.srv.stop().await;
    }
);

backend_test!(
    the_members_page_manages_group_grants,
    |backend| async move {
        let fx = Fx::start(backend, false).await;
        let (_, owner) = fx.user("owner@example.com", false, &[]).await;
        project(&owner, "pay", None).await;
        let mut b = Browser::new(&fx.srv);
        b.sign_in("owner@example.com").await;
        let form = [
            ("group", "team/devs"),
            ("role", "member"),
            ("env", "staging"),
        ];
        let r = b.post("/projects/pay/group-grants", &form).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/projects/pay/members")
        );
        let page = b.get("/projects/pay/members").await;
        assert!(
            page.body.contains("<code>team/devs</code>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<code>staging</code>"));
        let grants = owner
            .list_group_grants("pay", PageParams::default())
            .await
            .unwrap();
        assert_eq!(grants.items[0].environments, Some(vec!["staging".into()]));

        // Change: no box ticked is every environment.
        let r = b
            .post(
                "/projects/pay/group-grants/change",
                &[("group", "team/devs"), ("role", "viewer")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let grants = owner
            .list_group_grants("pay", PageParams::default())
            .await
            .unwrap();
        assert_eq!(grants.items[0].role, "viewer");
        assert_eq!(grants.items[0].environments, None);
        // A refused form is shown again with the error and the name kept.
        let r = b
            .post(
                "/projects/pay/group-grants",
                &[("group", "ops"), ("role", "admin"), ("env", "staging")],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("value=\"ops\""), "{}", r.body);
        // Remove; an unknown group is 404.
        let r = b
            .post(
                "/projects/pay/group-grants/remove",
                &[("group", "team/devs")],
            )
            .await;
        assert_eq!(r.status, 303);
        let r = b
            .post(
                "/projects/pay/group-grants/remove",
                &[("group", "team/devs")],
            )
            .await;
        assert_eq!(r.status, 404);
        assert!(
            owner
                .list_group_grants("pay", PageParams::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        fx.srv.stop().await;
    }
);
