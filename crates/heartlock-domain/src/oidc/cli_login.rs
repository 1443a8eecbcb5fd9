//! `heartlock login --sso`: single sign-on for the CLI. The provider only
//! knows Heartlock's own callback, so the CLI's loopback address sits between
//! the CLI and Heartlock, protected by the CLI's own PKCE (S256):
//!
//! 1. the browser opens `/oauth/login` with the CLI's loopback redirect, its
//!    challenge and its state ([`CliRequest::parse`]);
//! 2. after the usual provider sign-in, [`issue_code`] stores a one-time code
//!    (hashed, with the user and the challenge, for [`CODE_TTL_MS`]) and names
//!    the loopback address to send the browser to;
//! 3. the CLI redeems the code with its verifier ([`exchange`]) for the same
//!    token pair as a password sign-in.
//!
//! A code is tried once: any redemption deletes it, so a wrong verifier
//! burns it and a replay finds nothing.
use crate::Domain;
use crate::audit::write;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::users::{self, TokenPair};
use heartlock_core::audit::{ActorKind, NewAuditEvent, Outcome};
use heartlock_core::{pkce, token};
use heartlock_store::{CliLoginCode, UserRecord};
use serde::{Deserialize, Serialize};

/// How long the CLI has to redeem a code.
pub const CODE_TTL_MS: i64 = 2 * 60 * 1000;
/// Codes are recognisable in a leaked log line.
const CODE_PREFIX: &str = "hl_cc_";
const ISSUED: &str = "auth.sso_cli_code";
const EXCHANGE: &str = "auth.sso_exchange";
const MAX_REDIRECT_LEN: usize = 512;
const MAX_STATE_LEN: usize = 128;
/// One answer for every refused code, so it says nothing about which check
/// failed (the audit log does).
const REFUSED: &str = "this sign-in code is not valid: it is unknown, expired, already used, \
     or was not made for this verifier";

/// What the CLI asked for at `/oauth/login`, kept with the pending sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CliRequest {
    /// `http://127.0.0.1:PORT/...`, `http://[::1]:PORT/...` or
    /// `http://localhost:PORT/...`.
    pub redirect: String,
    /// The CLI's S256 PKCE challenge.
    pub challenge: String,
    /// Echoed back to the loopback address untouched.
    pub state: String,
}

fn invalid(field: &str, message: &str) -> DomainError {
    DomainError::validation(field, message)
}

/// Only plain-HTTP loopback addresses: the code must never leave the machine
/// that runs the CLI (RFC 8252 section 7.3). Any port; no credentials, query
/// or fragment.
fn loopback_redirect(raw: &str) -> DomainResult<String> {
    const MSG: &str =
        "must be http://127.0.0.1:PORT/…, http://[::1]:PORT/… or http://localhost:PORT/…";
    if raw.len() > MAX_REDIRECT_LEN {
        return Err(invalid("cli_redirect", MSG));
    }
    let url = url::Url::parse(raw).map_err(|_| invalid("cli_redirect", MSG))?;
    let loopback_host = matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip == std::net::Ipv4Addr::LOCALHOST
    ) || matches!(
        url.host(),
        Some(url::Host::Ipv6(ip)) if ip == std::net::Ipv6Addr::LOCALHOST
    ) || matches!(url.host(), Some(url::Host::Domain("localhost")));
    let plain = url.scheme() == "http"
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !(loopback_host && plain) {
        return Err(invalid("cli_redirect", MSG));
    }
    Ok(url.to_string())
}

impl CliRequest {
    /// The CLI parameters of `/oauth/login`: none (a browser sign-in), or all
    /// three, valid. Anything else is a validation error.
    pub fn parse(
        redirect: Option<&str>,
        challenge: Option<&str>,
        state: Option<&str>,
    ) -> DomainResult<Option<CliRequest>> {
        let (redirect, challenge, state) = match (redirect, challenge, state) {
            (None, None, None) => return Ok(None),
            (Some(r), Some(c), Some(s)) => (r, c, s),
            _ => {
                return Err(invalid(
                    "cli_redirect",
                    "cli_redirect, cli_challenge and cli_state go together",
                ));
            }
        };
        let redirect = loopback_redirect(redirect)?;
        if !pkce::challenge_is_valid(challenge) {
            return Err(invalid(
                "cli_challenge",
                "must be an S256 PKCE challenge (43 characters of URL-safe base64)",
            ));
        }
        let state_ok = !state.is_empty()
            && state.len() <= MAX_STATE_LEN
            && state
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !state_ok {
            return Err(invalid(
                "cli_state",
                "must be 1 to 128 letters, digits, '-', '.', '_' or '~'",
            ));
        }
        Ok(Some(CliRequest {
            redirect,
            challenge: challenge.to_string(),
            state: state.to_string(),
        }))
    }

    /// The loopback address with the code and the CLI's state.
    fn redirect_with(&self, code: &str) -> DomainResult<String> {
        let mut url = url::Url::parse(&self.redirect)
            .map_err(|_| invalid("cli_redirect", "is not a valid address"))?;
        url.query_pairs_mut()
            .append_pair("code", code)
            .append_pair("state", &self.state);
        Ok(url.to_string())
    }
}

