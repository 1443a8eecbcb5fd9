//! Body limit and request ids.

use crate::middleware_common::*;
use axum::body::Body;
use http::StatusCode;

#[tokio::test]
async fn oversize_body_with_content_length_is_413_problem() {
    let req = secure("POST", "/x")
        .header("content-length", "17")
        .body(Body::from("a".repeat(17)))
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&res));
    assert!(header(&res, "x-content-type-options").is_some());
    assert!(body_string(res).await.contains("payload-too-large"));
}

#[tokio::test]
async fn oversize_body_without_content_length_is_413_problem() {
    // No Content-Length header: the limit is enforced while the body is read.
    let req = secure("POST", "/x")
        .body(Body::from("a".repeat(17)))
        .unwrap();
    assert!(req.headers().get("content-length").is_none());
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&res));
}

#[tokio::test]
async fn body_at_limit_is_accepted() {
    let req = secure("POST", "/x")
        .body(Body::from("a".repeat(16)))
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_path_with_a_larger_limit_takes_more_and_no_more() {
    // /big may take 64 bytes; every other path keeps the general 16.
    let big = |n: usize, path: &str, length: bool| {
        let mut b = secure("POST", path);
        if length {
            b = b.header("content-length", n.to_string());
        }
        b.body(Body::from("a".repeat(n))).unwrap()
    };
    assert_eq!(
        send(app(policy()), big(40, "/big", true)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        send(app(policy()), big(64, "/big", false)).await.status(),
        StatusCode::OK
    );
    for length in [true, false] {
        let res = send(app(policy()), big(65, "/big", length)).await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body_string(res).await.contains("64 bytes"));
        let res = send(app(policy()), big(40, "/x", length)).await;
        assert_eq!(
            res.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "length {length}"
        );
        assert!(is_problem(&res));
        assert!(body_string(res).await.contains("16 bytes"));
    }
}

#[tokio::test]
async fn sane_request_id_is_echoed() {
    let req = secure("GET", "/x")
        .header("x-request-id", "abc-123_x.y")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(header(&res, "x-request-id"), Some("abc-123_x.y"));
}

fn is_uuid(s: Option<&str>) -> bool {
    s.is_some_and(|s| s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4)
}

#[tokio::test]
async fn request_id_generated_when_absent() {
    let res = send(
        app(policy()),
        secure("GET", "/x").body(Body::empty()).unwrap(),
    )
    .await;
    assert!(is_uuid(header(&res, "x-request-id")));
}

#[tokio::test]
async fn insane_request_id_is_replaced() {
    for bad in ["has space", "quote\"", &"a".repeat(129), ""] {
        let req = secure("GET", "/x")
            .header("x-request-id", bad)
            .body(Body::empty())
            .unwrap();
        let res = send(app(policy()), req).await;
        let id = header(&res, "x-request-id");
        assert_ne!(id, Some(bad));
        assert!(is_uuid(id), "{bad:?} -> {id:?}");
    }
}

#[tokio::test]
async fn request_id_on_early_refusals() {
    let req = http::Request::builder()
        .uri("/x")
        .header("host", "evil.test")
        .header("x-request-id", "trace-me")
        .body(Body::empty())
        .unwrap();
    let res = send(app(policy()), req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(&res, "x-request-id"), Some("trace-me"));
}
