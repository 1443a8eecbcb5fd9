//! heartlock-config
