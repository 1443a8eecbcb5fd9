//! A JSON object of name → string. Numbers and booleans are accepted and kept
//! as their exact source text (`1.50` stays `1.50`), since they are almost
//! always meant as strings; null, arrays and objects are refused.
//!
//! Before serde_json sees the text, one pass refuses nesting deeper than
//! [`MAX_JSON_DEPTH`] and more entries than allowed. serde_json's own
//! recursion limit (128) would also bound the work, but only after reading
//! and buffering up to 128 levels of every value, and with a message about
//! recursion rather than about the one shape that is accepted.

use std::fmt::Write as _;

use serde_json::value::RawValue;

use super::toplevel::TopLevel;
use super::{LimitError, Limits, ParseError, SecretMap, validate_key};

/// The object (1) and one level inside a value (2): deep enough to refuse an
/// array or object value by its key's name, no deeper.
pub const MAX_JSON_DEPTH: usize = 2;

pub(super) fn parse(input: &str, limits: &Limits) -> Result<SecretMap, ParseError> {
    prescan(input, limits.max_entries)?;
    let top: TopLevel<String, Box<RawValue>> =
        serde_json::from_str(input).map_err(|e| document_error(&e))?;
    let entries = match top {
        TopLevel::Mapping(entries) => entries,
        TopLevel::Empty | TopLevel::NotAMapping => {
            return Err(ParseError::Document(
                "expected a JSON object of secret names to values".to_owned(),
            ));
        }
    };
    let mut map = SecretMap::new();
    for (key, raw) in entries {
        validate_key(&key)?;
        if map.contains_key(&key) {
            return Err(ParseError::Document(format!("duplicate key {key}")));
        }
        let value = scalar_text(&key, raw.get())?;
        map.insert(key, value);
    }
    Ok(map)
}

/// Nesting and top-level entries, in one pass. JSON text is tokens and
/// strings; only in strings (which cannot span lines) are brackets and commas
/// not structure, so this is exact for well-formed JSON and bounded for the
/// rest.
fn prescan(input: &str, max_entries: usize) -> Result<(), LimitError> {
    let (mut depth, mut line, mut entries) = (0usize, 1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    // Inside the top-level object, right after `{` or `,`: a string here is
    // a key, which starts an entry.
    let (mut top_is_object, mut expect_key) = (false, false);
    for b in input.bytes() {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                if expect_key {
                    expect_key = false;
                    entries += 1;
                    if entries > max_entries {
                        return Err(LimitError::TooManyEntries {
                            line,
                            max: max_entries,
                        });
                    }
                }
            }
            b'[' | b'{' => {
                if depth == 0 {
                    top_is_object = b == b'{';
                }
                expect_key = depth == 0 && top_is_object;
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(LimitError::TooDeep {
                        line,
                        max: MAX_JSON_DEPTH,
                    });
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                expect_key = false;
            }
            b',' => expect_key = depth == 1 && top_is_object,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => expect_key = false,
        }
    }
    Ok(())
}

fn scalar_text(key: &str, raw: &str) -> Result<String, ParseError> {
    let raw = raw.trim();
    let unsupported = |what: &str| {
        ParseError::Document(format!(
            "{key}: {what} are not supported; values must be strings, numbers or booleans"
        ))
    };
    match raw.chars().next() {
        Some('"') => serde_json::from_str::<String>(raw).map_err(|_| {
            // Already validated by the first pass; never echo the string.
            ParseError::Document(format!("{key}: invalid JSON string"))
        }),
        Some('n') => Err(ParseError::Document(format!(
            "{key}: null is not a supported value (use \"\" for an empty value)"
        ))),
        Some('[') => Err(unsupported("arrays")),
        Some('{') => Err(unsupported("nested objects")),
        // true, false or a number: keep the text exactly as written.
        _ => Ok(raw.to_owned()),
    }
}

fn document_error(err: &serde_json::Error) -> ParseError {
    use serde_json::error::Category;
    match err.classify() {
        // Syntax and EOF messages are fixed texts plus a position.
        Category::Syntax | Category::Eof => ParseError::Document(format!("invalid JSON: {err}")),
        // Data errors can quote input; keep only the position.
        Category::Data | Category::Io => ParseError::Document(format!(
            "invalid JSON at line {} column {}",
            err.line(),
            err.column()
        )),
    }
}

/// Pretty-printed object, two-space indent, sorted, trailing newline. Written
/// by hand so it cannot fail; escaping follows RFC 8259.
pub(super) fn render(secrets: &SecretMap) -> String {
    if secrets.is_empty() {
        return "{}\n".to_owned();
    }
    let mut out = String::from("{\n");
    for (i, (key, value)) in secrets.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str("  ");
        push_json_string(&mut out, key);
        out.push_str(": ");
        push_json_string(&mut out, value);
    }
    out.push_str("\n}\n");
    out
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
