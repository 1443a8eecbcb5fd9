//! `heartlock audit verify`.
