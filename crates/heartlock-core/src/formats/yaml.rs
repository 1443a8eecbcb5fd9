//! A YAML mapping of name → scalar.
//!
//! Read in two passes over the same text: the first (into `Value`) checks the
//! shape and refuses null, sequences, mappings and tagged values; the second
//! reads every scalar as a plain string, which serde_norway gives us as the
//! source text. So `0123`, `1.50`, `1e3` or `True` arrive exactly as written.
//! Keys are taken as text too, then validated as names.
//!
//! Rendering is hand-written: every value is double-quoted and escaped, so no
//! YAML parser (1.1 or 1.2) can read a value as anything but that string.

use std::fmt::Write as _;

use serde_norway::Value;

use super::toplevel::TopLevel;
use super::{ParseError, SecretMap, validate_key};

/// Deepest flow nesting (`[`, `{`) a document may have. Secrets are flat
/// `NAME: value` pairs, so anything deeper is refused before the parser, whose
/// time grows with the square of the depth, ever sees it.
pub const MAX_FLOW_DEPTH: usize = 32;
/// Backstop: flow brackets anywhere in the document (quoted or not), so a
/// scan that misjudged a quote still bounds the parser's work.
pub const MAX_FLOW_BRACKETS: usize = 4096;

pub(super) fn parse(input: &str) -> Result<SecretMap, ParseError> {
    check_nesting(input)?;
    let shapes = match serde_norway::from_str::<TopLevel<Value, Value>>(input) {
        Ok(TopLevel::Mapping(entries)) => entries,
        Ok(TopLevel::Empty) => return Ok(SecretMap::new()),
        Ok(TopLevel::NotAMapping) => {
            return Err(ParseError::Document(
                "expected a YAML mapping of secret names to values".to_owned(),
            ));
        }
        Err(e) => return Err(document_error(&e)),
    };
    // Check shapes before the second pass, which would fail on them with a
    // message we could not show.
    for (key, value) in &shapes {
        check_shape(key, value)?;
    }
    let texts = match serde_norway::from_str::<TopLevel<String, String>>(input) {
        Ok(TopLevel::Mapping(entries)) => entries,
        Ok(_) => return Err(ParseError::Document("invalid YAML document".to_owned())),
        Err(e) => return Err(document_error(&e)),
    };
    let mut map = SecretMap::new();
    for (key, value) in texts {
        validate_key(&key)?;
        if map.contains_key(&key) {
            return Err(ParseError::Document(format!("duplicate key {key}")));
        }
        map.insert(key, value);
    }
    Ok(map)
}

/// Refuses pathological nesting in time linear in the input. Quoted scalars
/// are skipped (a value may hold brackets); quotes and brackets count only
/// where YAML lets a node begin (after `: `, `- `, `? `, `[`, `{`, `,` or at
/// the start of a line), as the parser reads them.
fn check_nesting(input: &str) -> Result<(), ParseError> {
    let brackets = input.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if brackets > MAX_FLOW_BRACKETS {
        return Err(ParseError::Document(format!(
            "too many [ or {{ ({brackets}); at most {MAX_FLOW_BRACKETS} are accepted"
        )));
    }
    let too_deep = |line: usize| {
        ParseError::Document(format!(
            "nesting deeper than {MAX_FLOW_DEPTH} levels at line {line}; values must be scalars"
        ))
    };
    let (mut depth, mut line) = (0usize, 1usize);
    // The last character that was not a space or tab ('\n' at a line
    // start), and the character just before this one.
    let (mut last, mut prev) = ('\n', '\n');
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        // Where a node (a quoted scalar or a flow collection) may begin; a
        // quote or bracket inside a plain scalar (`it's`, `a[0]`) is text.
        let node_start = matches!(last, '[' | '{' | ',' | '\n')
            || (matches!(last, ':' | '-' | '?') && matches!(prev, ' ' | '\t'));
        match c {
            '"' | '\'' if node_start => {
                // Skip the quoted scalar, counting the lines it spans.
                while let Some(q) = chars.next() {
                    match q {
                        '\n' => line += 1,
                        // An escape: skip the escaped character (a line break too).
                        '\\' if c == '"' && chars.next() == Some('\n') => line += 1,
                        '\'' if c == '\'' && chars.peek() == Some(&'\'') => {
                            chars.next();
                        }
                        q if q == c => break,
                        _ => {}
                    }
                }
                (last, prev) = (c, c);
                continue;
            }
            '#' if matches!(prev, ' ' | '\t' | '\n') => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            '[' | '{' if node_start => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(too_deep(line));
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            '\n' => line += 1,
            _ => {}
        }
        if c != ' ' && c != '\t' {
            last = c;
        }
        prev = c;
    }
    Ok(())
}

fn check_shape(key: &Value, value: &Value) -> Result<(), ParseError> {
    let label = match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => {
            return Err(ParseError::Document(
                "secret names must be plain scalars".to_owned(),
            ));
        }
    };
    let problem = match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => return Ok(()),
        Value::Null => "null is not a supported value (use \"\" for an empty value)",
        Value::Sequence(_) => "sequences are not supported; values must be scalars",
        Value::Mapping(_) => "nested mappings are not supported; values must be scalars",
        Value::Tagged(_) => "tagged values are not supported",
    };
    Err(ParseError::Document(format!("{label}: {problem}")))
}

/// serde_norway's messages may quote input (type errors, nested keys), and
/// there is no way to tell which; report only the position.
fn document_error(err: &serde_norway::Error) -> ParseError {
    ParseError::Document(match err.location() {
        Some(at) => format!("invalid YAML at line {} column {}", at.line(), at.column()),
        None => "invalid YAML document (a single mapping is expected)".to_owned(),
    })
}

pub(super) fn render(secrets: &SecretMap) -> String {
    if secrets.is_empty() {
        return "{}\n".to_owned();
    }
    let mut out = String::new();
    for (key, value) in secrets {
        if needs_key_quotes(key) {
            push_quoted(&mut out, key);
        } else {
            out.push_str(key);
        }
        out.push_str(": ");
        push_quoted(&mut out, value);
        out.push('\n');
    }
    out
}

/// Valid names are plain-safe in YAML 1.2 but YAML 1.1 readers (PyYAML, Go's
/// yaml.v2) turn these into booleans or null.
fn needs_key_quotes(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null"
    )
}

/// A double-quoted YAML scalar. Line breaks and everything libyaml does not
/// accept as printable are escaped, so the scalar stays on one line and no
/// folding can change it.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if needs_escape(c) => push_code_escape(out, c),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn needs_escape(c: char) -> bool {
    let n = u32::from(c);
    n < 0x20
        || (0x7f..=0x9f).contains(&n)
        || matches!(n, 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff)
}

fn push_code_escape(out: &mut String, c: char) {
    let n = u32::from(c);
    // Writing to a String cannot fail.
    let _ = if n <= 0xff {
        write!(out, "\\x{n:02X}")
    } else {
        write!(out, "\\u{n:04X}")
    };
}
