//! Origin parsing shared by CORS and the CSRF check.
//!
//! Origins are compared in their WHATWG serialization so that
//! `https://A.example.com:443/` and `https://a.example.com` are equal.

use url::Url;

/// Serialize `raw` (an origin or any absolute URL) as `scheme://host[:port]`.
/// `None` for unparseable input and opaque origins (`null`, `data:`, ...).
pub(crate) fn normalize_origin(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// One entry of the CSRF trusted-origins list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrustedOrigin {
    /// Exact origin, normalized.
    Exact(String),
    /// Django-style `https://*.example.com`: any subdomain (not the apex),
    /// same scheme and port.
    Subdomains {
        scheme: String,
        suffix: String,
        port: Option<u16>,
    },
}

impl TrustedOrigin {
    /// Parse a configured entry. A bare `*` is rejected on purpose: trusting
    /// every origin would silently disable CSRF protection.
    pub(crate) fn parse(entry: &str) -> Option<Self> {
        let entry = entry.trim();
        if let Some((scheme, rest)) = entry.split_once("://*.") {
            let url = Url::parse(&format!("{scheme}://{rest}")).ok()?;
            let host = url.host_str()?;
            return Some(Self::Subdomains {
                scheme: url.scheme().to_owned(),
                suffix: format!(".{host}"),
                port: url.port_or_known_default(),
            });
        }
        normalize_origin(entry).map(Self::Exact)
    }

    /// `origin` must already be normalized.
    pub(crate) fn matches(&self, origin: &str) -> bool {
        match self {
            Self::Exact(o) => o == origin,
            Self::Subdomains {
                scheme,
                suffix,
                port,
            } => Url::parse(origin).is_ok_and(|u| {
                u.scheme() == scheme
                    && u.port_or_known_default() == *port
                    && u.host_str().is_some_and(|h| h.ends_with(suffix.as_str()))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(
            normalize_origin("https://A.Example.com:443/path?q").as_deref(),
            Some("https://a.example.com")
        );
        assert_eq!(
            normalize_origin("http://x.test:8080").as_deref(),
            Some("http://x.test:8080")
        );
        assert_eq!(normalize_origin("null"), None);
        assert_eq!(normalize_origin("data:text/plain,hi"), None);
    }

    #[test]
    fn trusted_entries() {
        assert_eq!(TrustedOrigin::parse("*"), None);
        let exact = TrustedOrigin::parse("https://a.example.com/");
        assert!(exact.is_some_and(|e| e.matches("https://a.example.com")));
        let wild = TrustedOrigin::parse("https://*.example.com");
        assert!(
            wild.as_ref()
                .is_some_and(|w| w.matches("https://b.example.com"))
        );
        assert!(
            wild.as_ref()
                .is_some_and(|w| !w.matches("https://example.com"))
        );
        assert!(
            wild.as_ref()
                .is_some_and(|w| !w.matches("http://b.example.com"))
        );
        assert!(
            wild.as_ref()
                .is_some_and(|w| !w.matches("https://b.example.com:8443"))
        );
        assert!(wild.is_some_and(|w| !w.matches("https://badexample.com")));
    }
}
