//! Domain operations that need both the keyring and the store.
pub mod key_check;
pub mod rotation;
