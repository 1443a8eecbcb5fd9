//! RFC 8292 VAPID: an ES256 JWT naming the push service (`aud`), an expiry
//! and a contact (`sub`), sent as `Authorization: vapid t=<jwt>, k=<key>`.
use super::{VapidKeys, b64url};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

/// How long a token is valid: RFC 8292 allows at most 24 hours.
pub const TOKEN_TTL_SECS: i64 = 12 * 3600;

/// The origin of a push endpoint: `scheme://host[:port]`, the port kept
/// when it is not the scheme's default (push services compare it exactly).
pub fn audience(endpoint: &str) -> Option<String> {
    let url = url::Url::parse(endpoint).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The `Authorization` header value for a push to `endpoint`, valid from
/// `now_secs` for [`TOKEN_TTL_SECS`].
pub fn authorization(
    keys: &VapidKeys,
    endpoint: &str,
    subject: &str,
    now_secs: i64,
) -> Option<String> {
    let aud = audience(endpoint)?;
    let header = b64url(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({
        "aud": aud,
        "exp": now_secs.saturating_add(TOKEN_TTL_SECS),
        "sub": subject,
    });
    let claims = b64url(serde_json::to_string(&claims).ok()?.as_bytes());
    let signing_input = format!("{header}.{claims}");
    let signature: Signature = SigningKey::from(keys.secret()).sign(signing_input.as_bytes());
    // JWS ES256 signatures are r || s, 64 bytes (what `to_bytes` gives).
    let jwt = format!("{signing_input}.{}", b64url(&signature.to_bytes()));
    Some(format!("vapid t={jwt}, k={}", keys.public_b64()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::webpush::b64url_decode;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn audience_keeps_a_non_default_port() {
        assert_eq!(
            audience("http://127.0.0.1:9500/push/sub1").as_deref(),
            Some("http://127.0.0.1:9500")
        );
        assert_eq!(
            audience("https://fcm.googleapis.com:443/fcm/send/x").as_deref(),
            Some("https://fcm.googleapis.com")
        );
        assert_eq!(
            audience("https://push.example:8443/a").as_deref(),
            Some("https://push.example:8443")
        );
        assert_eq!(audience("not a url"), None);
    }

    #[test]
    fn token_verifies_and_carries_the_claims() {
        let keys = VapidKeys::generate();
        let h = authorization(
            &keys,
            "https://push.example:8443/a/b",
            "mailto:ops@example.com",
            1000,
        )
        .unwrap();
        let rest = h.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        assert_eq!(k, keys.public_b64());
        assert!(!k.contains('='));
        let parts: Vec<&str> = jwt.split('.').collect();
        let claims: serde_json::Value =
            serde_json::from_slice(&b64url_decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example:8443");
        assert_eq!(claims["exp"], 1000 + TOKEN_TTL_SECS);
        assert_eq!(claims["sub"], "mailto:ops@example.com");
        let sig = Signature::from_slice(&b64url_decode(parts[2]).unwrap()).unwrap();
        let vk = VerifyingKey::from_sec1_bytes(keys.public_bytes()).unwrap();
        vk.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }
}
