//! Pure value checks. None of these return or format the input, so callers
//! can use them on secrets without risking a leak in an error message.

use std::path::PathBuf;

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use url::Url;

pub(crate) const BOOL_EXPECTED: &str = "a boolean (true/false/1/0/yes/no/on/off)";
pub(crate) const HTTP_URL_EXPECTED: &str = "an http(s) URL";

/// URL-safe base64 that accepts both padded and unpadded input.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// An absolute http(s) URL with a host.
pub(crate) fn http_url(raw: &str) -> Option<Url> {
    let url = Url::parse(raw.trim()).ok()?;
    let ok =
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty());
    ok.then_some(url)
}

/// HEARTLOCK_BASE_URL: http(s), no query/fragment/credentials, returned
/// without a trailing slash so callers can append paths directly.
pub(crate) fn base_url(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let url = http_url(trimmed)?;
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    // A second trailing slash would survive the strip above; refuse it.
    if trimmed.ends_with('/') {
        return None;
    }
    Some(trimmed.to_string())
}

/// One CORS/CSRF origin: `scheme://host[:port]` (or `*`), normalised the way
/// browsers send the Origin header (lowercase host, default port dropped).
pub(crate) fn origin(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw == "*" {
        return Some(raw.to_string());
    }
    let url = http_url(raw)?;
    // Url normalises away an empty path, so inspect the raw text for
    // anything after the authority (path, query, fragment, credentials).
    let authority = raw.split_once("://").map(|(_, rest)| rest)?;
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.contains(['/', '?', '#', '@']) || url.path() != "/" {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// One ALLOWED_HOSTS entry: host, `.domain` (subdomains), `*`, optional port.
pub(crate) fn allowed_host(raw: &str) -> Option<String> {
    let host = raw.trim().to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '*' | '[' | ']')
        });
    valid.then_some(host)
}

/// TRUSTED_PROXIES: addresses (taken as a single-host range) or CIDR ranges.
pub(crate) fn cidr_list(raw: &str) -> Option<Vec<ipnet::IpNet>> {
    comma_list(raw)
        .into_iter()
        .map(|entry| {
            entry.parse::<ipnet::IpNet>().ok().or_else(|| {
                entry
                    .parse::<std::net::IpAddr>()
                    .ok()
                    .map(ipnet::IpNet::from)
            })
        })
        .collect()
}

/// Split a comma list, dropping blank entries (e.g. a trailing comma).
pub(crate) fn comma_list(raw: &str) -> Vec<&str> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Check comma-separated Fernet keys; on failure returns the 1-based
/// position of the first bad key.
pub(crate) fn fernet_keys(raw: &str) -> Result<(), usize> {
    for (i, key) in raw.split(',').map(str::trim).enumerate() {
        let ok = matches!(key.len(), 43 | 44) && B64URL.decode(key).is_ok_and(|b| b.len() == 32);
        if !ok {
            return Err(i + 1);
        }
    }
    Ok(())
}

/// VAPID public key: base64url (padding optional) of an uncompressed point
/// on P-256.
pub(crate) fn vapid_public_key(raw: &str) -> bool {
    heartlock_core::webpush::keys::parse_point(raw).is_some()
}

/// VAPID private key: base64url (padding optional) of a PKCS#8 DER P-256 key.
pub(crate) fn vapid_private_key(raw: &str) -> bool {
    heartlock_core::webpush::VapidKeys::from_private(raw).is_ok()
}

pub(crate) fn is_sqlite_url(raw: &str) -> bool {
    raw.starts_with("sqlite:")
}

pub fn is_postgres_url(raw: &str) -> bool {
    let Ok(url) = Url::parse(raw) else {
        return false;
    };
    matches!(url.scheme(), "postgres" | "postgresql")
        && url.host_str().is_some_and(|h| !h.is_empty())
}

