//! Access tokens: short-lived JWTs naming their user and session. The
//! signing key is JWT_SECRET_KEY, or one generated once and stored encrypted
//! in the database so restarts and other instances keep sessions.
use base64::Engine;
use heartlock_config::{JwtAlgorithm, Settings};
use heartlock_core::Keyring;
use heartlock_store::Store;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

const GENERATED_KEY_NAME: &str = "jwt_secret_key";
const ISSUER: &str = "heartlock";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Session (refresh-token family) id.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub typ: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    algorithm: Algorithm,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("invalid token")]
    Invalid,
    #[error("token expired")]
    Expired,
}

impl JwtKeys {
    /// Uses JWT_SECRET_KEY, else the stored generated key (creating it once).
    /// Under an ephemeral encryption key nothing is stored: the generated key
    /// lives in memory only, so a later start with a real key is not locked
    /// out by a value nobody can decrypt.
    pub async fn load(
        settings: &Settings,
        store: &Store,
        ring: &Keyring,
        stable_key: bool,
        now_ms: i64,
    ) -> Result<Self, crate::error::BootError> {
        let secret: Vec<u8> = match &settings.jwt.secret_key {
            Some(k) => k.expose().as_bytes().to_vec(),
            None if !stable_key => {
                tracing::warn!(
                    "no encryption key: the generated JWT signing key is kept in memory only; sign-ins end at restart"
                );
                let mut fresh = [0u8; 64];
                rand::rng().fill_bytes(&mut fresh);
                fresh.to_vec()
            }
            None => {
                tracing::warn!(
                    "JWT_SECRET_KEY is not set: using a generated key stored encrypted in the database; set a stable JWT_SECRET_KEY in production"
                );
                let ctx = heartlock_core::binding::server_secret_context(GENERATED_KEY_NAME);
                let mut fresh = [0u8; 64];
                rand::rng().fill_bytes(&mut fresh);
                let encoded = base64::engine::general_purpose::STANDARD.encode(fresh);
                let ct = ring
                    .seal(&ctx, encoded.as_bytes())
                    .map_err(|e| crate::error::BootError::Keys(e.to_string()))?;
                let stored = store
                    .server_secret_get_or_insert(GENERATED_KEY_NAME, &ct, now_ms)
                    .await?;
                let opened = ring.open(&ctx, &stored).map_err(|e| {
                    crate::error::BootError::WrongKey(format!("stored JWT key: {e}"))
                })?;
                opened.plaintext.to_vec()
            }
        };
        let algorithm = match settings.jwt.algorithm {
            JwtAlgorithm::HS256 => Algorithm::HS256,
            JwtAlgorithm::HS384 => Algorithm::HS384,
            JwtAlgorithm::HS512 => Algorithm::HS512,
        };
        Ok(Self {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            algorithm,
            access_ttl_secs: i64::try_from(settings.jwt.access_token_expire_hours)
                .unwrap_or(24)
                .saturating_mul(3600),
            refresh_ttl_secs: i64::try_from(settings.jwt.refresh_token_expire_days)
                .unwrap_or(7)
                .saturating_mul(86_400),
        })
    }

    pub fn issue(
        &self,
        user_id: &str,
        session_id: &str,
        now_secs: i64,
    ) -> Result<(String, i64), JwtError> {
        let exp = now_secs + self.access_ttl_secs;
        let claims = Claims {
            sub: user_id.into(),
            sid: session_id.into(),
            iat: now_secs,
            exp,
            iss: ISSUER.into(),
            typ: "access".into(),
        };
        let token = jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.encoding)
            .map_err(|_| JwtError::Invalid)?;
        Ok((token, exp))
    }

    /// Checks signature, algorithm, issuer and type; expiry against the
    /// injected clock (not the system time), so tests can move time.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, JwtError> {
        let mut v = Validation::new(self.algorithm);
        v.validate_exp = false;
        v.required_spec_claims.clear();
        v.set_issuer(&[ISSUER]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map_err(|_| JwtError::Invalid)?;
        if data.claims.typ != "access" {
            return Err(JwtError::Invalid);
        }
        if data.claims.exp <= now_secs {
            return Err(JwtError::Expired);
        }
        Ok(data.claims)
    }
}
