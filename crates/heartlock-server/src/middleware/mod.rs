//! HTTP hardening layers.
