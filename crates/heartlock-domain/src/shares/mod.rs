//! Share links (`/s/<id>#<key>`, docs/shares.md): a value sealed on the
//! sender's side under a key the server never sees. The server keeps the
//! sealed blob, the limits and the SHA-256 of the access value derived from
//! the key; it hands the blob out only for the right access value, one view
//! at a time, and deletes it after the last view, on revocation or expiry.
//! Nothing here can decrypt a share, so nothing here can leak one.
mod policy;
mod reveal;
pub mod sweep;

pub use policy::{may_share_from, project_sharing, set_project_sharing};
pub use reveal::{PublicShare, Revealed, public, reveal};

use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use crate::throttle;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heartlock_config::Settings;
use heartlock_core::audit::Outcome;
use heartlock_core::throttle::Scope;
use heartlock_core::token;
use heartlock_store::{NewShareRecord, ShareRecord};

/// The passphrase KDF of format version 1, and the iteration counts
/// accepted: below, a passphrase is too cheap to guess; above, the
/// recipient's browser would stall.
pub use heartlock_core::share::{KDF_NAME, MAX_ITERATIONS, MIN_ITERATIONS};
/// Most views a share may allow.
pub const MAX_VIEWS: i64 = 100;
/// The expiry when the sender names none: a day.
pub const DEFAULT_EXPIRES_SECS: i64 = 24 * 3600;
/// The shortest expiry: five minutes.
pub const MIN_EXPIRES_SECS: i64 = 300;
/// Room for the envelope header, the nonce and the AEAD tag.
const BLOB_OVERHEAD: usize = 4096 + 12 + 16;
/// The smallest sealed blob: nonce, tag and a minimal header.
const MIN_BLOB: usize = 12 + 16 + 20;
const MAX_LABEL_CHARS: usize = 100;
/// The neutral answer for unknown, expired, used up and revoked links.
pub(crate) const GONE: &str = "this link is no longer available";

/// What the server allows (for forms and clients).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub enabled: bool,
    pub allow_anonymous: bool,
    pub max_bytes: usize,
    pub max_days: i64,
    pub default_expires_secs: i64,
    pub max_views: i64,
}

pub fn limits(dom: &Domain) -> Limits {
    let s = &dom.settings.shares;
    Limits {
        enabled: s.enabled,
        allow_anonymous: s.allow_anonymous,
        max_bytes: s.max_bytes,
        max_days: i64::from(s.max_days),
        default_expires_secs: DEFAULT_EXPIRES_SECS,
        max_views: MAX_VIEWS,
    }
}

/// The largest request body share creation needs: the biggest sealed blob
/// in base64url, plus the JSON fields around it.
pub fn request_body_limit(settings: &Settings) -> usize {
    let blob = settings.shares.max_bytes.saturating_add(BLOB_OVERHEAD);
    blob.div_ceil(3).saturating_mul(4).saturating_add(8192)
}

/// The passphrase parameters a recipient needs (format version 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kdf {
    pub salt: Vec<u8>,
    pub iterations: u32,
}

/// Where a shared value came from, as the sender declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub project: String,
    pub environment: String,
    pub key: Option<String>,
}

/// What a sender sends.
#[derive(Debug, Clone)]
pub struct NewShare {
    pub ciphertext: Vec<u8>,
    pub auth: Vec<u8>,
    pub expires_in_secs: Option<i64>,
    pub views: Option<i64>,
    pub kdf: Option<Kdf>,
    pub label: Option<String>,
    pub source: Option<Source>,
}

/// A share as its sender sees it (never its content).
#[derive(Debug, Clone)]
pub struct Share {
    pub id: String,
    pub label: Option<String>,
    pub views_allowed: i64,
    pub views_left: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub created_at: i64,
    pub passphrase: bool,
    /// Bytes of the sealed blob.
    pub size: i64,
    pub source: Option<Source>,
}

/// Counts for server administrators: never contents, labels or senders.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    pub active: i64,
    pub active_anonymous: i64,
    pub views_left: i64,
    pub created_last_24h: i64,
}

/// Who a share counts against: a person, or an anonymous sender's address.
fn creator(dom: &Domain, caller: &Principal) -> DomainResult<String> {
    match &caller.actor {
        Actor::User { user, .. } => Ok(format!("user:{}", user.id)),
        Actor::Anonymous if dom.settings.shares.allow_anonymous => Ok(
            heartlock_core::throttle::anonymous_creator(throttle::address(caller)),
        ),
        Actor::Anonymous => Err(DomainError::Unauthenticated(
            "sign in to create share links",
        )),
        _ => person(caller).map(|u| format!("user:{}", u.id)),
    }
}

