//! heartlock-client: a typed, async client of the Heartlock HTTP API.
//!
//! One method per API route, grouped by area (`auth`, `projects`, `secrets`,
//! `admin`). Errors from the server arrive as RFC 9457 problem details and
//! become [`ClientError::Problem`]; no error ever carries a secret value.
mod admin;
mod auth;
mod group_grants;
pub mod invitations;
pub mod outbox;
pub mod preferences;
mod projects;
pub mod push;
mod secrets;
pub mod shares;
pub mod types;
pub mod watches;

pub use group_grants::GroupGrant;
pub use invitations::{AcceptedInvitation, Invitation, NewInvitation};
pub use shares::{NewShare, PublicShare, RevealedShare, Share, ShareKdf, ShareSource};
pub use types::*;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

/// Media type of RFC 9457 problem details.
const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server refused the request; `kind` is the last path segment of
    /// the problem `type` URI (`unauthorized`, `not-found`, `validation`…).
    #[error("{title}: {detail}")]
    Problem {
        status: u16,
        kind: String,
        title: String,
        detail: String,
    },
    /// Throttled (429): too many failed sign-ins, password checks or
    /// registrations from here; `retry_after_secs` is the server's
    /// Retry-After, when it sent one.
    #[error("{}", too_many_text(*.retry_after_secs))]
    TooManyAttempts { retry_after_secs: Option<u64> },
    #[error("cannot reach the server: {0}")]
    Transport(String),
    #[error("unexpected response: {0}")]
    Decode(String),
    #[error("invalid server URL")]
    Url,
    /// An argument cannot be sent (e.g. an empty or `..` path segment).
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl ClientError {
    /// The HTTP status of a server refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Problem { status, .. } => Some(*status),
            ClientError::TooManyAttempts { .. } => Some(429),
            _ => None,
        }
    }

    /// The problem kind of a server refusal (`not-found`, `forbidden`…).
    pub fn kind(&self) -> Option<&str> {
        match self {
            ClientError::Problem { kind, .. } => Some(kind),
            ClientError::TooManyAttempts { .. } => Some("too-many-attempts"),
            _ => None,
        }
    }
}

fn too_many_text(retry_after_secs: Option<u64>) -> String {
    match retry_after_secs {
        Some(secs) => format!("too many attempts; try again in {secs} seconds"),
        None => "too many attempts; try again later".to_string(),
    }
}

/// A client bound to one server and, optionally, one bearer token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

// The token is a credential: never print it.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// No request body (a typed `None` for the generic body parameter).
pub(crate) const NO_BODY: Option<&()> = None;

