//! A user's message preferences (language, the new-browser sign-in email)
//! and the browsers each account signs in from.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::mail::MailContext;
use crate::principal::Principal;
use crate::projects::require_user;
use heartlock_core::audit::Outcome;
use heartlock_core::token;
use heartlock_store::UserRecord;
use serde::{Deserialize, Serialize};

/// The languages messages can be written in.
pub const LANGUAGES: [&str; 2] = ["en", "fr"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// `en` or `fr`; `None`: the language of the request causing a message.
    pub language: Option<String>,
    /// Email on a sign-in from a browser the account has not used before.
    pub notify_new_sign_in: bool,
}

impl Preferences {
    fn of(user: &UserRecord) -> Self {
        Self {
            language: user.language.clone(),
            notify_new_sign_in: user.notify_new_sign_in,
        }
    }
}

/// The caller's preferences (people only; a token has none).
pub async fn get(dom: &Domain, caller: &Principal) -> DomainResult<Preferences> {
    let user = require_user(caller)?;
    // The session's copy of the user may predate a change made elsewhere.
    let fresh = dom.store.user_by_id(&user.id).await?;
    Ok(Preferences::of(fresh.as_ref().unwrap_or(user)))
}

/// Replaces the caller's preferences. An empty language means "none".
pub async fn set(
    dom: &Domain,
    caller: &Principal,
    prefs: Preferences,
) -> DomainResult<Preferences> {
    let user = require_user(caller)?;
    let language = match prefs.language.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) if LANGUAGES.contains(&l) => Some(l.to_string()),
        Some(_) => {
            return Err(DomainError::validation(
                "language",
                "must be en or fr (or empty for the language of each request)",
            ));
        }
    };
    let now = dom.now_ms();
    let detail = format!(
        "language={}, notify_new_sign_in={}",
        language.as_deref().unwrap_or("request"),
        prefs.notify_new_sign_in
    );
    let ev = event(dom, caller, "account.preferences", Outcome::Success).detail(detail);
    let lang = language.clone();
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store
            .set_user_preferences(&user.id, lang.as_deref(), prefs.notify_new_sign_in, now)
            .await
    })
    .await?;
    Ok(Preferences {
        language,
        notify_new_sign_in: prefs.notify_new_sign_in,
    })
}

/// Notes that `user` is signing in from `browser` (the random id of the
/// browser's cookie). A browser never seen for this account, when the
/// account already has others and wants it, enqueues the "new sign-in"
/// email in the same transaction. The very first browser sends nothing.
pub(crate) async fn note_browser(
    dom: &Domain,
    caller: &Principal,
    user: &UserRecord,
    browser: &str,
    mail: &MailContext,
) -> DomainResult<()> {
    let hash = token::hash_token(browser);
    let seen = dom.store.browser_sighting(&user.id, &hash).await?;
    let now = dom.now_ms();
    let notice = if !seen.known && seen.browsers > 0 && user.notify_new_sign_in {
        crate::mail::new_sign_in(
            dom,
            user,
            mail,
            now,
            caller.user_agent.as_deref().unwrap_or("unknown"),
            caller.ip.as_deref().unwrap_or("unknown"),
        )?
    } else {
        Vec::new()
    };
    let sent = !notice.is_empty();
    dom.store_as(caller)
        .with_outbox(notice)
        .remember_browser(
            &user.id,
            &hash,
            caller.user_agent.as_deref(),
            caller.ip.as_deref(),
            now,
        )
        .await?;
    if sent {
        dom.mail.wake();
    }
    Ok(())
}
