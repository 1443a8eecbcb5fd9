//! Pathological documents are refused before the parser does any work that
//! grows faster than the input (issue: a 160 KB nested YAML body took ~40 s).
use heartlock_core::formats::{Format, parse};
use proptest::prelude::*;

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("A: {}{}\n", open.repeat(depth), close.repeat(depth))
}

#[test]
fn deep_yaml_flow_nesting_is_refused_with_a_clear_message() {
    for (open, close) in [("[", "]"), ("{", "}")] {
        for depth in [33, 1000, 80_000, 1 << 20] {
            let err = parse(Format::Yaml, &nested(open, close, depth))
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
