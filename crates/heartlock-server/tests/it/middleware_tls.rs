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
        Some("https://example.com/x?a=1&b=2")
    );
}

#[tokio::test]
async fn redirect_uses_https_base_url_host() {
    let mut p = policy();
    p.base_url = Some("https://secrets.example.com:8443/".into());
    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    let res = send(app(p), req).await;
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        header(&res, "location"),
        Some("https://secrets.example.com:8443/x")
    );
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
async fn forwarded_proto_first_value_decides() {
    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .header("x-forwarded-proto", "http, https")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
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
async fn no_redirect_in_debug_or_when_disabled() {
    let mut p = policy();
    p.debug = true;
    let req = Request::builder()
        .uri("/x")
        .header("host", "example.com")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(app(p), req).await.status(), StatusCode::OK);

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
    assert!(header(&res, "strict-transport-security").is_some());
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
