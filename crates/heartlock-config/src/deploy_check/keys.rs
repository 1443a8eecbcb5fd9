//! Signing and encryption keys: missing, short, guessable or shared.

use super::Findings;
use crate::Settings;

/// Minimum length for signing keys (SECRET_KEY, JWT_SECRET_KEY).
const MIN_KEY_LEN: usize = 32;

/// Fewer distinct characters than this is a pattern, not a random value
/// (32 × `a`, `abababab…`); random base64 of 32 characters has ~25.
const MIN_DISTINCT_CHARS: usize = 10;

/// Pieces of values copied from documentation, tutorials or templates.
/// Long enough not to turn up by chance in a random key.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "change-me",
    "change_me",
    "changeme",
    "changethis",
    "change-this",
    "your-",
    "your_",
    "example",
    "secret-key",
    "secret_key",
    "secretkey",
    "placeholder",
    "replace-me",
    "replace_me",
    "replaceme",
    "insecure",
    "do-not-use",
    "dontuse",
    "notasecret",
    "not-a-secret",
    "xxxxxx",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weakness {
    /// Looks like a value from a template or documentation.
    Placeholder,
    Short,
    LowVariety,
}

/// The most telling weakness of a key, if any. `len` is the caller's
/// notion of length (characters or bytes).
pub(crate) fn weakness(value: &str, len: usize) -> Option<Weakness> {
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)) {
        return Some(Weakness::Placeholder);
    }
    if len < MIN_KEY_LEN {
        return Some(Weakness::Short);
    }
    let mut distinct: Vec<char> = value.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    (distinct.len() < MIN_DISTINCT_CHARS).then_some(Weakness::LowVariety)
}

const KEY_FIX: &str = "Generate a random value, e.g. `openssl rand -base64 48`, and keep it in \
                       the service's secret store.";

pub(super) fn check(s: &Settings, out: &mut Findings) {
    check_secret_key(s, out);
    check_jwt_key(s, out);
    check_fallbacks(s, out);
    if s.encryption_key.is_none() {
        let now = if s.debug {
            "secrets are encrypted with the development key file secret.key in the data \
             directory"
        } else {
            "an ephemeral in-memory key is used, so nothing can be stored durably"
        };
        out.error(
            "heartlock.W004",
            &["HEARTLOCK_ENCRYPTION_KEY"],
            format!("HEARTLOCK_ENCRYPTION_KEY is not set: {now}."),
            "Set HEARTLOCK_ENCRYPTION_KEY to a key from `heartlock gen-key` and back it up \
             separately from the database.",
        );
    }
}

fn check_secret_key(s: &Settings, out: &mut Findings) {
    let Some(key) = &s.secret_key else {
        out.error(
            "heartlock.W001",
            &["SECRET_KEY"],
            "SECRET_KEY is not set; it signs browser sessions and CSRF cookies, and the server \
             refuses to start without it when DEBUG is off.",
            format!(
                "Set SECRET_KEY to a random value of at least {MIN_KEY_LEN} characters. {KEY_FIX}"
            ),
        );
        return;
    };
    let value = key.expose();
    match weakness(value, value.chars().count()) {
        Some(Weakness::Short) => out.error(
            "heartlock.W002",
            &["SECRET_KEY"],
            format!("SECRET_KEY is shorter than {MIN_KEY_LEN} characters."),
            KEY_FIX,
        ),
        Some(Weakness::LowVariety) => out.error(
            "heartlock.W020",
            &["SECRET_KEY"],
            format!(
                "SECRET_KEY has fewer than {MIN_DISTINCT_CHARS} distinct characters, so it is a \
                 pattern rather than a random value."
            ),
            KEY_FIX,
        ),
        Some(Weakness::Placeholder) => out.error(
            "heartlock.W021",
            &["SECRET_KEY"],
            "SECRET_KEY looks like a placeholder or example value (e.g. from a template or \
             the documentation), which others know too.",
            KEY_FIX,
        ),
        None => {}
    }
}

fn check_jwt_key(s: &Settings, out: &mut Findings) {
    // Unset is fine: a random key is generated once and stored encrypted
    // in the database, shared by every instance.
    let Some(key) = &s.jwt.secret_key else {
        return;
    };
    let value = key.expose();
    match weakness(value, value.len()) {
        Some(Weakness::Short) => out.error(
            "heartlock.W006",
            &["JWT_SECRET_KEY"],
            format!("JWT_SECRET_KEY is shorter than {MIN_KEY_LEN} bytes."),
            format!(
                "{KEY_FIX} Or unset it to use a generated key stored encrypted in the database."
            ),
        ),
        Some(Weakness::LowVariety) => out.error(
            "heartlock.W022",
            &["JWT_SECRET_KEY"],
            format!(
                "JWT_SECRET_KEY has fewer than {MIN_DISTINCT_CHARS} distinct characters, so it \
                 is a pattern rather than a random value."
            ),
            KEY_FIX,
        ),
        Some(Weakness::Placeholder) => out.error(
            "heartlock.W023",
            &["JWT_SECRET_KEY"],
            "JWT_SECRET_KEY looks like a placeholder or example value, which others know too.",
            KEY_FIX,
        ),
        None => {}
    }
    if s.secret_key.as_ref().is_some_and(|k| k.expose() == value) {
        out.error(
            "heartlock.W024",
            &["JWT_SECRET_KEY", "SECRET_KEY"],
            "JWT_SECRET_KEY is the same value as SECRET_KEY, so a leak of one forges both API \
             tokens and browser sessions.",
            format!("Give JWT_SECRET_KEY its own random value. {KEY_FIX}"),
        );
    }
}

fn check_fallbacks(s: &Settings, out: &mut Findings) {
    let weak: Vec<String> = s
        .secret_key_fallbacks
        .iter()
        .enumerate()
        .filter(|(_, k)| weakness(k.expose(), k.expose().chars().count()).is_some())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !weak.is_empty() {
        out.error(
            "heartlock.W025",
            &["SECRET_KEY_FALLBACKS"],
            format!(
                "SECRET_KEY_FALLBACKS key {} is short, a pattern or a placeholder; sessions \
                 signed with it are still accepted.",
                weak.join(", ")
            ),
            "Remove weak keys from SECRET_KEY_FALLBACKS (a fallback only needs to stay until \
             the sessions it signed have expired).",
        );
    }
}
