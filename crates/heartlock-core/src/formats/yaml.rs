//! A YAML mapping of name → scalar.
//!
//! Read event by event (yaml-rust2's parser), so every refusal happens at the
//! first event that breaks the rules, before the parser reads any further:
//! a sequence or mapping value, a tag (`!!binary`, `!!str`, `!custom`, …), an
//! anchor (`&a`) or an alias (`*a`, which would let a small document expand
//! into a huge one). Scalars arrive as their source text, so `0123`, `1.50`,
//! `1e3` or `True` are kept exactly as written. Keys are taken as text too,
//! then validated as names.
//!
//! Rendering is hand-written: every value is double-quoted and escaped, so no
//! YAML parser (1.1 or 1.2) can read a value as anything but that string.

use std::fmt::Write as _;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::{LimitError, Limits, ParseError, SecretMap, strip_bom, validate_key};

/// Deepest flow nesting (`[`, `{`) a document may have, checked before the
/// parser runs. Secrets are flat `NAME: value` pairs and the event reader
/// refuses a nested value at its first event anyway; this is a cheap backstop
/// against deep-nesting costs in a YAML parser's look-ahead (libyaml's grew
/// with the square of the depth).
pub const MAX_FLOW_DEPTH: usize = 32;
/// Backstop: flow brackets anywhere in the document (quoted or not), so a
/// scan that misjudged a quote still bounds the parser's work.
pub const MAX_FLOW_BRACKETS: usize = 4096;

type Events<'a> = Parser<std::str::Chars<'a>>;

pub(super) fn parse(input: &str, limits: &Limits) -> Result<SecretMap, ParseError> {
    let input = strip_bom(input);
    check_nesting(input)?;
    let mut events = Parser::new_from_str(input);
    let mut map = SecretMap::new();
    // StreamStart, then a document or the end of an empty stream.
    next(&mut events)?;
    if matches!(next(&mut events)?, (Event::StreamEnd, _)) {
        return Ok(map);
    }
    match next(&mut events)? {
        (Event::MappingStart(anchor, tag), mark) => {
            refuse_features(anchor, tag.as_ref(), mark)?;
            read_entries(&mut events, &mut map, limits)?;
        }
        (Event::Scalar(text, style, anchor, tag), mark) => {
            refuse_features(anchor, tag.as_ref(), mark)?;
            if !is_null(&text, style) {
                return Err(not_a_mapping());
            }
        }
        (Event::SequenceStart(anchor, tag), mark) => {
            refuse_features(anchor, tag.as_ref(), mark)?;
            return Err(not_a_mapping());
        }
        (Event::Alias(_), mark) => return Err(unsupported("YAML aliases", mark)),
        _ => return Err(ParseError::Document("invalid YAML document".to_owned())),
    }
    // DocumentEnd, then the stream must end: one document per import.
    next(&mut events)?;
    match next(&mut events)? {
        (Event::StreamEnd, _) => Ok(map),
        (_, mark) => Err(ParseError::Document(format!(
            "more than one YAML document (line {}); a single mapping is expected",
            mark.line()
        ))),
    }
}

/// The entries of the top-level mapping, up to its end.
fn read_entries(
    events: &mut Events<'_>,
    map: &mut SecretMap,
    limits: &Limits,
) -> Result<(), ParseError> {
    loop {
        let key = match next(events)? {
            (Event::MappingEnd, _) => return Ok(()),
            (Event::Scalar(text, _, anchor, tag), mark) => {
                refuse_features(anchor, tag.as_ref(), mark)?;
                if map.len() >= limits.max_entries {
                    return Err(LimitError::TooManyEntries {
                        line: mark.line(),
                        max: limits.max_entries,
                    }
                    .into());
                }
                validate_key(&text)?;
                text
            }
            (Event::Alias(_), mark) => return Err(unsupported("YAML aliases", mark)),
            (Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag), mark) => {
                refuse_features(anchor, tag.as_ref(), mark)?;
                return Err(ParseError::Document(
                    "secret names must be plain scalars".to_owned(),
                ));
            }
            _ => return Err(ParseError::Document("invalid YAML document".to_owned())),
        };
        let value = read_value(events, &key)?;
        if map.contains_key(&key) {
            return Err(ParseError::Document(format!("duplicate key {key}")));
        }
        map.insert(key, value);
    }
}

