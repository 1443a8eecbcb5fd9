//! Bounds on one imported document. Imports come from any signed-in user, so
//! each bound is checked before (or while, never after) the work it bounds:
//! with them every parser does work linear in its input.

/// What one document may hold. The defaults match the server's default
/// settings; a caller with other settings passes its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document, in bytes (the default is that of
    /// `HEARTLOCK_MAX_BODY_BYTES`).
    pub max_input_bytes: usize,
    /// Most secrets one document may hold (the domain writes at most 1,000
    /// keys per request).
    pub max_entries: usize,
    /// Longest physical line of a line format (dotenv, shell, docker), and
    /// longest quoted value from its opening quote on. The default is twice
    /// the longest line a renderer writes for the default largest secret
    /// (64 KiB, every byte a `'` that shell writes as `'\''`).
    pub max_line_bytes: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_input_bytes: 1 << 20,
        max_entries: 1000,
        max_line_bytes: 512 << 10,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A document refused for its size or shape before it was parsed in full.
/// Names the line where one is known; never shows any of the input.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LimitError {
    #[error("the document is {bytes} bytes; at most {max} bytes can be imported")]
    TooLarge { bytes: usize, max: usize },
    #[error("line {line}: more than {max} entries; at most {max} can be imported at once")]
    TooManyEntries { line: usize, max: usize },
    #[error("line {line} is longer than {max} bytes")]
    LineTooLong { line: usize, max: usize },
    #[error("line {line}: the quoted value runs past {max} bytes (is its closing quote missing?)")]
    QuotedTooLong { line: usize, max: usize },
    #[error("nesting deeper than {max} levels at line {line}; values must be scalars")]
    TooDeep { line: usize, max: usize },
    #[error("too many [ or {{ ({count}); at most {max} are accepted")]
    TooManyBrackets { count: usize, max: usize },
}

/// Refuses a physical line longer than `max` bytes (line formats only: a
/// JSON or YAML document may well be one long line).
pub(super) fn check_line_lengths(input: &str, max: usize) -> Result<(), LimitError> {
    match input.split('\n').position(|line| line.len() > max) {
        Some(index) => Err(LimitError::LineTooLong {
            line: index + 1,
            max,
        }),
        None => Ok(()),
    }
}
