//! JSON and YAML import/export.

use heartlock_core::formats::{Format, ParseError, SecretMap, parse, render};

fn map(pairs: &[(&str, &str)]) -> SecretMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn doc_err(format: Format, input: &str) -> String {
    match parse(format, input).expect_err("should fail") {
        ParseError::Document(message) => message,
        other => panic!("expected a document error, got {other:?}"),
    }
}

#[test]
fn json_strings_numbers_and_booleans() {
    let input = r#"{"A": "x", "B": 1.50, "C": -0, "D": 1e3, "E": true, "F": false, "G": "", "H": "\u00e9\n"}"#;
    assert_eq!(
        parse(Format::Json, input).expect("parse"),
        map(&[
            ("A", "x"),
            ("B", "1.50"),
            ("C", "-0"),
            ("D", "1e3"),
            ("E", "true"),
            ("F", "false"),
            ("G", ""),
            ("H", "é\n"),
        ])
    );
    assert_eq!(parse(Format::Json, "{}").expect("parse"), SecretMap::new());
}

#[test]
fn json_refuses_non_scalars_naming_the_key_only() {
    for (input, key) in [
        (r#"{"A": null}"#, "A"),
        (r#"{"A": "ok", "LIST": ["secret-1"]}"#, "LIST"),
        (r#"{"OBJ": {"k": "secret-1"}}"#, "OBJ"),
    ] {
        let message = doc_err(Format::Json, input);
        assert!(message.starts_with(&format!("{key}: ")), "{message}");
        assert!(!message.contains("secret-1"), "{message}");
    }
}

#[test]
fn json_document_errors() {
    assert!(doc_err(Format::Json, r#"["secret-1"]"#).contains("JSON object"));
    assert!(doc_err(Format::Json, r#""secret-1""#).contains("JSON object"));
    let message = doc_err(Format::Json, "{\"A\": \"secret-1\",\n");
    assert!(message.contains("line 2"), "{message}");
    assert!(!message.contains("secret-1"), "{message}");
    assert_eq!(
        doc_err(Format::Json, r#"{"A": "1", "A": "2"}"#),
        "duplicate key A"
    );
    let err = parse(Format::Json, r#"{"1BAD": "secret-1"}"#).expect_err("bad key");
    assert!(matches!(err, ParseError::Key(_)));
    assert!(!err.to_string().contains("secret-1"));
}

#[test]
fn json_render_is_pretty_and_sorted() {
    let m = map(&[("B", "2"), ("A", "line\n\"q\"\u{1}")]);
    let out = render(Format::Json, &m).expect("render");
    assert_eq!(
        out,
        "{\n  \"A\": \"line\\n\\\"q\\\"\\u0001\",\n  \"B\": \"2\"\n}\n"
    );
    assert_eq!(
        render(Format::Json, &SecretMap::new()).expect("render"),
        "{}\n"
    );
}

#[test]
fn yaml_scalars_keep_their_source_text() {
    let input = "A: plain text\nB: 0123\nC: 1.50\nD: true\nE: 'single ''quoted'''\nF: \"double\\tquoted\"\nG: |\n  line1\n  line2\nH: ''\nI: 1e3\nJ: True\n";
    assert_eq!(
        parse(Format::Yaml, input).expect("parse"),
        map(&[
            ("A", "plain text"),
            ("B", "0123"),
            ("C", "1.50"),
            ("D", "true"),
            ("E", "single 'quoted'"),
            ("F", "double\tquoted"),
            ("G", "line1\nline2\n"),
            ("H", ""),
            ("I", "1e3"),
            ("J", "True"),
        ])
    );
    assert_eq!(parse(Format::Yaml, "").expect("parse"), SecretMap::new());
    assert_eq!(parse(Format::Yaml, "{}").expect("parse"), SecretMap::new());
}

#[test]
fn yaml_refuses_non_scalars_naming_the_key_only() {
    for (input, key) in [
        ("A:\n", "A"),
        ("A: ~\n", "A"),
        ("A: ok\nLIST:\n  - secret-1\n", "LIST"),
        ("MAP:\n  k: secret-1\n", "MAP"),
    ] {
        let message = doc_err(Format::Yaml, input);
        assert!(message.starts_with(&format!("{key}: ")), "{message}");
        assert!(!message.contains("secret-1"), "{message}");
    }
}

#[test]
fn yaml_document_errors() {
    assert!(doc_err(Format::Yaml, "- secret-1\n").contains("YAML mapping"));
    assert!(doc_err(Format::Yaml, "secret-1\n").contains("YAML mapping"));
    let message = doc_err(Format::Yaml, "A: x\nB: \"secret-1\n");
    assert!(message.contains("invalid YAML"), "{message}");
    assert!(!message.contains("secret-1"), "{message}");
    assert_eq!(doc_err(Format::Yaml, "A: 1\nA: 2\n"), "duplicate key A");
    let err = parse(Format::Yaml, "1BAD: secret-1\n").expect_err("bad key");
    assert!(matches!(err, ParseError::Key(_)));
    assert!(!err.to_string().contains("secret-1"));
}

#[test]
fn yaml_render_quotes_every_value() {
    let m = map(&[
        ("A", "yes"),
        ("B", "0123"),
        ("C", "multi\nline\u{2028}\u{85}\u{7}"),
        ("on", "x"),
    ]);
    let out = render(Format::Yaml, &m).expect("render");
    assert_eq!(
        out,
        "A: \"yes\"\nB: \"0123\"\nC: \"multi\\nline\\u2028\\x85\\x07\"\n\"on\": \"x\"\n"
    );
    assert_eq!(parse(Format::Yaml, &out).expect("parse"), m);
    assert_eq!(
        render(Format::Yaml, &SecretMap::new()).expect("render"),
        "{}\n"
    );
}
