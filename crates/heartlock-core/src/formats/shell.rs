//! `export KEY='value'` lines, safe to `eval` or `.`/`source` in POSIX sh.
//! Parsing goes through the dotenv parser's shell dialect.

use super::{RenderError, SecretMap, refuse_nul};

/// Single quotes are the only sh quoting with no special characters inside
/// (no `$`, backticks or backslashes; newlines are fine), so the only thing to
/// escape is `'` itself: close the quote, add `\'`, reopen.
pub(super) fn render(secrets: &SecretMap) -> Result<String, RenderError> {
    let mut out = String::new();
    for (key, value) in secrets {
        // sh variables are C strings: a NUL would silently truncate.
        refuse_nul(key, value)?;
        out.push_str("export ");
        out.push_str(key);
        out.push_str("='");
        out.push_str(&value.replace('\'', r"'\''"));
        out.push_str("'\n");
    }
    Ok(out)
}
