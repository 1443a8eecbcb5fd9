//! Projects, environments and members, with every access decided by
//! `heartlock_core::roles::authorize`.
use crate::api::error::{ApiError, ApiResult};
use crate::auth::{Actor, Caller, anonymous_policy};
use crate::services::audit_event::{EventExt, event};
use crate::state::AppState;
use heartlock_core::audit::Outcome;
use heartlock_core::ids;
use heartlock_core::roles::{
    Action, Decision, ProjectRole, Subject, TokenScope, authorize, may_create_project,
};
use heartlock_store::{EnvironmentRecord, NewProject, ProjectRecord, TokenRecord, UserRecord};

pub const DEFAULT_ENVIRONMENTS: [(&str, &str); 3] = [
    ("development", "Development"),
    ("staging", "Staging"),
    ("production", "Production"),
];

/// Slugs: lowercase letters, digits and dashes, 1 to 63, starting alphanumeric.
pub fn validate_slug(field: &str, slug: &str) -> ApiResult<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            "use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit",
        ))
    }
}

pub fn validate_name(field: &str, name: &str) -> ApiResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(ApiError::validation(field, "must be 1 to 100 characters"));
    }
    Ok(n.to_string())
}

/// A slug derived from a name: "My App!" → "my-app".
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(63).collect()
}

/// The caller's permission subject for a project.
pub async fn subject(
    state: &AppState,
    caller: &Caller,
    project: &ProjectRecord,
    env_id: Option<&str>,
) -> ApiResult<Subject> {
    Ok(match &caller.actor {
        Actor::Token(token) => token_subject(token, project, env_id),
        Actor::User { user, .. } => {
            let role = state
                .store
                .membership_role(&project.id, &user.id)
                .await?
                .and_then(|r| ProjectRole::parse(&r));
            Subject::User {
                server_role: caller.actor.server_role(),
                role,
            }
        }
        Actor::Anonymous => Subject::Anonymous {
            policy: anonymous_policy(state),
        },
    })
}

fn decide(decision: Decision) -> ApiResult<()> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Unauthenticated => Err(ApiError::Unauthenticated("sign in first")),
        Decision::Hidden => Err(ApiError::NotFound("project not found")),
        Decision::Forbidden => Err(ApiError::Forbidden(
            "your role on this project does not allow this".into(),
        )),
    }
}

/// Loads a project by slug and checks `action` on it. A project the caller
/// may not see is a 404, exactly like one that does not exist.
pub async fn access(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    action: Action,
) -> ApiResult<ProjectRecord> {
    if matches!(caller.actor, Actor::Anonymous) {
        // Without credentials, never reveal whether a project exists.
        decide(authorize(
            Subject::Anonymous {
                policy: anonymous_policy(state),
            },
            action,
        ))?;
    }
    let project = state
        .cache
        .project(&state.store, slug)
        .await?
        .ok_or(ApiError::NotFound("project not found"))?;
    let project = (*project).clone();
    let decision = authorize(subject(state, caller, &project, None).await?, action);
    if decision != Decision::Allow && matches!(action, Action::ReadSecrets | Action::WriteSecrets) {
        let ev = event(
            state,
            caller,
            if action == Action::ReadSecrets {
                "secret.read"
            } else {
                "secret.write"
            },
            Outcome::Denied,
        )
        .project(&project.id);
        state.audit.record(ev).await;
    }
    decide(decision)?;
    Ok(project)
}

pub async fn environment(
    state: &AppState,
    project: &ProjectRecord,
    slug: &str,
) -> ApiResult<EnvironmentRecord> {
    let env = state
        .cache
        .environment(&state.store, &project.id, slug)
        .await?
        .ok_or(ApiError::NotFound("environment not found"))?;
    Ok((*env).clone())
}

/// A project and one of its environments, with `action` checked for that
/// environment (a service token may be limited to some environments).
pub async fn access_env(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    env_slug: &str,
    action: Action,
) -> ApiResult<(ProjectRecord, EnvironmentRecord)> {
    if let Actor::Token(token) = &caller.actor {
        let project = state
            .cache
            .project(&state.store, slug)
            .await?
            .ok_or(ApiError::NotFound("project not found"))?;
        let env = environment(state, &project, env_slug)
            .await
            .map_err(|_| ApiError::NotFound("project not found"))?;
        let decision = authorize(token_subject(token, &project, Some(&env.id)), action);
        if decision != Decision::Allow {
            let name = if action == Action::ReadSecrets {
                "secret.read"
            } else {
                "secret.write"
            };
            state
                .audit
                .record(
                    event(state, caller, name, Outcome::Denied)
                        .project(&project.id)
                        .environment(&env.id),
                )
                .await;
        }
        decide(decision)?;
        return Ok(((*project).clone(), env));
    }
    let project = access(state, caller, slug, action).await?;
    let env = environment(state, &project, env_slug).await?;
    Ok((project, env))
}

