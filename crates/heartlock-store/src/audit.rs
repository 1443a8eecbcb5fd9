//! Audit log storage.
