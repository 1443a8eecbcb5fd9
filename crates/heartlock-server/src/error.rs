//! Start-up errors of the server (the domain's, re-exported).
pub use heartlock_domain::BootError;
