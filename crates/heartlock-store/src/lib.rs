//! heartlock-store
