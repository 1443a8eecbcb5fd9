//! deploy/heartlock.service: `systemd-analyze verify` accepts it (with its
//! ExecStart paths pointed at this build's binary, since verify checks that
//! they exist), and `systemd-analyze security --offline` rates its sandbox
//! "OK" or better. Both ship with Debian's systemd package, which
//! scripts/install-test-deps.sh installs.
use crate::common::bin;
use std::process::Command;

const UNIT: &str = include_str!("../../../../deploy/heartlock.service");

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
