//! Import/export formats for a set of secrets: dotenv, JSON, YAML, shell
//! (`export` lines) and docker env-files. Pure functions: callers do the I/O.
//!
//! Parsing is all-or-nothing: one bad line fails the whole document so that
//! callers never import half a file. Errors never carry a secret value, only
//! key names and line numbers, because they end up in logs and HTTP responses.
//!
//! NUL characters are refused by the line formats (dotenv, shell, docker) on
//! both parse and render: an environment variable cannot hold one. JSON and
//! YAML carry them fine.
//!
//! Documents are untrusted: [`Limits`] bound the size, the number of entries,
//! line lengths and nesting before the work they bound, so that parsing time
//! stays linear in the input (the `parse_abuse` example measures it).

mod docker;
mod dotenv;
mod json;
mod limits;
pub mod names;
mod shell;
mod toplevel;
mod yaml;

use std::fmt;

pub use limits::{LimitError, Limits};
pub use names::{KeyError, MAX_KEY_LEN, validate_key};

/// Secret name → value. A `BTreeMap`, so every renderer emits keys sorted and
/// output is stable across runs.
pub type SecretMap = std::collections::BTreeMap<String, String>;

/// A supported import/export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Dotenv,
    Json,
    Yaml,
    Shell,
    Docker,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Dotenv,
        Format::Json,
        Format::Yaml,
        Format::Shell,
        Format::Docker,
    ];

    /// Accepts the canonical names plus common aliases, ASCII
    /// case-insensitively: `dotenv`/`env`, `json`, `yaml`/`yml`, `shell`/`sh`,
    /// `docker`.
    pub fn parse_name(s: &str) -> Option<Format> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "dotenv" | "env" => Some(Format::Dotenv),
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            "shell" | "sh" => Some(Format::Shell),
            "docker" => Some(Format::Docker),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Dotenv => "dotenv",
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Shell => "shell",
            Format::Docker => "docker",
        }
    }

    /// HTTP `Content-Type` for a rendered document.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Dotenv | Format::Shell | Format::Docker => "text/plain; charset=utf-8",
            Format::Json => "application/json",
            Format::Yaml => "application/yaml",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a document could not be imported. Never contains a secret value.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// A problem on a given (1-based) line of a line-based format.
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    /// A problem with a JSON or YAML document as a whole.
    #[error("{0}")]
    Document(String),
    /// A bad key in a JSON or YAML document.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The same key twice in a line-based format.
    #[error("duplicate key {key} (line {line})")]
    Duplicate { key: String, line: usize },
    /// The document exceeds one of the [`Limits`].
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A YAML feature that changes or multiplies what a value is: tags,
    /// anchors and aliases (`what` names it, e.g. "YAML tags").
    #[error("{what} are not supported (line {line})")]
    Unsupported { what: &'static str, line: usize },
}

/// Why a set of secrets cannot be written in a format. Never contains a
/// secret value.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("{key}: {reason}")]
    Unrepresentable { key: String, reason: String },
}

/// Parses a whole document within the default [`Limits`]. Any error means
/// nothing should be imported.
pub fn parse(format: Format, input: &str) -> Result<SecretMap, ParseError> {
    parse_with_limits(format, input, &Limits::DEFAULT)
}

/// Parses a whole document within `limits`. Any error means nothing should
/// be imported.
pub fn parse_with_limits(
    format: Format,
    input: &str,
    limits: &Limits,
) -> Result<SecretMap, ParseError> {
    if input.len() > limits.max_input_bytes {
        return Err(LimitError::TooLarge {
            bytes: input.len(),
            max: limits.max_input_bytes,
        }
        .into());
    }
    if matches!(format, Format::Dotenv | Format::Shell | Format::Docker) {
        limits::check_line_lengths(input, limits.max_line_bytes)?;
    }
    match format {
        Format::Dotenv => dotenv::parse(input, dotenv::Dialect::Dotenv, limits),
        Format::Shell => dotenv::parse(input, dotenv::Dialect::Shell, limits),
        Format::Docker => docker::parse(input, limits),
        Format::Json => json::parse(input, limits),
        Format::Yaml => yaml::parse(input, limits),
    }
}

/// Renders secrets sorted by key. `parse(f, &render(f, m)?) == m` holds for
/// every format.
pub fn render(format: Format, secrets: &SecretMap) -> Result<String, RenderError> {
    for key in secrets.keys() {
        // Every format checks names: for shell it is what keeps a name from
        // being an injection, for the others it catches bad data early.
        validate_key(key).map_err(|e| RenderError::Unrepresentable {
            key: key.clone(),
            reason: format!("not a valid secret name: {}", e.reason()),
        })?;
    }
    match format {
        Format::Dotenv => dotenv::render(secrets),
        Format::Shell => shell::render(secrets),
        Format::Docker => docker::render(secrets),
        Format::Json => Ok(json::render(secrets)),
        Format::Yaml => Ok(yaml::render(secrets)),
    }
}

fn line_error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError::Line {
        line,
        message: message.into(),
    }
}

/// The message line formats use for a bad name: the rule, not the text,
/// since a "name" on a malformed line may be a fragment of a secret.
fn key_line_error(line: usize, err: &KeyError) -> ParseError {
    line_error(line, format!("invalid secret name: {}", err.reason()))
}

/// Line formats feed process environments, which cannot hold NUL.
fn refuse_nul(key: &str, value: &str) -> Result<(), RenderError> {
    if value.contains('\0') {
        return Err(RenderError::Unrepresentable {
            key: key.to_owned(),
            reason: "value contains a NUL character, which environment variables cannot hold; \
                     use --format json or yaml"
                .to_owned(),
        });
    }
    Ok(())
}

/// Inserts a parsed entry, refusing duplicates so a file can't silently
/// override itself, and one entry past the limit.
fn insert_unique(
    map: &mut SecretMap,
    key: &str,
    value: String,
    line: usize,
    max_entries: usize,
) -> Result<(), ParseError> {
    if map.contains_key(key) {
        return Err(ParseError::Duplicate {
            key: key.to_owned(),
            line,
        });
    }
    if map.len() >= max_entries {
        return Err(LimitError::TooManyEntries {
            line,
            max: max_entries,
        }
        .into());
    }
    map.insert(key.to_owned(), value);
    Ok(())
}

/// A UTF-8 byte-order mark is invisible in editors; it must not end up in the
/// first key.
fn strip_bom(input: &str) -> &str {
    input.strip_prefix('\u{feff}').unwrap_or(input)
}
