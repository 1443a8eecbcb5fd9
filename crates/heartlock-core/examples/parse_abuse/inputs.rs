//! Pathological documents, one per kind of abuse and format, each at most
//! `size` bytes. Shared by the `parse_abuse` bench and the integration tests
//! (which check the outcome, never the time).

use heartlock_core::formats::Format;

pub struct Case {
    pub format: Format,
    pub name: &'static str,
    pub input: String,
    /// Under the default limits: "ok" when the document is accepted,
    /// otherwise a piece of the error message.
    pub expect: &'static str,
}

/// `unit` repeated to fill `size` bytes after `head` and before `tail`.
fn fill(head: &str, unit: &str, tail: &str, size: usize) -> String {
    let room = size.saturating_sub(head.len() + tail.len());
    let mut s = String::with_capacity(size);
    s.push_str(head);
    s.push_str(&unit.repeat(room / unit.len().max(1)));
    s.push_str(tail);
    s
}

/// `NAME_i<sep>value` lines up to `size` bytes.
fn many_keys(sep: &str, value: &str, size: usize) -> String {
    many_keys_with("", sep, value, size)
}

/// `NAME_i<sep>value` lines, each after `prefix`, up to `size` bytes.
fn many_keys_with(prefix: &str, sep: &str, value: &str, size: usize) -> String {
    let mut s = String::with_capacity(size);
    for i in 0.. {
        let line = format!("{prefix}K{i}{sep}{value}\n");
        if s.len() + line.len() > size {
            break;
        }
        s.push_str(&line);
    }
    s
}

/// Half the budget each for opening and closing brackets.
fn nested(head: &str, open: &str, close: &str, tail: &str, size: usize) -> String {
    let depth = size.saturating_sub(head.len() + tail.len()) / (open.len() + close.len());
    format!("{head}{}{}{tail}", open.repeat(depth), close.repeat(depth))
}

pub fn cases(size: usize) -> Vec<Case> {
    use Format::{Docker, Dotenv, Json, Shell, Yaml};
    let case = |format, name, input, expect| Case {
        format,
        name,
        input,
        expect,
    };
    let too_many = "more than 1000 entries";
    let json_keys = format!(
        "{{{}\"Z\": 0}}",
        many_keys_with("\"", "\": ", "\"v\",", size.saturating_sub(16))
    );
    vec![
        // dotenv and shell
        case(
            Dotenv,
            "long line",
            fill("A=", "x", "\n", size),
            "longer than",
        ),
        case(
            Dotenv,
            "unclosed \"",
            fill("A=\"", "x\n", "", size),
            "runs past",
        ),
        case(
            Dotenv,
            "unclosed '",
            fill("A='", "x\n", "", size),
            "runs past",
        ),
        case(
            Dotenv,
            "many quotes",
            many_keys("=", "\"\\\"\\\"\\\"\\\"\\\"\\\"\"", size),
            too_many,
        ),
        case(
            Dotenv,
            "many escapes",
            fill("A=\"", "\\n\\\"\n", "\"\n", size),
            "runs past",
        ),
        case(Dotenv, "many keys", many_keys("=", "v", size), too_many),
        case(
            Dotenv,
            "many comments",
            fill("", "# c = \"'\r\n", "A=1\n", size),
            "ok",
        ),
        case(
            Dotenv,
            "many ' #",
            fill("A=", " #'\"", "\n", size),
            "longer than",
        ),
        case(
            Shell,
            "many segments",
            fill("A=", "'a'\\''", "\n", size),
            "longer than",
        ),
        case(
            Shell,
            "segments over lines",
            fill("A=", "'a\n'\\'", "'\n", size),
            "runs past",
        ),
        // docker
        case(
            Docker,
            "long line",
            fill("A=", "x", "\n", size),
            "longer than",
        ),
        case(Docker, "many keys", many_keys("=", "v", size), too_many),
        case(
            Docker,
            "many =",
            fill("", "A==\n", "", size),
            "duplicate key",
        ),
        // JSON
        case(
            Json,
            "deep nesting",
            nested("{\"A\": ", "[", "]", "}", size),
            "nesting deeper than 2",
        ),
        case(
            Json,
            "deep objects",
            nested("", "{\"A\":", "}", "", size),
            "nesting deeper than 2",
        ),
        case(Json, "many keys", json_keys, too_many),
        case(
            Json,
            "long string",
            fill("{\"A\": \"", "x", "\"}", size),
            "ok",
        ),
        case(
            Json,
            "many escapes",
            fill("{\"A\": \"", "\\\"\\u00e9", "\"}", size),
            "ok",
        ),
        case(
            Json,
            "unclosed string",
            fill("{\"A\": \"", "x", "", size),
            "invalid JSON",
        ),
        case(
            Json,
            "many brackets in a string",
            fill("{\"A\": \"", "[{", "\"}", size),
            "ok",
        ),
        // YAML
        case(
            Yaml,
            "deep flow nesting",
            nested("A: ", "[", "]", "\n", size),
            "too many [ or {",
        ),
        case(
            Yaml,
            "deep block nesting",
            fill("A:\n", "- ", "x\n", size),
            "sequences are not supported",
        ),
        case(
            Yaml,
            "deep block mappings",
            fill("A:\n", " a:", " x\n", size),
            "nested mappings",
        ),
        case(Yaml, "long line", fill("A: ", "x", "\n", size), "ok"),
        case(
            Yaml,
            "long key",
            fill("", "x", ": v\n", size),
            "YAML mapping",
        ),
        case(Yaml, "many quotes", fill("A: '", "''", "'\n", size), "ok"),
        case(
            Yaml,
            "many escaped quotes",
            fill("A: \"", "\\\"", "\"\n", size),
            "ok",
        ),
        case(
            Yaml,
            "unclosed quote",
            fill("A: \"", "x\n ", "", size),
            "invalid YAML",
        ),
        case(Yaml, "many keys", many_keys(": ", "v", size), too_many),
        case(
            Yaml,
            "many aliases",
            fill("a: &a x\n", "b: *a\n", "", size),
            "YAML anchors",
        ),
        case(
            Yaml,
            "many tags",
            many_keys(": ", "!!str v", size),
            "YAML tags",
        ),
        case(
            Yaml,
            "many documents",
            fill("A: x\n", "---\n", "", size),
            "more than one YAML document",
        ),
        case(
            Yaml,
            "block scalar",
            fill("A: |\n", "  line\n", "", size),
            "ok",
        ),
    ]
}
