//! The Heartlock HTTP server: axum app, middleware, API and web UI.
pub mod middleware;
pub mod problem;
