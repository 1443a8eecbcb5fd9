//! Delivers one outbox message of kind `push`: reads the subscription,
//! encrypts the notice for its browser (RFC 8291), signs a VAPID token for
//! its push service (RFC 8292) and POSTs it (RFC 8030).
//!
//! The endpoint came from a user, so the request is fenced: the endpoint is
//! checked again against the subscription policy, the host name is
//! resolved here and only public addresses are connected to (no loopback,
//! private, link-local/metadata or reserved ranges; a DNS answer cannot
//! smuggle one in), redirects are never followed and every request is
//! bounded in time.
use super::{PushPayload, subscriptions::validate_endpoint};
use crate::mail::MailError;
use crate::{Domain, SharedKeyring};
use heartlock_core::Clock;
use heartlock_core::binding::Binding;
use heartlock_core::webpush::{self, VapidKeys, b64url_decode};
use heartlock_store::{OutboxMessage, Store};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How long a push service keeps an undelivered message (RFC 8030 `TTL`).
const TTL_SECS: u32 = 24 * 3600;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) struct PushSender {
    store: Store,
    ring: SharedKeyring,
    clock: Arc<dyn Clock>,
    vapid: Arc<VapidKeys>,
    subject: String,
    debug: bool,
    http: Result<reqwest::Client, String>,
}

impl PushSender {
    pub(crate) fn new(dom: &Domain) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .dns_resolver(Arc::new(PublicOnly))
            .build()
            .map_err(|e| e.to_string());
        Self {
            store: dom.store.clone(),
            ring: dom.keyring.clone(),
            clock: dom.clock.clone(),
            vapid: dom.vapid.clone(),
            subject: dom.settings.vapid.subject.clone(),
            debug: dom.settings.debug,
            http,
        }
    }

    fn open(&self, m: &OutboxMessage) -> Result<PushPayload, MailError> {
        crate::mail::worker::open_payload(&self.ring, m)
    }

    /// Sends `m`. Permanent failures: the subscription is gone (removed
    /// here on 404/410), or the request is refused as malformed or
    /// unauthorised; temporary: network trouble, 429 and 5xx.
    pub(crate) async fn deliver(&self, m: &OutboxMessage) -> Result<(), MailError> {
        let payload = self.open(m)?;
        let Some(sub) = self
            .store
            .push_subscription(&payload.subscription_id)
            .await
            .map_err(|e| MailError::Transient(format!("cannot read the subscription: {e}")))?
        else {
            return Err(MailError::Permanent(
                "the browser unsubscribed before delivery".into(),
            ));
        };
        validate_endpoint(&sub.endpoint, self.debug)
            .map_err(|e| MailError::Permanent(format!("refused endpoint: {e}")))?;
        let auth = self
            .ring
            .open(
                &Binding::PushSubscription { id: sub.id.clone() }.context(),
                &sub.auth_ct,
            )
            .map_err(|_| {
                MailError::Permanent("the subscription's auth secret does not decrypt".into())
            })?;
        let p256dh = b64url_decode(&sub.p256dh)
            .ok_or_else(|| MailError::Permanent("the subscription's key is malformed".into()))?;
        let plaintext = zeroize::Zeroizing::new(
            serde_json::to_vec(&payload.notice).map_err(|e| MailError::Permanent(e.to_string()))?,
        );
        let body = webpush::encrypt(&p256dh, &auth.plaintext, &plaintext)
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        let now_secs = self.clock.now_ms().div_euclid(1000);
        let authorization =
            webpush::authorization(&self.vapid, &sub.endpoint, &self.subject, now_secs)
                .ok_or_else(|| MailError::Permanent("the endpoint has no origin".into()))?;
        let http = self
            .http
            .as_ref()
            .map_err(|e| MailError::Transient(format!("no HTTP client: {e}")))?;
        let response = http
            .post(&sub.endpoint)
            .header("Authorization", authorization)
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("TTL", TTL_SECS.to_string())
            .header("Urgency", "normal")
            .body(body)
            .send()
            .await
            // Without the URL: it is a capability for the user's browser.
            .map_err(|e| MailError::Transient(describe(&e)))?;
        let status = response.status().as_u16();
        match status {
            200..=299 => {
                let _ = self
                    .store
                    .push_delivered(&sub.id, self.clock.now_ms())
                    .await;
                Ok(())
            }
            404 | 410 => {
                self.store
                    .delete_push_subscription(&sub.id, None)
                    .await
                    .map_err(|e| MailError::Transient(format!("cannot remove: {e}")))?;
                tracing::info!(subscription = %sub.id, status, "push subscription gone; removed");
                Err(MailError::Permanent(format!(
                    "the push service answered {status}: the subscription is gone and was removed"
                )))
            }
            429 | 500..=599 => Err(MailError::Transient(format!(
                "the push service answered {status}"
            ))),
            _ => Err(MailError::Permanent(format!(
                "the push service answered {status}"
            ))),
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    format!("push service: {kind}")
}

/// Resolves host names and keeps only public addresses.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err("the push service resolves to no public address".into());
            }
            let it: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(it)
        })
    }
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared 100.64/10
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0/24
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x64 && s[1] == 0xff9b)) // NAT64 to anywhere
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["142.250.74.10", "2a00:1450:4001:80b::200a"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
