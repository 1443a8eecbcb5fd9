//! Integration tests of heartlock-store, one binary (linked once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_store;
mod store_basics;
mod store_member_environments;
mod store_outbox;
mod store_rls;
mod store_secrets;
mod store_server_settings;
mod store_throttle;
mod store_watches;
mod store_write_queue;
