//! CSRF origin check and CORS.

use crate::middleware_common::*;
use axum::body::Body;
use http::{Request, StatusCode};

fn post(origin: Option<&str>) -> Request<Body> {
    let mut b = secure("POST", "/x");
    if let Some(o) = origin {
        b = b.header("origin", o);
    }
    b.body(Body::from("hi")).unwrap()
}

#[tokio::test]
async fn foreign_origin_post_is_403_problem() {
    let res = send(app(policy()), post(Some("https://evil.example"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(is_problem(&res));
    assert!(header(&res, "x-frame-options").is_some());
    let body = body_string(res).await;
    assert!(body.contains("https://heartlock.dev/problems/csrf-origin"));
    assert!(body.contains("Cross-origin request refused"));
}

#[tokio::test]
async fn same_origin_post_passes() {
    let res = send(app(policy()), post(Some("https://example.com"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_string(res).await, "hi");
}

#[tokio::test]
async fn same_origin_with_wrong_scheme_is_refused() {
    let res = send(app(policy()), post(Some("http://example.com"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn base_url_origin_passes() {
    let mut p = policy();
    p.base_url = Some("https://secrets.example.com/".into());
    let res = send(app(p), post(Some("https://secrets.example.com"))).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn trusted_origin_passes() {
    let res = send(app(policy()), post(Some("https://trusted.example.net"))).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn no_origin_no_referer_passes() {
    let res = send(app(policy()), post(None)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn null_origin_is_refused() {
    let res = send(app(policy()), post(Some("null"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn get_with_foreign_origin_passes() {
    let req = secure("GET", "/x")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn referer_checked_over_https() {
    let bad = secure("POST", "/x")
        .header("referer", "https://evil.example/page")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(app(policy()), bad).await.status(),
        StatusCode::FORBIDDEN
    );
    let good = secure("POST", "/x")
        .header("referer", "https://example.com/form?x=1")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(app(policy()), good).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn cors_preflight_allowed_origin() {
    let req = secure("OPTIONS", "/x")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert!(res.status().is_success());
    assert_eq!(
        header(&res, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        header(&res, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(header(&res, "access-control-max-age"), Some("600"));
}

#[tokio::test]
async fn cors_preflight_disallowed_origin() {
    let req = secure("OPTIONS", "/x")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert!(header(&res, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_wildcard_without_credentials() {
    let mut p = policy();
    p.cors_allowed_origins = vec!["*".into()];
    let req = secure("GET", "/x")
        .header("origin", "https://anyone.example")
        .body(Body::empty())
        .unwrap();
    let res = send(app(p), req).await;
    assert_eq!(header(&res, "access-control-allow-origin"), Some("*"));
    assert!(header(&res, "access-control-allow-credentials").is_none());
}

#[tokio::test]
async fn no_cors_headers_when_list_empty() {
    let mut p = policy();
    p.cors_allowed_origins.clear();
    let req = secure("GET", "/x")
        .header("origin", "https://app.example.com")
        .body(Body::empty())
        .unwrap();
    let res = send(app(p), req).await;
    assert!(header(&res, "access-control-allow-origin").is_none());
}
