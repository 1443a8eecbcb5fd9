//! Integration tests of heartlock, one binary (linked once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_audit;
mod cli_backup;
mod cli_check;
mod cli_client;
mod cli_config;
mod cli_crash;
mod cli_groups;
mod cli_healthcheck;
mod cli_mail;
mod cli_members;
mod cli_roundtrip;
mod cli_server;
mod cli_share;
mod cli_sso;
mod cli_support;
mod cli_turnstile;
mod cli_vapid;
mod common;
mod container;
mod deploy_compose;
mod deploy_unit;
mod reverse_proxy;
