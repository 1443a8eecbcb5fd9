//! Environment watches ("notify me"): a signed-in user who may read an
//! environment's secrets asks to be told, by email, by push or both, when
//! one of them changes. Watching needs ReadSecrets on that environment (with
//! memberships' and group grants' environment limits and project
//! visibility); the same check runs again at every fan-out ([`fanout`]), so
//! someone who lost access hears nothing more. Service tokens and anonymous
//! callers cannot watch. Notices name who changed which keys where, never a
//! value.
pub(crate) mod fanout;

use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use crate::projects::access_env;
use heartlock_core::audit::Outcome;
use heartlock_core::roles::Action;
use heartlock_store::{UserRecord, WatchListing, WatchRecord};

/// How a watcher wants to hear about changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Channels {
    pub email: bool,
    pub push: bool,
}

/// One watch as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub project: String,
    pub project_name: String,
    pub environment: String,
    pub environment_name: String,
    pub channels: Channels,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<WatchListing> for Watch {
    fn from(l: WatchListing) -> Self {
        Self {
            project: l.project_slug,
            project_name: l.project_name,
            environment: l.environment_slug,
            environment_name: l.environment_name,
            channels: Channels {
                email: l.watch.email,
                push: l.watch.push,
            },
            created_at: l.watch.created_at,
        }
    }
}

/// The signed-in user behind `caller`: 401 for anonymous callers, 403 for
/// service tokens and the system (watches belong to people).
fn watcher(caller: &Principal) -> DomainResult<&UserRecord> {
    match &caller.actor {
        Actor::User { user, .. } => Ok(user),
        Actor::Anonymous => Err(DomainError::Unauthenticated("sign in first")),
        Actor::Token(_) | Actor::System { .. } => Err(DomainError::Forbidden(
            "only people can watch environments, not service tokens".into(),
        )),
    }
}

/// The caller's watch of one environment, if any (ReadSecrets there).
pub async fn get(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    env: &str,
) -> DomainResult<Option<Watch>> {
    let user = watcher(caller)?;
    let (p, e) = access_env(dom, caller, project, env, Action::ReadSecrets).await?;
    Ok(dom.store.watch(&user.id, &e.id).await?.map(|w| Watch {
        project: p.slug.clone(),
        project_name: p.name.clone(),
        environment: e.slug.clone(),
        environment_name: e.name.clone(),
        channels: Channels {
            email: w.email,
            push: w.push,
        },
        created_at: w.created_at,
    }))
}

/// Starts watching an environment, or changes the channels of the watch
/// (ReadSecrets there). At least one channel is needed.
pub async fn set(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    env: &str,
    channels: Channels,
) -> DomainResult<Watch> {
    let user = watcher(caller)?;
    if !channels.email && !channels.push {
        return Err(DomainError::validation(
            "email",
            "choose email, push or both (to stop watching, delete the watch)",
        ));
    }
    let (p, e) = access_env(dom, caller, project, env, Action::ReadSecrets).await?;
    let now = dom.now_ms();
    let created_at = match dom.store.watch(&user.id, &e.id).await? {
        Some(w) => w.created_at,
        None => now,
    };
    let record = WatchRecord {
        user_id: user.id.clone(),
        environment_id: e.id.clone(),
        project_id: p.id.clone(),
        email: channels.email,
        push: channels.push,
        created_at,
    };
    let ev = event(dom, caller, "watch.set", Outcome::Success)
        .project(&p.id)
        .environment(&e.id)
        .detail(describe(channels));
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.upsert_watch(&record).await
    })
    .await?;
    Ok(Watch {
        project: p.slug,
        project_name: p.name,
        environment: e.slug,
        environment_name: e.name,
        channels,
        created_at,
    })
}

fn describe(c: Channels) -> &'static str {
    match (c.email, c.push) {
        (true, true) => "email and push",
        (true, false) => "email",
        _ => "push",
    }
}

/// Stops watching an environment; false when there was no watch. Needs
/// ReadSecrets there like watching (someone who lost access has nothing
/// sent anyway, and sees their stale watches nowhere).
pub async fn remove(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    env: &str,
) -> DomainResult<bool> {
    let user = watcher(caller)?;
    let (p, e) = access_env(dom, caller, project, env, Action::ReadSecrets).await?;
    let ev = event(dom, caller, "watch.delete", Outcome::Success)
        .project(&p.id)
        .environment(&e.id);
    let user_id = user.id.clone();
    let env_id = e.id.clone();
    Ok(
        crate::audit::write(dom, caller, vec![ev], |store| async move {
            store.delete_watch(&user_id, &env_id).await
        })
        .await?,
    )
}

/// The caller's watches of environments they may still read, by project
/// then environment order.
pub async fn list_mine(dom: &Domain, caller: &Principal) -> DomainResult<Vec<Watch>> {
    let user = watcher(caller)?;
    let mut out = Vec::new();
    for l in dom.store.user_watches(&user.id).await? {
        let Some(project) = dom.store.project_by_id(&l.watch.project_id).await? else {
            continue;
        };
        if fanout::may_read(dom, user, &project, &l.watch.environment_id).await? {
            out.push(Watch::from(l));
        }
    }
    Ok(out)
}
