//! dotenv parsing and rendering: the grammar cases and the error contract
//! (right line number, never the value).

use heartlock_core::formats::{Format, ParseError, RenderError, SecretMap, parse, render};

fn dotenv(input: &str) -> SecretMap {
    parse(Format::Dotenv, input).expect("should parse")
}

fn dotenv_err(input: &str) -> ParseError {
    parse(Format::Dotenv, input).expect_err("should fail")
}

fn map(pairs: &[(&str, &str)]) -> SecretMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn plain_values_comments_and_blank_lines() {
    let input = "# a comment\n\n   # indented comment\nA=1\nB = two words \nC=x # inline\nD=x#not-a-comment\nE= #only comment\n";
    assert_eq!(
        dotenv(input),
        map(&[
            ("A", "1"),
            ("B", "two words"),
            ("C", "x"),
            ("D", "x#not-a-comment"),
            ("E", ""),
        ])
    );
}

#[test]
fn export_prefix_and_spaces_around_equals() {
    let input = "export A=1\nexport\tB  =  2\n  C= 3\nexport=4\nexportD=5\n";
    assert_eq!(
        dotenv(input),
        map(&[
            ("A", "1"),
            ("B", "2"),
            ("C", "3"),
            ("export", "4"),
            ("exportD", "5")
        ])
    );
}

#[test]
fn empty_values() {
    assert_eq!(
        dotenv("A=\nB=\"\"\nC=''\nD=   \n"),
        map(&[("A", ""), ("B", ""), ("C", ""), ("D", "")])
    );
}

#[test]
fn single_quotes_are_literal() {
    let input = r#"A='a "b" \n $HOME # not a comment'  # comment
"#;
    assert_eq!(
        dotenv(input),
        map(&[("A", r#"a "b" \n $HOME # not a comment"#)])
    );
}

#[test]
fn double_quote_escapes() {
    let input = r#"A="tab\there\nnew \"q\" back\\slash \$HOME \x \'"
"#;
    assert_eq!(
        dotenv(input),
        map(&[("A", "tab\there\nnew \"q\" back\\slash $HOME \\x \\'")])
    );
    assert_eq!(dotenv("A=\"cr\\r\"\n"), map(&[("A", "cr\r")]));
    assert_eq!(dotenv("A=\"a # b\" # c\n"), map(&[("A", "a # b")]));
}

#[test]
fn multi_line_values_in_both_quote_styles() {
    let input = "A='line1\nline2\n'\nB=\"x\ny\" # after\nC=after\n";
    assert_eq!(
        dotenv(input),
        map(&[("A", "line1\nline2\n"), ("B", "x\ny"), ("C", "after")])
    );
}

#[test]
fn line_numbers_continue_after_multi_line_values() {
    let err = dotenv_err("A='1\n2\n3'\nB=ok\nNOT VALID\n");
    assert_eq!(
        err,
        ParseError::Line {
            line: 5,
            message: "expected KEY=VALUE".into()
        }
    );
}

#[test]
fn crlf_input() {
    let input = "# c\r\nA=1\r\n\r\nB=\"two\"\r\nC='x' \r\nD=y # z\r\n";
    assert_eq!(
        dotenv(input),
        map(&[("A", "1"), ("B", "two"), ("C", "x"), ("D", "y")])
    );
    // Inside quotes every character is kept, CR included.
    assert_eq!(dotenv("A='a\r\nb'\r\n"), map(&[("A", "a\r\nb")]));
}

#[test]
fn byte_order_mark_is_ignored() {
    assert_eq!(dotenv("\u{feff}A=1\n"), map(&[("A", "1")]));
}

#[test]
fn no_trailing_newline_and_empty_input() {
    assert_eq!(dotenv("A=1"), map(&[("A", "1")]));
    assert_eq!(dotenv(""), SecretMap::new());
    assert_eq!(dotenv("\n\n# only comments\n"), SecretMap::new());
}

#[test]
fn line_without_equals_names_the_line_not_the_text() {
    let err = dotenv_err("A=1\nB=2\nNOT VALID\n");
    let shown = err.to_string();
    assert!(shown.contains("line 3"), "{shown}");
    assert!(!shown.contains("NOT VALID"), "{shown}");
}

#[test]
fn bad_key_names_the_line() {
    let err = dotenv_err("A=1\nB=2\nC=3\n1BAD=x\n");
    let shown = err.to_string();
    assert!(shown.starts_with("line 4: invalid secret name"), "{shown}");
    // The "key" of a malformed line could be part of a secret; not shown.
    assert!(!shown.contains("1BAD"), "{shown}");
    assert!(dotenv_err("=x\n").to_string().starts_with("line 1:"));
    assert!(dotenv_err("A B=x\n").to_string().starts_with("line 1:"));
}

#[test]
fn unterminated_quotes_name_the_opening_line_and_not_the_value() {
    for input in [
        "A=1\nSECRET=\"hunter2-top-secret\nmore\n",
        "A=1\nSECRET='hunter2-top-secret\nmore\n",
        "A=1\nSECRET=\"hunter2-top-secret\\",
    ] {
        let shown = dotenv_err(input).to_string();
        assert!(shown.starts_with("line 2: unterminated"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn text_after_closing_quote_is_an_error() {
    let err = dotenv_err("A=1\nB=\"x\ny\"trailing-secret\n");
    let shown = err.to_string();
    assert!(shown.starts_with("line 3:"), "{shown}");
    assert!(!shown.contains("trailing-secret"), "{shown}");
    // The shell-style concatenation is not dotenv syntax.
    assert!(parse(Format::Dotenv, "A='a'\\''b'\n").is_err());
}

#[test]
fn duplicate_keys_fail_the_whole_parse() {
    let err = dotenv_err("A=1\nB=2\nA=3\n");
    assert_eq!(
        err,
        ParseError::Duplicate {
            key: "A".into(),
            line: 3
        }
    );
    assert_eq!(err.to_string(), "duplicate key A (line 3)");
}

#[test]
fn nul_is_refused_both_ways() {
    let shown = dotenv_err("A=\"x\0secret\"\n").to_string();
    assert!(shown.starts_with("line 1:"), "{shown}");
    assert!(!shown.contains("secret"), "{shown}");
    let err = render(Format::Dotenv, &map(&[("A", "x\0y")])).expect_err("NUL");
    assert!(matches!(err, RenderError::Unrepresentable { ref key, .. } if key == "A"));
    assert!(!err.to_string().contains("x\0y"));
}

#[test]
fn render_is_sorted_bare_or_double_quoted() {
    let m = map(&[
        ("Z", "plain-value_1.2/3:4@5+6,7"),
        ("A", ""),
        ("M", "has space"),
        ("B", "q\"\\$\n\r\t'#="),
    ]);
    let out = render(Format::Dotenv, &m).expect("render");
    assert_eq!(
        out,
        "A=\"\"\nB=\"q\\\"\\\\\\$\\n\\r\\t'#=\"\nM=\"has space\"\nZ=plain-value_1.2/3:4@5+6,7\n"
    );
    assert_eq!(dotenv(&out), m);
}

#[test]
fn render_refuses_invalid_keys() {
    let err = render(Format::Dotenv, &map(&[("BAD KEY", "v")])).expect_err("bad key");
    assert!(matches!(err, RenderError::Unrepresentable { ref key, .. } if key == "BAD KEY"));
}
