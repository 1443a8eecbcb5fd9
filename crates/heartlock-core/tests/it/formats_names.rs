//! Secret names and the `Format` helpers.

use heartlock_core::formats::{Format, KeyError, MAX_KEY_LEN, validate_key};

#[test]
fn valid_names() {
    for name in ["A", "_", "_a1", "DATABASE_URL", "lower_case", "x9"] {
        assert_eq!(validate_key(name), Ok(()), "{name}");
    }
    assert_eq!(validate_key(&"A".repeat(MAX_KEY_LEN)), Ok(()));
}

#[test]
fn invalid_names() {
    assert_eq!(validate_key(""), Err(KeyError::Empty));
    for name in ["1ABC", "A-B", "A B", "A=B", "É", "A.B", " A", "A\n"] {
        assert!(
            matches!(validate_key(name), Err(KeyError::InvalidChars { .. })),
            "{name:?}"
        );
    }
    assert!(matches!(
        validate_key(&"A".repeat(MAX_KEY_LEN + 1)),
        Err(KeyError::TooLong { .. })
    ));
}

#[test]
fn key_error_display() {
    let err = validate_key("1ABC").expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "invalid secret name \"1ABC\": must start with a letter or underscore and contain only letters, digits and underscores"
    );
    assert_eq!(
        err.reason(),
        "must start with a letter or underscore and contain only letters, digits and underscores"
    );
    // Long names are shortened in messages.
    let long = validate_key(&format!("-{}", "x".repeat(1000))).expect_err("invalid");
    assert!(long.to_string().len() < 200);
}

#[test]
fn format_names() {
    for (name, format) in [
        ("dotenv", Format::Dotenv),
        ("env", Format::Dotenv),
        ("json", Format::Json),
        ("yaml", Format::Yaml),
        ("yml", Format::Yaml),
        ("shell", Format::Shell),
        ("sh", Format::Shell),
        ("docker", Format::Docker),
        ("JSON", Format::Json),
    ] {
        assert_eq!(Format::parse_name(name), Some(format), "{name}");
    }
    assert_eq!(Format::parse_name("toml"), None);
    for format in Format::ALL {
        assert_eq!(Format::parse_name(format.as_str()), Some(format));
        assert_eq!(format.to_string(), format.as_str());
    }
    assert_eq!(Format::Json.content_type(), "application/json");
    assert_eq!(Format::Yaml.content_type(), "application/yaml");
    for format in [Format::Dotenv, Format::Shell, Format::Docker] {
        assert_eq!(format.content_type(), "text/plain; charset=utf-8");
    }
}
