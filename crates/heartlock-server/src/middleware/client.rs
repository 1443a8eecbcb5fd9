//! Who the client really is, behind a reverse proxy.
//!
//! Only when the TCP peer is one of TRUSTED_PROXIES are `X-Forwarded-For`
//! and `X-Forwarded-Proto` believed. `Forwarded` (RFC 7239) is never read,
//! only removed: believing two headers would let a client pick the one its
//! proxy passes through untouched. The middleware then
//! rewrites the request once, so everything after it (audit, throttling,
//! token CIDR limits, the HTTPS redirect, CSRF, HSTS) sees one truth: the
//! `ConnectInfo` address becomes the real client's and `X-Forwarded-Proto`
//! holds the scheme the proxy reported. From any other peer the forwarding
//! headers are removed, so a client cannot claim HTTPS or another address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderMap, HeaderValue};
use ipnet::IpNet;

use super::tls::X_FORWARDED_PROTO;

const X_FORWARDED_FOR: &str = "x-forwarded-for";
const FORWARDED: &str = "forwarded";
/// Entries looked at in a forwarding chain; a longer one is not believed
/// beyond this (a client can pad it at will).
const MAX_HOPS: usize = 32;

/// The address the TCP connection came from, kept for diagnostics.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub Option<IpAddr>);

fn trusted(proxies: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    proxies.iter().any(|n| n.contains(&ip))
}

/// `::ffff:10.0.0.1` is 10.0.0.1.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `for=` / X-Forwarded-For entry: an address, maybe bracketed, maybe
/// quoted, maybe with a port. Obfuscated identifiers (`_hidden`, `unknown`)
/// are not addresses.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    let inner = s.strip_prefix('[').and_then(|r| r.split(']').next())?;
    inner.parse().ok()
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// The X-Forwarded-For entries, nearest hop last, unparsed.
fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    header_values(headers, X_FORWARDED_FOR)
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The scheme the nearest proxy reported: the last X-Forwarded-Proto value
/// (a proxy that appends puts its own last; one that overwrites leaves one).
fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    header_values(headers, X_FORWARDED_PROTO)
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_ascii_lowercase())
        .rfind(|p| !p.is_empty())
}

/// The real client: walking X-Forwarded-For from the nearest hop, the first
/// address that is not a trusted proxy. Entries further left were written
/// by the client itself and are never read. An entry that must be read but
/// is not an address makes the client unknown (`0.0.0.0`): never the
/// proxy's own address, which a CIDR-limited token or the throttle might
/// treat as someone else.
fn real_client(peer: IpAddr, entries: &[&str], proxies: &[IpNet]) -> IpAddr {
    let mut client = canonical(peer);
    for raw in entries.iter().rev().take(MAX_HOPS) {
        if !trusted(proxies, client) {
            return client;
        }
        match parse_node(raw) {
            Some(ip) => client = canonical(ip),
            None => return IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        }
    }
    client
}

fn strip_forwarding(headers: &mut HeaderMap) {
    for name in [
        X_FORWARDED_FOR,
        X_FORWARDED_PROTO,
        FORWARDED,
        "x-forwarded-host",
    ] {
        headers.remove(name);
    }
}

/// Middleware: resolves the client as described in the module docs.
pub(crate) async fn resolve_client(
    State(proxies): State<Arc<Vec<IpNet>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    req.extensions_mut().insert(PeerAddr(peer));
    let from_proxy = peer.filter(|p| trusted(&proxies, *p));
    let resolved = from_proxy.map(|p| {
        let entries = forwarded_for(req.headers());
        (
            real_client(p, &entries, &proxies),
            forwarded_proto(req.headers()),
        )
    });
    strip_forwarding(req.headers_mut());
    if let Some((client, proto)) = resolved {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, 0)));
        if let Some(p) = proto.filter(|p| p == "https" || p == "http")
            && let Ok(v) = HeaderValue::from_str(&p)
        {
            req.headers_mut().insert(X_FORWARDED_PROTO, v);
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies = nets(&["10.0.0.0/8"]);
        let chain = ["6.6.6.6", "198.51.100.7", "10.0.0.2"];
        assert_eq!(
            real_client(ip("10.0.0.1"), &chain, &proxies),
            ip("198.51.100.7")
        );
        // Garbage the client wrote left of the real client is never read.
        let chain = ["not an address", "198.51.100.7"];
        assert_eq!(
            real_client(ip("10.0.0.1"), &chain, &proxies),
            ip("198.51.100.7")
        );
        // Garbage where the client should be: unknown, not the proxy.
        assert_eq!(
            real_client(ip("10.0.0.1"), &["unknown"], &proxies),
            ip("0.0.0.0")
        );
        // All trusted: the leftmost is the best we know.
        assert_eq!(
            real_client(ip("10.0.0.1"), &["10.1.1.1"], &proxies),
            ip("10.1.1.1")
        );
        // A mapped IPv6 peer is its IPv4 address; ports and brackets go.
        assert_eq!(
            real_client(ip("::ffff:10.0.0.1"), &["[2001:db8::1]:443"], &proxies),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn the_nearest_proxy_reports_the_scheme() {
        let mut h = HeaderMap::new();
        h.append(X_FORWARDED_PROTO, HeaderValue::from_static("https, http"));
        assert_eq!(forwarded_proto(&h).as_deref(), Some("http"));
        h.append(X_FORWARDED_PROTO, HeaderValue::from_static("HTTPS"));
        assert_eq!(forwarded_proto(&h).as_deref(), Some("https"));
    }
}
