//! Audit events: the hash chain.
