//! Import/export formats.
