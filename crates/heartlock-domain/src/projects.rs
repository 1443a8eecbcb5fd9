//! Projects, environments and members, with every access decided by
//! `heartlock_core::roles::authorize`.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::cache::{Change, changed};
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use heartlock_core::audit::Outcome;
use heartlock_core::ids;
use heartlock_core::roles::{
    Action, Decision, ProjectRole, Subject, TokenScope, authorize, may_create_project,
};
use heartlock_store::{EnvironmentRecord, NewProject, ProjectRecord, TokenRecord, UserRecord};

/// Environments one project may have (one request used to create 10,000).
pub const MAX_ENVIRONMENTS: usize = 100;
/// Projects one user may belong to before creating more is refused.
pub const MAX_PROJECTS_PER_USER: i64 = 1000;

pub const DEFAULT_ENVIRONMENTS: [(&str, &str); 3] = [
    ("development", "Development"),
    ("staging", "Staging"),
    ("production", "Production"),
];

/// Slugs: lowercase letters, digits and dashes, 1 to 63, starting alphanumeric.
pub fn validate_slug(field: &str, slug: &str) -> DomainResult<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(DomainError::validation(
            field,
            "use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit",
        ))
    }
}

pub fn validate_name(field: &str, name: &str) -> DomainResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(DomainError::validation(
            field,
            "must be 1 to 100 characters",
        ));
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
pub(crate) async fn subject(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env_id: Option<&str>,
) -> DomainResult<Subject> {
    Ok(match &caller.actor {
        Actor::Token(token) => token_subject(token, project, env_id),
        // Membership or group grants, the highest; none when visibility
        // hides the project (so it is a 404 like any unreachable one).
        Actor::User { user, .. } => Subject::User {
            server_role: caller.server_role(),
            role: crate::visibility::effective_role(dom, user, project).await?,
        },
        Actor::Anonymous => Subject::Anonymous {
            policy: dom.anonymous_policy(),
        },
        Actor::System { .. } => Subject::User {
            server_role: caller.server_role(),
            role: None,
        },
    })
}

/// The signed-in user, or 401.
pub fn require_user(caller: &Principal) -> DomainResult<&UserRecord> {
    caller
        .user()
        .ok_or(DomainError::Unauthenticated("sign in first"))
}

pub(crate) fn decide(decision: Decision) -> DomainResult<()> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Unauthenticated => Err(DomainError::Unauthenticated("sign in first")),
        Decision::Hidden => Err(DomainError::NotFound("project not found")),
        Decision::Forbidden => Err(DomainError::Forbidden(
            "your role on this project does not allow this".into(),
        )),
    }
}

/// Loads a project by slug and checks `action` on it. A project the caller
/// may not see is a 404, exactly like one that does not exist.
pub(crate) async fn access(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    action: Action,
) -> DomainResult<ProjectRecord> {
    if matches!(caller.actor, Actor::Anonymous) {
        // Without credentials, never reveal whether a project exists.
        decide(authorize(
            Subject::Anonymous {
                policy: dom.anonymous_policy(),
            },
            action,
        ))?;
    }
    let project = dom
        .cache
        .project(&dom.store, slug)
        .await?
        .ok_or(DomainError::NotFound("project not found"))?;
    let project = (*project).clone();
    let decision = authorize(subject(dom, caller, &project, None).await?, action);
    if decision != Decision::Allow && matches!(action, Action::ReadSecrets | Action::WriteSecrets) {
        let ev = event(
            dom,
            caller,
            if action == Action::ReadSecrets {
                "secret.read"
            } else {
                "secret.write"
            },
            Outcome::Denied,
        )
        .project(&project.id);
        dom.audit.record(ev).await;
    }
    decide(decision)?;
    Ok(project)
}

pub(crate) async fn environment(
    dom: &Domain,
    project: &ProjectRecord,
    slug: &str,
) -> DomainResult<EnvironmentRecord> {
    let env = dom
        .cache
        .environment(&dom.store, &project.id, slug)
        .await?
        .ok_or(DomainError::NotFound("environment not found"))?;
    Ok((*env).clone())
}

/// A refused read or write of an environment's secrets, in the audit log.
pub(crate) async fn record_env_denied(
    dom: &Domain,
    caller: &Principal,
    project_id: &str,
    env_id: &str,
    action: Action,
) {
    let name = if action == Action::WriteSecrets {
        "secret.write"
    } else {
        "secret.read"
    };
    let ev = event(dom, caller, name, Outcome::Denied)
        .project(project_id)
        .environment(env_id);
    dom.audit.record(ev).await;
}

