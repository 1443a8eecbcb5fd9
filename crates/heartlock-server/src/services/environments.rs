//! Environments of a project: create, rename, move, delete. Shared by the
//! API and the web UI; callers have checked `Action::ManageProject`.
use crate::api::error::ApiResult;
use crate::auth::Caller;
use crate::cache::{Change, changed};
use crate::services::audit_event::{EventExt, event};
use crate::services::projects::{validate_name, validate_slug};
use crate::state::AppState;
use heartlock_core::audit::Outcome;
use heartlock_core::ids;
use heartlock_store::{EnvironmentRecord, ProjectRecord};

async fn record(
    state: &AppState,
    caller: &Caller,
    p: &ProjectRecord,
    env: &EnvironmentRecord,
    action: &str,
) {
    let ev = event(state, caller, action, Outcome::Success)
        .project(&p.id)
        .environment(&env.id)
        .detail(env.slug.clone());
    state.audit.record(ev).await;
}

/// Appends an environment; the name defaults to the slug.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    p: &ProjectRecord,
    slug: &str,
    name: Option<&str>,
) -> ApiResult<EnvironmentRecord> {
    validate_slug("slug", slug)?;
    // No name means "same as the slug"; an explicit empty name is refused.
    let name = validate_name("name", name.unwrap_or(slug))?;
    let env = state
        .store
        .create_environment(&ids::new_id(), &p.id, slug, &name, state.clock.now_ms())
        .await?;
    record(state, caller, p, &env, "environment.create").await;
    Ok(env)
}

/// Renames and/or moves (0-based position; the others shift).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    p: &ProjectRecord,
    env: &EnvironmentRecord,
    name: Option<&str>,
    position: Option<i64>,
) -> ApiResult<()> {
    let name = name.map(|n| validate_name("name", n)).transpose()?;
    state
        .store
        .update_environment(&p.id, &env.id, name.as_deref(), position)
        .await?;
    changed(&state.cache, &state.store, Change::Project(p.id.clone())).await;
    record(state, caller, p, env, "environment.update").await;
    Ok(())
}

/// Deletes an environment with its secrets.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    p: &ProjectRecord,
    env: &EnvironmentRecord,
) -> ApiResult<()> {
    state.store.delete_environment(&env.id).await?;
    changed(&state.cache, &state.store, Change::Project(p.id.clone())).await;
    record(state, caller, p, env, "environment.delete").await;
    Ok(())
}
