#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

use heartlock_config::{ConfigError, LoadInput, Loaded, load};

pub const FERNET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
// A pair printed by the seed's generator (padded base64url).
pub const VAPID_PUBLIC: &str =
    "BETRjoCdfr17HvRcL-IfOFEBiiY_HW8b2WeE5vyOSKRcVJC_Ro-w2YZNoL0EH-DpFD972tqtUuW_9TWsCIG6t0I=";
pub const VAPID_PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWM6Hl-Bngg6Dmcpr8war5KZ_dz2Ef9h75Iu4D8HEhNGhRANCAARE0Y6AnX69ex70XC_iHzhRAYomPx1vG9lnhOb8jkikXFSQv0aPsNmGTaC9BB_g6RQ_e9rarVLlv_U1rAiBurdC";

pub fn input(dir: &Path, env: &[(&str, &str)]) -> LoadInput {
    LoadInput {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        cwd: dir.to_path_buf(),
    }
}

pub fn write(dir: &Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

pub fn load_ok(dir: &Path, env: &[(&str, &str)]) -> Loaded {
    load(&input(dir, env)).unwrap()
}

pub fn load_err(dir: &Path, env: &[(&str, &str)]) -> ConfigError {
    match load(&input(dir, env)) {
        Ok(_) => panic!("expected a configuration error"),
        Err(e) => e,
    }
}
