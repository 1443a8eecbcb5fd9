//! `export --format dotenv` then `import` keeps every value exactly, through
//! the real binary and server (a property test over awkward values).
use crate::cli_support::{Fixture, text};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;

/// Characters that dotenv quoting must survive.
const AWKWARD: &[char] = &[
    'a', 'Z', '0', ' ', '"', '\'', '#', '=', '\\', '$', '`', '\n', '\t', '\r', '{', '}', ':', 'é',
    'ü', '✓', '😀', '\u{a0}',
];

fn value() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(AWKWARD), 0..24)
        .prop_map(|chars| chars.into_iter().collect())
}

#[test]
fn dotenv_export_then_import_round_trips_values() {
    let fx = Fixture::with_project();
    let dir = fx.home.path();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec(value(), 3);
    runner
        .run(&strategy, |values| {
            let map: BTreeMap<String, String> = values
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("K{i}"), v))
                .collect();
            let seed = dir.join("seed.json");
            std::fs::write(&seed, serde_json::to_string(&map).unwrap()).unwrap();
            fx.ok(&[], &["import", seed.to_str().unwrap(), "-e", "dev"]);
            fx.ok(
                &[],
                &["export", "--format", "dotenv", "-e", "dev", "-o", "out.env"],
            );
            fx.ok(&[], &["import", "out.env", "-e", "prod"]);
            let out = fx.ok(&[], &["export", "--format", "json", "-e", "prod"]);
            let back: BTreeMap<String, String> = serde_json::from_str(&out).unwrap();
            prop_assert_eq!(&back, &map);
            Ok(())
        })
        .unwrap();

    // The other formats render too; docker refuses multi-line values clearly.
    fx.ok(&[], &["secrets", "set", "ONE=line"]);
    for format in ["yaml", "shell", "json", "dotenv"] {
        fx.ok(&[], &["export", "--format", format, "-e", "dev"]);
    }
    fx.ok(&[], &["secrets", "set", "K0=two\nlines"]);
    let out = fx.cli(&[], &["export", "--format", "docker", "-e", "dev"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("K0") && !err.contains("two\nlines"), "{err}");

    // A bad line imports nothing.
    std::fs::write(
        dir.join("bad.env"),
        "NEW_A=1\nthis is not a pair\nNEW_B=2\n",
    )
    .unwrap();
    let out = fx.cli(&[], &["import", "bad.env"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        fx.cli(&[], &["secrets", "get", "NEW_A"]).status.code(),
        Some(1)
    );
}
