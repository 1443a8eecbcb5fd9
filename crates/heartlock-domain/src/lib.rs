//! Heartlock's domain layer. Every operation takes a [`Principal`] and, in
//! one function, validates, authorises (core's `authorize`), seals or opens
//! values, writes through the store, invalidates the cache and records the
//! audit event, so no caller can forget one of them. No HTTP type lives here.
pub mod admin;
pub mod audit;
mod audit_event;
pub mod auth;
pub mod backup;
mod cache;
pub mod deploy;
mod domain;
mod env_access;
pub mod environments;
pub mod error;
pub mod group_grants;
pub mod history;
pub mod invitations;
pub mod jwt;
mod key_check;
pub mod keys;
pub mod mail;
pub mod members;
pub mod metrics;
pub mod oidc;
pub mod oidc_settings;
pub mod onboarding;
pub mod preferences;
mod principal;
pub mod projects;
pub mod push;
pub mod rotation;
pub mod secrets;
pub mod shares;
mod throttle;
pub mod tokens;
pub mod turnstile;
pub mod users;
mod visibility;
pub mod watches;
pub mod web_sessions;

pub use domain::{DatabaseStatus, Domain, SharedKeyring, db_target, migrate};
pub use error::{BootError, DomainError, DomainResult};
pub use principal::{Actor, Principal};

/// Records the domain hands out (read-only views of stored rows).
pub mod records {
    pub use heartlock_store::{
        AuditFilter, Backend, DbTarget, EnvironmentRecord, ProjectRecord, SessionRecord,
        TokenRecord, UserRecord, WebSessionRecord,
    };
}
