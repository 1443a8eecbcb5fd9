//! Signed values (cookies): `value.signature`, an HMAC-SHA256 under
//! SECRET_KEY. Verification also accepts the SECRET_KEY_FALLBACKS, so the
//! key can be rotated without signing everyone out (as Django does).
//!
//! The MAC covers a purpose (the cookie name) as well as the value, so a
//! value signed for one cookie is refused as another.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// The signing key and the older keys still accepted.
pub struct Signer {
    current: Zeroizing<Vec<u8>>,
    fallbacks: Vec<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("fallbacks", &self.fallbacks.len())
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn new(current: &[u8], fallbacks: &[&[u8]]) -> Self {
        Self {
            current: Zeroizing::new(current.to_vec()),
            fallbacks: fallbacks
                .iter()
                .map(|k| Zeroizing::new(k.to_vec()))
                .collect(),
        }
    }

    fn mac(key: &[u8], purpose: &str, value: &str) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(key).ok()?;
        // Length-prefixed so (purpose, value) pairs cannot collide.
        mac.update(&(purpose.len() as u64).to_be_bytes());
        mac.update(purpose.as_bytes());
        mac.update(value.as_bytes());
        Some(mac)
    }

    /// `value.signature`. An empty key cannot be refused by `hmac`, so
    /// this never fails; `value` must not be secret-bearing in logs.
    pub fn sign(&self, purpose: &str, value: &str) -> String {
        let tag = Self::mac(&self.current, purpose, value)
            .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{value}.{tag}")
    }

    /// The value if `signed` carries a valid signature under the current
    /// key or a fallback; `None` for anything else.
    pub fn unsign<'a>(&self, purpose: &str, signed: &'a str) -> Option<&'a str> {
        let (value, tag) = signed.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let keys = std::iter::once(&self.current).chain(self.fallbacks.iter());
        for key in keys {
            // verify_slice compares in constant time.
            if Self::mac(key, purpose, value)?.verify_slice(&tag).is_ok() {
                return Some(value);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let s = Signer::new(b"k1", &[]);
        let signed = s.sign("session", "abc.def");
        assert_eq!(s.unsign("session", &signed), Some("abc.def"));
        assert_eq!(s.unsign("csrf", &signed), None, "bound to its purpose");
        assert_eq!(s.unsign("session", "abc.def"), None);
        let mut forged = signed.clone();
        forged.replace_range(0..1, "x");
        assert_eq!(s.unsign("session", &forged), None);
        assert_eq!(s.unsign("session", "no-dot"), None);
    }

    #[test]
    fn fallbacks_verify_but_do_not_sign() {
        let old = Signer::new(b"old", &[]);
        let signed_old = old.sign("session", "v");
        let rotated = Signer::new(b"new", &[b"old"]);
        assert_eq!(rotated.unsign("session", &signed_old), Some("v"));
        assert_ne!(rotated.sign("session", "v"), signed_old);
        let dropped = Signer::new(b"new", &[]);
        assert_eq!(dropped.unsign("session", &signed_old), None);
    }
}
