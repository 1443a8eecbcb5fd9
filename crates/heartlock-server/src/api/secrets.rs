//! /api/v1/projects/{project}/environments/{env}/secrets…: versioned secrets.
use super::docs::{CommonErrors, ExportFormatName};
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use super::views::*;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heartlock_core::formats::{Format, SecretMap};
use heartlock_domain::secrets::{self as svc, EnvRef, PlainVersion};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_secrets))
        .routes(routes!(batch_write))
        .routes(routes!(import_secrets))
        .routes(routes!(export_secrets))
        .routes(routes!(get_secret, put_secret, delete_secret))
        .routes(routes!(secret_versions))
        .routes(routes!(rollback_secret))
        .routes(routes!(compare_secret))
}

type EnvPath = Path<(String, String)>;
type KeyPath = Path<(String, String, String)>;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `json` (default), `dotenv`, `yaml`, `shell` or `docker`; without it the Accept header decides.
    #[param(value_type = Option<ExportFormatName>, inline)]
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Why (kept with the version).
    #[param(max_length = 500)]
    pub comment: Option<String>,
}

fn version_view(v: PlainVersion) -> VersionView {
    VersionView {
        version: v.version,
        deleted: v.value.is_none(),
        value: v.value,
        author_user_id: v.author_user_id,
        author_token_id: v.author_token_id,
        comment: v.comment,
        created_at: v.created_at,
    }
}

/// Every secret of an environment with its value.
#[utoipa::path(get, path = "/projects/{project}/environments/{env}/secrets", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), PageParams),
    responses((status = 200, description = "Secrets by key", body = Page<SecretView>), CommonErrors))]
async fn list_secrets(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): EnvPath,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<SecretView>>> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let all = svc::list(&state, &caller, at).await?;
    let views = all
        .into_iter()
        .map(|s| SecretView {
            key: s.key,
            value: s.value,
            version: s.version,
            updated_at: s.updated_at,
        })
        .collect();
    Ok(Json(Page::slice(views, &page)))
}

/// Set and delete many keys atomically: all are written, or none.
#[utoipa::path(post, path = "/projects/{project}/environments/{env}/secrets:batch", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = BatchWrite, responses((status = 200, description = "Written versions", body = WriteResult), CommonErrors))]
async fn batch_write(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): EnvPath,
    Json(req): Json<BatchWrite>,
) -> ApiResult<Json<WriteResult>> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let set: SecretMap = req.set.into_iter().collect();
    let changes = svc::Changes {
        set: &set,
        delete: &req.delete,
        comment: req.comment.as_deref(),
        action: "secret.write",
    };
    let written = svc::write(&state, &caller, at, changes).await?;
    Ok(Json(WriteResult::new(written)))
}

/// Import a dotenv, JSON or YAML document as one atomic write.
#[utoipa::path(post, path = "/projects/{project}/environments/{env}/secrets:import", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = ImportRequest, responses((status = 200, description = "Written versions", body = WriteResult), CommonErrors))]
async fn import_secrets(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): EnvPath,
    Json(req): Json<ImportRequest>,
) -> ApiResult<Json<WriteResult>> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    Ok(Json(WriteResult::new(
        svc::import(&state, &caller, at, &req.format, &req.content).await?,
    )))
}

fn negotiate(params: &ExportParams, headers: &HeaderMap) -> ApiResult<Format> {
    if let Some(name) = &params.format {
        return Format::parse_name(name).ok_or_else(|| {
            ApiError::validation("format", "must be json, dotenv, yaml, shell or docker")
        });
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(
        if accept.contains("application/json") || accept.is_empty() || accept.contains("*/*") {
            Format::Json
        } else if accept.contains("yaml") {
            Format::Yaml
        } else if accept.contains("text/") {
            Format::Dotenv
        } else {
            Format::Json
        },
    )
}

/// All secrets of an environment in one document (JSON object by default).
#[utoipa::path(get, path = "/projects/{project}/environments/{env}/secrets:export", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ExportParams),
    responses((status = 200, description = "The environment's secrets", content(
        (std::collections::BTreeMap<String, String> = "application/json"),
        (String = "text/plain"),
        (std::collections::BTreeMap<String, String> = "application/yaml"))), CommonErrors))]
async fn export_secrets(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): EnvPath,
    Query(params): Query<ExportParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let format = negotiate(&params, &headers)?;
    let body = svc::export(&state, &caller, at, format).await?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], body).into_response())
}

