//! /api/v1/shares: one-time share links (docs/shares.md). The client only
//! ever sends and receives sealed blobs and access values: sealing and
//! opening happen in `heartlock_core::share`. Binary fields travel as
//! base64url without padding. `share_public` and `reveal_share` need no
//! credentials (a client for a bare base URL).
use crate::{Client, ClientError, NO_BODY, Page, PageParams};
use base64::Engine;
use reqwest::Method;
use serde::{Deserialize, Serialize};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn unb64(field: &str, s: &str) -> Result<Vec<u8>, ClientError> {
    B64.decode(s.trim_end_matches('='))
        .map_err(|_| ClientError::Decode(format!("{field} is not base64url")))
}

/// The passphrase KDF's public parameters, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareKdf {
    /// Always `pbkdf2-sha256` in format version 1.
    pub name: String,
    /// base64url.
    pub salt: String,
    pub iterations: u32,
}

impl ShareKdf {
    pub fn new(salt: &[u8], iterations: u32) -> ShareKdf {
        ShareKdf {
            name: "pbkdf2-sha256".into(),
            salt: b64(salt),
            iterations,
        }
    }

    /// The salt's bytes.
    pub fn salt_bytes(&self) -> Result<Vec<u8>, ClientError> {
        unb64("kdf.salt", &self.salt)
    }
}

/// Where a shared value came from (the caller must be able to read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareSource {
    pub project: String,
    pub environment: String,
    #[serde(default)]
    pub key: Option<String>,
}

/// What creating a share sends. `Debug` leaves out the blob and `auth`.
#[derive(Clone, Default)]
pub struct NewShare {
    /// The sealed blob.
    pub ciphertext: Vec<u8>,
    /// The access value `A` (32 bytes).
    pub auth: Vec<u8>,
    pub expires_in_secs: Option<i64>,
    pub views: Option<i64>,
    pub kdf: Option<ShareKdf>,
    /// A note only the sender sees; not encrypted.
    pub label: Option<String>,
    pub source: Option<ShareSource>,
}

impl std::fmt::Debug for NewShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewShare")
            .field(
                "ciphertext",
                &format_args!("<{} bytes>", self.ciphertext.len()),
            )
            .field("auth", &"<redacted>")
            .field("expires_in_secs", &self.expires_in_secs)
            .field("views", &self.views)
            .field("kdf", &self.kdf)
            .field("label", &self.label)
            .field("source", &self.source)
            .finish()
    }
}

/// A share as its creator sees it (never its content).
#[derive(Debug, Clone, Deserialize)]
pub struct Share {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub views_allowed: i64,
    #[serde(default)]
    pub views_left: i64,
    /// Unix milliseconds.
    #[serde(default)]
    pub expires_at: i64,
    #[serde(default)]
    pub created_at: i64,
    /// Whether it is protected by a passphrase.
    #[serde(default)]
    pub passphrase: bool,
    /// Size of the sealed blob, in bytes.
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub source: Option<ShareSource>,
}

/// What anyone may learn about a live share.
#[derive(Debug, Clone, Deserialize)]
pub struct PublicShare {
    pub id: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub views_left: i64,
    #[serde(default)]
    pub kdf: Option<ShareKdf>,
}

/// A revealed share: the sealed blob (one view was consumed).
#[derive(Clone)]
pub struct RevealedShare {
    pub ciphertext: Vec<u8>,
    pub views_left: i64,
}

impl std::fmt::Debug for RevealedShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedShare")
            .field(
                "ciphertext",
                &format_args!("<{} bytes>", self.ciphertext.len()),
            )
            .field("views_left", &self.views_left)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct ProjectSharing {
    allow_sharing: bool,
}

#[derive(Deserialize)]
struct RevealBody {
    ciphertext: String,
    views_left: i64,
}

impl Client {
    /// Creates a share (signed in; 201).
    pub async fn create_share(&self, new: &NewShare) -> Result<Share, ClientError> {
        let url = self.api(&["shares"], &[])?;
        let body = serde_json::json!({
            "ciphertext": b64(&new.ciphertext),
            "auth": b64(&new.auth),
            "expires_in": new.expires_in_secs,
            "views": new.views,
            "kdf": new.kdf,
            "label": new.label,
            "source": new.source,
        });
        self.json(Method::POST, url, Some(&body), 201).await
    }

    /// The caller's live shares, newest first.
    pub async fn list_shares(&self, page: PageParams) -> Result<Page<Share>, ClientError> {
        let url = self.api(&["shares"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Whether the project's secrets may be given out as share links.
    pub async fn project_sharing(&self, project: &str) -> Result<bool, ClientError> {
        let url = self.api(&["projects", project, "sharing"], &[])?;
        let p: ProjectSharing = self.json(Method::GET, url, NO_BODY, 200).await?;
        Ok(p.allow_sharing)
    }

    /// Allows or forbids share links of the project's secrets (project admins).
    pub async fn set_project_sharing(&self, project: &str, allow: bool) -> Result<(), ClientError> {
        let url = self.api(&["projects", project, "sharing"], &[])?;
        let body = ProjectSharing {
            allow_sharing: allow,
        };
        let _: ProjectSharing = self.json(Method::PUT, url, Some(&body), 200).await?;
        Ok(())
    }

    /// Revokes one of the caller's shares (its ciphertext is deleted).
    pub async fn revoke_share(&self, id: &str) -> Result<(), ClientError> {
        let url = self.api(&["shares", id], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    /// Public information on a live share; 404 (`not-found`) when it is
    /// unknown, expired, used up or revoked. Consumes no view.
    pub async fn share_public(&self, id: &str) -> Result<PublicShare, ClientError> {
        let url = self.api(&["shares", id, "public"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Trades the access value for the sealed blob, consuming one view.
    /// A wrong access value is a 403 (`wrong-passphrase`) that consumes none.
    pub async fn reveal_share(&self, id: &str, auth: &[u8]) -> Result<RevealedShare, ClientError> {
        let url = self.api(&["shares", id, "reveal"], &[])?;
        let body = serde_json::json!({ "auth": b64(auth) });
        let r: RevealBody = self.json(Method::POST, url, Some(&body), 200).await?;
        Ok(RevealedShare {
            ciphertext: unb64("ciphertext", &r.ciphertext)?,
            views_left: r.views_left,
        })
    }
}
