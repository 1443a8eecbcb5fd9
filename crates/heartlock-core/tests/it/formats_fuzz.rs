//! Fuzz properties, per parser: arbitrary input, and near-valid documents
//! (random nesting, quotes, escapes, tags, unicode, CRLF, mutations), never
//! panic; an error is a typed `ParseError`, and whatever is accepted obeys the
//! rules (valid names, within the limits, no NUL in a line format) and
//! survives export → import unchanged. (Round trips from generated secrets
//! are in `formats_roundtrip`.)
//!
//! Case counts are fixed so the suite stays fast: 2,000 per property on
//! arbitrary input, 1,000 on near-valid documents. `PROPTEST_CASES=N` sets
//! every property here to N cases for a long run.

use heartlock_core::formats::{
    Format, Limits, SecretMap, parse, parse_with_limits, render, validate_key,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const ARBITRARY_CASES: u32 = 2000;
const NEAR_VALID_CASES: u32 = 1000;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // A failure becomes a named regression test instead of a file.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

/// The properties every parse answer must have.
fn check(format: Format, input: &str, limits: &Limits) -> Result<(), TestCaseError> {
    let map = match parse_with_limits(format, input, limits) {
        Ok(map) => map,
        Err(err) => {
            prop_assert!(!err.to_string().is_empty(), "{:?}", err);
            return Ok(());
        }
    };
    prop_assert!(map.len() <= limits.max_entries);
    let line_format = matches!(format, Format::Dotenv | Format::Shell | Format::Docker);
    for (key, value) in &map {
        prop_assert!(validate_key(key).is_ok(), "{:?}", key);
        prop_assert!(!(line_format && value.contains('\0')), "NUL in {}", key);
    }
    // Export → import: what was accepted comes back unchanged (docker cannot
    // write a multi-line value, and says so).
    match render(format, &map) {
        Ok(text) => {
            let back = parse(format, &text).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(back, map, "rendered:\n{}", text);
        }
        Err(err) => prop_assert_eq!(format, Format::Docker, "{}", err),
    }
    Ok(())
}

/// Characters that mean something to one of the grammars, plus a few that
/// are hard for any text handling.
const SYNTAX: &[&str] = &[
    "=", "'", "\"", "\\", "#", " ", "\t", "\n", "\r\n", "\r", ":", ": ", "- ", "? ", "[", "]", "{",
    "}", ",", "!", "!!", "&", "*", "|", ">", "%", "@", "`", "$", "~", "---", "...", "export ",
    "\0", "\u{feff}", "\u{85}", "\u{2028}", "é", "🔐", "\u{fffd}", "A", "_k", "1", "null", "true",
];

fn soup(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(SYNTAX).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => "[A-Za-z_][A-Za-z0-9_]{0,8}",
    ];
    prop::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat())
}

/// Any string, any bytes read leniently, or syntax soup.
fn arbitrary_input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..512)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        soup(200),
    ]
}

/// Mostly valid names: one bad name spoils a whole document.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => "[A-Za-z_][A-Za-z0-9_]{0,12}",
        1 => soup(4),
        1 => Just(String::new()),
    ]
}

fn eol() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        8 => Just("\n"),
        4 => Just("\r\n"),
        1 => prop::sample::select(&["\r", ""][..]),
    ]
}

/// At times one random edit: cut the document short, or insert a piece.
fn mutate(doc: String, edit: (u8, usize, &'static str)) -> String {
    let (kind, at, piece) = edit;
    let mut at = at % (doc.len() + 1);
    while !doc.is_char_boundary(at) {
        at -= 1;
    }
    match kind % 8 {
        0 => doc[..at].to_owned(),
        1 => format!("{}{piece}{}", &doc[..at], &doc[at..]),
        _ => doc,
    }
}

fn edit() -> impl Strategy<Value = (u8, usize, &'static str)> {
    (any::<u8>(), any::<usize>(), prop::sample::select(SYNTAX))
}

/// Text for inside quotes: printable ASCII but quotes and backslashes,
/// unicode, tabs and line breaks.
const QUOTABLE: &str = "([ -~&&[^'\"\\\\]]|é|🔐|\u{85}|\t|\n|\r\n){0,12}";

/// Well-formed values (bare, single- or double-quoted with escapes, sh-style
/// concatenation) or a random run of pieces.
fn line_value() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(
        &[
            "'", "\"", "\\", "\\n", "\\\"", "\\'", "'\\''", "#", " #", "$X", "${X}", "\n", "\r\n",
            " ", "\t", "=", "é", "🔐", "\0", "a", "value", "\u{feff}", "`",
        ][..],
    );
    let escape = prop::sample::select(&["", "\\n", "\\\"", "\\\\", "\\$", "\\q", "\\t"][..]);
    prop_oneof![
        2 => "[A-Za-z0-9_./:@+,-]{0,12}( #[a-z ]{0,6})?",
        2 => QUOTABLE.prop_map(|t| format!("'{t}'")),
        2 => (QUOTABLE, escape, QUOTABLE).prop_map(|(a, e, b)| format!("\"{a}{e}{b}\"")),
        1 => (QUOTABLE, "[a-z]{0,4}").prop_map(|(t, w)| format!("'{t}'\\''{w}'")),
        2 => prop::collection::vec(piece, 0..12).prop_map(|p| p.concat()),
    ]
}

