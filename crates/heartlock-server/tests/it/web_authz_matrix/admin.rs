//! The matrix's calls of the onboarding wizard and the admin area (kept
//! apart so the main file stays readable).
use super::Op;
use super::web::{PASSWORD, Principal, Reply, World};

pub(super) async fn run(w: &mut World, op: Op, p: Principal) -> (Reply, Option<bool>) {
    let b = w.browser(p);
    match op {
        Op::OnboardingPage => (b.get("/onboarding").await, None),
        Op::Onboarding | Op::OnboardingTestDb => {
            let path = match op {
                Op::Onboarding => "/onboarding",
                _ => "/onboarding/test-database",
            };
            let form = [
                ("base_url", "https://secrets.example.com"),
                ("db_mode", "keep"),
                ("database_url", "postgres://127.0.0.1:5432/heartlock"),
                ("key_mode", "keep"),
                ("email", "wizard@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ];
            let r = b.post(path, &form).await;
            let landed = (w.srv.store)
                .user_by_email("wizard@example.com")
                .await
                .unwrap();
            (r, Some(landed.is_some()))
        }
        Op::AdminIndex => (b.get("/admin").await, None),
        Op::AdminUsers => (b.get("/admin/users").await, None),
        Op::AdminSetRole => {
            let (email, id) = w.throwaway_user().await;
            let b = w.browser(p);
            let r = b
                .post(&format!("/admin/users/{id}/role"), &[("role", "admin")])
                .await;
            (r, Some(w.user(&email).await.role.as_str() == "admin"))
        }
        Op::AdminDisable => {
            let (email, id) = w.throwaway_user().await;
            let b = w.browser(p);
            let r = b.post(&format!("/admin/users/{id}/disable"), &[]).await;
            (r, Some(w.user(&email).await.disabled))
        }
        Op::AdminEnable => {
            let (email, id) = w.throwaway_user().await;
            let now = w.srv.state.clock.now_ms();
            (w.srv.store)
                .set_user_disabled(&id, true, now)
                .await
                .unwrap();
            let b = w.browser(p);
            let r = b.post(&format!("/admin/users/{id}/enable"), &[]).await;
            (r, Some(!w.user(&email).await.disabled))
        }
        Op::AdminAudit => (b.get("/admin/audit").await, None),
        Op::AdminStatus => (b.get("/admin/status").await, None),
        Op::AdminOidc => (b.get("/admin/oidc").await, None),
        Op::AdminOidcSave => {
            let client = w.unique("client");
            let r = b
                .post("/admin/oidc", &[("OIDC_CLIENT_ID", client.as_str())])
                .await;
            let live = w.srv.state.oidc().client_id.clone();
            (r, Some(live.as_deref() == Some(client.as_str())))
        }
        Op::AdminOidcRemove => (b.post("/admin/oidc/remove", &[]).await, None),
        _ => unreachable!("not an admin call: {op:?}"),
    }
}
