//! A user's own browser subscriptions: subscribe, list, unsubscribe, and a
//! test notification. Only signed-in users have any (a service token has no
//! browser); nobody sees or removes another user's.
//!
//! The endpoint is a URL a signed-in user chooses, which the server will
//! later POST to: a server-side request forgery vector. Decision: endpoints
//! must be https on port 443 to a DNS name (no IP literals, no
//! `localhost`, no single-label intranet names), and the sender resolves
//! the name itself and refuses loopback, private, link-local (cloud
//! metadata) and other non-global addresses before connecting (see
//! `send`). Only with DEBUG on is plain http to a loopback address
//! accepted, for local push services in development and tests.
use super::{PushNotice, seal};
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use crate::projects::require_user;
use heartlock_core::audit::Outcome;
use heartlock_core::binding::Binding;
use heartlock_core::webpush::{b64url, b64url_decode, keys::point_from_bytes};
use heartlock_store::PushSubscriptionRecord;

/// Browsers one user may have subscribed at once.
pub const MAX_PER_USER: i64 = 20;
/// Push endpoints are short; browsers' are well under 1 KiB.
const MAX_ENDPOINT_LEN: usize = 2048;
const MAX_LABEL_LEN: usize = 120;

/// A `PushSubscription` as a browser serialises it (`toJSON()`).
#[derive(Clone, Default)]
pub struct SubscribeRequest {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    /// A label for the user's list; the request's User-Agent when absent.
    pub label: Option<String>,
}

/// One subscription as its owner sees it: never the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscriptionView {
    pub id: String,
    /// The browser's endpoint, so a page can tell which one is its own.
    pub endpoint: String,
    /// `scheme://host[:port]` of the endpoint (which push service).
    pub service: String,
    pub label: String,
    pub created_at: i64,
    pub last_success_at: Option<i64>,
}

fn view(r: PushSubscriptionRecord) -> PushSubscriptionView {
    PushSubscriptionView {
        service: heartlock_core::webpush::audience(&r.endpoint).unwrap_or_default(),
        id: r.id,
        endpoint: r.endpoint,
        label: r.user_agent,
        created_at: r.created_at,
        last_success_at: r.last_success_at,
    }
}

/// Checks an endpoint URL against the policy above.
pub fn validate_endpoint(endpoint: &str, debug: bool) -> DomainResult<url::Url> {
    let bad = |m: &str| DomainError::validation("endpoint", m);
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(bad("is too long"));
    }
    let url = url::Url::parse(endpoint).map_err(|_| bad("must be an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(bad("must not carry credentials or a fragment"));
    }
    match (url.scheme(), url.host()) {
        ("https", Some(url::Host::Domain(d))) => {
            let d = d.trim_end_matches('.');
            if !d.contains('.') || d == "localhost" || d.ends_with(".localhost") {
                return Err(bad("must name a public push service"));
            }
            if url.port_or_known_default() != Some(443) {
                return Err(bad("must use the https port 443"));
            }
            Ok(url)
        }
        ("http" | "https", Some(url::Host::Ipv4(ip))) if debug && ip.is_loopback() => Ok(url),
        ("http" | "https", Some(url::Host::Ipv6(ip))) if debug && ip.is_loopback() => Ok(url),
        ("https", _) => Err(bad("must name a public push service, not an address")),
        _ => Err(bad("must be an https URL")),
    }
}

/// The signed-in person: service tokens have no browser (403), anonymous
/// callers must sign in (401).
fn person(caller: &Principal) -> DomainResult<&heartlock_store::UserRecord> {
    match caller.actor {
        Actor::Token(_) | Actor::System { .. } => Err(DomainError::Forbidden(
            "only people have browsers to notify, not service tokens".into(),
        )),
        _ => require_user(caller),
    }
}

fn decode_keys(p256dh: &str, auth: &str) -> DomainResult<([u8; 65], Vec<u8>)> {
    let point = b64url_decode(p256dh)
        .and_then(|b| point_from_bytes(&b))
        .ok_or_else(|| {
            DomainError::validation("keys.p256dh", "must be base64url of a P-256 public key")
        })?;
    let auth = b64url_decode(auth)
        .filter(|a| a.len() == 16)
        .ok_or_else(|| DomainError::validation("keys.auth", "must be base64url of 16 bytes"))?;
    Ok((point, auth))
}

fn label(req: &SubscribeRequest, caller: &Principal) -> String {
    let raw = req
        .label
        .as_deref()
        .filter(|l| !l.trim().is_empty())
        .or(caller.user_agent.as_deref())
        .unwrap_or("browser");
    raw.chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_LEN)
        .collect()
}

