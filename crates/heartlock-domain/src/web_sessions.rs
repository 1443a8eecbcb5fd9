//! Browser sessions: a random token in a cookie, its hash in the database,
//! idle and absolute expiry. The web layer keeps the cookie; everything
//! stored goes through here.
use crate::Domain;
use crate::audit_event::event;
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use heartlock_core::audit::Outcome;
use heartlock_core::{ids, token};
use heartlock_store::{NewWebSession, SessionRecord, UserRecord, WebSessionRecord};

pub const IDLE_MS: i64 = 12 * 3600 * 1000;
pub const ABSOLUTE_MS: i64 = 7 * 24 * 3600 * 1000;
/// Last-seen times are written at most this often per session.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The live session behind a cookie value, with its user.
pub async fn resolve(
    dom: &Domain,
    cookie_token: &str,
) -> DomainResult<Option<(WebSessionRecord, UserRecord)>> {
    let now = dom.now_ms();
    let found = dom
        .store
        .web_session(&token::hash_token(cookie_token), now, now - IDLE_MS)
        .await?;
    if let Some((session, _)) = &found
        && now - session.last_seen_at > TOUCH_EVERY_MS
    {
        // Off the request path: last-seen is informational.
        let (store, id) = (dom.store.clone(), session.id.clone());
        tokio::spawn(async move {
            let _ = store.touch_web_session(&id, now).await;
        });
    }
    Ok(found)
}

/// Starts a browser session for `user`; returns the cookie value (shown once).
/// `browser` is the id of the browser's long-lived cookie: a sign-in from a
/// browser the account never used may email the account (see
/// [`crate::preferences::note_browser`]).
pub async fn start(
    dom: &Domain,
    caller: &Principal,
    user: &UserRecord,
    browser: Option<&str>,
    mail: &crate::mail::MailContext,
) -> DomainResult<String> {
    if let Some(b) = browser {
        crate::preferences::note_browser(dom, caller, user, b, mail).await?;
    }
    let now = dom.now_ms();
    let secret = token::random_token("");
    dom.store
        .create_web_session(
            &NewWebSession {
                id: ids::new_id(),
                token_hash: token::hash_token(&secret),
                user_id: user.id.clone(),
                csrf_token: token::random_token(""),
                expires_at: now + ABSOLUTE_MS,
                user_agent: caller.user_agent.clone(),
                ip: caller.ip.clone(),
            },
            now,
        )
        .await?;
    Ok(secret)
}

/// Ends the caller's current session (browser or API).
pub async fn end(dom: &Domain, caller: &Principal) -> DomainResult<()> {
    let Actor::User { session_id, .. } = &caller.actor else {
        return Ok(());
    };
    let now = dom.now_ms();
    dom.store_as(caller)
        .revoke_web_session(session_id, now)
        .await?;
    dom.audit
        .record(event(dom, caller, "auth.logout", Outcome::Success))
        .await;
    Ok(())
}

/// Ends every session of the caller, browser and API alike.
pub async fn end_all(dom: &Domain, caller: &Principal) -> DomainResult<()> {
    let user = crate::projects::require_user(caller)?;
    let now = dom.now_ms();
    dom.store_as(caller)
        .revoke_user_web_sessions(&user.id, None, now)
        .await?;
    dom.store_as(caller)
        .revoke_user_sessions(&user.id, None, now)
        .await?;
    dom.audit
        .record(event(
            dom,
            caller,
            "auth.logout_everywhere",
            Outcome::Success,
        ))
        .await;
    Ok(())
}

/// The caller's live sessions: browser ones, then API ones.
pub async fn list(
    dom: &Domain,
    caller: &Principal,
) -> DomainResult<(Vec<WebSessionRecord>, Vec<SessionRecord>)> {
    let user = caller
        .user()
        .ok_or(DomainError::Unauthenticated("sign in first"))?;
    let now = dom.now_ms();
    Ok((
        dom.store.user_web_sessions(&user.id, now).await?,
        dom.store.user_sessions(&user.id, now).await?,
    ))
}
