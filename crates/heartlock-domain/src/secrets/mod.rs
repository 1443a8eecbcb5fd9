//! Secrets: reading decrypts, writing encrypts, the store sees ciphertext
//! only. Each value is sealed to its version row (`secret_version:<id>`).
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::cache::{Change, changed};
use crate::error::{DomainError, DomainResult};
use crate::mail::templates::watch::KeyChange;
use crate::principal::{Actor, Principal};
use heartlock_core::audit::Outcome;
use heartlock_core::binding::secret_version_context;
use heartlock_core::formats::{self, Format, SecretMap};
use heartlock_core::ids;
use heartlock_store::{
    Author, EnvironmentRecord, ProjectRecord, SecretWrite, StoreError, StoredVersion,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

mod ops;
mod read;
mod snapshot;
pub use ops::*;
use read::{export_in, read_all_in};
pub use snapshot::Snapshot;

pub const MAX_COMMENT_CHARS: usize = 500;
pub const MAX_BATCH_KEYS: usize = 1000;

#[derive(Debug, Clone)]
pub struct PlainSecret {
    pub key: String,
    pub value: String,
    pub version: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct PlainVersion {
    pub version: i64,
    /// `None` for a deletion.
    pub value: Option<String>,
    pub author_user_id: Option<String>,
    pub author_token_id: Option<String>,
    pub comment: Option<String>,
    pub created_at: i64,
}

pub fn validate_key(key: &str) -> DomainResult<()> {
    formats::names::validate_key(key).map_err(|e| DomainError::validation("key", e.to_string()))
}

fn validate_value(dom: &Domain, key: &str, value: &str) -> DomainResult<()> {
    if value.len() > dom.settings.max_secret_bytes {
        return Err(DomainError::TooLarge(format!(
            "the value of {key} is {} bytes; the maximum is {} (HEARTLOCK_MAX_SECRET_BYTES)",
            value.len(),
            dom.settings.max_secret_bytes
        )));
    }
    Ok(())
}

fn validate_comment(comment: Option<&str>) -> DomainResult<Option<String>> {
    match comment.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if c.chars().count() > MAX_COMMENT_CHARS => Err(DomainError::validation(
            "comment",
            format!("must be at most {MAX_COMMENT_CHARS} characters"),
        )),
        other => Ok(other.map(str::to_string)),
    }
}

fn author(caller: &Principal) -> Author {
    let token_id = match &caller.actor {
        Actor::Token(t) => Some(t.id.clone()),
        _ => None,
    };
    Author {
        user_id: caller.user().map(|u| u.id.clone()),
        token_id,
    }
}

/// Where a value lives: its version row, environment and key.
struct Place<'a> {
    version_id: &'a str,
    env_id: &'a str,
    key: &'a str,
}

impl Place<'_> {
    fn context(&self) -> String {
        secret_version_context(self.version_id, self.env_id, self.key)
    }
}

fn open(dom: &Domain, place: Place<'_>, ct: &str) -> DomainResult<String> {
    let version_id = place.version_id;
    let opened = dom.keyring.open(&place.context(), ct).map_err(|e| {
        DomainError::Integrity(format!(
            "stored secret version {version_id} cannot be decrypted: {e}"
        ))
    })?;
    String::from_utf8(opened.plaintext.to_vec())
        .map_err(|_| DomainError::Integrity(format!("secret version {version_id} is not UTF-8")))
}

fn seal(dom: &Domain, place: Place<'_>, value: &str) -> DomainResult<String> {
    dom.require_stable_key()?;
    dom.keyring
        .seal(&place.context(), value.as_bytes())
        .map_err(|e| DomainError::Internal(e.to_string()))
}

pub(super) async fn read_one_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    key: &str,
) -> DomainResult<PlainSecret> {
    validate_key(key)?;
    let s = dom
        .store_as(caller)
        .current_secret(&env.id, key)
        .await?
        .ok_or(DomainError::NotFound("secret not found"))?;
    let place = Place {
        version_id: &s.version_id,
        env_id: &env.id,
        key: &s.key,
    };
    let value = open(dom, place, &s.value_ct)?;
    dom.audit
        .record(
            event(dom, caller, "secret.read", Outcome::Success)
                .project(&project.id)
                .environment(&env.id)
                .key(key),
        )
        .await;
    Ok(PlainSecret {
        key: s.key,
        value,
        version: s.version,
        updated_at: s.updated_at,
    })
}

