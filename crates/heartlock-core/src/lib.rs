//! Heartlock's domain: no I/O, no web, no database. Everything here is plain
//! functions and types that the store, the server and the CLI build on.
pub mod audit;
pub mod binding;
pub mod cidr;
pub mod clock;
pub mod crypto;
mod fernet_open;
pub mod formats;
pub mod ids;
pub mod password;
pub mod pkce;
pub mod roles;
pub mod share;
pub mod signing;
pub mod throttle;
pub mod token;
pub mod webpush;

pub use clock::{Clock, FixedClock, SystemClock};
pub use crypto::{CryptoError, Keyring, OpenBuf, Opened};