/// A service token's permission subject on `project` (and `env_id`).
pub fn token_subject(
    token: &TokenRecord,
    project: &ProjectRecord,
    env_id: Option<&str>,
) -> Subject {
    if token.project_id != project.id {
        return Subject::Token { scope: None };
    }
    let in_environments = env_id.is_none_or(|id| token.environments.iter().any(|e| e == id));
    Subject::Token {
        scope: Some(TokenScope {
            can_write: token.access == "read_write",
            in_environments,
        }),
    }
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    name: &str,
    slug: Option<&str>,
    environments: Option<Vec<String>>,
    org: Option<String>,
) -> ApiResult<ProjectRecord> {
    decide(may_create_project(match &caller.actor {
        Actor::User { .. } => Subject::User {
            server_role: caller.actor.server_role(),
            role: None,
        },
        Actor::Token(_) => Subject::Token { scope: None },
        Actor::Anonymous => Subject::Anonymous {
            policy: anonymous_policy(state),
        },
    }))?;
    let name = validate_name("name", name)?;
    let slug = match slug {
        Some(s) => s.to_string(),
        None => slugify(&name),
    };
    validate_slug("slug", &slug)?;
    let envs: Vec<(String, String, String)> = match environments {
        Some(list) => {
            let mut out: Vec<(String, String, String)> = Vec::new();
            for s in list {
                validate_slug("environments", &s)?;
                if out.iter().any(|(_, e, _)| *e == s) {
                    return Err(ApiError::validation(
                        "environments",
                        format!("duplicate environment {s}"),
                    ));
                }
                out.push((ids::new_id(), s.clone(), title_case(&s)));
            }
            out
        }
        None => DEFAULT_ENVIRONMENTS
            .iter()
            .map(|(s, n)| (ids::new_id(), s.to_string(), n.to_string()))
            .collect(),
    };
    let org = org.map(|o| validate_name("org", &o)).transpose()?;
    let p = NewProject {
        id: ids::new_id(),
        slug,
        name,
        org,
        environments: envs,
        owner_user_id: caller.actor.user().map(|u| u.id.clone()),
    };
    let project = state.store.create_project(&p, state.clock.now_ms()).await?;
    state
        .audit
        .record(event(state, caller, "project.create", Outcome::Success).project(&project.id))
        .await;
    Ok(project)
}

fn title_case(slug: &str) -> String {
    let mut c = slug.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Projects the caller can see (server admins: all), with the caller's role.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<(ProjectRecord, Option<ProjectRole>)>, i64)> {
    let member_of = match &caller.actor {
        Actor::User { user, .. }
            if caller.actor.server_role() != heartlock_core::roles::ServerRole::Admin =>
        {
            Some(user.id.as_str())
        }
        Actor::User { .. } => None,
        Actor::Anonymous => {
            decide(authorize(
                Subject::Anonymous {
                    policy: anonymous_policy(state),
                },
                Action::ViewProject,
            ))?;
            None
        }
        // A token sees only its own project.
        Actor::Token(token) => {
            let p = state.store.project_by_id(&token.project_id).await?;
            let total = i64::from(p.is_some());
            return Ok((
                p.into_iter()
                    .filter(|_| offset == 0 && limit > 0)
                    .map(|p| (p, None))
                    .collect(),
                total,
            ));
        }
    };
    let (projects, total) = state
        .store
        .list_projects(member_of, search, limit, offset)
        .await?;
    let mut out = Vec::with_capacity(projects.len());
    for p in projects {
        let role = match caller.actor.user() {
            Some(u) => state
                .store
                .membership_role(&p.id, &u.id)
                .await?
                .and_then(|r| ProjectRole::parse(&r)),
            None => None,
        };
        out.push((p, role));
    }
    Ok((out, total))
}

/// Adds or changes a member. Only owners grant or take the owner role, and
/// the last owner cannot be demoted.
pub async fn set_member(
    state: &AppState,
    caller: &Caller,
    project: &ProjectRecord,
    email: &str,
    role: ProjectRole,
) -> ApiResult<UserRecord> {
    let user = state
        .store
        .user_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| ApiError::validation("email", "no user with this email"))?;
    let current = state
        .store
        .membership_role(&project.id, &user.id)
        .await?
        .and_then(|r| ProjectRole::parse(&r));
    if role == ProjectRole::Owner || current == Some(ProjectRole::Owner) {
        decide(authorize(
            subject(state, caller, project, None).await?,
            Action::ManageOwners,
        ))?;
    }
    if current == Some(ProjectRole::Owner)
        && role != ProjectRole::Owner
        && state.store.count_owners(&project.id).await? <= 1
    {
        return Err(ApiError::Conflict(
            "a project must keep at least one owner".into(),
        ));
    }
    state
        .store
        .set_membership(&project.id, &user.id, role.as_str(), state.clock.now_ms())
        .await?;
    let ev = event(state, caller, "member.set", Outcome::Success)
        .project(&project.id)
        .detail(format!("{} is now {}", user.email, role.as_str()));
    state.audit.record(ev).await;
    Ok(user)
}

pub async fn remove_member(
    state: &AppState,
    caller: &Caller,
    project: &ProjectRecord,
    user_id: &str,
) -> ApiResult<()> {
    let current = state
        .store
        .membership_role(&project.id, user_id)
        .await?
        .and_then(|r| ProjectRole::parse(&r));
    let Some(current) = current else {
        return Err(ApiError::NotFound("member not found"));
    };
    if current == ProjectRole::Owner {
        decide(authorize(
            subject(state, caller, project, None).await?,
            Action::ManageOwners,
        ))?;
        if state.store.count_owners(&project.id).await? <= 1 {
            return Err(ApiError::Conflict(
                "a project must keep at least one owner".into(),
            ));
        }
    }
    state.store.remove_membership(&project.id, user_id).await?;
    let ev = event(state, caller, "member.remove", Outcome::Success)
        .project(&project.id)
        .detail(format!("user {user_id} removed"));
    state.audit.record(ev).await;
    Ok(())
}
