//! heartlock-core
