//! /api/v1/shares: share links (docs/shares.md). The sender's side (create,
//! list, revoke) needs a signed-in person (or, where the server allows it,
//! an anonymous visitor); the recipient's side (`public`, `reveal`) needs
//! only the link. Binary fields are base64url without padding; the server
//! only ever sees sealed blobs and access values, never a key.
use super::docs::{CommonErrors, Throttled};
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heartlock_domain::DomainError;
use heartlock_domain::shares::{self, Kdf, NewShare, Share, Source};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_share, list_shares))
        .routes(routes!(revoke_share))
        .routes(routes!(public_share))
        .routes(routes!(reveal_share))
        .routes(routes!(share_counts))
        .routes(routes!(get_project_sharing, put_project_sharing))
}

/// Whether a project's secrets may be given out as share links.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSharing {
    pub allow_sharing: bool,
}

/// The project's share link policy (anyone who sees the project).
#[utoipa::path(get, path = "/projects/{project}/sharing", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 200, description = "The policy", body = ProjectSharing), CommonErrors))]
async fn get_project_sharing(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<ProjectSharing>> {
    let allow_sharing = shares::project_sharing(&state, &caller, &project).await?;
    Ok(Json(ProjectSharing { allow_sharing }))
}

/// Allow or forbid share links for the project's secrets (project admins).
/// Links already made keep working until they expire or are revoked.
#[utoipa::path(put, path = "/projects/{project}/sharing", tag = "projects", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = ProjectSharing,
    responses((status = 200, description = "The policy", body = ProjectSharing), CommonErrors))]
async fn put_project_sharing(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<ProjectSharing>,
) -> ApiResult<Json<ProjectSharing>> {
    shares::set_project_sharing(&state, &caller, &project, req.allow_sharing).await?;
    Ok(Json(req))
}

/// Passphrase parameters (format version 1: PBKDF2-HMAC-SHA256).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KdfView {
    /// Always `pbkdf2-sha256`.
    #[schema(pattern = "^pbkdf2-sha256$")]
    pub name: String,
    /// base64url, 16 to 64 bytes.
    #[schema(max_length = 86)]
    pub salt: String,
    #[schema(minimum = 100000, maximum = 10000000)]
    pub iterations: u32,
}

/// Where the value came from (a project's secret or environment).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceView {
    /// Project slug.
    #[schema(max_length = 63)]
    pub project: String,
    /// Environment slug.
    #[schema(max_length = 63)]
    pub environment: String,
    /// The secret's name; `null` for the whole environment.
    #[schema(nullable = true, max_length = 256)]
    #[serde(default)]
    pub key: Option<String>,
}

/// A new share link, sealed by the sender.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShare {
    /// base64url of the sealed blob (nonce, AES-256-GCM ciphertext, tag).
    pub ciphertext: String,
    /// base64url of the 32-byte access value derived from the link key.
    #[schema(max_length = 64)]
    pub auth: String,
    /// Seconds until it expires (default 86400; 300 to HEARTLOCK_SHARE_MAX_DAYS days).
    #[schema(nullable = true)]
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// How many times it may be opened (default 1, at most 100).
    #[schema(nullable = true)]
    #[serde(default)]
    pub views: Option<i64>,
    /// Set when a passphrase is mixed into the key.
    #[schema(nullable = true)]
    #[serde(default)]
    pub kdf: Option<KdfView>,
    /// A note only the sender sees; NOT encrypted.
    #[schema(nullable = true, max_length = 100)]
    #[serde(default)]
    pub label: Option<String>,
    #[schema(nullable = true)]
    #[serde(default)]
    pub source: Option<SourceView>,
}

/// A share link as its sender sees it (never its content or key).
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareView {
    pub id: String,
    /// `/s/<id>`: append `#<key>` to give it out.
    pub path: String,
    #[schema(nullable = true)]
    pub label: Option<String>,
    pub views_allowed: i64,
    pub views_left: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub created_at: i64,
    /// Whether a passphrase is needed besides the link.
    pub passphrase: bool,
    /// Bytes of the sealed blob.
    pub size: i64,
    #[schema(nullable = true)]
    pub source: Option<SourceView>,
}

impl From<Share> for ShareView {
    fn from(s: Share) -> Self {
        Self {
            path: format!("/s/{}", s.id),
            id: s.id,
            label: s.label,
            views_allowed: s.views_allowed,
            views_left: s.views_left,
            expires_at: s.expires_at,
            created_at: s.created_at,
            passphrase: s.passphrase,
            size: s.size,
            source: s.source.map(|s| SourceView {
                project: s.project,
                environment: s.environment,
                key: s.key,
            }),
        }
    }
}

/// What anyone holding the link may know before revealing it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicShareView {
    pub id: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub views_left: i64,
    /// Present when a passphrase is needed.
    #[schema(nullable = true)]
    pub kdf: Option<KdfView>,
}

/// The access value derived from the link key (and the passphrase).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// base64url of the 32-byte access value.
    #[schema(max_length = 64)]
    pub auth: String,
}