/// Subscribes a browser for the caller. The same endpoint subscribed again
/// replaces its earlier row (new keys, possibly another user).
pub async fn subscribe(
    dom: &Domain,
    caller: &Principal,
    req: &SubscribeRequest,
) -> DomainResult<PushSubscriptionView> {
    let user = person(caller)?;
    dom.require_stable_key()?;
    validate_endpoint(&req.endpoint, dom.settings.debug)?;
    let (point, auth) = decode_keys(&req.p256dh, &req.auth)?;
    let existing = dom.store.push_subscriptions_of(&user.id).await?;
    let renewing = existing.iter().any(|s| s.endpoint == req.endpoint);
    if !renewing && i64::try_from(existing.len()).unwrap_or(i64::MAX) >= MAX_PER_USER {
        return Err(DomainError::Conflict(format!(
            "at most {MAX_PER_USER} browsers can receive notifications; remove one first"
        )));
    }
    let id = heartlock_core::ids::new_id();
    let auth_ct = dom
        .keyring
        .seal(
            &Binding::PushSubscription { id: id.clone() }.context(),
            &auth,
        )
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let rec = PushSubscriptionRecord {
        id: id.clone(),
        user_id: user.id.clone(),
        endpoint: req.endpoint.clone(),
        p256dh: b64url(&point),
        auth_ct,
        user_agent: label(req, caller),
        created_at: dom.now_ms(),
        last_success_at: None,
    };
    let ev = event(dom, caller, "push.subscribe", Outcome::Success)
        .detail(format!("subscription {id} ({})", view(rec.clone()).service));
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.put_push_subscription(&rec).await
    })
    .await?;
    dom.store
        .push_subscription(&id)
        .await?
        .map(view)
        .ok_or(DomainError::NotFound("subscription not found"))
}

/// The caller's subscriptions, oldest first.
pub async fn list(dom: &Domain, caller: &Principal) -> DomainResult<Vec<PushSubscriptionView>> {
    let user = person(caller)?;
    Ok(dom
        .store
        .push_subscriptions_of(&user.id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Removes one of the caller's subscriptions (404 for anyone else's).
pub async fn unsubscribe(dom: &Domain, caller: &Principal, id: &str) -> DomainResult<()> {
    let user = person(caller)?;
    let ev = event(dom, caller, "push.unsubscribe", Outcome::Success)
        .detail(format!("subscription {id}"));
    let uid = user.id.as_str();
    let removed = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.delete_push_subscription(id, Some(uid)).await
    })
    .await?;
    if removed {
        Ok(())
    } else {
        Err(DomainError::NotFound("subscription not found"))
    }
}

/// Removes the caller's subscription of `endpoint` (what a browser knows
/// about itself); 404 when the caller has none there.
pub async fn unsubscribe_endpoint(
    dom: &Domain,
    caller: &Principal,
    endpoint: &str,
) -> DomainResult<()> {
    let user = person(caller)?;
    let found = dom
        .store
        .push_subscriptions_of(&user.id)
        .await?
        .into_iter()
        .find(|s| s.endpoint == endpoint)
        .ok_or(DomainError::NotFound("subscription not found"))?;
    unsubscribe(dom, caller, &found.id).await
}

/// Queues a test notification to every browser of the caller; returns how
/// many (0 when none is subscribed).
pub async fn send_test(dom: &Domain, caller: &Principal) -> DomainResult<usize> {
    let user = person(caller)?;
    let notice = PushNotice {
        title: "Heartlock".into(),
        body: "Test notification: notifications work on this browser.".into(),
        url: "/account".into(),
        tag: "heartlock-test".into(),
    };
    let subs = dom.store.push_subscriptions_of(&user.id).await?;
    let messages = subs
        .iter()
        .map(|s| seal(dom, &s.id, &user.id, &notice))
        .collect::<DomainResult<Vec<_>>>()?;
    let n = messages.len();
    if n > 0 {
        dom.store.enqueue_outbox(messages).await?;
        dom.mail.wake();
    }
    Ok(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_policy() {
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "https://web.push.apple.com:443/x",
        ] {
            validate_endpoint(ok, false).unwrap();
        }
        for bad in [
            "http://fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://localhost/x",
            "https://intranet/x",
            "https://push.example:8443/x",
            "https://u:p@push.example/x",
            "ftp://push.example/x",
            "http://127.0.0.1:9500/push/sub1",
        ] {
            assert!(validate_endpoint(bad, false).is_err(), "{bad}");
        }
        validate_endpoint("http://127.0.0.1:9500/push/sub1", true).unwrap();
        assert!(validate_endpoint("http://10.0.0.1:9500/x", true).is_err());
    }
}