/// Replace a URL's password with the redaction marker for display.
pub(crate) fn redact_url_password(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            if url.set_password(Some(crate::REDACTED)).is_ok() {
                url.to_string()
            } else {
                crate::REDACTED.to_string()
            }
        }
        Ok(_) => raw.to_string(),
        // Unparseable (sqlite forms) cannot carry a password; but never echo
        // something that looks like credentials.
        Err(_) if raw.contains('@') => crate::REDACTED.to_string(),
        Err(_) => raw.to_string(),
    }
}

/// Filesystem path named by a sqlite URL, not yet resolved against cwd.
/// `None` for in-memory databases and for non-sqlite URLs.
pub fn sqlite_file(raw: &str) -> Option<PathBuf> {
    let rest = raw.strip_prefix("sqlite:")?;
    let rest = rest.split('?').next().unwrap_or("");
    let path = match rest.strip_prefix("//") {
        // Django style: `sqlite:///rel` is relative, `sqlite:////abs` absolute.
        Some(after) => after.strip_prefix('/').unwrap_or(after),
        None => rest,
    };
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

/// Loose address check: `user@domain` or `Name <user@domain>`.
pub(crate) fn email_ish(raw: &str) -> bool {
    let raw = raw.trim();
    let addr = match raw.strip_suffix('>').and_then(|r| r.rsplit_once('<')) {
        Some((_, inner)) => inner,
        None => raw,
    };
    match addr.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !addr
                    .chars()
                    .any(|c| c.is_whitespace() || c == '<' || c == '>')
        }
        None => false,
    }
}

/// Human text for an integer range in error messages.
pub(crate) fn range_text(min: u64, max: u64) -> String {
    if max == u64::MAX {
        format!("an integer of at least {min}")
    } else {
        format!("an integer from {min} to {max}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin("HTTPS://Example.COM:443/").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            origin("http://localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(origin("*").as_deref(), Some("*"));
        for bad in [
            "example.com",
            "https://example.com/app",
            "https://example.com?x=1",
            "https://u:p@example.com",
            "ftp://example.com",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("https://a.example/").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(
            base_url("https://a.example/vault").as_deref(),
            Some("https://a.example/vault")
        );
        for bad in [
            "https://a.example//",
            "https://a.example/#x",
            "mailto:x@y",
            "",
        ] {
            assert_eq!(base_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn fernet() {
        let good = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert_eq!(fernet_keys(good), Ok(()));
        assert_eq!(fernet_keys(&good[..43]), Ok(()));
        assert_eq!(fernet_keys(&format!("{good},short")), Err(2));
        assert_eq!(fernet_keys(&format!("{good},")), Err(2));
        // Standard (non-URL-safe) alphabet characters are refused.
        assert_eq!(
            fernet_keys("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+/"),
            Err(1)
        );
    }

    #[test]
    fn sqlite_files() {
        assert_eq!(
            sqlite_file("sqlite:///a/b.db"),
            Some(PathBuf::from("a/b.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:////a/b.db"),
            Some(PathBuf::from("/a/b.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:/a/b.db"),
            Some(PathBuf::from("/a/b.db"))
        );
        assert_eq!(sqlite_file("sqlite://"), None);
        assert_eq!(sqlite_file("sqlite::memory:?cache=shared"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }

    #[test]
    fn emails_and_redaction() {
        assert!(email_ish("a@b"));
        assert!(email_ish("Heartlock <noreply@example.com>"));
        assert!(!email_ish("nobody"));
        assert!(!email_ish("a b@c"));
        assert_eq!(
            redact_url_password("postgres://u:pw@h/db"),
            "postgres://u:********@h/db"
        );
        assert_eq!(
            redact_url_password("postgres://u@h/db"),
            "postgres://u@h/db"
        );
    }

    #[test]
    fn booleans() {
        for t in ["true", "TRUE", "1", "yes", "On"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "0", "no", "OFF"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("2"), None);
    }
}
