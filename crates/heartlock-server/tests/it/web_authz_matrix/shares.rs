//! The matrix's calls for share links (web::shares): the public recipient
//! page, the sender's pages and a project's sharing switch. Shares are
//! written to the store directly (their content is opaque to the server).
use super::web::{ENV, KEY, Principal, Reply, World};
use super::{MAIN, Op};

/// A live share of `creator` (a user id) with one view: its id.
async fn throwaway_share(w: &World, creator: &str) -> String {
    // Ids are 16 to 64 URL-safe characters.
    let id = w.unique("matrix-share-link");
    let now = w.srv.state.clock.now_ms();
    let record = heartlock_store::ShareRecord {
        id: id.clone(),
        creator_key: format!("user:{creator}"),
        created_by: Some(creator.to_string()),
        project_id: None,
        source_environment: None,
        source_key: None,
        kdf_salt: None,
        kdf_iterations: None,
        label: Some("matrix".into()),
        size: 64,
        views_allowed: 1,
        views_left: 1,
        expires_at: now + 3_600_000,
        created_at: now,
    };
    let new = heartlock_store::NewShareRecord {
        record,
        ciphertext: heartlock_core::webpush::b64url(&[7u8; 64]),
        auth_hash: heartlock_core::share::access_hash(&[9u8; 32]),
    };
    assert!(w.srv.store.create_share(&new, 1_000).await.unwrap());
    id
}

async fn views_left(w: &World, id: &str) -> Option<i64> {
    w.srv.store.share(id).await.unwrap().map(|s| s.views_left)
}

pub(super) async fn run(w: &mut World, op: Op, p: Principal) -> (Reply, Option<bool>) {
    match op {
        // A GET of a live link consumes nothing, whoever asks.
        Op::ShareOpen => {
            let owner = w.user_id(Principal::Owner.email().unwrap()).await;
            let id = throwaway_share(w, &owner).await;
            let r = w.browser(p).get(&format!("/s/{id}")).await;
            assert_eq!(views_left(w, &id).await, Some(1), "a GET used a view");
            (r, None)
        }
        Op::ShareOpenGone => (w.browser(p).get("/s/no-such-share-0000").await, None),
        Op::Shares => (w.browser(p).get("/shares").await, None),
        Op::ShareNew => (w.browser(p).get("/shares/new").await, None),
        Op::ShareNewFromSecret => {
            let path = format!("/shares/new?project=main-app&env={ENV}&key={KEY}");
            (w.browser(p).get(&path).await, None)
        }
        // Only the creator (here the owner) revokes a link.
        Op::ShareRevoke => {
            let owner = w.user_id(Principal::Owner.email().unwrap()).await;
            let id = throwaway_share(w, &owner).await;
            let r = w
                .browser(p)
                .post(&format!("/shares/{id}/revoke"), &[])
                .await;
            (r, Some(views_left(w, &id).await.is_none()))
        }
        // Turns sharing off (no checkbox sent), then back on for the next cell.
        Op::ProjectSharing => {
            let project = w.project().await;
            let r = w.browser(p).post(&format!("{MAIN}/sharing"), &[]).await;
            let off = !w.srv.store.project_sharing(&project.id).await.unwrap();
            let now = w.srv.state.clock.now_ms();
            (w.srv.store)
                .set_project_sharing(&project.id, true, None, now)
                .await
                .unwrap();
            (r, Some(off))
        }
        // A sealed blob as share.js sends it (the server cannot tell it
        // from any other bytes); "landed" is the share in the sender's list.
        Op::ShareCreate => {
            let b64 = heartlock_core::webpush::b64url;
            let body = serde_json::json!({
                "ciphertext": b64(&[5u8; 80]),
                "auth": b64(&[6u8; 32]),
                "expires_in": 3600,
                "views": 1,
                "label": "matrix create",
            });
            let r = w.browser(p).post_json("/shares", &body).await;
            let id = serde_json::from_str::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string));
            let landed = match &id {
                Some(id) => views_left(w, id).await.is_some(),
                None => false,
            };
            (r, Some(landed))
        }
        _ => unreachable!("not one of this module's routes: {op:?}"),
    }
}
