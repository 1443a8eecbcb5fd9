//! Integration tests of the domain against real databases (SQLite and
//! PostgreSQL), without HTTP. One binary, linked once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_commands;
mod audit_in_tx;
mod audit_writer;
mod fail_closed;
mod first_start;
mod limits;
mod member_environments;
mod support;
mod throttle;
mod token_scope;
mod tx_actor;
