//! PKCE (RFC 7636) with S256 only: the CLI makes a verifier and sends its
//! challenge; the server later checks the verifier against the challenge.
//! `plain` is not offered: it would let whoever sees the challenge redeem.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A verifier is 43 to 128 characters of the RFC's unreserved set.
pub fn verifier_is_valid(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A challenge is the unpadded URL-safe base64 of a SHA-256: 43 characters.
pub fn challenge_is_valid(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// A new random verifier (256 bits, 43 characters).
pub fn new_verifier() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of a verifier.
pub fn challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is well formed and hashes to `challenge` (compared in
/// constant time).
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    verifier_is_valid(verifier) && crate::token::ct_eq(&challenge_s256(verifier), challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_base64url_of_sha256() {
        // Computed independently (Python: hashlib + base64.urlsafe_b64encode).
        let v = "heartlock-pkce-test-verifier-0123456789abcdef";
        let c = challenge_s256(v);
        assert_eq!(c, "4zFF68YlH4gO3FPz1x-M1do6xaZuULdzbV6XwXyZXTA");
        assert!(verify_s256(v, &c));
        assert!(challenge_is_valid(&c));
    }

    #[test]
    fn wrong_or_malformed_verifiers_fail() {
        let v = new_verifier();
        assert!(verifier_is_valid(&v));
        let c = challenge_s256(&v);
        assert!(!verify_s256(&new_verifier(), &c));
        assert!(!verify_s256("short", &challenge_s256("short")));
        let spaced = format!("{v} ");
        assert!(!verify_s256(&spaced, &challenge_s256(&spaced)));
        assert!(!challenge_is_valid("not a challenge"));
    }
}
