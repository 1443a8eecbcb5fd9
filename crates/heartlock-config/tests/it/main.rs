//! Integration tests of heartlock-config, one binary (linked once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod deploy_check;
mod errors;
mod layers;
mod live_oidc;
mod report;
