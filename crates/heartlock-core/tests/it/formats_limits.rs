//! Pathological documents are refused before the parser does any work that
//! grows faster than the input (issue: a 160 KB nested YAML body took ~40 s).
use heartlock_core::formats::{
    Format, LimitError, Limits, ParseError, SecretMap, parse, parse_with_limits, render,
};
use proptest::prelude::*;

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("A: {}{}\n", open.repeat(depth), close.repeat(depth))
}

#[test]
fn deep_yaml_flow_nesting_is_refused_with_a_clear_message() {
    for (open, close) in [("[", "]"), ("{", "}")] {
        for depth in [33, 1000, 80_000, 1 << 20] {
            // Past the default size limit too: the nesting check holds alone.
            let unbounded = Limits {
                max_input_bytes: usize::MAX,
                ..Limits::DEFAULT
            };
            let err = parse_with_limits(Format::Yaml, &nested(open, close, depth), &unbounded)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("nesting deeper than 32") || err.contains("too many [ or {"),
                "{depth}: {err}"
            );
        }
    }
}

#[test]
fn shallow_nesting_still_reaches_the_parser() {
    // Within the limit the document is parsed, and refused for its shape.
    let err = parse(Format::Yaml, &nested("[", "]", 32))
        .unwrap_err()
        .to_string();
    assert!(err.contains("sequences are not supported"), "{err}");
}

