//! Host header checks through the full stack.

use crate::middleware_common::*;
use axum::body::Body;
use http::{Request, StatusCode};

fn get_with_host(host: &str) -> Request<Body> {
    Request::builder()
        .uri("/x")
        .header("host", host)
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn foreign_host_is_a_400_problem() {
    let res = send(app(policy()), get_with_host("evil.test")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(is_problem(&res));
    assert!(header(&res, "x-content-type-options").is_some());
    let body = body_string(res).await;
    assert!(body.contains("https://heartlock.dev/problems/invalid-host"));
    assert!(body.contains("Invalid Host header"));
}

#[tokio::test]
async fn malformed_host_is_refused_even_with_wildcard() {
    let mut p = policy();
    p.allowed_hosts = vec!["*".into()];
    let res = send(app(p), get_with_host("a b")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn missing_host_is_refused() {
    let req = Request::builder()
        .uri("/x")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn uri_authority_is_used_without_host_header() {
    let req = Request::builder()
        .uri("https://example.com/x")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn leading_dot_entry() {
    for (host, ok) in [
        ("example.org", true),
        ("a.example.org", true),
        ("A.Example.Org:8443", true),
        ("badexample.org", false),
    ] {
        let res = send(app(policy()), get_with_host(host)).await;
        let expected = if ok {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(res.status(), expected, "host {host}");
    }
}

#[tokio::test]
async fn wildcard_allows_any_host() {
    let mut p = policy();
    p.allowed_hosts = vec!["*".into()];
    let res = send(app(p), get_with_host("whatever.invalid:1234")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn port_is_ignored_for_entries_without_port() {
    let res = send(app(policy()), get_with_host("example.com:8443")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn healthz_skips_host_check() {
    let res = send(app(policy()), {
        let mut r = get_with_host("evil.test");
        *r.uri_mut() = http::Uri::from_static("/healthz");
        r
    })
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}
