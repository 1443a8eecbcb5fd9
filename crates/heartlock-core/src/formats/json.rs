//! A JSON object of name → string. Numbers and booleans are accepted and kept
//! as their exact source text (`1.50` stays `1.50`), since they are almost
//! always meant as strings; null, arrays and objects are refused.

use std::fmt::Write as _;

use serde_json::value::RawValue;

use super::toplevel::TopLevel;
use super::{ParseError, SecretMap, validate_key};

pub(super) fn parse(input: &str) -> Result<SecretMap, ParseError> {
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
