#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

use heartlock_config::{ConfigError, LoadInput, Loaded, load};

pub const FERNET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const VAPID_PUBLIC: &str =
    "BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0A";
pub const VAPID_PRIVATE: &str = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK-2vcTL0tng5-71_AMKERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc4-rx-P8GDRQbIikwNz5FTFNaYWhvdn2Ei5KZoKeutbzDytHY3-bt9PsCCRAXHiUsMzpBSE9WXWRrcnmAh46VnKOqsbi_";

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
