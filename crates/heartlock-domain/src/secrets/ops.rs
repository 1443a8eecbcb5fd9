//! The public secret operations: each takes the project and environment
//! by slug and checks the caller's permission itself before the work.
use super::{
    Changes, PlainSecret, PlainVersion, compare_in, export_in, history_in, import_in, read_all_in,
    read_one_in, rollback_in, write_in,
};
use crate::Domain;
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::projects::{access, access_env};
use heartlock_core::formats::Format;
use heartlock_core::roles::Action;
use heartlock_store::{EnvironmentRecord, ProjectRecord};

/// Where a request points: a project slug and an environment slug.
#[derive(Debug, Clone, Copy)]
pub struct EnvRef<'a> {
    pub project: &'a str,
    pub env: &'a str,
}

/// Every live secret of an environment (ReadSecrets), audited as `secret.list`.
pub async fn list(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
) -> DomainResult<Vec<PlainSecret>> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::ReadSecrets).await?;
    read_all_in(dom, caller, &p, &e, "secret.list").await
}

/// The whole environment rendered in `format` (ReadSecrets): the hot path.
pub async fn export(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    format: Format,
) -> DomainResult<String> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::ReadSecrets).await?;
    export_in(dom, caller, &p, &e, format).await
}

/// One secret (ReadSecrets).
pub async fn get(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    key: &str,
) -> DomainResult<PlainSecret> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::ReadSecrets).await?;
    read_one_in(dom, caller, &p, &e, key).await
}

/// Sets and deletes in one atomic batch (WriteSecrets); returns the new
/// version of each key.
pub async fn write(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    changes: Changes<'_>,
) -> DomainResult<Vec<(String, i64)>> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::WriteSecrets).await?;
    if changes.set.is_empty() && changes.delete.is_empty() {
        return Err(DomainError::validation("set", "nothing to write"));
    }
    write_in(dom, caller, &p, &e, changes).await
}

/// The versions of one key, newest first (ReadSecrets).
pub async fn history(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    key: &str,
    limit: i64,
    offset: i64,
) -> DomainResult<(Vec<PlainVersion>, i64)> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::ReadSecrets).await?;
    history_in(dom, caller, &p, &e, key, limit, offset).await
}

/// Writes a new version equal to `version` (WriteSecrets).
pub async fn rollback(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    key: &str,
    version: i64,
) -> DomainResult<i64> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::WriteSecrets).await?;
    rollback_in(dom, caller, &p, &e, key, version).await
}

/// Imports a document as one batch (WriteSecrets).
pub async fn import(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    format_name: &str,
    content: &str,
) -> DomainResult<Vec<(String, i64)>> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::WriteSecrets).await?;
    let format = match Format::parse_name(format_name) {
        Some(f @ (Format::Dotenv | Format::Json | Format::Yaml)) => f,
        _ => {
            return Err(DomainError::validation(
                "format",
                "must be dotenv, json or yaml",
            ));
        }
    };
    import_in(dom, caller, &p, &e, format, content).await
}

/// One key across every environment the caller may read (ReadSecrets).
pub async fn compare(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    key: &str,
) -> DomainResult<Vec<(EnvironmentRecord, Option<PlainSecret>)>> {
    let p = access(dom, caller, project, Action::ReadSecrets).await?;
    compare_in(dom, caller, &p, key).await
}

/// Every environment of a project with its live secrets (ReadSecrets),
/// for the grid. Each environment read is audited.
pub async fn grid(
    dom: &Domain,
    caller: &Principal,
    project: &str,
) -> DomainResult<(ProjectRecord, Vec<(EnvironmentRecord, Vec<PlainSecret>)>)> {
    let p = access(dom, caller, project, Action::ReadSecrets).await?;
    // A service token reads only the environments it was given, a limited
    // member only theirs.
    let envs = crate::env_access::reachable(dom, caller, &p).await?;
    let mut out = Vec::with_capacity(envs.len());
    for env in envs {
        let all = read_all_in(dom, caller, &p, &env, "secret.list").await?;
        out.push((env, all));
    }
    Ok((p, out))
}

/// One secret to edit (WriteSecrets): its current value, or `None` when the
/// key is not set in this environment yet.
pub async fn get_for_edit(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    key: &str,
) -> DomainResult<Option<PlainSecret>> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::WriteSecrets).await?;
    match read_one_in(dom, caller, &p, &e, key).await {
        Ok(s) => Ok(Some(s)),
        Err(DomainError::NotFound(_)) => Ok(None),
        Err(err) => Err(err),
    }
}
