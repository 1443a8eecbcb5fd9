//! HTTPS redirect, HSTS and security headers.

use crate::middleware_common::*;
use axum::body::Body;
use http::{Request, StatusCode};

#[tokio::test]
async fn http_request_redirects_to_https_with_path_and_query() {
    let req = Request::builder()
        .uri("/x?a=1&b=2")
        .header("host", "example.com:8080")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        header(&res, "location"),
        Some("https://example.com:8080/x?a=1&b=2"),
        "the host is kept as sent"
    );
}

#[tokio::test]
async fn redirect_keeps_the_host_even_with_a_base_url() {
    let mut p = policy();
    p.base_url = Some("https://secrets.example.com:8443/".into());
    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    let res = send(app(p), req).await;
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&res, "location"), Some("https://example.com/x"));
}

#[tokio::test]
async fn forwarded_https_is_served() {
    let res = send(
        app(policy()),
        secure("GET", "/x").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_string(res).await, "get");
}

#[tokio::test]
async fn the_nearest_proxys_forwarded_proto_decides() {
    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .header("x-forwarded-proto", "https, http")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    let req = Request::builder()
        .uri("https://example.com/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(
        res.status(),
        StatusCode::MOVED_PERMANENTLY,
        "an absolute https:// URI over plain HTTP is not HTTPS"
    );
}

#[tokio::test]
async fn healthz_over_http_by_ip_is_served() {
    let req = Request::builder()
        .uri("/healthz")
        .header("host", "10.1.2.3:8000")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_explicit_redirect_is_honoured_in_debug_and_off_means_off() {
    let mut p = policy();
    p.debug = true;
    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(app(p), req).await.status(),
        StatusCode::MOVED_PERMANENTLY
    );

    let mut p = policy();
    p.secure_ssl_redirect = false;
    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(app(p), req).await.status(), StatusCode::OK);
}

const SECURITY_HEADERS: [&str; 6] = [
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "content-security-policy",
    "permissions-policy",
];

fn assert_security_headers(res: &http::Response<Body>) {
    for name in SECURITY_HEADERS {
        assert!(res.headers().contains_key(name), "missing {name}");
    }
    assert_eq!(header(res, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(res, "x-frame-options"), Some("DENY"));
    let csp = header(res, "content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn hsts_and_headers_when_not_debug() {
    let res = send(
        app(policy()),
        secure("GET", "/x").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        header(&res, "strict-transport-security"),
        Some("max-age=2592000; includeSubDomains; preload")
    );
    assert_security_headers(&res);
}

#[tokio::test]
async fn no_hsts_in_debug_but_csp_still_present() {
    let mut p = policy();
    p.debug = true;
    let res = send(app(p), secure("GET", "/x").body(Body::empty()).unwrap()).await;
    assert!(header(&res, "strict-transport-security").is_none());
    assert_security_headers(&res);
}

#[tokio::test]
async fn headers_on_404_and_301() {
    let res = send(
        app(policy()),
        secure("GET", "/nope").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&res);
    assert!(header(&res, "strict-transport-security").is_some());

    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    assert_security_headers(&res);
    assert!(
        header(&res, "strict-transport-security").is_none(),
        "no HSTS on a plain-HTTP response"
    );
}

#[tokio::test]
async fn hsts_only_on_secure_requests() {
    let mut p = policy();
    p.secure_ssl_redirect = false;
    let plain = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    let res = send(app(p.clone()), plain).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, "strict-transport-security").is_none());
    let res = send(app(p), secure("GET", "/x").body(Body::empty()).unwrap()).await;
    assert!(header(&res, "strict-transport-security").is_some());
}

fn from_peer(peer: [u8; 4], req: http::request::Builder) -> Request<Body> {
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            peer, 50000,
        ))));
    req
}

#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_not_believed() {
    let mut p = policy();
    p.secure_ssl_redirect = false;
    // A client on the internet claims HTTPS and another address.
    let req = from_peer(
        [203, 0, 113, 9],
        secure("GET", "/whoami").header("x-forwarded-for", "10.9.9.9"),
    );
    let res = send(app(p.clone()), req).await;
    assert!(header(&res, "strict-transport-security").is_none());
    assert_eq!(body_string(res).await, "203.0.113.9 -");
    // With the redirect on, its claimed HTTPS does not spare it the redirect.
    let req = from_peer([203, 0, 113, 9], secure("GET", "/x"));
    assert_eq!(
        send(app(policy()), req).await.status(),
        StatusCode::MOVED_PERMANENTLY
    );
}

#[tokio::test]
async fn a_trusted_proxy_names_the_real_client() {
    let mut p = policy();
    p.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    // The leftmost entry was written by the client: the real client is the
    // first untrusted hop from the right.
    let req = from_peer(
        [10, 0, 0, 1],
        secure("GET", "/whoami").header("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2"),
    );
    let res = send(app(p.clone()), req).await;
    assert!(header(&res, "strict-transport-security").is_some());
    assert_eq!(body_string(res).await, "198.51.100.7 https");
    // `Forwarded` is never believed (a proxy that appends X-Forwarded-For
    // passes the client's own `Forwarded` through).
    let mut plain = p.clone();
    plain.secure_ssl_redirect = false;
    let req = from_peer(
        [10, 0, 0, 1],
        Request::builder()
            .uri("/whoami")
            .header("host", "example.com")
            .header("forwarded", "for=198.51.100.8;proto=https"),
    );
    assert_eq!(
        body_string(send(app(plain.clone()), req).await).await,
        "10.0.0.1 -"
    );
    // Where the client should be, an unreadable entry: the client is
    // unknown, never the proxy itself.
    let req = from_peer(
        [10, 0, 0, 1],
        secure("GET", "/whoami").header("x-forwarded-for", "nonsense"),
    );
    assert_eq!(
        body_string(send(app(plain), req).await).await,
        "0.0.0.0 https"
    );
}

#[tokio::test]
async fn api_responses_are_not_cached() {
    let res = send(
        app(policy()),
        secure("GET", "/api/thing").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(header(&res, "cache-control"), Some("no-store"));
    let res = send(
        app(policy()),
        secure("GET", "/x").body(Body::empty()).unwrap(),
    )
    .await;
    assert!(header(&res, "cache-control").is_none());
}