#[test]
fn brackets_inside_values_are_text() {
    let doc = "A: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n\
               B: '{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{'\n\
               C: it's [ok]\n\
               D: a[0][1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16][17][18][19][20][21][22][23][24][25][26][27][28][29][30][31][32][33]\n\
               E: x # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ a comment\n";
    let map = parse(Format::Yaml, doc).unwrap();
    assert_eq!(map["A"], "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    assert_eq!(map["C"], "it's [ok]");
    assert_eq!(map["E"], "x");
    assert_eq!(map.len(), 5);
}

#[test]
fn a_quote_that_never_closes_cannot_hide_deep_nesting() {
    // The scanner sees a quoted scalar running to the end; the bracket
    // backstop still refuses the document before the parser runs.
    let doc = format!("A: 'x\nB: {}{}\n", "[".repeat(5000), "]".repeat(5000));
    let err = parse(Format::Yaml, &doc).unwrap_err().to_string();
    assert!(err.contains("too many [ or {"), "{err}");
}

#[test]
fn deep_json_is_refused_too() {
    let doc = format!("{{\"A\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse(Format::Json, &doc).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any value written as a quoted scalar comes back as itself, whatever
    /// brackets and quotes it holds.
    #[test]
    fn quoted_values_with_brackets_round_trip(value in "[\\[\\]{}'\" a-z#:,-]{0,80}") {
        let mut m = heartlock_core::formats::SecretMap::new();
        m.insert("KEY".to_string(), value.clone());
        let doc = heartlock_core::formats::render(Format::Yaml, &m).unwrap();
        prop_assert_eq!(parse(Format::Yaml, &doc).unwrap(), m);
    }

    /// Arbitrary bracket soup never panics and never takes the parser deep.
    #[test]
    fn bracket_soup_is_answered(doc in "[\\[\\]{}'\": a-z\\n#-]{0,400}") {
        let _ = parse(Format::Yaml, &doc);
    }
}

fn with(max_input_bytes: usize, max_entries: usize, max_line_bytes: usize) -> Limits {
    Limits {
        max_input_bytes,
        max_entries,
        max_line_bytes,
    }
}

fn limit_err(format: Format, input: &str, limits: &Limits) -> LimitError {
    match parse_with_limits(format, input, limits) {
        Err(ParseError::Limit(e)) => e,
        other => panic!("{format} {input:?}: expected a limit error, got {other:?}"),
    }
}

#[test]
fn the_size_limit_is_checked_first_for_every_format() {
    let doc = "A=1\n";
    for format in Format::ALL {
        let limits = with(doc.len() - 1, 10, 100);
        assert_eq!(
            limit_err(format, doc, &limits),
            LimitError::TooLarge { bytes: 4, max: 3 }
        );
    }
    let err = parse(Format::Json, &" ".repeat((1 << 20) + 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the document is 1048577 bytes; at most 1048576 bytes can be imported"
    );
    // Exactly at the limit is fine.
    let limits = with(doc.len(), 10, 100);
    assert!(parse_with_limits(Format::Dotenv, doc, &limits).is_ok());
}

fn documents_with(n: usize) -> Vec<(Format, String)> {
    let lines = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<String>();
    vec![
        (Format::Dotenv, lines(&|i| format!("K{i}=v\n"))),
        (Format::Shell, lines(&|i| format!("export K{i}='v'\n"))),
        (Format::Docker, lines(&|i| format!("K{i}=v\n"))),
        (Format::Yaml, lines(&|i| format!("K{i}: v\n"))),
        (
            Format::Json,
            format!(
                "{{\n{}\"Z\": 0}}",
                lines(&|i| format!("\"K{i}\": \"v\",\n"))
            ),
        ),
    ]
}

#[test]
fn one_entry_past_the_limit_is_refused_at_its_line() {
    for (format, doc) in documents_with(1000) {
        // 1000 entries (1001 for JSON, whose last key is on line 1002).
        let err = parse(format, &doc).map(|m| m.len());
        if format == Format::Json {
            let expected = LimitError::TooManyEntries {
                line: 1002,
                max: 1000,
            };
            assert_eq!(err, Err(ParseError::Limit(expected.clone())), "{format}");
            assert_eq!(
                ParseError::Limit(expected).to_string(),
                "line 1002: more than 1000 entries; at most 1000 can be imported at once"
            );
        } else {
            assert_eq!(err, Ok(1000), "{format}");
        }
    }
    for (format, doc) in documents_with(4) {
        let limits = with(1 << 20, 3, 100);
        let line = if format == Format::Json { 5 } else { 4 };
        assert_eq!(
            limit_err(format, &doc, &limits),
            LimitError::TooManyEntries { line, max: 3 },
            "{format}"
        );
    }
}

#[test]
fn long_lines_are_refused_in_line_formats_only() {
    let limits = with(1 << 20, 10, 16);
    for format in [Format::Dotenv, Format::Shell, Format::Docker] {
        let doc = format!("A=1\nB={}\n", "x".repeat(15));
        assert_eq!(
            limit_err(format, &doc, &limits),
            LimitError::LineTooLong { line: 2, max: 16 }
        );
        assert!(parse_with_limits(format, "A=1\nB=xxxxxxxxxxxxxx\n", &limits).is_ok());
    }
    let long = "x".repeat(300 << 10);
    let json = format!("{{\"A\": \"{long}\"}}");
    assert_eq!(parse(Format::Json, &json).unwrap()["A"], long);
    let yaml = format!("A: {long}\n");
    assert_eq!(parse(Format::Yaml, &yaml).unwrap()["A"], long);
}

#[test]
fn a_quoted_value_may_not_run_past_the_line_limit() {
    let limits = with(1 << 20, 10, 16);
    for (format, doc) in [
        (Format::Dotenv, "A=1\nB=\"x\nx\nx\nx\nx\nx\nx\nx\nx\n\"\n"),
        (Format::Dotenv, "A=1\nB='x\nx\nx\nx\nx\nx\nx\nx\nx\n'\n"),
        (Format::Dotenv, "A=1\nB=\"x\nx\nx\nx\nx\nx\nx\nx\nx\n"),
        (Format::Shell, "A=1\nB='x\n'\\''x\n'\\''x\n'\\''x\n'\n"),
    ] {
        assert_eq!(
            limit_err(format, doc, &limits),
            LimitError::QuotedTooLong { line: 2, max: 16 },
            "{doc:?}"
        );
    }
    // Within the limit, quotes behave as before.
    let map = parse_with_limits(Format::Dotenv, "A=\"x\nx\"\nB='y\ny'\n", &limits).unwrap();
    assert_eq!((map["A"].as_str(), map["B"].as_str()), ("x\nx", "y\ny"));
    let err = parse_with_limits(Format::Dotenv, "A=1\nB='x\n", &limits).unwrap_err();
    assert!(err.to_string().contains("line 2: unterminated"), "{err}");
    assert_eq!(
        ParseError::Limit(LimitError::QuotedTooLong { line: 2, max: 16 }).to_string(),
        "line 2: the quoted value runs past 16 bytes (is its closing quote missing?)"
    );
}

#[test]
fn json_deeper_than_a_value_is_refused_before_parsing() {
    for doc in [
        "{\"A\": [[1]]}",
        "{\"A\": {\"B\": {}}}",
        "[[[]]]",
        "{\"A\": \"ok\",\n\"B\": [{}]}",
    ] {
        assert!(
            matches!(
                limit_err(Format::Json, doc, &Limits::DEFAULT),
                LimitError::TooDeep { max: 2, .. }
            ),
            "{doc}"
        );
    }
    let err = parse(Format::Json, "{\"A\": 1,\n\"B\": [[1]]}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "nesting deeper than 2 levels at line 2; values must be scalars"
    );
    // One level inside a value still reaches serde, which names the key.
    let err = parse(Format::Json, "{\"LIST\": [1]}").unwrap_err();
    assert!(err.to_string().starts_with("LIST: arrays"), "{err}");
    // Brackets, commas and escaped quotes inside strings are text.
    let doc = r#"{"A": "[[[{{{,,,\"[[[", "B": "\\", "C": "]]]}}}"}"#;
    assert_eq!(parse(Format::Json, doc).unwrap()["A"], "[[[{{{,,,\"[[[");
    // A top-level array is refused for its shape, not counted as entries.
    let array = format!("[{}1]", "1,".repeat(2000));
    let err = parse(Format::Json, &array).unwrap_err();
    assert!(err.to_string().contains("JSON object"), "{err}");
}

#[test]
fn the_largest_default_secret_round_trips_in_every_format() {
    // 64 KiB (the default HEARTLOCK_MAX_SECRET_BYTES) of what each renderer
    // escapes most, so the default limits never refuse an export.
    for (format, unit) in [
        (Format::Dotenv, "\"\n"),
        (Format::Shell, "'"),
        (Format::Docker, "x"),
        (Format::Json, "\u{1}"),
        (Format::Yaml, "\u{85}"),
    ] {
        let value = unit.repeat(65_536 / unit.len());
        let map = SecretMap::from([("K".to_owned(), value)]);
        let text = render(format, &map).unwrap();
        assert_eq!(parse(format, &text).unwrap(), map, "{format}");
    }
}

#[test]
fn lifted_limits_mean_no_limit() {
    let none = with(usize::MAX, usize::MAX, usize::MAX);
    for format in Format::ALL {
        let doc = match format {
            Format::Json => "{\"A\": \"x\"}",
            Format::Yaml => "A: 'x'\n",
            _ => "A='x'\nB=\"y\"\n",
        };
        assert!(parse_with_limits(format, doc, &none).is_ok(), "{format}");
    }
    let err = parse_with_limits(Format::Dotenv, "A='x\n", &none).unwrap_err();
    assert!(err.to_string().contains("unterminated"), "{err}");
}
