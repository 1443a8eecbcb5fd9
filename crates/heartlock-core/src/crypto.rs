//! Encryption at rest: a Fernet keyring.
//!
//! Tokens are standard Fernet, so they interoperate with Python's
//! `cryptography`. The first key encrypts; every key decrypts (rotation).
//! `seal`/`open` additionally bind each plaintext to the row it lives in: the
//! encrypted payload starts with a context string (e.g. `secret_version:<id>`)
//! that `open` checks, so a ciphertext copied to another row fails loudly
//! instead of decrypting as that row's value.
pub use crate::fernet_open::OpenBuf;
use crate::fernet_open::{OpenFailure, OpenKey, decrypt_in_place};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Marks a bound payload; followed by a 2-byte big-endian context length.
const MAGIC: &[u8; 4] = b"HL1\0";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error(
        "encryption key #{position} is not a Fernet key (expected URL-safe base64 of 32 bytes)"
    )]
    InvalidKey { position: usize },
    #[error("no encryption key configured")]
    NoKeys,
    #[error(
        "none of the configured encryption keys can decrypt this value (wrong key, or the value is corrupted)"
    )]
    WrongKey,
    #[error("integrity error: the encrypted value does not belong to this record")]
    Integrity,
    #[error("the decrypted value is not in Heartlock's format")]
    Malformed,
    #[error("context too long to bind")]
    ContextTooLong,
}

/// A decrypted value, wiped from memory on drop, and which key opened it
/// (0 is the primary key; anything else still needs rotation).
pub struct Opened {
    pub plaintext: Zeroizing<Vec<u8>>,
    pub key_index: usize,
}

#[derive(Clone)]
pub struct Keyring {
    /// Encrypts (the first) with a fresh IV and timestamp.
    keys: Vec<fernet::Fernet>,
    /// The same keys, prepared for decryption without allocation.
    open_keys: Vec<OpenKey>,
    fingerprints: Vec<String>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("fingerprints", &self.fingerprints)
            .finish()
    }
}

/// Decodes one key, padded (44 chars) or not (43), to its 32 bytes.
fn decode_key(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?);
    (bytes.len() == 32).then_some(bytes)
}

/// True when `text` is a single valid Fernet key.
pub fn is_valid_key(text: &str) -> bool {
    decode_key(text.trim()).is_some()
}

impl Keyring {
    /// Parses a comma-separated list of keys; the first one encrypts.
    pub fn parse(list: &str) -> Result<Self, CryptoError> {
        let mut keys = Vec::new();
        let mut open_keys = Vec::new();
        let mut fingerprints = Vec::new();
        for (i, part) in list.split(',').enumerate() {
            let bytes =
                decode_key(part.trim()).ok_or(CryptoError::InvalidKey { position: i + 1 })?;
            let padded = Zeroizing::new(URL_SAFE.encode(&*bytes));
            let key =
                fernet::Fernet::new(&padded).ok_or(CryptoError::InvalidKey { position: i + 1 })?;
            keys.push(key);
            let mut raw = Zeroizing::new([0u8; 32]);
            raw.copy_from_slice(&bytes);
            open_keys.push(OpenKey::new(&raw));
            fingerprints.push(hex::encode(&Sha256::digest(&*bytes)[..4]));
        }
        if keys.is_empty() {
            return Err(CryptoError::NoKeys);
        }
        Ok(Self {
            keys,
            open_keys,
            fingerprints,
        })
    }

    /// A new random key, padded, exactly as Python's `Fernet.generate_key()`.
    pub fn generate_key() -> String {
        fernet::Fernet::generate_key()
    }

