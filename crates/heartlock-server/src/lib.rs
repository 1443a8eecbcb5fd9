//! heartlock-server
