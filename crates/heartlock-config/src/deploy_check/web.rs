//! HTTP exposure: hosts, origins, HTTPS and proxies.

use super::{Findings, is_remote_http};
use crate::Settings;

/// Second-level labels registries sell names under (`.co.uk`, `.com.au`).
/// A small built-in list instead of the Public Suffix List: the
/// `publicsuffix` crate is only in Cargo.lock as a test-only dependency, and
/// this check only has to catch the obvious mistakes.
const SECOND_LEVEL: &[&str] = &[
    "ac", "co", "com", "edu", "gen", "go", "gob", "gov", "ltd", "mil", "ne", "net", "nic", "nom",
    "or", "org", "plc", "sch",
];

/// Hosting suffixes under which anyone can get a name of their own.
const SHARED_SUFFIXES: &[&str] = &[
    "amazonaws.com",
    "appspot.com",
    "azurewebsites.net",
    "blogspot.com",
    "cloudfront.net",
    "firebaseapp.com",
    "fly.dev",
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "netlify.app",
    "ngrok-free.app",
    "ngrok.io",
    "onrender.com",
    "pages.dev",
    "vercel.app",
    "web.app",
    "workers.dev",
];

/// An ALLOWED_HOSTS entry matching hosts of many unrelated owners: `*`, or
/// a suffix entry (`.x`, `*.x`) where `x` is a public suffix.
fn too_broad_host(entry: &str) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    if entry == "*" {
        return true;
    }
    let Some(suffix) = entry.strip_prefix("*.").or_else(|| entry.strip_prefix('.')) else {
        return false;
    };
    // Drop a port; IPv6 literals never start with a dot.
    let suffix = suffix.split(':').next().unwrap_or_default();
    let suffix = suffix.trim_end_matches('.');
    let labels: Vec<&str> = suffix.split('.').collect();
    match labels.as_slice() {
        [""] | [_] => true,
        [second, _] if SECOND_LEVEL.contains(second) => true,
        _ => SHARED_SUFFIXES.contains(&suffix),
    }
}

fn has_wildcard(origin: &str) -> bool {
    origin.contains('*')
}

pub(super) fn check(s: &Settings, out: &mut Findings) {
    let broad: Vec<&str> = s
        .allowed_hosts
        .iter()
        .filter(|h| too_broad_host(h))
        .map(String::as_str)
        .collect();
    if s.allowed_hosts.is_empty() || !broad.is_empty() {
        out.error(
            "heartlock.W010",
            &["ALLOWED_HOSTS"],
            if broad.is_empty() {
                "ALLOWED_HOSTS is empty.".to_string()
            } else {
                format!(
                    "ALLOWED_HOSTS accepts hosts of anyone ({}), so forged Host headers reach \
                     the server and end up in generated links.",
                    broad.join(", ")
                )
            },
            "List the exact host names the server is reached under (vault.example.com), or \
             your own domain with a leading dot (.example.com).",
        );
    }
    if !s.secure_ssl_redirect {
        out.warning(
            "heartlock.W011",
            &["SECURE_SSL_REDIRECT"],
            "SECURE_SSL_REDIRECT is off, so plain HTTP requests are served instead of being \
             redirected to HTTPS.",
            "Set SECURE_SSL_REDIRECT=true (behind a TLS-terminating proxy, make sure it sends \
             X-Forwarded-Proto).",
        );
    }
    match &s.base_url {
        None => out.warning(
            "heartlock.W012",
            &["HEARTLOCK_BASE_URL"],
            "HEARTLOCK_BASE_URL is not set, so links in emails and the OIDC redirect URI are \
             built from the request's Host header.",
            "Set HEARTLOCK_BASE_URL to the public https:// URL of the server.",
        ),
        Some(url) if is_remote_http(url) => out.error(
            "heartlock.W013",
            &["HEARTLOCK_BASE_URL"],
            "HEARTLOCK_BASE_URL uses http:// for a non-local host, so sign-in links and \
             cookies travel in clear text.",
            "Serve Heartlock over HTTPS and set an https:// HEARTLOCK_BASE_URL.",
        ),
        Some(_) => {}
    }
    check_origins(
        out,
        "CORS_ALLOWED_ORIGINS",
        &s.cors_allowed_origins,
        ("heartlock.W015", "heartlock.W016"),
        "call the API from the browser with the user's credentials",
    );
    // When CSRF_TRUSTED_ORIGINS is empty it mirrors CORS (checked above).
    check_origins(
        out,
        "CSRF_TRUSTED_ORIGINS",
        &s.csrf_trusted_origins_raw,
        ("heartlock.W026", "heartlock.W027"),
        "submit forms on behalf of signed-in users",
    );
    let everyone: Vec<String> = s
        .trusted_proxies
        .iter()
        .filter(|net| net.prefix_len() == 0)
        .map(ToString::to_string)
        .collect();
    if !everyone.is_empty() {
        out.error(
            "heartlock.W028",
            &["TRUSTED_PROXIES"],
            format!(
                "TRUSTED_PROXIES contains {}, so every client can forge X-Forwarded-* headers \
                 (client address in audit logs and rate limits, scheme).",
                everyone.join(", ")
            ),
            "List only the addresses or ranges of your reverse proxies.",
        );
    }
}

fn check_origins(
    out: &mut Findings,
    name: &'static str,
    origins: &[String],
    (wildcard_id, http_id): (&'static str, &'static str),
    power: &str,
) {
    let wild: Vec<&str> = origins
        .iter()
        .filter(|o| has_wildcard(o))
        .map(String::as_str)
        .collect();
    if !wild.is_empty() {
        out.error(
            wildcard_id,
            &[name],
            format!(
                "{name} contains wildcards ({}), so pages you do not control may {power}.",
                wild.join(", ")
            ),
            format!("List the exact https:// origins in {name}."),
        );
    }
    let http: Vec<&str> = origins
        .iter()
        .filter(|o| !has_wildcard(o) && is_remote_http(o))
        .map(String::as_str)
        .collect();
    if !http.is_empty() {
        out.error(
            http_id,
            &[name],
            format!(
                "{name} contains plain http:// origins ({}); anyone on the network path can \
                 inject script there and {power}.",
                http.join(", ")
            ),
            format!("Allow only https:// origins in {name} (http:// is fine for localhost)."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::too_broad_host;

    #[test]
    fn broad_hosts() {
        for broad in [
            "*",
            ".com",
            "*.com",
            ".co.uk",
            ".com.au",
            ".io",
            ".github.io",
            ".io:443",
        ] {
            assert!(too_broad_host(broad), "{broad}");
        }
        for fine in [
            "vault.example.com",
            ".example.com",
            ".example.co.uk",
            "localhost",
            "127.0.0.1",
            "[::1]:8082",
            "me.github.io",
        ] {
            assert!(!too_broad_host(fine), "{fine}");
        }
    }
}
