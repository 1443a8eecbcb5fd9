//! Service tokens: created by project owners/admins, shown once, stored as
//! a SHA-256 hash with a short display prefix.
use crate::api::error::{ApiError, ApiResult};
use crate::auth::Caller;
use crate::auth::service_token::PREFIX;
use crate::cache::{Change, changed};
use crate::services::audit_event::{EventExt, event};
use crate::state::AppState;
use heartlock_core::audit::Outcome;
use heartlock_core::{cidr, ids, token};
use heartlock_store::{ProjectRecord, TokenRecord};

pub const MAX_EXPIRY_DAYS: u32 = 3650;

pub struct NewToken<'a> {
    pub name: &'a str,
    pub environments: &'a [String],
    pub access: &'a str,
    pub expires_in_days: Option<u32>,
    pub allowed_cidrs: &'a [String],
}

/// Creates a token; returns the record and the token text (shown once).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    project: &ProjectRecord,
    req: NewToken<'_>,
) -> ApiResult<(TokenRecord, String)> {
    let name = crate::services::projects::validate_name("name", req.name)?;
    if !matches!(req.access, "read" | "read_write") {
        return Err(ApiError::validation("access", "must be read or read_write"));
    }
    if req.environments.is_empty() {
        return Err(ApiError::validation(
            "environments",
            "name at least one environment",
        ));
    }
    let mut env_ids = Vec::with_capacity(req.environments.len());
    for slug in req.environments {
        let env = state
            .store
            .environment_by_slug(&project.id, slug)
            .await?
            .ok_or_else(|| {
                ApiError::validation(
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
            ApiError::validation("allowed_cidrs", format!("{c} is not an IP address or CIDR"))
        })?;
        cidrs.push(net.to_string());
    }
    let now = state.clock.now_ms();
    let expires_at = match req.expires_in_days {
        Some(0) => {
            return Err(ApiError::validation(
                "expires_in_days",
                "must be at least 1",
            ));
        }
        Some(d) if d > MAX_EXPIRY_DAYS => {
            return Err(ApiError::validation(
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
        access: req.access.to_string(),
        token_hash: token::hash_token(&secret),
        display_prefix: secret.chars().take(PREFIX.len() + 6).collect(),
        allowed_cidrs: cidrs,
        expires_at,
        last_used_at: None,
        revoked_at: None,
        created_by: caller.actor.user().map(|u| u.id.clone()),
        created_at: now,
    };
    state.store.create_token(&record).await?;
    state
        .audit
        .record(
            event(state, caller, "token.create", Outcome::Success)
                .project(&project.id)
                .detail(record.name.clone()),
        )
        .await;
    Ok((record, secret))
}

pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    project: &ProjectRecord,
    id: &str,
) -> ApiResult<()> {
    let hash = state
        .store
        .revoke_token(&project.id, id, state.clock.now_ms())
        .await?
        .ok_or(ApiError::NotFound("token not found"))?;
    changed(&state.cache, &state.store, Change::Token(hash)).await;
    state
        .audit
        .record(
            event(state, caller, "token.revoke", Outcome::Success)
                .project(&project.id)
                .detail(id.to_string()),
        )
        .await;
    Ok(())
}
