//! Service tokens: created by project owners/admins, shown once, stored as
//! a SHA-256 hash with a short display prefix.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::auth::PREFIX;
use crate::cache::{Change, changed};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::projects::access;
use heartlock_core::audit::Outcome;
use heartlock_core::roles::{Action, TokenAccess};
use heartlock_core::{cidr, ids, token};
use heartlock_store::{EnvironmentRecord, ProjectRecord, TokenRecord};

pub const MAX_EXPIRY_DAYS: u32 = 3650;

pub struct NewToken<'a> {
    pub name: &'a str,
    pub environments: &'a [String],
    pub access: &'a str,
    pub expires_in_days: Option<u32>,
    pub allowed_cidrs: &'a [String],
}

/// Creates a token; returns the record and the token text (shown once).
/// The tokens of a project (ManageTokens), with its environments to name
/// their scopes.
pub async fn list(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
) -> DomainResult<(ProjectRecord, Vec<TokenRecord>, Vec<EnvironmentRecord>)> {
    let p = access(dom, caller, slug, Action::ManageTokens).await?;
    let envs = dom.store_as(caller).environments(&p.id).await?;
    let tokens = dom.store_as(caller).project_tokens(&p.id).await?;
    Ok((p, tokens, envs))
}

/// A token just created: its record, the token text (shown once) and the
/// project's environments (to name its scope).
#[derive(Debug, Clone)]
pub struct Created {
    pub record: TokenRecord,
    pub token: String,
    pub environments: Vec<EnvironmentRecord>,
}

/// Creates a token (ManageTokens).
pub async fn create(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    req: NewToken<'_>,
) -> DomainResult<Created> {
    let project = &access(dom, caller, slug, Action::ManageTokens).await?;
    let name = crate::projects::validate_name("name", req.name)?;
    let access = TokenAccess::parse(req.access)
        .ok_or_else(|| DomainError::validation("access", "must be read or read_write"))?;
    if req.environments.is_empty() {
        return Err(DomainError::validation(
            "environments",
            "name at least one environment",
        ));
    }
    let mut env_ids = Vec::with_capacity(req.environments.len());
    for slug in req.environments {
        let env = dom
            .store_as(caller)
            .environment_by_slug(&project.id, slug)
            .await?
            .ok_or_else(|| {
                DomainError::validation(
                    "environments",
                    format!("no environment {slug} in this project"),
                )
            })?;
        if !env_ids.contains(&env.id) {
            env_ids.push(env.id);
        }
    }
    let mut cidrs = Vec::with_capacity(req.allowed_cidrs.len());
    for c in req.allowed_cidrs {
        let net = cidr::parse_cidr(c).ok_or_else(|| {
            DomainError::validation("allowed_cidrs", format!("{c} is not an IP address or CIDR"))
        })?;
        cidrs.push(net);
    }
    let now = dom.clock.now_ms();
    let expires_at = match req.expires_in_days {
        Some(0) => {
            return Err(DomainError::validation(
                "expires_in_days",
                "must be at least 1",
            ));
        }
        Some(d) if d > MAX_EXPIRY_DAYS => {
            return Err(DomainError::validation(
                "expires_in_days",
                format!("must be at most {MAX_EXPIRY_DAYS}"),
            ));
        }
        Some(d) => Some(now + i64::from(d) * 86_400_000),
        None => None,
    };
    let secret = token::random_token(PREFIX);
    let record = TokenRecord {
        id: ids::new_id(),
        name,
        project_id: project.id.clone(),
        environments: env_ids,
        access,
        token_hash: token::hash_token(&secret),
        display_prefix: secret.chars().take(PREFIX.len() + 6).collect(),
        allowed_cidrs: cidrs,
        expires_at,
        last_used_at: None,
        revoked_at: None,
        created_by: caller.user().map(|u| u.id.clone()),
        created_at: now,
    };
    let ev = event(dom, caller, "token.create", Outcome::Success)
        .project(&project.id)
        .detail(record.name.clone());
    let rec = &record;
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.create_token(rec).await
    })
    .await?;
    let environments = dom.store_as(caller).environments(&project.id).await?;
    Ok(Created {
        record,
        token: secret,
        environments,
    })
}

/// Revokes a token of the project (ManageTokens), here and on every instance.
pub async fn revoke(dom: &Domain, caller: &Principal, slug: &str, id: &str) -> DomainResult<()> {
    let project = &access(dom, caller, slug, Action::ManageTokens).await?;
    let ev = event(dom, caller, "token.revoke", Outcome::Success)
        .project(&project.id)
        .detail(id.to_string());
    let now = dom.clock.now_ms();
    let hash = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.revoke_token(&project.id, id, now).await
    })
    .await?;
    // Not revoked means no event was written (the store rolled back).
    let hash = hash.ok_or(DomainError::NotFound("token not found"))?;
    changed(&dom.cache, &dom.store, Change::Token(hash)).await;
    Ok(())
}