/// What one write request changes.
pub struct Changes<'a> {
    pub set: &'a SecretMap,
    pub delete: &'a [String],
    pub comment: Option<&'a str>,
    /// Audit action for the sets (deletions are `secret.delete`).
    pub action: &'a str,
}

/// One write batch: sets and deletes, validated in full before anything is
/// stored, then applied in one transaction.
pub(super) async fn write_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    changes: Changes<'_>,
) -> DomainResult<Vec<(String, i64)>> {
    let Changes {
        set,
        delete,
        comment,
        action,
    } = changes;
    if set.len() + delete.len() > MAX_BATCH_KEYS {
        return Err(DomainError::TooLarge(format!(
            "at most {MAX_BATCH_KEYS} keys per request"
        )));
    }
    let comment = validate_comment(comment)?;
    let mut writes = Vec::with_capacity(set.len() + delete.len());
    for (key, value) in set {
        validate_key(key)?;
        validate_value(dom, key, value)?;
        let version_id = ids::new_id();
        let ct = seal(
            dom,
            Place {
                version_id: &version_id,
                env_id: &env.id,
                key,
            },
            value,
        )?;
        writes.push(SecretWrite {
            key: key.clone(),
            version_id,
            value_ct: Some(ct),
            comment: comment.clone(),
        });
    }
    for key in delete {
        validate_key(key)?;
        if set.contains_key(key) {
            return Err(DomainError::validation(
                "delete",
                format!("{key} is both set and deleted"),
            ));
        }
        writes.push(SecretWrite {
            key: key.clone(),
            version_id: ids::new_id(),
            value_ct: None,
            comment: comment.clone(),
        });
    }
    // The events commit with the versions, in one transaction.
    let events = writes
        .iter()
        .map(|w| {
            let act = if w.value_ct.is_some() {
                action
            } else {
                "secret.delete"
            };
            event(dom, caller, act, Outcome::Success)
                .project(&project.id)
                .environment(&env.id)
                .key(&w.key)
        })
        .collect();
    // Watchers' notices commit with the versions too (none: one indexed query).
    let change = crate::watches::fanout::Change {
        action,
        keys: writes
            .iter()
            .map(|w| KeyChange {
                key: w.key.clone(),
                deleted: w.value_ct.is_none(),
            })
            .collect(),
    };
    let notices = crate::watches::fanout::messages(dom, caller, project, env, change).await?;
    let notify = !notices.is_empty();
    let (author, now) = (author(caller), dom.now_ms());
    let result = crate::audit::write(dom, caller, events, |store| async move {
        let store = if notify {
            store.with_outbox(notices)
        } else {
            store
        };
        store.write_secrets(&env.id, &writes, &author, now).await
    })
    .await;
    if notify && result.is_ok() {
        dom.mail.wake();
    }
    // Invalidate even on failure: the cache must never be newer than the database's answer.
    changed(&dom.cache, &dom.store, Change::Environment(env.id.clone())).await;
    let written = result.map_err(|e| match e {
        StoreError::NotFound => DomainError::NotFound("secret not found (nothing was written)"),
        other => other.into(),
    })?;
    Ok(written.into_iter().map(|w| (w.key, w.version)).collect())
}

fn plain_version(
    dom: &Domain,
    env: &EnvironmentRecord,
    key: &str,
    v: StoredVersion,
) -> DomainResult<PlainVersion> {
    let value = match &v.value_ct {
        Some(ct) if v.deleted == 0 => {
            let place = Place {
                version_id: &v.version_id,
                env_id: &env.id,
                key,
            };
            Some(open(dom, place, ct)?)
        }
        _ => None,
    };
    Ok(PlainVersion {
        version: v.version,
        value,
        author_user_id: v.author_user_id,
        author_token_id: v.author_token_id,
        comment: v.comment,
        created_at: v.created_at,
    })
}

pub(crate) async fn history_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    key: &str,
    limit: i64,
    offset: i64,
) -> DomainResult<(Vec<PlainVersion>, i64)> {
    validate_key(key)?;
    let (versions, total) = dom
        .store_as(caller)
        .secret_history(&env.id, key, limit, offset)
        .await?;
    if total == 0 {
        return Err(DomainError::NotFound("secret not found"));
    }
    let out = versions
        .into_iter()
        .map(|v| plain_version(dom, env, key, v))
        .collect::<DomainResult<Vec<_>>>()?;
    dom.audit
        .record(
            event(dom, caller, "secret.history", Outcome::Success)
                .project(&project.id)
                .environment(&env.id)
                .key(key),
        )
        .await;
    Ok((out, total))
}

