//! The Heartlock HTTP server: axum app, middleware, API and web UI. Handlers
//! parse, turn credentials into a `Principal`, call one domain operation
//! and render; the domain (`heartlock-domain`) does the rest.
pub mod api;
pub mod app;
pub mod auth;
pub mod error;
pub mod health;
pub mod mail_context;
pub mod metrics;
pub mod middleware;
pub mod problem;
pub mod state;
pub mod web;

pub use app::{boot, router, serve, shutdown_signal};
pub use error::BootError;
pub use state::AppState;
