//! `docker run --env-file` files.
//!
//! Docker reads each line literally: leading whitespace of the line is
//! dropped, `#` lines and blank lines are skipped, everything after the first
//! `=` is the value with no quote or escape processing and no trimming (so
//! quotes and trailing spaces are part of the value). We mirror that exactly
//! so a file we render means the same to docker and to us.

use super::{
    Limits, ParseError, RenderError, SecretMap, insert_unique, key_line_error, line_error,
    refuse_nul, strip_bom, validate_key,
};

/// Linear: one pass over the lines, whose lengths the caller has checked.
pub(super) fn parse(input: &str, limits: &Limits) -> Result<SecretMap, ParseError> {
    let mut map = SecretMap::new();
    for (index, raw) in strip_bom(input).split('\n').enumerate() {
        let line = index + 1;
        // Docker's line scanner drops a CRLF's `\r`, then trims the line start.
        let text = raw.strip_suffix('\r').unwrap_or(raw).trim_start();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let Some((key, value)) = text.split_once('=') else {
            // A bare name means "inherit from the environment" to docker; we
            // have no environment to inherit from. Only echo it if it really
            // is a name, not a stray line of some secret.
            return Err(match validate_key(text) {
                Ok(()) => line_error(line, format!("{text} has no value")),
                Err(_) => line_error(line, "expected KEY=VALUE"),
            });
        };
        validate_key(key).map_err(|e| key_line_error(line, &e))?;
        if value.contains('\0') {
            return Err(line_error(
                line,
                "value contains a NUL character, which environment variables cannot hold",
            ));
        }
        insert_unique(&mut map, key, value.to_owned(), line, limits.max_entries)?;
    }
    Ok(map)
}

pub(super) fn render(secrets: &SecretMap) -> Result<String, RenderError> {
    let mut out = String::new();
    for (key, value) in secrets {
        refuse_nul(key, value)?;
        if value.contains(['\n', '\r']) {
            return Err(RenderError::Unrepresentable {
                key: key.clone(),
                reason: "docker env files cannot hold multi-line values; \
                         use --format dotenv or json"
                    .to_owned(),
            });
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
        out.push('\n');
    }
    Ok(out)
}
