//! Property tests: `parse(f, render(f, m)) == m` for every format, with keys
//! from the name grammar and values full of characters that need quoting.

use heartlock_core::formats::{Format, RenderError, SecretMap, parse, render};
use proptest::prelude::*;

const SPECIAL: &[char] = &[
    '"', '\'', '#', '=', ' ', '\\', '\n', '\r', '\t', '$', '`', '!', '*', ';', '\0', 'a', 'Z', '0',
    '-', '.', ':', 'é', '€', '🔐', '\u{85}', '\u{a0}', '\u{2028}', '\u{2029}', '\u{feff}',
    '\u{7f}', '\u{1b}', '\u{fffd}', '\u{ffff}',
];

fn key() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,20}"
}

fn value() -> impl Strategy<Value = String> {
    let special = prop::sample::select(SPECIAL);
    let mixed = prop_oneof![3 => special, 1 => any::<char>()];
    prop_oneof![
        any::<String>(),
        "\\PC*",
        prop::collection::vec(mixed, 0..32).prop_map(|cs| cs.into_iter().collect::<String>()),
        Just(String::new()),
    ]
}

fn secrets(value: impl Strategy<Value = String>) -> impl Strategy<Value = SecretMap> {
    prop::collection::btree_map(key(), value, 0..8)
}

/// Line formats refuse NUL (environment variables cannot hold it).
fn env_value() -> impl Strategy<Value = String> {
    value().prop_map(|v| v.replace('\0', ""))
}

fn round_trip(format: Format, m: &SecretMap) -> Result<(), TestCaseError> {
    let text = render(format, m).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back = parse(format, &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&back, m, "rendered:\n{}", text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn dotenv_round_trips(m in secrets(env_value())) {
        round_trip(Format::Dotenv, &m)?;
    }

    #[test]
    fn shell_round_trips(m in secrets(env_value())) {
        round_trip(Format::Shell, &m)?;
    }

    #[test]
    fn json_round_trips(m in secrets(value())) {
        round_trip(Format::Json, &m)?;
    }

    #[test]
    fn yaml_round_trips(m in secrets(value())) {
        round_trip(Format::Yaml, &m)?;
    }

    #[test]
    fn docker_round_trips_single_line_values(
        m in secrets(env_value().prop_map(|v| v.replace(['\n', '\r'], "")))
    ) {
        round_trip(Format::Docker, &m)?;
    }

    #[test]
    fn docker_refuses_multi_line_values(
        mut m in secrets(env_value()),
        k in key(),
        (a, b) in (env_value(), env_value()),
        sep in prop::sample::select(vec!["\n", "\r", "\r\n"]),
    ) {
        m.insert(k.clone(), format!("{a}{sep}{b}"));
        let refused = matches!(
            render(Format::Docker, &m),
            Err(RenderError::Unrepresentable { .. })
        );
        prop_assert!(refused);
    }

    #[test]
    fn nul_is_refused_by_line_formats(k in key(), a in env_value(), b in env_value()) {
        let m = SecretMap::from([(k, format!("{a}\0{b}"))]);
        for format in [Format::Dotenv, Format::Shell, Format::Docker] {
            prop_assert!(render(format, &m).is_err());
        }
    }
}
