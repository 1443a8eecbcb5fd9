//! RFC 9457 problem details.