/// The signed-in person behind a sender's request: service tokens are
/// refused outright (403), requests without an account must sign in (401).
fn person(caller: &Principal) -> DomainResult<&heartlock_store::UserRecord> {
    match &caller.actor {
        Actor::User { user, .. } => Ok(user),
        Actor::Anonymous => Err(DomainError::Unauthenticated("sign in first")),
        Actor::Token(_) | Actor::System { .. } => Err(DomainError::Forbidden(
            "share links belong to people: sign in with a password or single sign-on".into(),
        )),
    }
}

fn enabled(dom: &Domain) -> DomainResult<()> {
    if dom.settings.shares.enabled {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "share links are turned off on this server".into(),
        ))
    }
}

/// Validated creation fields.
struct Checked {
    expires_in_secs: i64,
    views: i64,
    label: Option<String>,
}

fn check(dom: &Domain, new: &NewShare) -> DomainResult<Checked> {
    let max_blob = dom.settings.shares.max_bytes.saturating_add(BLOB_OVERHEAD);
    if new.ciphertext.len() > max_blob {
        return Err(DomainError::TooLarge(format!(
            "the shared content is larger than the server's limit of {} bytes \
             (HEARTLOCK_SHARE_MAX_BYTES)",
            dom.settings.shares.max_bytes
        )));
    }
    if new.ciphertext.len() < MIN_BLOB {
        return Err(DomainError::validation(
            "ciphertext",
            "is not a sealed share (too short)",
        ));
    }
    if new.auth.len() != 32 {
        return Err(DomainError::validation("auth", "must be 32 bytes"));
    }
    let max_secs = i64::from(dom.settings.shares.max_days) * 86_400;
    let expires_in_secs = new.expires_in_secs.unwrap_or(DEFAULT_EXPIRES_SECS);
    if !(MIN_EXPIRES_SECS..=max_secs).contains(&expires_in_secs) {
        return Err(DomainError::validation(
            "expires_in",
            format!("must be between {MIN_EXPIRES_SECS} seconds and {max_secs} seconds"),
        ));
    }
    let views = new.views.unwrap_or(1);
    if !(1..=MAX_VIEWS).contains(&views) {
        return Err(DomainError::validation(
            "views",
            format!("must be between 1 and {MAX_VIEWS}"),
        ));
    }
    if let Some(k) = &new.kdf {
        if !(16..=64).contains(&k.salt.len()) {
            return Err(DomainError::validation(
                "kdf.salt",
                "must be 16 to 64 bytes",
            ));
        }
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&k.iterations) {
            return Err(DomainError::validation(
                "kdf.iterations",
                format!("must be between {MIN_ITERATIONS} and {MAX_ITERATIONS}"),
            ));
        }
    }
    let label = match new.label.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) if l.chars().count() > MAX_LABEL_CHARS => {
            return Err(DomainError::validation(
                "label",
                format!("must be at most {MAX_LABEL_CHARS} characters"),
            ));
        }
        Some(l) if l.chars().any(char::is_control) => {
            return Err(DomainError::validation(
                "label",
                "must not contain control characters",
            ));
        }
        Some(l) => Some(l.to_string()),
    };
    Ok(Checked {
        expires_in_secs,
        views,
        label,
    })
}

/// A share id: 132 random bits, URL-safe.
fn new_id() -> String {
    token::random_token("").chars().take(22).collect()
}

