//! dotenv files, and the shell dialect that reads back `export KEY='…'`.
//!
//! Grammar (one entry per logical line; quoted values may span lines):
//! - blank lines and lines whose first non-blank is `#` are skipped;
//! - `[export ]KEY = VALUE`, blanks allowed around `=`;
//! - unquoted values are trimmed, end at the line end or at a `#` preceded by
//!   a blank, and have no escapes;
//! - `'…'` is literal; `"…"` knows `\n \r \t \\ \" \$` and keeps any other
//!   `\x` as is; after the closing quote only blanks or a comment may follow;
//! - CRLF line ends are accepted; inside quotes every character is kept
//!   verbatim, so a `\r` written there stays part of the value.
//!
//! The shell dialect additionally lets a value that starts with a quote go on
//! as in sh: adjacent quoted segments, backslash-escaped characters and bare
//! word characters are joined (`'it'\''s'` → `it's`, which is exactly what the
//! shell renderer produces) up to a blank or the line end. Double-quoted
//! segments still use the dotenv escapes, and `$VAR` is never expanded.
//!
//! Every character is looked at a bounded number of times, and a quoted value
//! may run at most `max_line_bytes` from its opening quote, so a quote that
//! never closes costs one bounded scan, not one per line.

use super::{
    LimitError, Limits, ParseError, RenderError, SecretMap, insert_unique, key_line_error,
    line_error, refuse_nul, strip_bom, validate_key,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Dotenv,
    Shell,
}

pub(super) fn parse(
    input: &str,
    dialect: Dialect,
    limits: &Limits,
) -> Result<SecretMap, ParseError> {
    let mut parser = Parser {
        src: strip_bom(input),
        pos: 0,
        line: 1,
        dialect,
        max_quoted: limits.max_line_bytes,
    };
    let mut map = SecretMap::new();
    while let Some((key, value, line)) = parser.next_entry()? {
        insert_unique(&mut map, key, value, line, limits.max_entries)?;
    }
    Ok(map)
}

/// Values made only of these characters are written bare; everything else is
/// double-quoted, which keeps the output readable for the common case.
fn is_bare(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@+,-".contains(c))
}

