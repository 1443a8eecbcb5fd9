//! Single sign-on through an OpenID Provider (authorization code flow with
//! PKCE S256, `state` and `nonce`). [`begin`] gives the address to send the
//! browser to and the pending sign-in the caller keeps (the web layer signs
//! it into a short-lived cookie); [`finish`] checks the provider's answer,
//! signs the person in to their linked account (see `accounts`) and returns
//! what sign-out needs later.
mod accounts;
pub mod cli_login;
mod link;
mod provider;

pub(crate) use provider::check as check_provider;

pub use link::{LINK_TTL_MS, PendingLink, confirm as confirm_link};

use crate::Domain;
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use base64::Engine;
use heartlock_store::UserRecord;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How long a browser has to come back from the provider.
pub const PENDING_TTL_MS: i64 = 10 * 60 * 1000;
/// Groups kept per user, and the longest group name kept.
const MAX_GROUPS: usize = 200;
const MAX_GROUP_LEN: usize = 200;

/// Whether single sign-on is on (OIDC_ENABLE, or every endpoint set).
pub fn enabled(dom: &Domain) -> bool {
    dom.oidc_enabled()
}

/// A sign-in started and not finished yet, kept by the caller for the
/// browser that started it (the provider only ever sees `state`, the nonce
/// and the PKCE challenge, never the verifier).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_uri: String,
    pub started_at_ms: i64,
}

/// What the provider sent back to the callback.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

/// A finished sign-in: the account, and what RP-initiated sign-out needs.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: UserRecord,
    pub sign_out: Option<SignOut>,
}

/// Where to send the browser at sign-out (kept with the browser session).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignOut {
    pub end_session_endpoint: String,
    pub id_token: Option<String>,
    pub post_logout_redirect_uri: String,
    pub client_id: String,
}

impl SignOut {
    /// The provider's end-session address with `id_token_hint`,
    /// `post_logout_redirect_uri` and `client_id`; no request is made.
    pub fn url(&self) -> Option<String> {
        let mut url = url::Url::parse(&self.end_session_endpoint).ok()?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(t) = &self.id_token {
                q.append_pair("id_token_hint", t);
            }
            q.append_pair("post_logout_redirect_uri", &self.post_logout_redirect_uri);
            q.append_pair("client_id", &self.client_id);
        }
        Some(url.to_string())
    }
}

fn refused(message: &str) -> DomainError {
    DomainError::Forbidden(message.to_string())
}

fn bad_callback(message: &str) -> DomainError {
    DomainError::validation("sign-in", message)
}

/// The client with the endpoints the provider metadata gives it.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(dom: &Domain, p: &provider::Provider, redirect_uri: &str) -> DomainResult<Client> {
    let o = dom.oidc();
    let Some(client_id) = o.client_id.clone() else {
        return Err(DomainError::Unavailable(
            "single sign-on is not configured correctly".into(),
        ));
    };
    let redirect = openidconnect::RedirectUrl::new(redirect_uri.to_string()).map_err(|_| {
        DomainError::Unavailable("single sign-on is not configured correctly".into())
    })?;
    Ok(CoreClient::from_provider_metadata(
        p.metadata.clone(),
        ClientId::new(client_id),
        o.client_secret
            .as_ref()
            .map(|s| ClientSecret::new(s.expose().to_string())),
    )
    .set_redirect_uri(redirect))
}

