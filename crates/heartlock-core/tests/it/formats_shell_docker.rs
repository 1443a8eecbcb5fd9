//! Shell `export` lines (checked against a real /bin/sh) and docker
//! env-files.

use std::path::PathBuf;
use std::process::Command;

use heartlock_core::formats::{Format, ParseError, RenderError, SecretMap, parse, render};

fn map(pairs: &[(&str, &str)]) -> SecretMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const NASTY: &[&str] = &[
    "",
    " leading and trailing ",
    "it's",
    "'",
    "''\\''",
    "\"double\" $HOME `id` $(id) \\ \\n",
    "multi\nline\n",
    "crlf\r\nend\r",
    "tab\there # not a comment",
    "emoji 🔐 ünïcödé",
    "a=b=c; echo pwned",
    "*",
    "-n",
];

/// Sources the rendered file in sh and prints one variable, byte for byte.
fn sh_value(dir: &PathBuf, script: &str, key: &str) -> Vec<u8> {
    std::fs::write(dir.join("secrets.sh"), script).expect("write");
    let output = Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!(". ./secrets.sh; printf %s \"${key}\""))
        .output()
        .expect("run sh");
    assert!(output.status.success(), "{output:?}");
    output.stdout
}

#[test]
fn shell_output_survives_a_real_shell() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("formats_shell");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    for value in NASTY {
        let m = map(&[("A", "before"), ("KEY", value), ("Z", "after")]);
        let script = render(Format::Shell, &m).expect("render");
        assert_eq!(
            sh_value(&dir, &script, "KEY"),
            value.as_bytes(),
            "{value:?}"
        );
        assert_eq!(sh_value(&dir, &script, "Z"), b"after");
        assert_eq!(parse(Format::Shell, &script).expect("parse"), m);
    }
}

#[test]
fn shell_render_format() {
    let out = render(Format::Shell, &map(&[("B", "it's"), ("A", "")])).expect("render");
    assert_eq!(out, "export A=''\nexport B='it'\\''s'\n");
    let err = render(Format::Shell, &map(&[("A", "x\0y")])).expect_err("NUL");
    assert!(matches!(err, RenderError::Unrepresentable { .. }));
}

#[test]
fn shell_parse_accepts_dotenv_syntax_and_concatenation() {
    let input = "export A=plain # c\nB=\"x\\ny\"\nexport C='a'\"b\"\\'c'd'\nD='one\ntwo' # c\n";
    assert_eq!(
        parse(Format::Shell, input).expect("parse"),
        map(&[
            ("A", "plain"),
            ("B", "x\ny"),
            ("C", "ab'cd"),
            ("D", "one\ntwo")
        ])
    );
}

#[test]
fn docker_values_are_literal() {
    let input =
        "# comment\n\n  A=\"quoted\"\nB= spaced \nC=x # not a comment\nD=\nE='single'\r\nF=a=b\n";
    assert_eq!(
        parse(Format::Docker, input).expect("parse"),
        map(&[
            ("A", "\"quoted\""),
            ("B", " spaced "),
            ("C", "x # not a comment"),
            ("D", ""),
            ("E", "'single'"),
            ("F", "a=b"),
        ])
    );
}

#[test]
fn docker_errors_name_lines() {
    let err = parse(Format::Docker, "A=1\nINHERITED\n").expect_err("no value");
    assert_eq!(
        err,
        ParseError::Line {
            line: 2,
            message: "INHERITED has no value".into()
        }
    );
    let shown = parse(Format::Docker, "A=1\nB=2\nsecret text\n")
        .expect_err("no =")
        .to_string();
    assert_eq!(shown, "line 3: expected KEY=VALUE");
    let shown = parse(Format::Docker, "A=1\n1BAD=secret\n")
        .expect_err("bad key")
        .to_string();
    assert!(shown.starts_with("line 2: invalid secret name"), "{shown}");
    assert!(!shown.contains("secret\""), "{shown}");
    assert_eq!(
        parse(Format::Docker, "A=1\nA=2\n").expect_err("dup"),
        ParseError::Duplicate {
            key: "A".into(),
            line: 2
        }
    );
}

#[test]
fn docker_render_refuses_multi_line_values() {
    let m = map(&[("A", "ok"), ("PEM", "-----BEGIN\nsecret-body\n")]);
    let err = render(Format::Docker, &m).expect_err("multi-line");
    assert_eq!(
        err,
        RenderError::Unrepresentable {
            key: "PEM".into(),
            reason: "docker env files cannot hold multi-line values; use --format dotenv or json"
                .into()
        }
    );
    assert!(!err.to_string().contains("secret-body"));
    assert!(render(Format::Docker, &map(&[("A", "x\ry")])).is_err());
    assert_eq!(
        render(Format::Docker, &map(&[("B", " x \"q\" "), ("A", "")])).expect("render"),
        "A=\nB= x \"q\" \n"
    );
}

mod real_shell_property {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            '\'', '"', '\\', '$', '`', '\n', '\r', '\t', ' ', '#', '*', ';', '!', 'é', '🔐',
        ]);
        let mixed = prop_oneof![3 => special, 1 => any::<char>()];
        prop::collection::vec(mixed, 0..24)
            .prop_map(|cs| cs.into_iter().filter(|c| *c != '\0').collect())
    }

    proptest! {
        // Each case spawns a shell, so fewer cases than the pure round trips.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn sh_reads_back_exactly(v in value()) {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("formats_shell_prop");
            std::fs::create_dir_all(&dir).expect("tmp dir");
            let script = render(Format::Shell, &map(&[("KEY", &v)])).expect("render");
            prop_assert_eq!(sh_value(&dir, &script, "KEY"), v.as_bytes().to_vec());
        }
    }
}