#[utoipa::path(get, path = "/projects/{project}/environments/{env}/secrets/{key}", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("key" = String, Path, description = "Secret name", pattern = "^[A-Za-z_][A-Za-z0-9_]{0,255}$")),
    responses((status = 200, description = "The secret", body = SecretView), CommonErrors))]
async fn get_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env, key)): KeyPath,
) -> ApiResult<Json<SecretView>> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let s = svc::get(&state, &caller, at, &key).await?;
    Ok(Json(SecretView {
        key: s.key,
        value: s.value,
        version: s.version,
        updated_at: s.updated_at,
    }))
}

/// Create or update a secret (a new version).
#[utoipa::path(put, path = "/projects/{project}/environments/{env}/secrets/{key}", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("key" = String, Path, description = "Secret name", pattern = "^[A-Za-z_][A-Za-z0-9_]{0,255}$")),
    request_body = PutSecret, responses((status = 200, description = "Written version", body = WrittenKey), CommonErrors))]
async fn put_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env, key)): KeyPath,
    Json(req): Json<PutSecret>,
) -> ApiResult<Json<WrittenKey>> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let mut set = SecretMap::new();
    set.insert(key.clone(), req.value);
    let changes = svc::Changes {
        set: &set,
        delete: &[],
        comment: req.comment.as_deref(),
        action: "secret.write",
    };
    let written = svc::write(&state, &caller, at, changes).await?;
    let version = written.first().map(|(_, v)| *v).unwrap_or_default();
    Ok(Json(WrittenKey { key, version }))
}

/// Delete a secret (recorded as a version, so it can be rolled back).
#[utoipa::path(delete, path = "/projects/{project}/environments/{env}/secrets/{key}", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("key" = String, Path, description = "Secret name", pattern = "^[A-Za-z_][A-Za-z0-9_]{0,255}$"), DeleteParams),
    responses((status = 204, description = "Deleted"), CommonErrors))]
async fn delete_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env, key)): KeyPath,
    Query(q): Query<DeleteParams>,
) -> ApiResult<StatusCode> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let keys = [key];
    let changes = svc::Changes {
        set: &SecretMap::new(),
        delete: &keys,
        comment: q.comment.as_deref(),
        action: "secret.delete",
    };
    svc::write(&state, &caller, at, changes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// History of one secret, newest first, values included.
#[utoipa::path(get, path = "/projects/{project}/environments/{env}/secrets/{key}/versions", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("key" = String, Path, description = "Secret name", pattern = "^[A-Za-z_][A-Za-z0-9_]{0,255}$"), PageParams),
    responses((status = 200, description = "Versions", body = Page<VersionView>), CommonErrors))]
async fn secret_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env, key)): KeyPath,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<VersionView>>> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let (versions, total) =
        svc::history(&state, &caller, at, &key, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(
        versions.into_iter().map(version_view).collect(),
        &page,
        total,
    )))
}

/// Write a new version equal to an older one.
#[utoipa::path(post, path = "/projects/{project}/environments/{env}/secrets/{key}/rollback", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("key" = String, Path, description = "Secret name", pattern = "^[A-Za-z_][A-Za-z0-9_]{0,255}$")),
    request_body = RollbackRequest, responses((status = 200, description = "The new version", body = WrittenKey), CommonErrors))]
async fn rollback_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env, key)): KeyPath,
    Json(req): Json<RollbackRequest>,
) -> ApiResult<Json<WrittenKey>> {
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let version = svc::rollback(&state, &caller, at, &key, req.version).await?;
    Ok(Json(WrittenKey { key, version }))
}

/// One key across every environment of the project.
#[utoipa::path(get, path = "/projects/{project}/secrets/{key}/compare", tag = "secrets", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("key" = String, Path, description = "Secret name", pattern = "^[A-Za-z_][A-Za-z0-9_]{0,255}$")),
    responses((status = 200, description = "Values per environment", body = CompareView), CommonErrors))]
async fn compare_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
) -> ApiResult<Json<CompareView>> {
    let rows = svc::compare(&state, &caller, &project, &key).await?;
    let first = rows
        .first()
        .and_then(|(_, s)| s.as_ref().map(|s| s.value.clone()));
    let consistent = rows
        .iter()
        .all(|(_, s)| s.as_ref().map(|s| &s.value) == first.as_ref() && s.is_some());
    let environments = rows
        .into_iter()
        .map(|(env, s)| CompareEntry {
            environment: env.slug,
            present: s.is_some(),
            version: s.as_ref().map(|s| s.version),
            value: s.map(|s| s.value),
        })
        .collect();
    Ok(Json(CompareView {
        key,
        consistent,
        environments,
    }))
}
