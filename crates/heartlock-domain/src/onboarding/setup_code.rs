//! The one-time setup code that guards the wizard in production: whoever
//! reaches a fresh server first must also be able to read its log (or its
//! data folder), so a passer-by cannot take it over. Kept in
//! `<data_dir>/setup-code` (0600), read afresh on every check so that
//! `heartlock setup-code` and the server agree, deleted once onboarding is
//! done.
use rand::Rng;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE: &str = "setup-code";
/// No 0/O, 1/I/L: read from a log and typed by a person.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 20 symbols of 31: about 99 bits, far beyond guessing over HTTP.
const LEN: usize = 20;

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// `ABCD-EFGH-…`, groups of four.
fn generate() -> String {
    let mut rng = rand::rng();
    let symbols: Vec<char> = (0..LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    symbols
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Upper case, without separators: what people type may differ in those.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The current code, if one was issued.
pub fn read(data_dir: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path(data_dir)) {
        Ok(text) => {
            let code = text.trim().to_string();
            Ok((!code.is_empty()).then_some(code))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The current code, issuing one (owner-only file) when there is none.
pub fn ensure(data_dir: &Path) -> std::io::Result<String> {
    if let Some(code) = read(data_dir)? {
        return Ok(code);
    }
    heartlock_store::create_private_dir(data_dir)?;
    let code = generate();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path(data_dir)) {
        Ok(mut f) => {
            f.write_all(code.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            Ok(code)
        }
        // Another process issued one first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(data_dir)?.ok_or_else(|| std::io::Error::other("the setup code file is empty"))
        }
        Err(e) => Err(e),
    }
}

/// Whether `given` is the issued code. No code issued means no match.
pub fn matches(data_dir: &Path, given: &str) -> bool {
    let Ok(Some(code)) = read(data_dir) else {
        return false;
    };
    let given = normalise(given);
    !given.is_empty() && heartlock_core::token::ct_eq(&normalise(&code), &given)
}

/// Onboarding is over: the code has no further use.
pub fn remove(data_dir: &Path) {
    match std::fs::remove_file(path(data_dir)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not remove the used setup code file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_once_matched_loosely_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        assert!(!matches(dir.path(), ""));
        let code = ensure(dir.path()).unwrap();
        assert_eq!(code.len(), LEN + LEN / 4 - 1);
        assert_eq!(ensure(dir.path()).unwrap(), code, "stable until used");
        assert!(matches(dir.path(), &code));
        assert!(matches(dir.path(), &code.to_lowercase().replace('-', " ")));
        assert!(!matches(dir.path(), &code[..code.len() - 1]));
        assert!(!matches(dir.path(), ""));
        remove(dir.path());
        assert!(!matches(dir.path(), &code));
    }
}
