//! Browser push notifications (RFC 8030 delivery, RFC 8291 payload
//! encryption, RFC 8292 VAPID). Users subscribe their browsers here; a
//! change that should notify someone puts one outbox row (kind `push`) per
//! subscription in its own transaction, and the outbox worker delivers it
//! through `send`. A subscription the push service says is gone (404/410)
//! is deleted.
pub mod send;
pub mod subscriptions;
pub mod vapid;

pub use subscriptions::{PushSubscriptionView, SubscribeRequest};

use crate::Domain;
use crate::error::{DomainError, DomainResult};
use heartlock_core::binding::Binding;
use heartlock_store::NewOutboxMessage;
use serde::{Deserialize, Serialize};

/// The outbox kind of a push message.
pub const KIND_PUSH: &str = "push";

/// What a notification says. Shown by the service worker as a system
/// notification: never put a secret value in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushNotice {
    pub title: String,
    pub body: String,
    /// Opened when the notification is clicked (a path on this server).
    pub url: String,
    /// Notifications with the same tag replace each other in the browser.
    pub tag: String,
}

/// What the outbox stores (sealed) for a push: the subscription it goes to
/// (read again at delivery, so an unsubscribe cancels pending messages) and
/// the notice.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PushPayload {
    pub subscription_id: String,
    pub notice: PushNotice,
}

/// Outbox rows (kind "push") for every push subscription of `user_id`,
/// sealed, ready to commit with the change (`Store::with_outbox`). Empty
/// when the user has none.
pub(crate) async fn messages_for_user(
    dom: &Domain,
    user_id: &str,
    notice: &PushNotice,
) -> DomainResult<Vec<NewOutboxMessage>> {
    let subs = dom.store.push_subscriptions_of(user_id).await?;
    subs.iter()
        .map(|s| seal(dom, &s.id, user_id, notice))
        .collect()
}

/// Seals one push for subscription `subscription_id` into a new outbox row.
pub(crate) fn seal(
    dom: &Domain,
    subscription_id: &str,
    user_id: &str,
    notice: &PushNotice,
) -> DomainResult<NewOutboxMessage> {
    let id = heartlock_core::ids::new_id();
    let payload = PushPayload {
        subscription_id: subscription_id.to_string(),
        notice: notice.clone(),
    };
    let json = zeroize::Zeroizing::new(
        serde_json::to_vec(&payload).map_err(|e| DomainError::Internal(e.to_string()))?,
    );
    let payload_ct = dom
        .keyring
        .seal(&Binding::Outbox { id: id.clone() }.context(), &json)
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(NewOutboxMessage {
        id,
        kind: KIND_PUSH.to_string(),
        // Administrators see who it is for, not where the browser is.
        recipient: format!("user {user_id}, subscription {subscription_id}"),
        payload_ct,
        created_at: dom.now_ms(),
    })
}

/// The application server key browsers subscribe with
/// (`applicationServerKey`): unpadded base64url of the public point.
pub fn public_key(dom: &Domain) -> String {
    dom.vapid.public_b64()
}
