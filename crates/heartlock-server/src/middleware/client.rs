//! Who the client really is, behind a reverse proxy.
//!
//! Only when the TCP peer is one of TRUSTED_PROXIES are `X-Forwarded-For`,
//! `X-Forwarded-Proto` and `Forwarded` believed. The middleware then
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

/// The forwarding chain, nearest proxy last; `Forwarded` wins over the
/// `X-Forwarded-*` pair when present. `None` when an entry is unreadable.
fn chain(headers: &HeaderMap) -> Option<(Vec<IpAddr>, Option<String>)> {
    let forwarded = header_values(headers, FORWARDED);
    if !forwarded.is_empty() {
        let mut ips = Vec::new();
        let mut proto = None;
        for element in forwarded.iter().flat_map(|v| v.split(',')) {
            for pair in element.split(';') {
                let Some((k, v)) = pair.split_once('=') else {
                    continue;
                };
                match k.trim().to_ascii_lowercase().as_str() {
                    "for" => ips.push(parse_node(v)?),
                    // The first element is the one the client's proxy wrote.
                    "proto" if proto.is_none() => {
                        proto = Some(v.trim().trim_matches('"').to_ascii_lowercase());
                    }
                    _ => {}
                }
            }
        }
        return Some((ips, proto));
    }
    let ips = header_values(headers, X_FORWARDED_FOR)
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(parse_node)
        .collect::<Option<Vec<_>>>()?;
    let proto = header_values(headers, X_FORWARDED_PROTO)
        .first()
        .and_then(|v| v.split(',').next())
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty());
    Some((ips, proto))
}

/// The real client: walking the chain from the nearest hop, the first
/// address that is not a trusted proxy (entries further left were written
/// by the client itself and prove nothing).
fn real_client(peer: IpAddr, ips: &[IpAddr], proxies: &[IpNet]) -> IpAddr {
    let mut client = peer;
    for ip in ips.iter().rev().take(MAX_HOPS) {
        if !trusted(proxies, client) {
            break;
        }
        client = *ip;
    }
    canonical(client)
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
    let resolved = from_proxy.and_then(|p| chain(req.headers()).map(|c| (p, c)));
    let headers = req.headers_mut();
    strip_forwarding(headers);
    if let Some((peer, (ips, proto))) = resolved {
        let client = real_client(peer, &ips, &proxies);
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
        let chain = [ip("6.6.6.6"), ip("198.51.100.7"), ip("10.0.0.2")];
        assert_eq!(
            real_client(ip("10.0.0.1"), &chain, &proxies),
            ip("198.51.100.7")
        );
        // All trusted: the leftmost is the best we know.
        let inner = [ip("10.1.1.1")];
        assert_eq!(
            real_client(ip("10.0.0.1"), &inner, &proxies),
            ip("10.1.1.1")
        );
        // A mapped IPv6 peer is its IPv4 address.
        assert_eq!(
            real_client(ip("::ffff:10.0.0.1"), &[ip("203.0.113.5")], &proxies),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn forwarded_header_forms() {
        let mut h = HeaderMap::new();
        h.insert(
            FORWARDED,
            HeaderValue::from_static("for=\"[2001:db8::1]:4711\";proto=https, for=198.51.100.7:80"),
        );
        let (ips, proto) = chain(&h).unwrap();
        assert_eq!(ips, vec![ip("2001:db8::1"), ip("198.51.100.7")]);
        assert_eq!(proto.as_deref(), Some("https"));
        let mut bad = HeaderMap::new();
        bad.insert(X_FORWARDED_FOR, HeaderValue::from_static("not-an-ip"));
        assert!(chain(&bad).is_none(), "an unreadable chain is not believed");
    }
}