    /// Short, non-secret identifiers of the keys (first 4 bytes of SHA-256).
    pub fn fingerprints(&self) -> &[String] {
        &self.fingerprints
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Plain Fernet encryption with the primary key (no row binding).
    pub fn encrypt_raw(&self, plaintext: &[u8]) -> String {
        self.keys[0].encrypt(plaintext)
    }

    /// Plain Fernet decryption with any key of the ring.
    pub fn decrypt_raw(&self, token: &str) -> Result<Opened, CryptoError> {
        let mut buf = OpenBuf::default();
        let (plaintext, key_index) = self.decrypt_in(token, &mut buf)?;
        Ok(Opened {
            plaintext: Zeroizing::new(plaintext.to_vec()),
            key_index,
        })
    }

    fn decrypt_in<'b>(
        &self,
        token: &str,
        buf: &'b mut OpenBuf,
    ) -> Result<(&'b [u8], usize), CryptoError> {
        let now = buf.now_secs(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
        decrypt_in_place(&self.open_keys, token, now, buf).map_err(|e| match e {
            // Both mean "cannot decrypt": the caller cannot tell a corrupted
            // token from one sealed under a key that is not configured.
            OpenFailure::Malformed | OpenFailure::NoKey => CryptoError::WrongKey,
        })
    }

    /// Encrypts `plaintext` bound to `context` (where it is stored).
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, CryptoError> {
        let len = u16::try_from(context.len()).map_err(|_| CryptoError::ContextTooLong)?;
        let mut payload = Zeroizing::new(Vec::with_capacity(6 + context.len() + plaintext.len()));
        payload.extend_from_slice(MAGIC);
        payload.extend_from_slice(&len.to_be_bytes());
        payload.extend_from_slice(context.as_bytes());
        payload.extend_from_slice(plaintext);
        Ok(self.encrypt_raw(&payload))
    }

    /// Decrypts a value sealed with [`Keyring::seal`] and checks its binding.
    pub fn open(&self, context: &str, token: &str) -> Result<Opened, CryptoError> {
        let mut buf = OpenBuf::default();
        let (value, key_index) = self.open_in(context, token, &mut buf)?;
        Ok(Opened {
            plaintext: Zeroizing::new(value.to_vec()),
            key_index,
        })
    }

    /// [`Keyring::open`] into a reusable buffer: no allocation once the
    /// buffer has grown to the largest value. Returns the value (inside
    /// `buf`) and the index of the key that opened it.
    pub fn open_in<'b>(
        &self,
        context: &str,
        token: &str,
        buf: &'b mut OpenBuf,
    ) -> Result<(&'b [u8], usize), CryptoError> {
        let (payload, key_index) = self.decrypt_in(token, buf)?;
        let rest = payload
            .strip_prefix(MAGIC.as_slice())
            .ok_or(CryptoError::Malformed)?;
        let (len, rest) = rest.split_at_checked(2).ok_or(CryptoError::Malformed)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (bound, value) = rest.split_at_checked(len).ok_or(CryptoError::Malformed)?;
        // The context names a row (ids, a key name): nothing secret to
        // protect with a constant-time compare, and the HMAC has already
        // authenticated the whole payload.
        if bound != context.as_bytes() {
            return Err(CryptoError::Integrity);
        }
        Ok((value, key_index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(keys: &[&str]) -> Keyring {
        Keyring::parse(&keys.join(",")).unwrap()
    }

    #[test]
    fn generated_keys_are_padded_and_parse() {
        let k = Keyring::generate_key();
        assert_eq!(k.len(), 44);
        assert!(k.ends_with('='));
        assert!(is_valid_key(&k));
        assert!(is_valid_key(k.trim_end_matches('=')));
    }

    #[test]
    fn invalid_keys_name_their_position_and_not_their_text() {
        let good = Keyring::generate_key();
        let err = Keyring::parse(&format!("{good},not-a-key-hunter2")).unwrap_err();
        assert_eq!(err, CryptoError::InvalidKey { position: 2 });
        assert!(!err.to_string().contains("hunter2"));
        assert!(Keyring::parse("").is_err());
    }

    #[test]
    fn seal_and_open_round_trip_and_bind_context() {
        let k = ring(&[&Keyring::generate_key()]);
        let t = k.seal("secret_version:a", b"s3cr3t").unwrap();
        assert_eq!(
            &*k.open("secret_version:a", &t).unwrap().plaintext,
            b"s3cr3t"
        );
        assert_eq!(
            k.open("secret_version:b", &t).err(),
            Some(CryptoError::Integrity)
        );
        // A raw token (not sealed) is not mistaken for a bound value.
        let raw = k.encrypt_raw(b"plain");
        assert_eq!(k.open("x", &raw).err(), Some(CryptoError::Malformed));
    }

    #[test]
    fn rotation_first_key_encrypts_all_decrypt() {
        let old = Keyring::generate_key();
        let new = Keyring::generate_key();
        let t_old = ring(&[&old]).seal("c", b"v").unwrap();
        let both = ring(&[&new, &old]);
        assert_eq!(both.open("c", &t_old).unwrap().key_index, 1);
        let t_new = both.seal("c", b"v").unwrap();
        assert_eq!(ring(&[&new]).open("c", &t_new).unwrap().key_index, 0);
        assert_eq!(
            ring(&[&old]).open("c", &t_new).err(),
            Some(CryptoError::WrongKey)
        );
    }
}
