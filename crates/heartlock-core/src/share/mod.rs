//! Share links, format version 1 (docs/shares.md): the value is sealed on
//! the sender's side under a fresh link key `K` that travels only in the
//! link's fragment; the server keeps the sealed blob and `SHA-256(A)`, where
//! `A` is the access value derived from `K` (and the passphrase, if any).
//! The browser (`static/share.js`) implements exactly the same, so either
//! side opens the other's links.
mod envelope;
mod link;

pub use envelope::{Content, MAX_NAME_CHARS, validate_name};
pub use link::{Link, format_link, parse_link, valid_id};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hkdf::Hkdf;
use rand::RngCore;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Length of the link key `K`, the access value and the derived keys.
pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 12;
pub const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// The KDF's name on the wire.
pub const KDF_NAME: &str = "pbkdf2-sha256";
/// OWASP's current figure for PBKDF2-HMAC-SHA256.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// The range the server accepts; a sender stays inside it.
pub const MIN_ITERATIONS: u32 = 100_000;
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// HKDF salt and AEAD associated data.
const LABEL: &[u8] = b"heartlock-share-v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShareError {
    #[error("invalid share link: {0}")]
    Link(&'static str),
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    #[error("this share is protected by a passphrase")]
    PassphraseRequired,
    #[error("the passphrase iterations must be between {MIN_ITERATIONS} and {MAX_ITERATIONS}")]
    Iterations,
    #[error("invalid passphrase parameters: {0}")]
    Kdf(&'static str),
    /// Wrong key or passphrase, or altered data: AES-GCM cannot tell which.
    #[error("cannot decrypt the share: wrong link or passphrase, or the data was altered")]
    Decrypt,
    #[error("unsupported share content: {0}")]
    Header(&'static str),
}

/// A link key `K`; wiped when dropped, never printed.
#[derive(Clone)]
pub struct LinkKey(Zeroizing<[u8; KEY_LEN]>);

impl LinkKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> LinkKey {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(k.as_mut());
        LinkKey(k)
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> LinkKey {
        LinkKey(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key as it appears after `#` in a link.
    pub fn to_b64url(&self) -> String {
        b64url(self.0.as_ref())
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(<redacted>)")
    }
}

/// The passphrase KDF's public parameters (stored by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kdf {
    pub salt: Vec<u8>,
    pub iterations: u32,
}

/// A passphrase and the parameters to stretch it with.
#[derive(Clone, Copy)]
pub struct Passphrase<'a> {
    pub passphrase: &'a str,
    pub kdf: &'a Kdf,
}

/// What the sender sends (`ciphertext`, `auth`, `kdf`) and keeps for the
/// link (`key`).
#[derive(Clone)]
pub struct Sealed {
    pub key: LinkKey,
    pub ciphertext: Vec<u8>,
    /// The access value `A`.
    pub auth: [u8; KEY_LEN],
    pub kdf: Option<Kdf>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("key", &self.key)
            .field(
                "ciphertext",
                &format_args!("<{} bytes>", self.ciphertext.len()),
            )
            .field("auth", &"<redacted>")
            .field("kdf", &self.kdf)
            .finish()
    }
}

/// The two keys derived from `K` (and the passphrase): `E` encrypts, `A`
/// proves knowledge of the link to the server.
pub struct Keys {
    encryption: Zeroizing<[u8; KEY_LEN]>,
    access: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

impl Keys {
    /// Derives `E` and `A` (runs PBKDF2 when there is a passphrase: compute
    /// once, then use both [`Keys::access`] and [`Keys::open`]).
    pub fn derive(key: &LinkKey, passphrase: Option<Passphrase<'_>>) -> Result<Keys, ShareError> {
        let mut ikm = Zeroizing::new(Vec::with_capacity(2 * KEY_LEN));
        ikm.extend_from_slice(key.as_bytes());
        if let Some(p) = passphrase {
            let stretched = stretch(p)?;
            ikm.extend_from_slice(stretched.as_ref());
        }
        let hk = Hkdf::<Sha256>::new(Some(LABEL), &ikm);
        let mut encryption = Zeroizing::new([0u8; KEY_LEN]);
        let mut access = Zeroizing::new([0u8; KEY_LEN]);
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32.
        hk.expand(b"encryption", encryption.as_mut())
            .map_err(|_| ShareError::Kdf("HKDF length"))?;
        hk.expand(b"access", access.as_mut())
            .map_err(|_| ShareError::Kdf("HKDF length"))?;
        Ok(Keys { encryption, access })
    }

    /// The access value `A` the server asks for before it hands out the
    /// ciphertext.
    pub fn access(&self) -> [u8; KEY_LEN] {
        *self.access
    }

    /// Decrypts and reads a sealed blob.
    pub fn open(&self, sealed: &[u8]) -> Result<Content, ShareError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(ShareError::Decrypt);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let cipher =
            Aes256Gcm::new_from_slice(self.encryption.as_ref()).map_err(|_| ShareError::Decrypt)?;
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: ct,
                        aad: LABEL,
                    },
                )
                .map_err(|_| ShareError::Decrypt)?,
        );
        envelope::decode(&plain)
    }

    fn seal(&self, content: &Content, nonce: &[u8; NONCE_LEN]) -> Result<Vec<u8>, ShareError> {
        let plain = Zeroizing::new(envelope::encode(content)?);
        let cipher =
            Aes256Gcm::new_from_slice(self.encryption.as_ref()).map_err(|_| ShareError::Decrypt)?;
        let ct = cipher
            .encrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: &plain,
                    aad: LABEL,
                },
            )
            .map_err(|_| ShareError::Decrypt)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }
}

