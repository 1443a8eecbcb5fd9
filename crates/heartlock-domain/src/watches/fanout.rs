//! The fan-out of a secret change to the environment's watchers: built
//! before the write and committed with it (`Store::with_outbox`), one
//! message per watcher and channel whatever the number of keys. Without
//! watchers it costs one indexed query. The author of a change is not told
//! about their own change. Each watcher's access is checked again here.
use crate::Domain;
use crate::error::DomainResult;
use crate::mail::templates::watch::{self as tpl, ChangeNotice, How, KeyChange};
use crate::mail::{Email, MailContext};
use crate::principal::{Actor, Principal};
use heartlock_core::roles::{
    Action, Decision, authorize_environment, environment_limit_applies, within_environment_limit,
};
use heartlock_store::{EnvironmentRecord, NewOutboxMessage, ProjectRecord, UserRecord};

/// Keys listed by name in one message; the rest are counted.
pub const MAX_LISTED_KEYS: usize = 20;

/// Whether `user` may read the secrets of environment `env_id` of `project`
/// now: the same rule as a read request (project role through membership
/// or group grants, project visibility, environment limits), without
/// recording anything.
pub(crate) async fn may_read(
    dom: &Domain,
    user: &UserRecord,
    project: &ProjectRecord,
    env_id: &str,
) -> DomainResult<bool> {
    if user.disabled {
        return Ok(false);
    }
    let who = Principal::new(Actor::User {
        user: Box::new(user.clone()),
        session_id: String::new(),
    });
    let subject = crate::projects::subject(dom, &who, project, Some(env_id)).await?;
    let in_limit = if environment_limit_applies(subject) {
        let limit = crate::visibility::reach(dom, user, &project.id)
            .await?
            .limit;
        within_environment_limit(limit.as_deref(), env_id)
    } else {
        true
    };
    Ok(authorize_environment(subject, Action::ReadSecrets, in_limit) == Decision::Allow)
}

/// What a change was, for the message.
pub(crate) struct Change<'a> {
    /// The audit action of the sets (`secret.set`, `secret.import`,
    /// `secret.rollback`…).
    pub action: &'a str,
    /// Every changed key, with whether it was deleted.
    pub keys: Vec<KeyChange>,
}

/// How the audit log would name the author, for people to read.
fn author_name(caller: &Principal) -> String {
    match &caller.actor {
        Actor::User { user, .. } if !user.display_name.trim().is_empty() => {
            format!("{} ({})", user.display_name.trim(), user.email)
        }
        Actor::User { user, .. } => user.email.clone(),
        Actor::Token(t) => format!("service token \u{201c}{}\u{201d}", t.name),
        Actor::Anonymous => "an anonymous caller".into(),
        Actor::System { name } => format!("the server ({name})"),
    }
}

/// The watcher's language for messages: their preference, else English
/// (the request is the author's, not the watcher's).
fn language_of(user: &UserRecord) -> &'static str {
    crate::mail::templates::language(user.language.as_deref().unwrap_or("en"))
}

/// Outbox rows telling every watcher of `env` (but the author) about
/// `change`; empty when nobody watches.
pub(crate) async fn messages(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    change: Change<'_>,
) -> DomainResult<Vec<NewOutboxMessage>> {
    let watchers = dom.store.environment_watchers(&env.id).await?;
    if watchers.is_empty() {
        return Ok(Vec::new());
    }
    let author_id = caller.user().map(|u| u.id.as_str());
    let mut keys = change.keys;
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    keys.dedup_by(|a, b| a.key == b.key);
    let more = keys.len().saturating_sub(MAX_LISTED_KEYS);
    keys.truncate(MAX_LISTED_KEYS);
    let how = match change.action {
        "secret.import" => How::Imported,
        "secret.rollback" => How::RolledBack,
        _ => How::Wrote,
    };
    let who = author_name(caller);
    let ctx = MailContext::new("en", caller.base_url.clone());
    let base = crate::mail::base_url(dom, &ctx);
    let base = base.trim_end_matches('/');
    let path = format!("/projects/{}", project.slug);
    let url = format!("{base}{path}");
    let account_url = format!("{base}/account");
    let notice = ChangeNotice {
        who: &who,
        how,
        project: &project.name,
        environment: &env.name,
        keys: &keys,
        more,
        url: &url,
        account_url: &account_url,
    };
    let mut out = Vec::new();
    for w in watchers {
        if Some(w.user_id.as_str()) == author_id {
            continue;
        }
        let Some(user) = dom.store.user_by_id(&w.user_id).await? else {
            continue;
        };
        if !may_read(dom, &user, project, &env.id).await? {
            continue;
        }
        let lang = language_of(&user);
        if w.email {
            let r = tpl::secrets_changed(lang, &notice);
            let email = Email {
                from: dom.settings.email.default_from_email.clone(),
                to: user.email.clone(),
                subject: r.subject,
                text: r.text,
                html: r.html,
            };
            out.push(crate::mail::seal(dom, &email)?);
        }
        if w.push {
            let (title, body) = tpl::secrets_changed_push(lang, &notice);
            let push = crate::push::PushNotice {
                title,
                body,
                url: path.clone(),
                tag: format!("watch-{}", env.id),
            };
            out.extend(crate::push::messages_for_user(dom, &user.id, &push).await?);
        }
    }
    Ok(out)
}
