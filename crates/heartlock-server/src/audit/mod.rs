//! Audit log: group-commit writer and queries.
