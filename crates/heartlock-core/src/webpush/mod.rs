//! Web push building blocks, pure: VAPID key parsing (the formats the seed's
//! generator prints), RFC 8291 `aes128gcm` payload encryption and RFC 8292
//! VAPID tokens. The domain does the I/O.
//!
//! Built on RustCrypto instead of the `web-push` crate: that crate reads
//! neither key format, drops a non-default port from the token's `aud` and
//! pulls in OpenSSL and an old hyper.
pub mod ece;
pub mod keys;
pub mod vapid;

pub use ece::{EceError, MAX_PLAINTEXT, encrypt};
pub use keys::{VapidKeyError, VapidKeys};
pub use vapid::{audience, authorization};

use base64::Engine;

/// base64url without padding (what RFC 8292 and browsers use).
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url, `=` padding optional (the seed's generator pads).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim().trim_end_matches('='))
        .ok()
}