/// Writes a new version equal to an old one.
pub(super) async fn rollback_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    key: &str,
    version: i64,
) -> DomainResult<i64> {
    validate_key(key)?;
    let old = dom
        .store_as(caller)
        .secret_version(&env.id, key, version)
        .await?
        .ok_or(DomainError::NotFound("version not found"))?;
    let old = plain_version(dom, env, key, old)?;
    let Some(value) = old.value else {
        return Err(DomainError::validation(
            "version",
            "that version is a deletion; delete the secret instead",
        ));
    };
    let mut set = SecretMap::new();
    set.insert(key.to_string(), value);
    let comment = format!("rollback to version {version}");
    let written = write_in(
        dom,
        caller,
        project,
        env,
        Changes {
            set: &set,
            delete: &[],
            comment: Some(&comment),
            action: "secret.rollback",
        },
    )
    .await?;
    Ok(written.first().map(|(_, v)| *v).unwrap_or_default())
}

/// One key across every environment of the project (None where missing).
pub(super) async fn compare_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    key: &str,
) -> DomainResult<Vec<(EnvironmentRecord, Option<PlainSecret>)>> {
    validate_key(key)?;
    // A service token sees only the environments it was given, a limited
    // member only theirs.
    let envs = crate::env_access::reachable(dom, caller, project).await?;
    let found = dom.store_as(caller).secret_across(&project.id, key).await?;
    let mut out = Vec::with_capacity(envs.len());
    for env in envs {
        let secret = match found.iter().find(|(e, _)| *e == env.id) {
            Some((_, s)) => Some(PlainSecret {
                key: s.key.clone(),
                value: open(
                    dom,
                    Place {
                        version_id: &s.version_id,
                        env_id: &env.id,
                        key: &s.key,
                    },
                    &s.value_ct,
                )?,
                version: s.version,
                updated_at: s.updated_at,
            }),
            None => None,
        };
        out.push((env, secret));
    }
    dom.audit
        .record(
            event(dom, caller, "secret.compare", Outcome::Success)
                .project(&project.id)
                .key(key),
        )
        .await;
    Ok(out)
}

/// Parses a document and writes it as one batch; nothing is written when
/// any line or key is bad.
/// Imports parsed at once, at most; more wait their turn.
static PARSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Set when the request that asked for a parse is gone (the client
/// disconnected and its future was dropped): a parse still waiting for a
/// blocking thread is then skipped instead of run for nobody.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Parses an imported document on a blocking thread (never on the async
/// workers that answer every other request), a few at a time. The parsers
/// check size, entry, line and nesting limits before any work and are
/// linear after that, so each parse is short and bounded by the body size.
async fn parse_off_workers(dom: &Domain, format: Format, content: &str) -> DomainResult<SecretMap> {
    let _turn = PARSERS
        .acquire()
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let content = content.to_owned();
    let limits = formats::Limits {
        max_input_bytes: dom.settings.max_body_bytes,
        max_entries: MAX_BATCH_KEYS,
        max_line_bytes: dom.settings.max_secret_bytes.saturating_mul(8),
    };
    let cancelled = Arc::new(AtomicBool::new(false));
    let _guard = CancelOnDrop(cancelled.clone());
    tokio::task::spawn_blocking(move || {
        if cancelled.load(Ordering::Relaxed) {
            return Ok(None);
        }
        formats::parse_with_limits(format, &content, &limits).map(Some)
    })
    .await
    .map_err(|e| DomainError::Internal(format!("import parser stopped: {e}")))?
    .map_err(|e| DomainError::validation("content", e.to_string()))?
    .ok_or_else(|| DomainError::Internal("import cancelled".into()))
}

pub(super) async fn import_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    format: Format,
    content: &str,
) -> DomainResult<Vec<(String, i64)>> {
    let parsed = parse_off_workers(dom, format, content).await?;
    if parsed.is_empty() {
        return Err(DomainError::validation("content", "no secrets found"));
    }
    let comment = format!("import ({})", format.as_str());
    write_in(
        dom,
        caller,
        project,
        env,
        Changes {
            set: &parsed,
            delete: &[],
            comment: Some(&comment),
            action: "secret.import",
        },
    )
    .await
}
