//! The matrix's calls for people (members, group grants, invitations),
//! push and watches (kept apart so the main file stays readable).
use super::web::{ENV, PASSWORD, Principal, Reply, World};
use super::{MAIN, Op};

pub(super) async fn run(w: &mut World, op: Op, p: Principal) -> (Reply, Option<bool>) {
    let b = w.browser(p);
    match op {
        Op::ServiceWorker => (b.get("/sw.js").await, None),
        Op::PushSubscribe | Op::PushUnsubscribe | Op::PushDelete => {
            let keys = heartlock_core::webpush::VapidKeys::generate();
            let endpoint = format!("http://127.0.0.1:9/push/{}", w.unique("web-sub"));
            let (p256dh, auth) = (
                keys.public_b64(),
                heartlock_core::webpush::b64url(&[5u8; 16]),
            );
            let form = [
                ("endpoint", endpoint.as_str()),
                ("p256dh", p256dh.as_str()),
                ("auth", auth.as_str()),
            ];
            let made = b.post("/account/push/subscribe", &form).await;
            match op {
                Op::PushSubscribe => (made, None),
                Op::PushUnsubscribe => (
                    b.post(
                        "/account/push/unsubscribe",
                        &[("endpoint", endpoint.as_str())],
                    )
                    .await,
                    None,
                ),
                _ => {
                    let id = serde_json::from_str::<serde_json::Value>(&made.body)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_string))
                        .unwrap_or_else(|| "none".into());
                    (
                        b.post(&format!("/account/push/{id}/delete"), &[]).await,
                        None,
                    )
                }
            }
        }
        Op::PushTest => (b.post("/account/push/test", &[]).await, None),
        Op::Watch | Op::Unwatch => {
            let env = w.environment(ENV).await.unwrap();
            let user = match p.email() {
                Some(email) => Some(w.user_id(email).await),
                None => None,
            };
            if let (Op::Unwatch, Some(u)) = (op, &user) {
                let project = w.project().await;
                let now = w.srv.state.clock.now_ms();
                let record = heartlock_store::WatchRecord {
                    user_id: u.clone(),
                    environment_id: env.id.clone(),
                    project_id: project.id,
                    email: true,
                    push: false,
                    created_at: now,
                };
                w.srv.store.upsert_watch(&record).await.unwrap();
            }
            let path = match op {
                Op::Watch => "watch",
                _ => "unwatch",
            };
            let r = w
                .browser(p)
                .post(
                    &format!("{MAIN}/environments/{ENV}/{path}"),
                    &[("email", "on")],
                )
                .await;
            let now = match &user {
                Some(u) => w.srv.store.watch(u, &env.id).await.unwrap().is_some(),
                None => false,
            };
            let landed = match op {
                Op::Watch => now,
                _ => user.is_some() && !now,
            };
            if let Some(u) = user {
                w.srv.store.delete_watch(&u, &env.id).await.unwrap();
            }
            (r, Some(landed))
        }
        Op::Invite | Op::InviteOwner => {
            let role = if matches!(op, Op::InviteOwner) {
                "owner"
            } else {
                "viewer"
            };
            let email = format!("{}@example.com", w.unique("invited"));
            let form = [("email", email.as_str()), ("role", role)];
            let r = b.post(&format!("{MAIN}/invitations"), &form).await;
            let project = w.project().await;
            let open = w.srv.store.open_invitations(&project.id).await.unwrap();
            (r, Some(open.iter().any(|i| i.email == email)))
        }
        Op::ResendInvitation | Op::RevokeInvitation => {
            let project = w.project().await;
            let id = heartlock_core::ids::new_id();
            let new = heartlock_store::NewInvitation {
                id: id.clone(),
                project_id: project.id.clone(),
                email: format!("{}@example.com", w.unique("invited")),
                role: heartlock_core::roles::ProjectRole::Viewer,
                environments: None,
                language: "en".into(),
                token_hash: heartlock_core::token::hash_token(&w.unique("hl_inv_")),
                expires_at: i64::MAX / 2,
                created_by: None,
            };
            w.srv.store.create_invitation(&new, 1).await.unwrap();
            let action = match op {
                Op::ResendInvitation => "resend",
                _ => "revoke",
            };
            let path = format!("{MAIN}/invitations/{id}/{action}");
            let r = w.browser(p).post(&path, &[]).await;
            let after = w
                .srv
                .store
                .invitation(&project.id, &id)
                .await
                .unwrap()
                .unwrap();
            let landed = match op {
                Op::ResendInvitation => after.last_sent_at != Some(1),
                _ => after.revoked_at.is_some(),
            };
            (r, Some(landed))
        }
        Op::InvitePage => (b.get("/invite/hl_inv_unknown").await, None),
        Op::AcceptInvite => {
            let form = [("password", PASSWORD), ("password_confirm", PASSWORD)];
            (b.post("/invite/hl_inv_unknown", &form).await, None)
        }
        Op::AddMember | Op::AddOwner => {
            let role = match op {
                Op::AddOwner => "owner",
                _ => "viewer",
            };
            let (email, id) = w.throwaway_user().await;
            let form = [("email", email.as_str()), ("role", role)];
            let r = w.browser(p).post(&format!("{MAIN}/members"), &form).await;
            (r, Some(w.membership(&id).await.as_deref() == Some(role)))
        }
        Op::ChangeRole | Op::DemoteOwner => {
            let from = match op {
                Op::DemoteOwner => "owner",
                _ => "viewer",
            };
            let (_, id) = w.throwaway_member(from).await;
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/members/{id}/role"), &[("role", "member")])
                .await;
            (
                r,
                Some(w.membership(&id).await.as_deref() == Some("member")),
            )
        }
        Op::ChangeRoleForeign | Op::RemoveForeignMember => {
            let (_, id) = w.throwaway_user().await;
            let other = w.other_project_id().await;
            let now = w.srv.state.clock.now_ms();
            (w.srv.store)
                .set_membership(&other, &id, heartlock_core::roles::ProjectRole::Viewer, now)
                .await
                .unwrap();
            let (path, form): (_, &[(&str, &str)]) = match op {
                Op::ChangeRoleForeign => ("role", &[("role", "admin")]),
                _ => ("remove", &[]),
            };
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/members/{id}/{path}"), form)
                .await;
            let after = (w.srv.store).membership_role(&other, &id).await.unwrap();
            let main = w.membership(&id).await;
            (
                r,
                Some(after != Some(heartlock_core::roles::ProjectRole::Viewer) || main.is_some()),
            )
        }
        Op::RemoveMember | Op::RemoveOwner => {
            let role = match op {
                Op::RemoveOwner => "owner",
                _ => "viewer",
            };
            let (_, id) = w.throwaway_member(role).await;
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/members/{id}/remove"), &[])
                .await;
            (r, Some(w.membership(&id).await.is_none()))
        }
        Op::GrantGroup | Op::GrantGroupOwner => {
            let role = match op {
                Op::GrantGroupOwner => "owner",
                _ => "viewer",
            };
            let group = w.unique("group");
            let form = [("group", group.as_str()), ("role", role)];
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/group-grants"), &form)
                .await;
            let pid = w.project().await.id;
            let g = (w.srv.store).group_grant(&pid, &group).await.unwrap();
            (r, Some(g.is_some_and(|g| g.role.as_str() == role)))
        }
        Op::ChangeGroupGrant | Op::RemoveGroupGrant => {
            let group = w.unique("group");
            let pid = w.project().await.id;
            let now = w.srv.state.clock.now_ms();
            let viewer = heartlock_core::roles::ProjectRole::Viewer;
            (w.srv.store)
                .upsert_group_grant(&pid, &group, viewer, None, now)
                .await
                .unwrap();
            let (path, form): (_, &[(&str, &str)]) = match op {
                Op::ChangeGroupGrant => {
                    ("change", &[("group", group.as_str()), ("role", "member")])
                }
                _ => ("remove", &[("group", group.as_str())]),
            };
            let r = w
                .browser(p)
                .post(&format!("{MAIN}/group-grants/{path}"), form)
                .await;
            let after = (w.srv.store).group_grant(&pid, &group).await.unwrap();
            let landed = match op {
                Op::ChangeGroupGrant => after.is_some_and(|g| g.role.as_str() == "member"),
                _ => after.is_none(),
            };
            (r, Some(landed))
        }
        _ => unreachable!("not one of this module's routes: {op:?}"),
    }
}