/// The sealed blob: decrypt it with the key in the link's fragment.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedShare {
    /// base64url of the sealed blob.
    pub ciphertext: String,
    /// Views left after this one (0: the link is used up and deleted).
    pub views_left: i64,
}

/// Share link counts for server administrators (never contents).
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareCountsView {
    pub active: i64,
    pub active_anonymous: i64,
    pub views_left: i64,
    pub created_last_24h: i64,
}

fn bytes(field: &str, value: &str) -> Result<Vec<u8>, DomainError> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| {
            DomainError::validation(field, "must be base64url (RFC 4648 §5) without padding")
        })
}

impl CreateShare {
    /// The domain's request (binary fields decoded). The web UI's
    /// `POST /shares` takes the same JSON.
    pub(crate) fn into_new_share(self) -> Result<NewShare, DomainError> {
        let kdf = match self.kdf {
            Some(k) if k.name != shares::KDF_NAME => {
                return Err(DomainError::validation("kdf.name", "must be pbkdf2-sha256"));
            }
            Some(k) => Some(Kdf {
                salt: bytes("kdf.salt", &k.salt)?,
                iterations: k.iterations,
            }),
            None => None,
        };
        Ok(NewShare {
            ciphertext: bytes("ciphertext", &self.ciphertext)?,
            auth: bytes("auth", &self.auth)?,
            expires_in_secs: self.expires_in,
            views: self.views,
            kdf,
            label: self.label,
            source: self.source.map(|s| Source {
                project: s.project,
                environment: s.environment,
                key: s.key,
            }),
        })
    }
}

/// Create a share link from a value sealed on the sender's side.
#[utoipa::path(post, path = "/shares", tag = "shares", security(("bearer" = [])),
    request_body = CreateShare,
    responses((status = 201, description = "Created; give out `<base URL><path>#<key>`", body = ShareView), CommonErrors, Throttled))]
async fn create_share(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateShare>,
) -> ApiResult<(StatusCode, Json<ShareView>)> {
    let new = req.into_new_share()?;
    let share = shares::create(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(share.into())))
}

/// The caller's live share links, newest first.
#[utoipa::path(get, path = "/shares", tag = "shares", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, description = "Live share links", body = Page<ShareView>), CommonErrors))]
async fn list_shares(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<ShareView>>> {
    let list = shares::mine(&state, &caller).await?;
    let items = list.into_iter().map(ShareView::from).collect();
    Ok(Json(Page::slice(items, &page)))
}

/// Revoke one of the caller's share links (its sealed blob is deleted).
#[utoipa::path(delete, path = "/shares/{id}", tag = "shares", security(("bearer" = [])),
    params(("id" = String, Path, description = "Share id", max_length = 64)),
    responses((status = 204, description = "Revoked"), CommonErrors))]
async fn revoke_share(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    shares::revoke(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the holder of a link may know before revealing it (no view is
/// used). Unknown, expired, used up and revoked links are one 404.
#[utoipa::path(get, path = "/shares/{id}/public", tag = "shares",
    params(("id" = String, Path, description = "Share id", max_length = 64)),
    responses((status = 200, description = "The link can be opened", body = PublicShareView), CommonErrors, Throttled))]
async fn public_share(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PublicShareView>> {
    let p = shares::public(&state, &caller, &id).await?;
    Ok(Json(PublicShareView {
        id: p.id,
        expires_at: p.expires_at,
        views_left: p.views_left,
        kdf: p.kdf.map(|k| KdfView {
            name: shares::KDF_NAME.into(),
            salt: URL_SAFE_NO_PAD.encode(&k.salt),
            iterations: k.iterations,
        }),
    }))
}

/// Reveal a share link: the sealed blob, for the right access value; one
/// view is used. A wrong access value uses none: 403 when the link has a
/// passphrase (a wrong passphrase), else the neutral 404.
#[utoipa::path(post, path = "/shares/{id}/reveal", tag = "shares",
    params(("id" = String, Path, description = "Share id", max_length = 64)),
    request_body = RevealRequest,
    responses((status = 200, description = "The sealed blob", body = RevealedShare), CommonErrors, Throttled))]
async fn reveal_share(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<RevealRequest>,
) -> ApiResult<Json<RevealedShare>> {
    let auth = bytes("auth", &req.auth)?;
    let r = shares::reveal(&state, &caller, &id, &auth).await?;
    Ok(Json(RevealedShare {
        ciphertext: URL_SAFE_NO_PAD.encode(&r.ciphertext),
        views_left: r.views_left,
    }))
}

/// Share link counts (server administrators): never contents or senders.
#[utoipa::path(get, path = "/admin/shares", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Counts", body = ShareCountsView), CommonErrors))]
async fn share_counts(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ShareCountsView>> {
    let c = shares::counts(&state, &caller).await?;
    Ok(Json(ShareCountsView {
        active: c.active,
        active_anonymous: c.active_anonymous,
        views_left: c.views_left,
        created_last_24h: c.created_last_24h,
    }))
}