/// dotenv, shell and docker lines: entries, comments, blanks.
fn line_document() -> impl Strategy<Value = String> {
    let lead = prop_oneof![
        8 => Just(""),
        1 => prop::sample::select(&["export ", "  ", "\t"][..]),
    ];
    let eq = prop_oneof![
        8 => Just("="),
        1 => prop::sample::select(&[" = ", "= ", " ="][..]),
    ];
    let entry = (lead, key(), eq, line_value(), eol())
        .prop_map(|(lead, k, eq, v, eol)| format!("{lead}{k}{eq}{v}{eol}"));
    let line = prop_oneof![
        12 => entry,
        2 => (soup(8), eol()).prop_map(|(c, e)| format!("# {c}{e}")),
        2 => eol().prop_map(str::to_owned),
        1 => (soup(8), eol()).prop_map(|(s, e)| format!("{s}{e}")),
    ];
    (prop::collection::vec(line, 0..8), edit()).prop_map(|(lines, e)| mutate(lines.concat(), e))
}

fn json_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[ -~&&[^\"\\\\]]{1,4}",
        prop::sample::select(
            &[
                "\\\"",
                "\\\\",
                "\\/",
                "\\b",
                "\\n",
                "\\r",
                "\\t",
                "\\u00e9",
                "\\ud83d\\udd10",
                "\\ud800",
                "\\u0000",
                "é",
                "🔐",
                "[",
                "{",
                ",",
                "\\",
                "\u{1}",
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|p| format!("\"{}\"", p.concat()))
}

/// Mostly scalars; sometimes arrays and objects nested up to four deep.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        6 => json_string(),
        3 => "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?",
        1 => prop::sample::select(&["true", "false", "null", "01", "+1", ".5", "NaN"][..])
            .prop_map(str::to_owned),
    ];
    let nested = leaf.clone().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((json_string(), inner), 0..4).prop_map(|v| {
                let body: Vec<String> = v.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    });
    prop_oneof![12 => leaf, 1 => nested]
}

fn json_document() -> impl Strategy<Value = String> {
    let space = prop::sample::select(&["", " ", "\n", "\r\n", "\t"][..]);
    let entry = (key(), space.clone(), json_value())
        .prop_map(|(k, s, v)| format!("{}:{s}{v}", serde_json::to_string(&k).unwrap()));
    let object = (prop::collection::vec(entry, 0..8), space)
        .prop_map(|(entries, s)| format!("{{{s}{}{s}}}", entries.join(&format!(",{s}"))));
    let top = prop_oneof![8 => object, 1 => json_value()];
    (top, edit()).prop_map(|(doc, e)| mutate(doc, e))
}

/// Mostly one scalar of some style, else a random run of pieces (tags,
/// anchors, aliases, flow and block indicators among them).
fn yaml_value() -> impl Strategy<Value = String> {
    let scalar = prop::sample::select(
        &[
            "plain",
            "0123",
            "1.50",
            "true",
            "a b  c",
            "x!y &z *w",
            "\"dq\"",
            "\"a\\tb\\u00e9\\x41\\\"\"",
            "\"é 🔐\"",
            "'sq'",
            "'it''s'",
            "|\n  block\n  text\n",
            ">-\n  folded\n  text\n",
            "|+\n  keep\n\n",
            "\"multi\n  line\"",
            "plain # comment",
            "'\u{85}\u{2028}'",
        ][..],
    );
    let piece = prop::sample::select(
        &[
            "plain",
            "0123",
            "~",
            "null",
            "\"dq\"",
            "'sq'",
            "\"unclosed",
            "'unclosed",
            "|\n  block",
            "|2\n   x",
            "[a, b]",
            "{k: v}",
            "[[[",
            "]]",
            "!!str x",
            "!!binary eA==",
            "!x y",
            "!<tag:x> y",
            "&a x",
            "*a",
            "- item",
            "? k",
            ": v",
            "# c",
            " #",
            "é",
            "🔐",
            "\t",
            " ",
            "\n  cont",
            "\r\n",
            "\u{85}",
            "\u{2028}",
            "\0",
            "@",
            "`",
            "%",
            ",",
        ][..],
    );
    prop_oneof![
        6 => scalar.prop_map(str::to_owned),
        2 => prop::collection::vec(piece, 0..5).prop_map(|p| p.join(" ")),
    ]
}