/// A project and one of its environments, with `action` checked for that
/// environment (a service token may be limited to some environments).
pub(crate) async fn access_env(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    env_slug: &str,
    action: Action,
) -> DomainResult<(ProjectRecord, EnvironmentRecord)> {
    if let Actor::Token(token) = &caller.actor {
        let project = dom
            .cache
            .project(&dom.store, slug)
            .await?
            .ok_or(DomainError::NotFound("project not found"))?;
        let env = environment(dom, &project, env_slug)
            .await
            .map_err(|_| DomainError::NotFound("project not found"))?;
        let decision = authorize(token_subject(token, &project, Some(&env.id)), action);
        if decision != Decision::Allow {
            record_env_denied(dom, caller, &project.id, &env.id, action).await;
        }
        decide(decision)?;
        return Ok(((*project).clone(), env));
    }
    let project = access(dom, caller, slug, action).await?;
    let env = environment(dom, &project, env_slug).await?;
    // A member limited to some environments does not see the others.
    crate::env_access::check(dom, caller, &project, &env, action).await?;
    Ok((project, env))
}

/// A service token's permission subject on `project` (and `env_id`).
pub(crate) fn token_subject(
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
            can_write: token.access.can_write(),
            in_environments,
        }),
    }
}

pub async fn create(
    dom: &Domain,
    caller: &Principal,
    name: &str,
    slug: Option<&str>,
    environments: Option<Vec<String>>,
    org: Option<String>,
) -> DomainResult<ProjectRecord> {
    decide(may_create_project(match &caller.actor {
        Actor::User { .. } | Actor::System { .. } => Subject::User {
            server_role: caller.server_role(),
            role: None,
        },
        Actor::Token(_) => Subject::Token { scope: None },
        Actor::Anonymous => Subject::Anonymous {
            policy: dom.anonymous_policy(),
        },
    }))?;
    let name = validate_name("name", name)?;
    let slug = match slug {
        Some(s) => s.to_string(),
        None => slugify(&name),
    };
    validate_slug("slug", &slug)?;
    let envs: Vec<(String, String, String)> = match environments {
        Some(list) if list.len() > MAX_ENVIRONMENTS => {
            return Err(DomainError::validation(
                "environments",
                format!("at most {MAX_ENVIRONMENTS} environments per project"),
            ));
        }
        Some(list) => {
            let mut out: Vec<(String, String, String)> = Vec::new();
            for s in list {
                validate_slug("environments", &s)?;
                if out.iter().any(|(_, e, _)| *e == s) {
                    return Err(DomainError::validation(
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
    if let Some(user) = caller.user() {
        let (_, member_of) = dom
            .store_as(caller)
            .list_projects(Some(&user.id), None, 0, 0)
            .await?;
        if member_of >= MAX_PROJECTS_PER_USER {
            return Err(DomainError::Conflict(format!(
                "you are in {member_of} projects already; the limit is {MAX_PROJECTS_PER_USER}"
            )));
        }
    }
    let p = NewProject {
        id: ids::new_id(),
        slug,
        name,
        org,
        environments: envs,
        owner_user_id: caller.user().map(|u| u.id.clone()),
    };
    let ev = event(dom, caller, "project.create", Outcome::Success).project(&p.id);
    let now = dom.now_ms();
    let project = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.create_project(&p, now).await
    })
    .await?;
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
    dom: &Domain,
    caller: &Principal,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> DomainResult<(Vec<(ProjectRecord, Option<ProjectRole>)>, i64)> {
    let member_of = match &caller.actor {
        Actor::User { user, .. }
            if caller.server_role() != heartlock_core::roles::ServerRole::Admin =>
        {
            Some(user.id.as_str())
        }
        Actor::User { .. } | Actor::System { .. } => None,
        Actor::Anonymous => {
            decide(authorize(
                Subject::Anonymous {
                    policy: dom.anonymous_policy(),
                },
                Action::ViewProject,
            ))?;
            None
        }
        // A token sees only its own project.
        Actor::Token(token) => {
            let p = dom
                .store_as(caller)
                .project_by_id(&token.project_id)
                .await?;
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
    let (projects, total) = match (member_of, caller.user()) {
        // Reached directly or through a group grant, narrowed by visibility.
        (Some(_), Some(user)) => {
            let scope = crate::visibility::user_scope(dom, user);
            let filter = heartlock_store::ReachFilter {
                user_id: &user.id,
                groups: &user.idp_groups,
                orgs: scope.org_filter(),
            };
            dom.store
                .list_reachable_projects(&filter, search, limit, offset)
                .await?
        }
        _ => {
            dom.store
                .list_projects(member_of, search, limit, offset)
                .await?
        }
    };
    let mut out = Vec::with_capacity(projects.len());
    for p in projects {
        let role = match caller.user() {
            Some(u) => crate::visibility::effective_role(dom, u, &p).await?,
            None => None,
        };
        out.push((p, role));
    }
    Ok((out, total))
}

/// A project as its readers see it: the record, the caller's role on it
/// and its environments in order.
#[derive(Debug, Clone)]
pub struct ProjectInfo {
    pub project: ProjectRecord,
    pub role: Option<ProjectRole>,
    pub environments: Vec<EnvironmentRecord>,
}

async fn info(
    dom: &Domain,
    caller: &Principal,
    project: ProjectRecord,
) -> DomainResult<ProjectInfo> {
    let environments = crate::env_access::listed(dom, caller, &project).await?;
    let role = match caller.user() {
        Some(u) => crate::visibility::effective_role(dom, u, &project).await?,
        None => None,
    };
    Ok(ProjectInfo {
        project,
        role,
        environments,
    })
}

/// One project (ViewProject).
pub async fn get(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<ProjectInfo> {
    let project = access(dom, caller, slug, Action::ViewProject).await?;
    info(dom, caller, project).await
}

/// Creates a project (the caller becomes its owner) and describes it.
pub async fn create_info(
    dom: &Domain,
    caller: &Principal,
    new: NewProjectRequest,
) -> DomainResult<ProjectInfo> {
    let project = create(
        dom,
        caller,
        &new.name,
        new.slug.as_deref(),
        new.environments,
        new.org,
    )
    .await?;
    info(dom, caller, project).await
}

/// What creating a project takes.
#[derive(Debug, Clone, Default)]
pub struct NewProjectRequest {
    pub name: String,
    pub slug: Option<String>,
    pub environments: Option<Vec<String>>,
    pub org: Option<String>,
}

/// Projects the caller can see, each with its environments.
pub async fn list_info(
    dom: &Domain,
    caller: &Principal,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> DomainResult<(Vec<ProjectInfo>, i64)> {
    let (projects, total) = list(dom, caller, search, limit, offset).await?;
    let mut out = Vec::with_capacity(projects.len());
    for (project, role) in projects {
        let environments = crate::env_access::listed(dom, caller, &project).await?;
        out.push(ProjectInfo {
            project,
            role,
            environments,
        });
    }
    Ok((out, total))
}

/// Renames a project and/or sets its organisation (`Some("")` clears it).
pub async fn update(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    name: Option<&str>,
    org: Option<&str>,
) -> DomainResult<ProjectInfo> {
    let p = access(dom, caller, slug, Action::ManageProject).await?;
    let name = match name {
        Some(n) => validate_name("name", n)?,
        None => p.name.clone(),
    };
    let org = match org {
        Some(o) if o.trim().is_empty() => None,
        Some(o) => Some(validate_name("org", o)?),
        None => p.org.clone(),
    };
    let ev = event(dom, caller, "project.update", Outcome::Success).project(&p.id);
    let now = dom.now_ms();
    let pid = &p.id;
    let result = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.update_project(pid, &name, org.as_deref(), now).await
    })
    .await;
    changed(&dom.cache, &dom.store, Change::Project(p.id.clone())).await;
    result?;
    let p = dom
        .store_as(caller)
        .project_by_id(&p.id)
        .await?
        .ok_or(DomainError::NotFound("project not found"))?;
    info(dom, caller, p).await
}

/// Deletes a project with everything in it (DeleteProject).
pub async fn delete(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<()> {
    let p = access(dom, caller, slug, Action::DeleteProject).await?;
    let ev = event(dom, caller, "project.delete", Outcome::Success)
        .project(&p.id)
        .detail(p.slug.clone());
    let pid = &p.id;
    let result = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.delete_project(pid).await
    })
    .await;
    changed(&dom.cache, &dom.store, Change::Project(p.id.clone())).await;
    result?;
    Ok(())
}

/// What the caller may do on a project, so pages show only the controls
/// that work (every operation still checks on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    pub write: bool,
    pub manage: bool,
    pub members: bool,
    pub tokens: bool,
    pub audit: bool,
}

/// A project the caller may see (ViewProject) and their permissions on it.
pub async fn with_permissions(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
) -> DomainResult<(ProjectRecord, Permissions)> {
    let project = access(dom, caller, slug, Action::ViewProject).await?;
    let subject = subject(dom, caller, &project, None).await?;
    let may = |a| authorize(subject, a) == Decision::Allow;
    let perms = Permissions {
        write: may(Action::WriteSecrets),
        manage: may(Action::ManageProject),
        members: may(Action::ManageMembers),
        tokens: may(Action::ManageTokens),
        audit: may(Action::ReadAudit),
    };
    Ok((project, perms))
}