/// `PBKDF2-HMAC-SHA256(UTF-8(NFC(passphrase)), salt, iterations, 32)`.
fn stretch(p: Passphrase<'_>) -> Result<Zeroizing<[u8; KEY_LEN]>, ShareError> {
    if p.passphrase.is_empty() {
        return Err(ShareError::EmptyPassphrase);
    }
    // Senders use 16 bytes; the server accepts up to 64.
    if !(SALT_LEN..=64).contains(&p.kdf.salt.len()) {
        return Err(ShareError::Kdf("the salt is not 16 to 64 bytes"));
    }
    // The upper bound keeps a hostile server from making us spin.
    if p.kdf.iterations == 0 || p.kdf.iterations > MAX_ITERATIONS {
        return Err(ShareError::Iterations);
    }
    let normalized: Zeroizing<String> = Zeroizing::new(p.passphrase.nfc().collect());
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    pbkdf2::pbkdf2_hmac::<Sha256>(
        normalized.as_bytes(),
        &p.kdf.salt,
        p.kdf.iterations,
        out.as_mut(),
    );
    Ok(out)
}

/// Seals `content` under a fresh link key (and a passphrase stretched with
/// `iterations`, [`MIN_ITERATIONS`] to [`MAX_ITERATIONS`]).
pub fn seal(
    content: &Content,
    passphrase: Option<&str>,
    iterations: u32,
) -> Result<Sealed, ShareError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let kdf = match passphrase {
        Some(_) => {
            if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
                return Err(ShareError::Iterations);
            }
            let mut salt = vec![0u8; SALT_LEN];
            rand::rng().fill_bytes(&mut salt);
            Some(Kdf { salt, iterations })
        }
        None => None,
    };
    let pass = passphrase.zip(kdf.as_ref());
    seal_with(content, LinkKey::generate(), &nonce, pass)
}

/// [`seal`] with the key, nonce and salt given: for test vectors only. Never
/// reuse a key or a nonce.
#[doc(hidden)]
pub fn seal_with(
    content: &Content,
    key: LinkKey,
    nonce: &[u8; NONCE_LEN],
    passphrase: Option<(&str, &Kdf)>,
) -> Result<Sealed, ShareError> {
    let pass = passphrase.map(|(passphrase, kdf)| Passphrase { passphrase, kdf });
    let keys = Keys::derive(&key, pass)?;
    let ciphertext = keys.seal(content, nonce)?;
    Ok(Sealed {
        key,
        ciphertext,
        auth: keys.access(),
        kdf: passphrase.map(|(_, kdf)| kdf.clone()),
    })
}

/// Opens a sealed blob with the link key (and the passphrase, when the
/// share has a KDF).
pub fn open(
    sealed: &[u8],
    key: &LinkKey,
    passphrase: Option<Passphrase<'_>>,
) -> Result<Content, ShareError> {
    Keys::derive(key, passphrase)?.open(sealed)
}

/// The access value `A` to send to the server's reveal.
pub fn access_value(
    key: &LinkKey,
    passphrase: Option<Passphrase<'_>>,
) -> Result<[u8; KEY_LEN], ShareError> {
    Ok(Keys::derive(key, passphrase)?.access())
}

/// `hex(SHA-256(A))`, what the server stores.
pub fn access_hash(access: &[u8]) -> String {
    hex::encode(Sha256::digest(access))
}

/// base64url without padding (every binary field of the format).
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url without padding (canonical trailing bits only).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

fn b64url_decode_exact<const N: usize>(s: &str) -> Option<[u8; N]> {
    let v = Zeroizing::new(b64url_decode(s)?);
    <[u8; N]>::try_from(v.as_slice()).ok()
}

#[cfg(test)]
mod tests;