/// A YAML mapping of near-valid lines, sometimes behind directives, a
/// document marker or a BOM.
fn yaml_document() -> impl Strategy<Value = String> {
    let lead = prop_oneof![
        12 => Just(""),
        1 => prop::sample::select(&[" ", "  ", "- ", "? ", "\t"][..]),
    ];
    let colon = prop_oneof![
        12 => Just(": "),
        1 => prop::sample::select(&[":", " : ", ":\t", ":\n  "][..]),
    ];
    let line = (lead, key(), colon, yaml_value(), eol())
        .prop_map(|(lead, k, colon, v, eol)| format!("{lead}{k}{colon}{v}{eol}"));
    let head = prop_oneof![
        8 => Just(""),
        1 => prop::sample::select(
            &["---\n", "--- ", "%YAML 1.2\n---\n", "%TAG !e! tag:e,2000:\n---\n", "\u{feff}", "{"][..]
        ),
    ];
    let tail = prop_oneof![
        8 => Just(""),
        1 => prop::sample::select(&["...\n", "---\n", "}", "\n---\nB: c\n"][..]),
    ];
    (head, prop::collection::vec(line, 0..8), tail, edit())
        .prop_map(|(h, lines, t, e)| mutate(format!("{h}{}{t}", lines.concat()), e))
}

/// Small limits, so that each one is hit often, or none at all.
fn small_limits() -> impl Strategy<Value = Limits> {
    let bound = |small: usize| prop_oneof![4 => 0..small, 1 => Just(usize::MAX)];
    (bound(400), bound(6), bound(48)).prop_map(|(bytes, entries, line)| Limits {
        max_input_bytes: bytes,
        max_entries: entries,
        max_line_bytes: line,
    })
}

proptest! {
    #![proptest_config(config(ARBITRARY_CASES))]

    #[test]
    fn dotenv_arbitrary_input(input in arbitrary_input()) {
        check(Format::Dotenv, &input, &Limits::DEFAULT)?;
    }

    #[test]
    fn shell_arbitrary_input(input in arbitrary_input()) {
        check(Format::Shell, &input, &Limits::DEFAULT)?;
    }

    #[test]
    fn docker_arbitrary_input(input in arbitrary_input()) {
        check(Format::Docker, &input, &Limits::DEFAULT)?;
    }

    #[test]
    fn json_arbitrary_input(input in arbitrary_input()) {
        check(Format::Json, &input, &Limits::DEFAULT)?;
    }

    #[test]
    fn yaml_arbitrary_input(input in arbitrary_input()) {
        check(Format::Yaml, &input, &Limits::DEFAULT)?;
    }

    /// Every limit, at small values, on every format: refusals are typed.
    #[test]
    fn small_limits_hold(
        format in prop::sample::select(&Format::ALL[..]),
        input in prop_oneof![arbitrary_input(), line_document(), yaml_document(), json_document()],
        limits in small_limits(),
    ) {
        check(format, &input, &limits)?;
    }
}

proptest! {
    #![proptest_config(config(NEAR_VALID_CASES))]

    #[test]
    fn dotenv_near_valid(doc in line_document()) {
        check(Format::Dotenv, &doc, &Limits::DEFAULT)?;
    }

    #[test]
    fn shell_near_valid(doc in line_document()) {
        check(Format::Shell, &doc, &Limits::DEFAULT)?;
    }

    #[test]
    fn docker_near_valid(doc in line_document()) {
        check(Format::Docker, &doc, &Limits::DEFAULT)?;
    }

    #[test]
    fn json_near_valid(doc in json_document()) {
        check(Format::Json, &doc, &Limits::DEFAULT)?;
    }

    #[test]
    fn yaml_near_valid(doc in yaml_document()) {
        check(Format::Yaml, &doc, &Limits::DEFAULT)?;
    }
}

#[test]
fn generators_reach_acceptance() {
    // The near-valid generators are only useful if some of their documents
    // parse; a plain sample of each must.
    let samples: [(Format, &str); 3] = [
        (Format::Dotenv, "export A = 'x'\r\nB=\"y\\n\" # c\n"),
        (Format::Json, "{\"A\": \"\\ud83d\\udd10\", \"B\": 1.50}"),
        (
            Format::Yaml,
            "%YAML 1.2\n---\nA: |\n  block\nB: 'it''s'\n...\n",
        ),
    ];
    for (format, doc) in samples {
        let map: SecretMap = parse(format, doc).unwrap();
        assert_eq!(map.len(), 2, "{format}");
    }
}