fn as_user(mut ev: NewAuditEvent, user: &UserRecord) -> NewAuditEvent {
    ev.actor_kind = ActorKind::User;
    ev.actor_id = Some(user.id.clone());
    ev.actor_name = Some(user.email.clone());
    ev
}

/// After a successful provider sign-in for the CLI: stores a one-time code
/// for `user` and returns the loopback address (with `code` and `state`) to
/// send the browser to. Audited as `auth.sso_cli_code` in the same
/// transaction.
pub async fn issue_code(
    dom: &Domain,
    caller: &Principal,
    user: &UserRecord,
    req: &CliRequest,
) -> DomainResult<String> {
    let now = dom.now_ms();
    let code = token::random_token(CODE_PREFIX);
    let record = CliLoginCode {
        code_hash: token::hash_token(&code),
        user_id: user.id.clone(),
        challenge: req.challenge.clone(),
        created_at: now,
        expires_at: now + CODE_TTL_MS,
    };
    let ev = as_user(event(dom, caller, ISSUED, Outcome::Success), user)
        .detail("one-time code for the CLI");
    write(dom, caller, vec![ev], |store| async move {
        store.create_cli_login_code(&record, now).await
    })
    .await?;
    req.redirect_with(&code)
}

async fn refuse(dom: &Domain, ev: NewAuditEvent, why: &str) -> DomainError {
    dom.audit.record(ev.detail(format!("refused: {why}"))).await;
    DomainError::Unauthenticated(REFUSED)
}

/// Redeems a code with the CLI's PKCE verifier for a new session (the same
/// token pair as a password sign-in). Unknown, used, expired or
/// wrong-verifier codes are 401 and audited as a denied `auth.sso_exchange`;
/// whichever the outcome, a known code is deleted, atomically, so it is
/// tried once.
pub async fn exchange(
    dom: &Domain,
    caller: &Principal,
    code: &str,
    verifier: &str,
) -> DomainResult<TokenPair> {
    if !crate::oidc::enabled(dom) {
        return Err(DomainError::NotFound("single sign-on is not enabled"));
    }
    let denied = event(dom, caller, EXCHANGE, Outcome::Denied);
    let hash = token::hash_token(code);
    let Some(found) = dom.store.cli_login_code(&hash).await? else {
        return Err(refuse(dom, denied, "unknown or already used code").await);
    };
    let user = dom.store.user_by_id(&found.user_id).await?;
    let problem = if found.expires_at <= dom.now_ms() {
        Some("expired code")
    } else if !pkce::verify_s256(verifier, &found.challenge) {
        Some("wrong PKCE verifier")
    } else {
        match &user {
            None => Some("the account is gone"),
            Some(u) if u.disabled => Some("the account is disabled"),
            Some(_) => None,
        }
    };
    let ev = match (&user, problem) {
        (Some(u), None) => as_user(event(dom, caller, EXCHANGE, Outcome::Success), u),
        (Some(u), Some(why)) => as_user(denied.clone(), u).detail(format!("refused: {why}")),
        (None, why) => denied
            .clone()
            .detail(format!("refused: {}", why.unwrap_or("no account"))),
    };
    // The claim: of concurrent redemptions, one deletes the row; its event
    // commits with the deletion.
    let took = write(dom, caller, vec![ev], |store| async move {
        store.take_cli_login_code(&hash).await
    })
    .await?;
    if !took {
        return Err(refuse(dom, denied, "code already used").await);
    }
    match (user, problem) {
        (Some(user), None) => users::start_session(dom, caller, user).await,
        _ => Err(DomainError::Unauthenticated(REFUSED)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn parse(redirect: &str) -> DomainResult<Option<CliRequest>> {
        CliRequest::parse(Some(redirect), Some(CHALLENGE), Some("st-1"))
    }

    #[test]
    fn only_loopback_http_redirects_are_accepted() {
        for ok in [
            "http://127.0.0.1:49152/callback",
            "http://[::1]:8080/callback",
            "http://localhost:1/cb",
            "http://127.0.0.1/",
        ] {
            assert!(matches!(parse(ok), Ok(Some(_))), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:5000/callback",
            "http://127.0.0.2:5000/callback",
            "http://evil.example/callback",
            "http://localhost.evil.example/cb",
            "http://user:pw@127.0.0.1:5000/cb",
            "http://127.0.0.1:5000/cb?x=1",
            "http://127.0.0.1:5000/cb#f",
            "javascript:alert(1)",
            "/relative",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parameters_go_together_and_are_checked() {
        assert_eq!(CliRequest::parse(None, None, None).unwrap(), None);
        let r = "http://127.0.0.1:5000/callback";
        assert!(CliRequest::parse(Some(r), None, None).is_err());
        assert!(CliRequest::parse(Some(r), Some("short"), Some("s")).is_err());
        assert!(CliRequest::parse(Some(r), Some(CHALLENGE), Some("a b")).is_err());
        assert!(CliRequest::parse(Some(r), Some(CHALLENGE), Some("")).is_err());
    }

    #[test]
    fn the_redirect_carries_code_and_state() {
        let req = parse("http://127.0.0.1:5000/callback").unwrap().unwrap();
        assert_eq!(
            req.redirect_with("hl_cc_abc").unwrap(),
            "http://127.0.0.1:5000/callback?code=hl_cc_abc&state=st-1"
        );
    }
}
