//! YAML tags, anchors and aliases are refused where they occur, with the
//! line, never silently dropped or expanded; look-alikes inside values are
//! text.

use heartlock_core::formats::{Format, ParseError, SecretMap, parse};

fn refused(input: &str) -> (&'static str, usize) {
    match parse(Format::Yaml, input) {
        Err(ParseError::Unsupported { what, line }) => (what, line),
        other => panic!("{input:?}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn every_kind_of_tag_is_refused_with_its_line() {
    for (input, line) in [
        ("A: !!binary aGVsbG8=\n", 1),
        ("A: !!python/object:os.system x\n", 1),
        ("A: !!python/object/apply:os.system [\"x\"]\n", 1),
        ("A: !!str 0123\n", 1),
        ("A: !!int 12\n", 1),
        ("A: !custom secret-1\n", 1),
        ("A: !<tag:example.com,2000:x> x\n", 1),
        ("A: ! x\n", 1),
        ("A: ok\nB: ok\nC: !!binary eA==\n", 3),
        ("A: ok\nB: !!str \"quoted\"\n", 2),
        ("A: !!seq [x]\n", 1),
        ("A: !!map {k: v}\n", 1),
        ("!!str A: x\n", 1),
        ("--- !!map\nA: x\n", 2),
        ("--- !!str\nsecret-1\n", 2),
        ("%TAG !e! tag:example.com,2000:\n---\nA: !e!x y\n", 3),
    ] {
        assert_eq!(refused(input), ("YAML tags", line), "{input:?}");
    }
    // A tag on an empty value is reported where the (empty) value ends.
    assert_eq!(refused("A: !!str\n").0, "YAML tags");
}

#[test]
fn anchors_and_aliases_are_refused_with_their_line() {
    for (input, what, line) in [
        ("A: &a x\nB: *a\n", "YAML anchors", 1),
        ("A: x\nB: &b [1, 2]\n", "YAML anchors", 2),
        ("&k A: x\n", "YAML anchors", 1),
        ("--- &m\nA: x\n", "YAML anchors", 2),
        ("A: &a !!str x\n", "YAML tags", 1),
        ("A: *a\n", "YAML aliases", 1),
        ("A: x\n*a : y\n", "YAML aliases", 2),
        ("base: &base {A: x}\n<<: *base\n", "YAML anchors", 1),
    ] {
        assert_eq!(refused(input), (what, line), "{input:?}");
    }
}

#[test]
fn a_billion_laughs_is_refused_at_its_first_anchor() {
    let mut doc = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        doc.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    assert_eq!(refused(&doc), ("YAML anchors", 1));
}

#[test]
fn messages_name_the_feature_and_line_only() {
    let err = parse(Format::Yaml, "A: ok\nB: !custom secret-1\n").unwrap_err();
    assert_eq!(err.to_string(), "YAML tags are not supported (line 2)");
    let err = parse(Format::Yaml, "A: &anchor secret-1\n").unwrap_err();
    assert_eq!(err.to_string(), "YAML anchors are not supported (line 1)");
    let err = parse(Format::Yaml, "A: *secret\n").unwrap_err();
    assert_eq!(err.to_string(), "YAML aliases are not supported (line 1)");
}

#[test]
fn look_alikes_inside_values_are_text() {
    let doc = "A: \"!!binary aGVsbG8=\"\n\
               B: '&a *a !x'\n\
               C: x!y &z *w\n\
               D: |\n  !not a tag\n  &nor *this\n\
               E: pa$$w0rd!&*\n\
               F: a # &comment *alias !tag\n";
    let map = parse(Format::Yaml, doc).unwrap();
    let expected: SecretMap = [
        ("A", "!!binary aGVsbG8="),
        ("B", "&a *a !x"),
        ("C", "x!y &z *w"),
        ("D", "!not a tag\n&nor *this\n"),
        ("E", "pa$$w0rd!&*"),
        ("F", "a"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(map, expected);
}

#[test]
fn a_tag_directive_alone_changes_nothing() {
    let map = parse(Format::Yaml, "%TAG !e! tag:example.com,2000:\n---\nA: x\n").unwrap();
    assert_eq!(map["A"], "x");
}

#[test]
fn documents_empty_single_and_several() {
    for empty in ["", "---\n", "# only a comment\n", "~\n", "{}\n", "\u{feff}"] {
        assert_eq!(
            parse(Format::Yaml, empty).unwrap(),
            SecretMap::new(),
            "{empty:?}"
        );
    }
    assert_eq!(
        parse(Format::Yaml, "\u{feff}A: x\r\nB: y\r\n")
            .unwrap()
            .len(),
        2
    );
    let err = parse(Format::Yaml, "A: x\n---\nB: y\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("more than one YAML document (line 2)"),
        "{err}"
    );
}
