//! VAPID key pairs in the seed's formats: the public key is base64url of the
//! 65-byte uncompressed P-256 point, the private key base64url of its PKCS#8
//! DER; `=` padding optional on both.
use super::{b64url, b64url_decode};
use base64::Engine;
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand::RngCore;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VapidKeyError {
    #[error("VAPID_PUBLIC_KEY is not base64url of a 65-byte uncompressed P-256 point")]
    Public,
    #[error("VAPID_PRIVATE_KEY is not base64url of a PKCS#8 DER P-256 private key")]
    Private,
    #[error(
        "VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY (they must come from the same \
         generated pair)"
    )]
    Mismatch,
}

/// A checked key pair.
#[derive(Clone)]
pub struct VapidKeys {
    secret: SecretKey,
    public: [u8; 65],
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public", &self.public_b64())
            .finish_non_exhaustive()
    }
}

/// The 65-byte uncompressed point `raw` encodes, if it is one on P-256.
pub fn parse_point(raw: &str) -> Option<[u8; 65]> {
    let bytes = b64url_decode(raw)?;
    point_from_bytes(&bytes)
}

/// `bytes` if they are an uncompressed point on P-256.
pub fn point_from_bytes(bytes: &[u8]) -> Option<[u8; 65]> {
    let point: [u8; 65] = bytes.try_into().ok()?;
    if point[0] != 4 {
        return None;
    }
    p256::PublicKey::from_sec1_bytes(&point).ok()?;
    Some(point)
}

impl VapidKeys {
    /// Parses and checks a configured pair.
    pub fn parse(public: &str, private: &str) -> Result<Self, VapidKeyError> {
        let point = parse_point(public).ok_or(VapidKeyError::Public)?;
        let der = zeroize::Zeroizing::new(b64url_decode(private).ok_or(VapidKeyError::Private)?);
        let secret = SecretKey::from_pkcs8_der(&der).map_err(|_| VapidKeyError::Private)?;
        let keys = Self::from_secret(secret);
        if keys.public != point {
            return Err(VapidKeyError::Mismatch);
        }
        Ok(keys)
    }

    /// The pair of a private key alone (PKCS#8 DER, base64url).
    pub fn from_private(private: &str) -> Result<Self, VapidKeyError> {
        let der = zeroize::Zeroizing::new(b64url_decode(private).ok_or(VapidKeyError::Private)?);
        let secret = SecretKey::from_pkcs8_der(&der).map_err(|_| VapidKeyError::Private)?;
        Ok(Self::from_secret(secret))
    }

    fn from_secret(secret: SecretKey) -> Self {
        let mut public = [0u8; 65];
        public.copy_from_slice(secret.public_key().to_encoded_point(false).as_bytes());
        Self { secret, public }
    }

    /// A fresh pair.
    pub fn generate() -> Self {
        loop {
            let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
            rand::rng().fill_bytes(bytes.as_mut());
            // Fails only for zero or values ≥ the group order (≈ 2^-128).
            if let Ok(secret) = SecretKey::from_slice(bytes.as_ref()) {
                return Self::from_secret(secret);
            }
        }
    }

    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The uncompressed point.
    pub fn public_bytes(&self) -> &[u8; 65] {
        &self.public
    }

    /// The public key as browsers take it (`applicationServerKey`) and as
    /// the `k=` parameter: base64url, unpadded.
    pub fn public_b64(&self) -> String {
        b64url(&self.public)
    }

    /// The public key as the seed's generator prints it (padded).
    pub fn public_padded(&self) -> String {
        base64::engine::general_purpose::URL_SAFE.encode(self.public)
    }

    /// The private key as the seed's generator prints it: base64url
    /// (padded) of the PKCS#8 DER. A secret: never log it.
    pub fn private_pkcs8_b64(&self) -> Option<zeroize::Zeroizing<String>> {
        let der = self.secret.to_pkcs8_der().ok()?;
        Some(zeroize::Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE.encode(der.as_bytes()),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // Printed by the seed's generator (Python `cryptography`).
    const PUB: &str =
        "BBaYfsVTJ4lc4W1fdq7e3E2IHGKbdm5QxUy8vOmbV66F6xBsskIdJKIBN4h3msxk-I8qIWL8ZHxyyXnRdBhzkH4=";
    const PRIV: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3fopgzcII4711w3QZ4T3ehSlOplfDo2BDvMOCRagGiehRANCAAQWmH7FUyeJXOFtX3au3txNiBxim3ZuUMVMvLzpm1euhesQbLJCHSSiATeId5rMZPiPKiFi_GR8csl50XQYc5B-";

    #[test]
    fn reads_the_seed_generator_formats_padded_or_not() {
        let k = VapidKeys::parse(PUB, PRIV).unwrap();
        assert_eq!(k.public_padded(), PUB);
        assert_eq!(k.private_pkcs8_b64().unwrap().as_str(), PRIV);
        VapidKeys::parse(PUB.trim_end_matches('='), PRIV).unwrap();
    }

    #[test]
    fn refuses_a_mismatched_pair_and_bad_formats() {
        let other = VapidKeys::generate();
        assert_eq!(
            VapidKeys::parse(&other.public_padded(), PRIV).unwrap_err(),
            VapidKeyError::Mismatch
        );
        assert_eq!(
            VapidKeys::parse("abc", PRIV).unwrap_err(),
            VapidKeyError::Public
        );
        assert_eq!(
            VapidKeys::parse(PUB, "abc").unwrap_err(),
            VapidKeyError::Private
        );
    }

    #[test]
    fn generated_pairs_round_trip() {
        let k = VapidKeys::generate();
        let again = VapidKeys::parse(&k.public_b64(), &k.private_pkcs8_b64().unwrap()).unwrap();
        assert_eq!(again.public_bytes(), k.public_bytes());
        assert_eq!(k.public_padded().len(), 88);
        assert_eq!(k.private_pkcs8_b64().unwrap().len(), 184);
    }
}
