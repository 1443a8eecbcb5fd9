//! heartlock-client