impl Client {
    /// `base` is the server root, e.g. `http://127.0.0.1:8082` (a path
    /// prefix such as `https://host/heartlock/` is kept).
    pub fn new(base: &str) -> Result<Self, ClientError> {
        let base = parse_base(base)?;
        let http = reqwest::Client::builder()
            // Following a redirect would silently re-send (or drop) the
            // credentials and bodies; report it instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("heartlock-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| ClientError::Transport(error_chain(&e)))?;
        Ok(Self {
            http,
            base,
            token: None,
        })
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    pub fn set_token(&mut self, token: impl Into<String>) {
        self.token = Some(token.into());
    }

    pub fn clear_token(&mut self) {
        self.token = None;
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Liveness probe (`GET /healthz`).
    pub async fn healthz(&self) -> Result<Health, ClientError> {
        let url = self.url(&["healthz"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Readiness probe (`GET /readyz`); a 503 becomes a `not-ready` problem.
    pub async fn readyz(&self) -> Result<Ready, ClientError> {
        let url = self.url(&["readyz"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// The OpenAPI document of the API.
    pub async fn openapi(&self) -> Result<serde_json::Value, ClientError> {
        let url = self.api(&["openapi.json"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// A URL under `/api/v1`.
    pub(crate) fn api(
        &self,
        segments: &[&str],
        query: &[(&str, Option<String>)],
    ) -> Result<Url, ClientError> {
        let mut all = Vec::with_capacity(segments.len() + 2);
        all.extend(["api", "v1"]);
        all.extend_from_slice(segments);
        self.url(&all, query)
    }

    /// A URL under the server root; each segment is percent-encoded, and
    /// query pairs whose value is `None` are left out.
    pub(crate) fn url(
        &self,
        segments: &[&str],
        query: &[(&str, Option<String>)],
    ) -> Result<Url, ClientError> {
        build_url(&self.base, segments, query)
    }

    /// Sends a request and checks that the answer has status `expect`.
    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        expect: u16,
    ) -> Result<reqwest::Response, ClientError> {
        let mut req = self.http.request(method, url);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e.without_url())))?;
        let status = resp.status().as_u16();
        if status == expect {
            return Ok(resp);
        }
        if (200..300).contains(&status) {
            return Err(ClientError::Decode(format!(
                "status {status}, expected {expect}"
            )));
        }
        if (300..400).contains(&status) {
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("elsewhere");
            return Err(ClientError::Decode(format!(
                "the server redirects to {to}; use that address as the server URL"
            )));
        }
        if status == 429 {
            let retry_after_secs = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            return Err(ClientError::TooManyAttempts { retry_after_secs });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp.bytes().await.unwrap_or_default();
        Err(problem_from(status, content_type.as_deref(), &bytes))
    }

    pub(crate) async fn json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        expect: u16,
    ) -> Result<T, ClientError> {
        let resp = self.send(method, url, body, expect).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e.without_url())))?;
        decode_json(&bytes)
    }

    pub(crate) async fn empty<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        expect: u16,
    ) -> Result<(), ClientError> {
        self.send(method, url, body, expect).await.map(drop)
    }

    pub(crate) async fn text(&self, url: Url) -> Result<String, ClientError> {
        let resp = self.send(Method::GET, url, NO_BODY, 200).await?;
        resp.text()
            .await
            .map_err(|e| ClientError::Transport(error_chain(&e.without_url())))
    }
}

fn parse_base(base: &str) -> Result<Url, ClientError> {
    let mut url = Url::parse(base.trim()).map_err(|_| ClientError::Url)?;
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ClientError::Url);
    }
    // A query or fragment on the root would end up on every request.
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

fn build_url(
    base: &Url,
    segments: &[&str],
    query: &[(&str, Option<String>)],
) -> Result<Url, ClientError> {
    // `url` silently drops "." and ".." segments, which would send the
    // request to another resource; an empty one would change the route.
    if let Some(bad) = segments
        .iter()
        .find(|s| s.is_empty() || **s == "." || **s == "..")
    {
        return Err(ClientError::Invalid(format!(
            "{bad:?} cannot be used as a name in a URL"
        )));
    }
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| ClientError::Url)?
        .pop_if_empty()
        .extend(segments);
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
        .collect();
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    Ok(url)
}

/// Decodes JSON without echoing any part of the document (it may hold
/// secret values) in the error.
fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ClientError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ClientError::Decode(format!(
            "invalid JSON from the server ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

#[derive(serde::Deserialize)]
struct ProblemBody {
    #[serde(rename = "type")]
    type_uri: Option<String>,
    title: Option<String>,
    detail: Option<String>,
}

/// Turns a refusal into [`ClientError::Problem`]. Without problem details
/// the body is ignored: it is not ours to interpret or to echo.
fn problem_from(status: u16, content_type: Option<&str>, body: &[u8]) -> ClientError {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_string();
    let is_problem = content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case(PROBLEM_JSON));
    let parsed = if is_problem {
        serde_json::from_slice::<ProblemBody>(body).ok()
    } else {
        None
    };
    match parsed {
        Some(p) => ClientError::Problem {
            status,
            kind: p
                .type_uri
                .as_deref()
                .and_then(|t| t.trim_end_matches('/').rsplit('/').next())
                .filter(|k| !k.is_empty() && *k != "about:blank")
                .unwrap_or("unknown")
                .to_string(),
            title: p.title.unwrap_or(reason),
            detail: p.detail.unwrap_or_else(|| format!("status {status}")),
        },
        None => ClientError::Problem {
            status,
            kind: "unknown".into(),
            title: reason,
            detail: format!("status {status}, without problem details"),
        },
    }
}

/// The error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests;
