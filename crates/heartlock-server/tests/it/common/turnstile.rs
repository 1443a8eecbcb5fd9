//! Cloudflare Turnstile's siteverify for tests: scripts/peers/
//! turnstile_siteverify.py (Python stdlib) on a free port, behaving like
//! Cloudflare with its documented test keys, and recording every request
//! it gets so tests can see what Heartlock sent (remoteip included).
#![allow(dead_code)]
use heartlock_config::{Secret, Settings};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Cloudflare's test keys (developers.cloudflare.com/turnstile/troubleshooting/testing).
pub const SITE_KEY: &str = "1x00000000000000000000AA";
pub const BLOCKING_SITE_KEY: &str = "2x00000000000000000000AB";
pub const PASS_SECRET: &str = "1x0000000000000000000000000000000AA";
pub const FAIL_SECRET: &str = "2x0000000000000000000000000000000AA";
/// What the test site keys' widget yields.
pub const DUMMY_TOKEN: &str = "XXXX.DUMMY.TOKEN.XXXX";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/turnstile_siteverify.py")
}

/// A running fake siteverify; stopped when dropped.
pub struct Siteverify {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Siteverify {
    pub fn start() -> Siteverify {
        Self::start_with_hostname("example.com")
    }

    /// Successful answers name `hostname` (where the widget was solved).
    pub fn start_with_hostname(hostname: &str) -> Siteverify {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let mut child = Command::new("python3")
            .arg(script())
            .args(["--port", "0", "--hostname", hostname])
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start turnstile_siteverify.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("siteverify did not start: {line:?}"));
        Siteverify {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/turnstile/v0/siteverify", self.port)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Siteverify {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Turns Turnstile on with the test site key, `secret`, and siteverify at
/// `url`; the REQUIRE flags keep their defaults (login off, the others on).
pub fn enable(s: &mut Settings, url: &str, secret: &str) {
    s.turnstile.enabled = true;
    s.turnstile.site_key = Some(SITE_KEY.into());
    s.turnstile.secret_key = Some(Secret::new(secret));
    s.turnstile.verify_url = url.into();
}