pub(super) fn render(secrets: &SecretMap) -> Result<String, RenderError> {
    let mut out = String::new();
    for (key, value) in secrets {
        refuse_nul(key, value)?;
        out.push_str(key);
        out.push('=');
        if is_bare(value) {
            out.push_str(value);
        } else {
            out.push('"');
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    // Not needed by our parser, but shells and compose files
                    // interpolate `$`; escaping keeps them from doing so.
                    '$' => out.push_str("\\$"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        out.push('\n');
    }
    Ok(out)
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

struct Parser<'a> {
    src: &'a str,
    /// Byte offset; always on a char boundary.
    pos: usize,
    /// 1-based line of `pos`.
    line: usize,
    dialect: Dialect,
    /// Longest quoted value, in bytes from its opening quote.
    max_quoted: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_blanks(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_blank) {
            self.bump();
        }
        self.pos > start
    }

    /// Consumes the rest of the physical line and its line end; returns it
    /// without the `\n` and without a CRLF's `\r`.
    fn take_line(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest.find('\n').unwrap_or(rest.len());
        let text = rest.get(..end).unwrap_or("");
        self.pos += end;
        if self.peek() == Some('\n') {
            self.bump();
        }
        text.strip_suffix('\r').unwrap_or(text)
    }

    /// Next `(key, value, line)`, or `None` at the end of input.
    fn next_entry(&mut self) -> Result<Option<(&'a str, String, usize)>, ParseError> {
        loop {
            self.skip_blanks();
            match self.peek() {
                None => return Ok(None),
                Some('#') => {
                    self.take_line();
                }
                Some('\n') => {
                    self.bump();
                }
                Some('\r') if self.rest().starts_with("\r\n") => {
                    self.take_line();
                }
                Some(_) => break,
            }
        }
        let line = self.line;
        let rest = self.rest();
        let head = rest
            .get(..rest.find('\n').unwrap_or(rest.len()))
            .unwrap_or("");
        // Never echo the line: without `=` it may be a pasted secret.
        let Some(eq) = head.find('=') else {
            return Err(line_error(line, "expected KEY=VALUE"));
        };
        let mut key = head.get(..eq).unwrap_or("").trim_end_matches(is_blank);
        if let Some(after) = key.strip_prefix("export")
            && after.starts_with(is_blank)
        {
            key = after.trim_start_matches(is_blank);
        }
        validate_key(key).map_err(|e| key_line_error(line, &e))?;
        self.pos += eq + 1;

        let had_blank = self.skip_blanks();
        let value = match self.peek() {
            Some('\'' | '"') => self.quoted_value(line)?,
            _ => unquoted(self.take_line(), had_blank),
        };
        if value.contains('\0') {
            return Err(line_error(
                line,
                "value contains a NUL character, which environment variables cannot hold",
            ));
        }
        Ok(Some((key, value, line)))
    }

    /// Refuses a quoted value that has run past `max_quoted` bytes since
    /// `start`, its opening quote.
    fn check_span(&self, start: usize, start_line: usize) -> Result<(), ParseError> {
        if self.pos - start > self.max_quoted {
            return Err(self.quoted_too_long(start_line));
        }
        Ok(())
    }

    fn quoted_too_long(&self, start_line: usize) -> ParseError {
        LimitError::QuotedTooLong {
            line: start_line,
            max: self.max_quoted,
        }
        .into()
    }

    /// One quoted value (several adjacent segments in the shell dialect) and
    /// the rest of its last line.
    fn quoted_value(&mut self, start_line: usize) -> Result<String, ParseError> {
        let start = self.pos;
        let mut value = String::new();
        loop {
            match self.peek() {
                Some('\'') => {
                    self.bump();
                    self.single_quoted(&mut value, start, start_line)?;
                }
                Some('"') => {
                    self.bump();
                    self.double_quoted(&mut value, start, start_line)?;
                }
                Some('\\') if self.dialect == Dialect::Shell => {
                    self.bump();
                    match self.bump() {
                        // POSIX line continuation: both characters vanish.
                        None | Some('\n') => {}
                        Some(c) => value.push(c),
                    }
                }
                // Unquoted word characters between segments, as in sh.
                Some(c)
                    if self.dialect == Dialect::Shell
                        && !is_blank(c)
                        && c != '\n'
                        && !self.rest().starts_with("\r\n") =>
                {
                    self.bump();
                    value.push(c);
                }
                _ => break,
            }
            self.check_span(start, start_line)?;
            if self.dialect == Dialect::Dotenv {
                break;
            }
        }
        let tail_line = self.line;
        let tail = self.take_line().trim_start_matches(is_blank);
        if !tail.is_empty() && !tail.starts_with('#') {
            return Err(line_error(
                tail_line,
                "unexpected text after the closing quote",
            ));
        }
        Ok(value)
    }

    fn single_quoted(
        &mut self,
        value: &mut String,
        start: usize,
        start_line: usize,
    ) -> Result<(), ParseError> {
        let rest = self.rest();
        // Look for the closing quote only as far as the value may run.
        let budget = self.max_quoted.saturating_sub(self.pos - start);
        let window = rest.as_bytes().get(..budget).unwrap_or(rest.as_bytes());
        // `'` is ASCII, so its byte offset is a char boundary.
        let Some(end) = window.iter().position(|&b| b == b'\'') else {
            if rest.len() > budget {
                return Err(self.quoted_too_long(start_line));
            }
            return Err(line_error(
                start_line,
                "unterminated single-quoted value (no closing ')",
            ));
        };
        let text = rest.get(..end).unwrap_or("");
        value.push_str(text);
        self.line += text.matches('\n').count();
        self.pos += end + 1;
        Ok(())
    }

    fn double_quoted(
        &mut self,
        value: &mut String,
        start: usize,
        start_line: usize,
    ) -> Result<(), ParseError> {
        let unterminated = || {
            line_error(
                start_line,
                "unterminated double-quoted value (no closing \")",
            )
        };
        loop {
            self.check_span(start, start_line)?;
            match self.bump().ok_or_else(unterminated)? {
                '"' => return Ok(()),
                '\\' => match self.bump().ok_or_else(unterminated)? {
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    c @ ('\\' | '"' | '$') => value.push(c),
                    // Unknown escapes stay as written (Windows paths etc.).
                    c => {
                        value.push('\\');
                        value.push(c);
                    }
                },
                c => value.push(c),
            }
        }
    }
}

/// An unquoted value: up to an inline comment (`#` after a blank), trimmed.
fn unquoted(raw: &str, had_blank_before: bool) -> String {
    if had_blank_before && raw.starts_with('#') {
        return String::new();
    }
    let bytes = raw.as_bytes();
    let end = raw
        .match_indices('#')
        .map(|(i, _)| i)
        .find(|&i| i > 0 && matches!(bytes.get(i - 1), Some(b' ' | b'\t')))
        .unwrap_or(raw.len());
    raw.get(..end)
        .unwrap_or("")
        .trim_matches(is_blank)
        .to_owned()
}