/// The value of `key`: a scalar other than null. Errors name the key only.
fn read_value(events: &mut Events<'_>, key: &str) -> Result<String, ParseError> {
    let problem = match next(events)? {
        (Event::Scalar(text, style, anchor, tag), mark) => {
            refuse_features(anchor, tag.as_ref(), mark)?;
            if !is_null(&text, style) {
                return Ok(text);
            }
            "null is not a supported value (use \"\" for an empty value)"
        }
        (Event::SequenceStart(anchor, tag), mark) => {
            refuse_features(anchor, tag.as_ref(), mark)?;
            "sequences are not supported; values must be scalars"
        }
        (Event::MappingStart(anchor, tag), mark) => {
            refuse_features(anchor, tag.as_ref(), mark)?;
            "nested mappings are not supported; values must be scalars"
        }
        (Event::Alias(_), mark) => return Err(unsupported("YAML aliases", mark)),
        _ => return Err(ParseError::Document("invalid YAML document".to_owned())),
    };
    Err(ParseError::Document(format!("{key}: {problem}")))
}

fn next(events: &mut Events<'_>) -> Result<(Event, Marker), ParseError> {
    events.next_token().map_err(|e| scan_error(&e))
}

/// A tag changes what a value means (`!!binary`, `!!python/object:…`), and
/// an anchor exists only to be repeated by an alias; neither has a place in a
/// list of secrets, so both are refused rather than silently dropped.
fn refuse_features(anchor: usize, tag: Option<&Tag>, mark: Marker) -> Result<(), ParseError> {
    if tag.is_some() {
        return Err(unsupported("YAML tags", mark));
    }
    if anchor != 0 {
        return Err(unsupported("YAML anchors", mark));
    }
    Ok(())
}

fn unsupported(what: &'static str, mark: Marker) -> ParseError {
    ParseError::Unsupported {
        what,
        line: mark.line(),
    }
}

/// The YAML null forms serde-based readers agree on (an empty value too).
fn is_null(text: &str, style: TScalarStyle) -> bool {
    style == TScalarStyle::Plain && matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn not_a_mapping() -> ParseError {
    ParseError::Document("expected a YAML mapping of secret names to values".to_owned())
}

/// The position, and the scanner's reason when it is a fixed text (one
/// message quotes an input character, which could be part of a secret). An
/// alias is refused at its anchor, so one that reaches the parser names an
/// anchor that was never defined: still an alias, and said so.
fn scan_error(err: &ScanError) -> ParseError {
    let mark = err.marker();
    if err.info() == "while parsing node, found unknown anchor" {
        return unsupported("YAML aliases", *mark);
    }
    // The scanner counts columns from 0.
    let at = format!("line {} column {}", mark.line(), mark.col() + 1);
    ParseError::Document(if err.info().starts_with("unexpected character") {
        format!("invalid YAML at {at}")
    } else {
        format!("invalid YAML at {at}: {}", err.info())
    })
}

/// Refuses pathological nesting in time linear in the input. Quoted scalars
/// are skipped (a value may hold brackets); quotes and brackets count only
/// where YAML lets a node begin (after `: `, `- `, `? `, `[`, `{`, `,` or at
/// the start of a line), as the parser reads them.
fn check_nesting(input: &str) -> Result<(), LimitError> {
    let brackets = input.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if brackets > MAX_FLOW_BRACKETS {
        return Err(LimitError::TooManyBrackets {
            count: brackets,
            max: MAX_FLOW_BRACKETS,
        });
    }
    let too_deep = |line: usize| LimitError::TooDeep {
        line,
        max: MAX_FLOW_DEPTH,
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
