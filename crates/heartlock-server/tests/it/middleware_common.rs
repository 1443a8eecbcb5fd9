//! Shared helpers for the middleware integration tests (not a test target
//! on its own).
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use heartlock_server::middleware::{HttpPolicy, harden};
use http::{Request, Response};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use tower::ServiceExt;

pub fn policy() -> HttpPolicy {
    HttpPolicy {
        debug: false,
        trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
        allowed_hosts: vec!["example.com".into(), ".example.org".into()],
        secure_ssl_redirect: true,
        cors_allowed_origins: vec!["https://app.example.com".into()],
        csrf_trusted_origins: vec!["https://trusted.example.net".into()],
        base_url: None,
        max_body_bytes: 16,
        larger_bodies: vec![("/big".into(), 64)],
    }
}

pub fn app(policy: HttpPolicy) -> Router {
    let router = Router::new()
        .route(
            "/x",
            get(|| async { "get" }).post(|body: Bytes| async move { body }),
        )
        .route("/big", post(|body: Bytes| async move { body }))
        .route("/api/thing", get(|| async { "secret" }))
        .route("/healthz", get(|| async { "ok" }))
        // The client address and scheme as the application sees them.
        .route(
            "/whoami",
            get(
                |ConnectInfo(addr): ConnectInfo<SocketAddr>, headers: http::HeaderMap| async move {
                    let proto = headers
                        .get("x-forwarded-proto")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_string();
                    format!("{} {proto}", addr.ip())
                },
            ),
        );
    harden(router, Arc::new(policy))
}

/// A request builder for `uri` on `example.com` that the proxy marks HTTPS.
pub fn secure(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "example.com")
        .header("x-forwarded-proto", "https")
}

/// Sends `req` as if from a loopback peer (the default trusted proxy)
/// unless the request already names its peer.
pub async fn send(app: Router, mut req: Request<Body>) -> Response<Body> {
    if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    }
    match app.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

pub async fn body_string(res: Response<Body>) -> String {
    let bytes = res
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub fn header<'a>(res: &'a Response<Body>, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

pub fn is_problem(res: &Response<Body>) -> bool {
    header(res, "content-type") == Some("application/problem+json")
}
