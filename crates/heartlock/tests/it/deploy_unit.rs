//! The deployment files. deploy/heartlock.service: `systemd-analyze verify`
//! accepts it (with its ExecStart paths pointed at this build's binary,
//! since verify checks that they exist), and `systemd-analyze security
//! --offline` rates its sandbox "OK" or better (both ship with Debian's
//! systemd package, which scripts/install-test-deps.sh installs).
//! `.env.prod.example` and `.env.qa.example`: as shipped (placeholders) the
//! deploy check refuses them; filled in, it finds nothing at all.
use crate::common::bin;
use std::process::Command;

const UNIT: &str = include_str!("../../../../deploy/heartlock.service");
const ENV_EXAMPLES: [(&str, &str); 2] = [
    ("prod", include_str!("../../../../.env.prod.example")),
    ("qa", include_str!("../../../../.env.qa.example")),
];

/// `heartlock check --deploy` with only `.env.<app_env>` (in a fresh
/// folder) and APP_ENV: (success, stdout + stderr).
fn deploy_check(app_env: &str, file: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(format!(".env.{app_env}")), file).unwrap();
    let out = Command::new(bin())
        .args(["check", "--deploy"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_ENV", app_env)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_env_examples_are_refused_as_shipped_and_clean_once_filled() {
    for (app_env, example) in ENV_EXAMPLES {
        assert!(example.contains("CHANGE_ME"));
        let (ok, text) = deploy_check(app_env, example);
        assert!(!ok, "{app_env}: placeholders must not pass: {text}");
        let filled: String = example
            .lines()
            .map(|line| {
                let value = if line.starts_with("HEARTLOCK_ENCRYPTION_KEY=") {
                    heartlock_core::Keyring::generate_key()
                } else {
                    // Long enough for every secret, safe inside a URL.
                    heartlock_core::token::random_token("").replace(['-', '_'], "x")
                };
                format!("{}\n", line.replace("CHANGE_ME", &value))
            })
            .collect();
        let (ok, text) = deploy_check(app_env, &filled);
        assert!(
            ok,
            "{app_env}: the filled example fails the deploy check: {text}"
        );
        assert!(
            !text.contains("heartlock.W"),
            "{app_env}: the filled example has findings: {text}"
        );
    }
}

#[test]
fn the_systemd_unit_verifies_and_is_sandboxed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heartlock.service");
    let unit = UNIT.replace("/usr/local/bin/heartlock", &bin().display().to_string());
    assert_ne!(unit, UNIT, "the unit names /usr/local/bin/heartlock");
    std::fs::write(&path, unit).unwrap();

    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian package systemd) is installed");
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "verify failed: {stderr}");
    assert!(
        !stderr.contains("heartlock.service"),
        "verify warns about the unit: {stderr}"
    );

    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&security.stdout);
    let level: f64 = out
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for heartlock.service:")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {out}"));
    // systemd calls 0–2 "OK" (and lower is safer); 10 is no sandbox at all.
    assert!(level <= 2.0, "exposure {level}:\n{out}");
    for setting in [
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=",
        "EnvironmentFile=",
        "CapabilityBoundingSet=",
    ] {
        assert!(UNIT.contains(setting), "the unit sets {setting}");
    }
}
