//! Domain operations that need both the keyring and the store.
pub mod admin;
pub mod audit_event;
pub mod environments;
pub mod key_check;
pub mod onboarding;
pub mod projects;
pub mod rotation;
pub mod secrets;
pub mod tokens;
pub mod users;
