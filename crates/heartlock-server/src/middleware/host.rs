//! Host header validation with Django `ALLOWED_HOSTS` semantics.
//!
//! Rejecting unknown hosts stops cache poisoning and password-reset style
//! attacks that rely on the server trusting an attacker-chosen Host.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri, header};

use super::guard::{Guard, is_probe_path};
use crate::problem::Problem;

/// Longest host echoed back in a problem detail; keeps responses small.
const MAX_ECHOED_HOST: usize = 64;

/// The host the client asked for: the `Host` header, else the URI
/// authority (HTTP/2 `:authority`). `X-Forwarded-Host` is deliberately
/// ignored: it is client-controlled unless a proxy strips it.
pub(crate) fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    match headers.get(header::HOST) {
        Some(value) => value.to_str().ok(),
        None => uri.authority().map(|a| a.as_str()),
    }
}

/// Split `host[:port]` into a lowercase domain and optional port.
///
/// Returns `None` for anything outside Django's host syntax
/// (`[a-z0-9.-]+` or a bracketed IPv6 literal, then an optional `:digits`),
/// so a hostile header can never reach a `Location` header or a comparison.
/// A trailing dot on the domain is dropped (`example.com.` is `example.com`).
pub(crate) fn split_host_port(raw: &str) -> Option<(String, Option<String>)> {
    let lower = raw.trim().to_ascii_lowercase();
    let (domain, rest) = if lower.starts_with('[') {
        let end = lower.find(']')?;
        let (domain, rest) = lower.split_at(end + 1);
        let inner = &domain[1..domain.len() - 1];
        let ipv6_ok = inner.contains(':')
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        if !ipv6_ok {
            return None;
        }
        (domain.to_owned(), rest.to_owned())
    } else {
        let (domain, rest) = match lower.rfind(':') {
            Some(i) => (&lower[..i], &lower[i..]),
            None => (lower.as_str(), ""),
        };
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        let domain_ok = !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if !domain_ok {
            return None;
        }
        (domain.to_owned(), rest.to_owned())
    };
    let port = match rest.strip_prefix(':') {
        None if rest.is_empty() => None,
        None => return None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) => {
            Some(p.to_owned())
        }
        Some(_) => return None,
    };
    Some((domain, port))
}

/// Whether `host` (a raw `Host` value, possibly with a port) matches one of
/// the `allowed` entries.
///
/// Entries: `"*"` matches any well-formed host; `"example.com"` matches
/// exactly; `".example.com"` matches the domain and all its subdomains.
/// The host's port is ignored unless the entry names a port, in which case
/// the ports must be equal. Comparison is case-insensitive.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let Some((domain, port)) = split_host_port(host) else {
        return false;
    };
    allowed
        .iter()
        .any(|entry| entry_matches(entry, &domain, port.as_deref()))
}

fn entry_matches(entry: &str, domain: &str, port: Option<&str>) -> bool {
    if entry.trim() == "*" {
        return true;
    }
    let Some((pattern, pattern_port)) = split_host_port(entry) else {
        return false;
    };
    if pattern_port.is_some() && pattern_port.as_deref() != port {
        return false;
    }
    match pattern.strip_prefix('.') {
        Some(base) if !base.is_empty() => domain == base || domain.ends_with(&pattern),
        Some(_) => false,
        None => domain == pattern,
    }
}

/// 400 problem for a missing or disallowed host.
pub(crate) fn invalid_host(host: Option<&str>) -> Response {
    let detail = match host {
        Some(h) => {
            let shown: String = h.chars().take(MAX_ECHOED_HOST).collect();
            format!("Host '{shown}' is not in the allowed hosts.")
        }
        None => "The request has no usable Host header.".to_owned(),
    };
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid-host",
        "Invalid Host header",
    )
    .with_detail(detail)
    .into_response()
}

/// Middleware: refuse requests whose host is not allowed. Health probes are
/// exempt because load balancers call them by IP address.
pub(crate) async fn check_host(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    if is_probe_path(req.uri().path()) {
        return next.run(req).await;
    }
    match request_host(req.headers(), req.uri()) {
        Some(host) if host_allowed(host, &guard.policy.allowed_hosts) => next.run(req).await,
        other => invalid_host(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn exact_and_case_insensitive() {
        let a = allowed(&["Example.com"]);
        assert!(host_allowed("example.com", &a));
        assert!(host_allowed("EXAMPLE.COM", &a));
        assert!(host_allowed("example.com.", &a));
        assert!(!host_allowed("a.example.com", &a));
    }

    #[test]
    fn leading_dot_matches_domain_and_subdomains() {
        let a = allowed(&[".example.com"]);
        assert!(host_allowed("example.com", &a));
        assert!(host_allowed("a.example.com", &a));
        assert!(host_allowed("a.b.example.com:8443", &a));
        assert!(!host_allowed("badexample.com", &a));
        assert!(!host_allowed("example.com.evil", &a));
    }

    #[test]
    fn wildcard_matches_any_wellformed_host() {
        let a = allowed(&["*"]);
        assert!(host_allowed("anything.test", &a));
        assert!(host_allowed("10.0.0.1:8080", &a));
        assert!(!host_allowed("evil.com/path", &a));
        assert!(!host_allowed("", &a));
    }

    #[test]
    fn ports() {
        let a = allowed(&["example.com"]);
        assert!(host_allowed("example.com:8080", &a));
        let p = allowed(&["localhost:8000"]);
        assert!(host_allowed("localhost:8000", &p));
        assert!(!host_allowed("localhost:9000", &p));
        assert!(!host_allowed("localhost", &p));
        assert!(!host_allowed("example.com:", &a));
        assert!(!host_allowed("example.com:80a", &a));
    }

    #[test]
    fn ipv6_literals() {
        let a = allowed(&["[::1]"]);
        assert!(host_allowed("[::1]", &a));
        assert!(host_allowed("[::1]:8000", &a));
        assert!(!host_allowed("[::2]", &a));
        assert!(!host_allowed("[::1", &a));
        assert!(!host_allowed("[zz::1]", &a));
    }

    #[test]
    fn empty_list_allows_nothing() {
        assert!(!host_allowed("example.com", &[]));
    }
}
