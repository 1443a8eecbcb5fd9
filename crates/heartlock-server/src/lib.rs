//! The Heartlock HTTP server: axum app, middleware, API and web UI.
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod error;
pub mod health;
pub mod keys;
pub mod middleware;
pub mod problem;
pub mod services;
pub mod state;
pub mod web;

pub use app::{boot, router, serve, shutdown_signal};
pub use error::BootError;
pub use state::AppState;
