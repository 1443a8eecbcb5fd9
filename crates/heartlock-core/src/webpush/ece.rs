//! RFC 8291 message encryption for web push, in the RFC 8188 `aes128gcm`
//! content coding: one record, padding delimiter 0x02, no extra padding.
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;

/// The record size announced in the header. Push services accept bodies of
/// 4096 bytes; one record holds the whole message.
const RECORD_SIZE: u32 = 4096;
/// Header: salt (16) + rs (4) + idlen (1) + keyid (the 65-byte point).
const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// The longest plaintext that fits a 4096-byte body (header, delimiter, tag).
pub const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - 1 - 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EceError {
    #[error("the subscription's p256dh key is not a P-256 point")]
    BadPublicKey,
    #[error("the subscription's auth secret is not 16 bytes")]
    BadAuth,
    #[error("the message is too long for one push ({0} bytes)")]
    TooLong(usize),
    #[error("encryption failed")]
    Crypto,
}

/// Encrypts `plaintext` for the browser whose public key is `ua_public`
/// (65-byte point) and auth secret `auth`, with a fresh ephemeral key and
/// salt. Returns the request body.
pub fn encrypt(ua_public: &[u8], auth: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, EceError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let ephemeral = loop {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        if let Ok(k) = SecretKey::from_slice(bytes.as_ref()) {
            break k;
        }
    };
    encrypt_with(ua_public, auth, plaintext, &ephemeral, &salt)
}

/// [`encrypt`] with the ephemeral key and salt given (for the RFC's test
/// vector; never reuse either in production).
pub fn encrypt_with(
    ua_public: &[u8],
    auth: &[u8],
    plaintext: &[u8],
    as_secret: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, EceError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EceError::TooLong(plaintext.len()));
    }
    if auth.len() != 16 {
        return Err(EceError::BadAuth);
    }
    let ua_point = super::keys::point_from_bytes(ua_public).ok_or(EceError::BadPublicKey)?;
    let ua_key = PublicKey::from_sec1_bytes(&ua_point).map_err(|_| EceError::BadPublicKey)?;
    let as_public = as_secret.public_key().to_encoded_point(false);
    let as_public = as_public.as_bytes();

    // RFC 8291 §3.3-3.4: the shared secret, mixed with the auth secret and
    // both public keys, gives the input keying material.
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_key.as_affine());
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(&ua_point);
    key_info.extend_from_slice(as_public);
    let mut ikm = zeroize::Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes().as_slice())
        .expand(&key_info, ikm.as_mut())
        .map_err(|_| EceError::Crypto)?;

    // RFC 8188 §2.2-2.3: content-encryption key and nonce from the salt.
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm.as_ref());
    let mut cek = zeroize::Zeroizing::new([0u8; 16]);
    hk.expand(b"Content-Encoding: aes128gcm\0", cek.as_mut())
        .map_err(|_| EceError::Crypto)?;
    let mut nonce = [0u8; 12];
    hk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| EceError::Crypto)?;

    // One record, which is the last: the delimiter is 0x02.
    let mut record = zeroize::Zeroizing::new(Vec::with_capacity(plaintext.len() + 1));
    record.extend_from_slice(plaintext);
    record.push(2);
    let cipher = Aes128Gcm::new_from_slice(cek.as_ref()).map_err(|_| EceError::Crypto)?;
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| EceError::Crypto)?;

    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::webpush::{b64url, b64url_decode};

    /// RFC 8291 Appendix A (the record size there is 4096 as here).
    #[test]
    fn rfc8291_test_vector() {
        let plaintext = b"When I grow up, I want to be a watermelon";
        let as_private = b64url_decode("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw").unwrap();
        let ua_public = b64url_decode(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        )
        .unwrap();
        let salt: [u8; 16] = b64url_decode("DGv6ra1nlYgDCS1FRnbzlw")
            .unwrap()
            .try_into()
            .unwrap();
        let auth = b64url_decode("BTBZMqHH6r4Tts7J_aSIgg").unwrap();
        let secret = SecretKey::from_slice(&as_private).unwrap();
        let body = encrypt_with(&ua_public, &auth, plaintext, &secret, &salt).unwrap();
        assert_eq!(
            b64url(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn refuses_bad_inputs() {
        let k = crate::webpush::VapidKeys::generate();
        assert_eq!(
            encrypt(k.public_bytes(), &[0; 15], b"x").unwrap_err(),
            EceError::BadAuth
        );
        assert_eq!(
            encrypt(&[4; 65], &[0; 16], b"x").unwrap_err(),
            EceError::BadPublicKey
        );
        assert_eq!(
            encrypt(k.public_bytes(), &[0; 16], &vec![0; MAX_PLAINTEXT + 1]).unwrap_err(),
            EceError::TooLong(MAX_PLAINTEXT + 1)
        );
        let body = encrypt(k.public_bytes(), &[0; 16], &vec![0; MAX_PLAINTEXT]).unwrap();
        assert_eq!(body.len(), 4096);
    }
}
