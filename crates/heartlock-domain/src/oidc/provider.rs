//! The OpenID Provider as configured: endpoints from OIDC_ISSUER discovery,
//! overridden by the explicit OIDC_* settings, and its signing keys. Every
//! back-channel request goes through one HTTP client that never follows
//! redirects.
use crate::Domain;
use crate::error::{DomainError, DomainResult};
use heartlock_config::OidcSettings;
use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{JsonWebKeySetUrl, RedirectUrl};
use serde_json::{Map, Value, json};
use std::time::Duration;

const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// What a sign-in needs to know about the provider.
pub(crate) struct Provider {
    pub metadata: CoreProviderMetadata,
    pub issuer: String,
    pub end_session_endpoint: Option<String>,
    pub http: reqwest::Client,
}

pub(crate) fn unavailable() -> DomainError {
    DomainError::Unavailable("the identity provider cannot be reached; try again later".into())
}

fn misconfigured(what: &str) -> DomainError {
    tracing::error!(setting = what, "single sign-on is misconfigured");
    DomainError::Unavailable("single sign-on is not configured correctly".into())
}

/// The back-channel client: no redirects, bounded time.
pub(crate) fn http_client() -> DomainResult<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|_| DomainError::Internal("cannot build the HTTP client".into()))
}

/// The provider's metadata document: OIDC_ISSUER's discovery document when
/// the issuer is set, with every explicit setting taking precedence.
async fn metadata_document(http: &reqwest::Client, o: &OidcSettings) -> DomainResult<Value> {
    let mut doc = Map::new();
    if let Some(issuer) = &o.issuer {
        let url = format!("{}{DISCOVERY_PATH}", issuer.trim_end_matches('/'));
        let resp = http.get(&url).send().await.map_err(|e| {
            tracing::warn!(error = %e, "OIDC discovery request failed");
            unavailable()
        })?;
        if !resp.status().is_success() {
            tracing::warn!(status = %resp.status(), "OIDC discovery answered with an error");
            return Err(unavailable());
        }
        let found: Map<String, Value> = resp.json().await.map_err(|_| {
            tracing::warn!("OIDC discovery document is not a JSON object");
            unavailable()
        })?;
        if found.get("issuer").and_then(Value::as_str) != Some(issuer.as_str()) {
            return Err(misconfigured(
                "OIDC_ISSUER (the discovery document names another issuer)",
            ));
        }
        doc = found;
    }
    let explicit = [
        ("issuer", &o.issuer),
        ("authorization_endpoint", &o.authorization_endpoint),
        ("token_endpoint", &o.token_endpoint),
        ("userinfo_endpoint", &o.userinfo_endpoint),
        ("jwks_uri", &o.jwks_endpoint),
        ("end_session_endpoint", &o.end_session_endpoint),
    ];
    for (name, value) in explicit {
        if let Some(v) = value {
            doc.insert(name.to_string(), Value::String(v.clone()));
        }
    }
    let defaults = [
        ("response_types_supported", json!(["code"])),
        ("subject_types_supported", json!(["public"])),
        (
            "id_token_signing_alg_values_supported",
            json!([o.sign_algo]),
        ),
    ];
    for (name, value) in defaults {
        doc.entry(name.to_string()).or_insert(value);
    }
    Ok(Value::Object(doc))
}

/// Loads the provider (discovery when configured), and its signing keys
/// when `with_keys` (only checking an ID token needs them).
pub(crate) async fn load(dom: &Domain, with_keys: bool) -> DomainResult<Provider> {
    load_with(&dom.oidc(), with_keys).await
}

/// Whether `o` (settings not in effect yet) describes a usable provider:
/// the discovery document is reachable and names the issuer, and the
/// endpoints are well-formed. 422 on the setting at fault.
pub(crate) async fn check(o: &OidcSettings) -> DomainResult<()> {
    match load_with(o, false).await {
        Ok(_) => Ok(()),
        Err(DomainError::Unavailable(m)) if m.contains("cannot be reached") => {
            Err(DomainError::validation(
                "OIDC_ISSUER",
                "the discovery document (<issuer>/.well-known/openid-configuration) cannot be read",
            ))
        }
        Err(DomainError::Unavailable(_)) => Err(DomainError::validation(
            "OIDC_ISSUER",
            "the discovery document names another issuer, or the provider's endpoints are \
             missing or malformed",
        )),
        Err(e) => Err(e),
    }
}

async fn load_with(o: &OidcSettings, with_keys: bool) -> DomainResult<Provider> {
    let http = http_client()?;
    let doc = metadata_document(&http, o).await?;
    let Some(issuer) = doc
        .get("issuer")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(misconfigured("OIDC_ISSUER"));
    };
    let end_session_endpoint = doc
        .get("end_session_endpoint")
        .and_then(Value::as_str)
        .map(str::to_string);
    if doc.get("jwks_uri").is_none() {
        return Err(misconfigured("OIDC_JWKS_ENDPOINT"));
    }
    if doc.get("token_endpoint").is_none() {
        return Err(misconfigured("OIDC_TOKEN_ENDPOINT"));
    }
    let metadata: CoreProviderMetadata =
        serde_json::from_value(doc).map_err(|_| misconfigured("OIDC_* endpoints"))?;
    let metadata = if with_keys {
        let jwks_url: JsonWebKeySetUrl = metadata.jwks_uri().clone();
        let jwks = CoreJsonWebKeySet::fetch_async(&jwks_url, &http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "cannot fetch the provider's signing keys");
                unavailable()
            })?;
        metadata.set_jwks(jwks)
    } else {
        metadata
    };
    Ok(Provider {
        metadata,
        issuer,
        end_session_endpoint,
        http,
    })
}

/// OIDC_REDIRECT_URI, else `<BASE_URL or the request's base>/oauth/callback`.
pub(crate) fn redirect_url(dom: &Domain, request_base: &str) -> DomainResult<RedirectUrl> {
    RedirectUrl::new(dom.oidc_redirect_uri(request_base))
        .map_err(|_| misconfigured("OIDC_REDIRECT_URI"))
}
