//! Integration tests of heartlock-core, one binary (linked once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fernet_interop;
mod formats_abuse;
mod formats_dotenv;
mod formats_fuzz;
mod formats_json_yaml;
mod formats_limits;
mod formats_names;
mod formats_roundtrip;
mod formats_shell_docker;
mod formats_yaml_features;
mod share_vectors;
