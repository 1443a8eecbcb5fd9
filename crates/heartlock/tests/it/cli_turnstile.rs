//! `heartlock login` against a server that requires Cloudflare Turnstile on
//! sign-in: a readable way out instead of a bare validation error.
use crate::cli_support::{Fixture, PASSWORD, text};

#[test]
fn password_login_points_to_sso_and_service_tokens() {
    let fx = Fixture::start_with(&[
        ("TURNSTILE_ENABLED", "true"),
        ("TURNSTILE_SITE_KEY", "1x00000000000000000000AA"),
        (
            "TURNSTILE_SECRET_KEY",
            "1x0000000000000000000000000000000AA",
        ),
        ("TURNSTILE_REQUIRE_ON_LOGIN", "true"),
        ("TURNSTILE_REQUIRE_ON_REGISTER", "false"),
        // Never reached: a missing token is refused before any network call.
        ("TURNSTILE_VERIFY_URL", "http://127.0.0.1:9/siteverify"),
    ]);
    fx.register("human@example.com");
    let out = fx.cli_in(
        &[],
        &[
            "login",
            "--server",
            &fx.url,
            "--email",
            "human@example.com",
            "--password-stdin",
        ],
        format!("{PASSWORD}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("Turnstile"), "{err}");
    assert!(err.contains("--sso"), "{err}");
    assert!(err.contains("HEARTLOCK_TOKEN"), "{err}");
    assert!(!err.contains(PASSWORD));
}