/// Starts a sign-in: the provider's authorization address (with PKCE S256,
/// `state` and `nonce`) and the pending sign-in to keep until the callback.
pub async fn begin(dom: &Domain, request_base: &str) -> DomainResult<(String, PendingLogin)> {
    // One cheap read: a change made on another instance applies at once.
    crate::oidc_settings::refresh(dom).await;
    if !enabled(dom) {
        return Err(DomainError::NotFound("single sign-on is not enabled"));
    }
    let p = provider::load(dom, false).await?;
    let redirect_uri = provider::redirect_url(dom, request_base)?.to_string();
    let client = client(dom, &p, &redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(48);
    let mut req = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in dom.oidc().scopes.iter().filter(|s| *s != "openid") {
        req = req.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = req.url();
    Ok((
        url.to_string(),
        PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            redirect_uri,
            started_at_ms: dom.clock.now_ms(),
        },
    ))
}

/// OIDC_SIGN_ALGO as a signing algorithm.
fn signing_alg(dom: &Domain) -> DomainResult<CoreJwsSigningAlgorithm> {
    serde_json::from_value(Value::String(dom.oidc().sign_algo.clone()))
        .map_err(|_| DomainError::Unavailable("single sign-on is not configured correctly".into()))
}

/// The verified ID token's claims as JSON (its signature was checked).
fn token_claims(raw: &str) -> Map<String, Value> {
    raw.split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The groups claim: a list of names (or a single name), bounded.
fn groups_from(claims: &Map<String, Value>, name: &str) -> Option<Vec<String>> {
    let v = claims.get(name)?;
    let names: Vec<String> = match v {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    Some(
        names
            .into_iter()
            .filter(|g| !g.is_empty() && g.chars().count() <= MAX_GROUP_LEN)
            .take(MAX_GROUPS)
            .collect(),
    )
}

/// The userinfo claims, when the provider has the endpoint; its `sub` must
/// be the ID token's.
async fn userinfo(
    p: &provider::Provider,
    access_token: &str,
    subject: &str,
) -> DomainResult<Map<String, Value>> {
    let Some(endpoint) = p.metadata.userinfo_endpoint() else {
        return Ok(Map::new());
    };
    let resp = p
        .http
        .get(endpoint.url().as_str())
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|_| provider::unavailable())?;
    if !resp.status().is_success() {
        tracing::warn!(status = %resp.status(), "OIDC userinfo answered with an error");
        return Err(refused(
            "the identity provider refused to describe the account",
        ));
    }
    let claims: Map<String, Value> = resp
        .json()
        .await
        .map_err(|_| refused("the identity provider's account description is not readable"))?;
    if claims.get("sub").and_then(Value::as_str) != Some(subject) {
        return Err(refused("the identity provider described another account"));
    }
    Ok(claims)
}

/// Finishes a sign-in at the callback. `pending` is what [`begin`] returned
/// to this browser; every failure is audited and answers a readable error
/// (validation for a callback that does not match, forbidden for an answer
/// the provider or this server refuses).
pub async fn finish(
    dom: &Domain,
    caller: &Principal,
    pending: Option<&PendingLogin>,
    cb: &Callback,
) -> DomainResult<SignedIn> {
    match finish_or_link(dom, caller, pending, cb).await? {
        Finished::SignedIn(s) => Ok(s),
        Finished::LinkRequired(_) => Err(refused(
            "an account with this email address already exists: sign in through the web \
             page once to link it to single sign-on",
        )),
    }
}

/// How a callback ended: signed in, or a local account to link first.
pub enum Finished {
    SignedIn(SignedIn),
    /// The provider's verified email is a local account's: the person must
    /// prove its password ([`confirm_link`]) before single sign-on reaches it.
    LinkRequired(PendingLink),
}

/// [`finish`], where a local account with the provider's verified email
/// may be linked (the web sign-in offers the password proof).
pub async fn finish_or_link(
    dom: &Domain,
    caller: &Principal,
    pending: Option<&PendingLogin>,
    cb: &Callback,
) -> DomainResult<Finished> {
    if !enabled(dom) {
        return Err(DomainError::NotFound("single sign-on is not enabled"));
    }
    let result = finish_inner(dom, caller, pending, cb).await;
    if let Err(e) = &result {
        accounts::audit_failure(dom, caller, e).await;
    }
    result
}

async fn finish_inner(
    dom: &Domain,
    caller: &Principal,
    pending: Option<&PendingLogin>,
    cb: &Callback,
) -> DomainResult<Finished> {
    let Some(pending) = pending else {
        return Err(bad_callback(
            "this sign-in has expired or was started in another browser",
        ));
    };
    let now = dom.clock.now_ms();
    if now - pending.started_at_ms > PENDING_TTL_MS || now < pending.started_at_ms - 60_000 {
        return Err(bad_callback("this sign-in has expired; start again"));
    }
    if cb.state.as_deref() != Some(pending.state.as_str()) {
        return Err(bad_callback(
            "this sign-in does not match the one started here",
        ));
    }
    if cb.error.is_some() {
        return Err(refused("the identity provider did not sign you in"));
    }
    let Some(code) = cb.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(bad_callback(
            "the identity provider sent no authorization code",
        ));
    };
    let p = provider::load(dom, true).await?;
    // RFC 9207: when the provider names itself, it must be the one we asked.
    if let Some(iss) = &cb.iss
        && iss != &p.issuer
    {
        return Err(bad_callback(
            "the answer came from another identity provider",
        ));
    }
    let client = client(dom, &p, &pending.redirect_uri)?;
    let request = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|_| DomainError::Unavailable("single sign-on is not configured correctly".into()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
    let tokens = request.request_async(&p.http).await.map_err(|e| {
        tracing::warn!(error = %error_kind(&e), "OIDC token request refused");
        refused("the identity provider refused this sign-in (it may have been used already)")
    })?;
    let id_token: &CoreIdToken = tokens
        .id_token()
        .ok_or_else(|| refused("the identity provider sent no ID token"))?;
    let clock = dom.clock.clone();
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs([signing_alg(dom)?])
        .set_time_fn(move || {
            chrono::DateTime::from_timestamp_millis(clock.now_ms()).unwrap_or_default()
        });
    let nonce = Nonce::new(pending.nonce.clone());
    let verified = id_token.claims(&verifier, &nonce).map_err(|e| {
        tracing::warn!(error = %e, "OIDC ID token refused");
        refused("the identity provider's ID token was refused")
    })?;
    let subject = verified.subject().as_str().to_string();
    let raw_id_token = id_token.to_string();
    let mut claims = token_claims(&raw_id_token);
    let info = userinfo(&p, tokens.access_token().secret(), &subject).await?;
    claims.extend(info);
    let groups = groups_from(&claims, &dom.oidc().groups_claim);
    let user = match accounts::sign_in(dom, caller, &p.issuer, &subject, &claims, groups).await? {
        accounts::Account::User(user) => user,
        accounts::Account::LinkRequired(link) => return Ok(Finished::LinkRequired(link)),
    };
    let sign_out = p.end_session_endpoint.as_ref().map(|end| SignOut {
        end_session_endpoint: end.clone(),
        id_token: Some(raw_id_token),
        post_logout_redirect_uri: post_logout_uri(&pending.redirect_uri),
        client_id: dom.oidc().client_id.clone().unwrap_or_default(),
    });
    Ok(Finished::SignedIn(SignedIn { user, sign_out }))
}

/// The sign-in page next to the callback: where the provider sends the
/// browser back after sign-out.
fn post_logout_uri(redirect_uri: &str) -> String {
    url::Url::parse(redirect_uri)
        .and_then(|u| u.join("/login"))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| "/login".to_string())
}

/// A token-request failure, named without the provider's body or any token.
fn error_kind<RE, T>(e: &openidconnect::RequestTokenError<RE, T>) -> String
where
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + 'static,
{
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => r.to_string(),
        openidconnect::RequestTokenError::Request(_) => "request failed".into(),
        openidconnect::RequestTokenError::Parse(_, _) => "unreadable answer".into(),
        openidconnect::RequestTokenError::Other(_) => "other".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_read_as_a_list_or_a_name() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"groups":["a","b",""],"team":"x","n":3}"#).unwrap();
        assert_eq!(
            groups_from(&claims, "groups"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(groups_from(&claims, "team"), Some(vec!["x".into()]));
        assert_eq!(groups_from(&claims, "n"), Some(vec![]));
        assert_eq!(groups_from(&claims, "missing"), None);
    }

    #[test]
    fn sign_out_url_carries_the_hint() {
        let s = SignOut {
            end_session_endpoint: "https://idp.example/end?x=1".into(),
            id_token: Some("a.b.c".into()),
            post_logout_redirect_uri: "https://hl.example/login".into(),
            client_id: "hl".into(),
        };
        let url = s.url().unwrap();
        assert!(url.starts_with("https://idp.example/end?x=1&id_token_hint=a.b.c&"));
        assert!(url.contains("post_logout_redirect_uri=https%3A%2F%2Fhl.example%2Flogin"));
        assert_eq!(
            post_logout_uri("https://hl.example/oauth/callback"),
            "https://hl.example/login"
        );
    }
}
