//! Policy compiled once at startup for the custom middleware.

use std::sync::Arc;

use url::Url;

use super::HttpPolicy;
use super::origin::{TrustedOrigin, normalize_origin};

/// Health probes come from load balancers by IP over plain HTTP, so they skip
/// the host check and the HTTPS redirect; so do Prometheus scrapes of
/// `/metrics` (still behind its token when one is set).
pub(crate) fn is_probe_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | crate::metrics::PATH)
}

/// Parsed form of [`HttpPolicy`] shared by the host, TLS and CSRF middleware.
#[derive(Debug)]
pub(crate) struct Guard {
    pub(crate) policy: Arc<HttpPolicy>,
    /// Normalized origin of `base_url`, e.g. `https://secrets.example.com`.
    pub(crate) base_origin: Option<String>,
    /// Scheme of `base_url`, used when the request does not reveal its own.
    pub(crate) base_scheme: Option<String>,
    pub(crate) trusted: Vec<TrustedOrigin>,
}

impl Guard {
    pub(crate) fn new(policy: Arc<HttpPolicy>) -> Self {
        let base = policy.base_url.as_deref().and_then(|raw| {
            let parsed = Url::parse(raw).ok();
            if parsed.is_none() {
                tracing::warn!("ignoring unparseable base_url");
            }
            parsed
        });
        let trusted = policy
            .csrf_trusted_origins
            .iter()
            .filter_map(|entry| {
                let parsed = TrustedOrigin::parse(entry);
                if parsed.is_none() {
                    tracing::warn!(entry = %entry, "ignoring invalid CSRF trusted origin");
                }
                parsed
            })
            .collect();
        Self {
            base_origin: base.as_ref().and_then(|u| normalize_origin(u.as_str())),
            base_scheme: base.as_ref().map(|u| u.scheme().to_owned()),
            trusted,
            policy,
        }
    }
}