/// Whether `id` can be a share id at all (checked before any query).
pub(crate) fn plausible_id(id: &str) -> bool {
    (16..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Creates a share (a person, or an anonymous visitor where allowed): the
/// limits are checked, the source project (if any) must be readable by the
/// caller and allow sharing, and the sender's creation rate and active
/// count are capped.
pub async fn create(dom: &Domain, caller: &Principal, new: NewShare) -> DomainResult<Share> {
    enabled(dom)?;
    let creator = creator(dom, caller)?;
    let checked = check(dom, &new)?;
    let (project_id, env_id) = match &new.source {
        Some(src) => {
            let (p, e) = policy::source_access(dom, caller, src).await?;
            (Some(p), Some(e))
        }
        None => (None, None),
    };
    let attempt = throttle::begin(dom, &[Scope::ShareCreate { creator: &creator }]).await?;
    let now = dom.now_ms();
    let id = new_id();
    let record = ShareRecord {
        id: id.clone(),
        creator_key: creator,
        created_by: caller.user().map(|u| u.id.clone()),
        project_id: project_id.clone(),
        source_environment: new.source.as_ref().map(|s| s.environment.clone()),
        source_key: new.source.as_ref().and_then(|s| s.key.clone()),
        kdf_salt: new.kdf.as_ref().map(|k| URL_SAFE_NO_PAD.encode(&k.salt)),
        kdf_iterations: new.kdf.as_ref().map(|k| i64::from(k.iterations)),
        label: checked.label,
        size: i64::try_from(new.ciphertext.len()).unwrap_or(i64::MAX),
        views_allowed: checked.views,
        views_left: checked.views,
        expires_at: now.saturating_add(checked.expires_in_secs.saturating_mul(1000)),
        created_at: now,
    };
    let stored = NewShareRecord {
        record: record.clone(),
        ciphertext: URL_SAFE_NO_PAD.encode(&new.ciphertext),
        auth_hash: heartlock_core::share::access_hash(&new.auth),
    };
    let mut ev = event(dom, caller, "share.create", Outcome::Success).detail(format!(
        "share {id}: {} bytes sealed, {} view(s), expires in {}, {}",
        record.size,
        record.views_allowed,
        human_duration(checked.expires_in_secs),
        if new.kdf.is_some() {
            "with a passphrase"
        } else {
            "no passphrase"
        }
    ));
    if let (Some(p), Some(e)) = (&project_id, &env_id) {
        ev = ev.project(p).environment(e);
        if let Some(k) = &record.source_key {
            ev = ev.key(k);
        }
    }
    let max_active = i64::from(dom.settings.shares.max_active);
    let s = &stored;
    let created = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.create_share(s, max_active).await
    })
    .await;
    match created {
        Ok(true) => attempt.counts(dom, caller, "share link creation").await,
        Ok(false) => {
            attempt.discard(dom).await;
            return Err(DomainError::Conflict(format!(
                "you already have {max_active} active share links \
                 (HEARTLOCK_SHARE_MAX_ACTIVE); revoke some or let them expire"
            )));
        }
        Err(e) => {
            attempt.discard(dom).await;
            return Err(e.into());
        }
    }
    view(dom, record).await
}

/// The caller's live shares, newest first.
pub async fn mine(dom: &Domain, caller: &Principal) -> DomainResult<Vec<Share>> {
    let user = person(caller)?;
    let rows = dom
        .store
        .shares_of(&format!("user:{}", user.id), dom.now_ms())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(dom, r).await?);
    }
    Ok(out)
}

/// Revokes one of the caller's live shares: its sealed blob is deleted.
pub async fn revoke(dom: &Domain, caller: &Principal, id: &str) -> DomainResult<()> {
    let user = person(caller)?;
    if !plausible_id(id) {
        return Err(DomainError::NotFound("share not found"));
    }
    let creator = format!("user:{}", user.id);
    let now = dom.now_ms();
    let Some(rec) = dom.store.share(id).await? else {
        return Err(DomainError::NotFound("share not found"));
    };
    let mut ev = event(dom, caller, "share.revoke", Outcome::Success).detail(format!(
        "share {id} revoked with {} of {} view(s) left",
        rec.views_left, rec.views_allowed
    ));
    if let Some(p) = &rec.project_id {
        ev = ev.project(p);
    }
    let done = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.delete_share(id, &creator, now).await
    })
    .await?;
    if done {
        Ok(())
    } else {
        Err(DomainError::NotFound("share not found"))
    }
}

/// Counts for the admin status page and API (server administrators).
pub async fn counts(dom: &Domain, caller: &Principal) -> DomainResult<Counts> {
    crate::admin::require_admin(caller)?;
    let now = dom.now_ms();
    let c = dom.store.share_counts(now, now - 24 * 3_600_000).await?;
    Ok(Counts {
        active: c.active,
        active_anonymous: c.active_anonymous,
        views_left: c.views_left,
        created_last_24h: c.created_since,
    })
}

async fn view(dom: &Domain, r: ShareRecord) -> DomainResult<Share> {
    let source = match &r.project_id {
        Some(pid) => dom.store.project_by_id(pid).await?.map(|p| Source {
            project: p.slug,
            environment: r.source_environment.clone().unwrap_or_default(),
            key: r.source_key.clone(),
        }),
        None => None,
    };
    Ok(Share {
        id: r.id,
        label: r.label,
        views_allowed: r.views_allowed,
        views_left: r.views_left,
        expires_at: r.expires_at,
        created_at: r.created_at,
        passphrase: r.kdf_salt.is_some(),
        size: r.size,
        source,
    })
}

/// "2 h", "3 d", "45 min" for audit details.
fn human_duration(secs: i64) -> String {
    if secs % 86_400 == 0 {
        format!("{} d", secs / 86_400)
    } else if secs % 3_600 == 0 {
        format!("{} h", secs / 3_600)
    } else {
        format!("{} min", (secs + 59) / 60)
    }
}
