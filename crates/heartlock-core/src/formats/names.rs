//! Secret names. Every secret is meant to become an environment variable, so
//! names follow the portable POSIX rule rather than anything looser.

/// Longest accepted secret name, in characters.
pub const MAX_KEY_LEN: usize = 256;

/// How much of a bad name an error shows: enough to find it, not a whole
/// pasted blob.
const PREVIEW_CHARS: usize = 40;

const EMPTY_REASON: &str = "must not be empty";
const CHARS_REASON: &str =
    "must start with a letter or underscore and contain only letters, digits and underscores";
const LENGTH_REASON: &str = "must be at most 256 characters long";

/// Why a secret name was refused. The Display form shows (a preview of) the
/// name: names are not secret. Line-based parsers use [`KeyError::reason`]
/// instead, because there a "name" may really be a stray piece of a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("invalid secret name \"\": {EMPTY_REASON}")]
    Empty,
    #[error("invalid secret name {name:?}: {CHARS_REASON}")]
    InvalidChars { name: String },
    #[error("invalid secret name {name:?}: {LENGTH_REASON}")]
    TooLong { name: String },
}

impl KeyError {
    /// The rule that was broken, without the name.
    pub fn reason(&self) -> &'static str {
        match self {
            KeyError::Empty => EMPTY_REASON,
            KeyError::InvalidChars { .. } => CHARS_REASON,
            KeyError::TooLong { .. } => LENGTH_REASON,
        }
    }
}

/// Environment-variable names: `[A-Za-z_][A-Za-z0-9_]*`, 1..=256 chars.
pub fn validate_key(key: &str) -> Result<(), KeyError> {
    let mut chars = key.chars();
    let Some(first) = chars.next() else {
        return Err(KeyError::Empty);
    };
    let first_ok = first.is_ascii_alphabetic() || first == '_';
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(KeyError::InvalidChars { name: preview(key) });
    }
    // All characters are ASCII here, so bytes == characters.
    if key.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong { name: preview(key) });
    }
    Ok(())
}

fn preview(key: &str) -> String {
    let mut chars = key.chars();
    let mut shown: String = chars.by_ref().take(PREVIEW_CHARS).collect();
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}
