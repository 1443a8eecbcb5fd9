//! A real push service for tests: scripts/peers/push_receiver.py, which
//! decrypts pushes like a browser (http_ece) and checks their VAPID token.
#![allow(dead_code)]
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scripts/peers/{name}"))
}

/// A running receiver on a free port.
pub struct Receiver {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// A browser subscription the receiver made: its endpoint and keys.
#[derive(Debug, Clone)]
pub struct Sub {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl Sub {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "endpoint": self.endpoint,
            "keys": { "p256dh": self.p256dh, "auth": self.auth },
        })
    }
}

impl Receiver {
    pub fn start() -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let port = super::smtp::free_port();
        let mut child = Command::new("python3")
            .arg(script("push_receiver.py"))
            .args(["--port", &port.to_string()])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start push_receiver.py (pip install http_ece cryptography)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("ready"),
            "receiver did not start: {line:?}"
        );
        Receiver { child, port, dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A new browser subscription called `name`.
    pub async fn subscription(&self, name: &str) -> Sub {
        let v: serde_json::Value = reqwest::get(self.url(&format!("/new/{name}")))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Sub {
            endpoint: v["endpoint"].as_str().unwrap().into(),
            p256dh: v["keys"]["p256dh"].as_str().unwrap().into(),
            auth: v["keys"]["auth"].as_str().unwrap().into(),
        }
    }

    /// Makes later pushes to `name` answer `code` (0: handle normally).
    pub async fn answer(&self, name: &str, code: u16) {
        let r = reqwest::Client::new()
            .post(self.url(&format!("/control/answer/{name}/{code}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }

    /// What arrived, in order.
    pub fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("received.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits until at least `n` pushes arrived.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} push(es) arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pair printed by the seed's generator (scripts/peers/gen_vapid.py):
/// (public, private), both padded base64url.
pub fn seed_generated_pair() -> (String, String) {
    let out = Command::new("python3")
        .arg(script("gen_vapid.py"))
        .output()
        .expect("run gen_vapid.py");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_string()
    };
    assert_eq!(text.lines().count(), 3, "{text}");
    (value("VAPID_PUBLIC_KEY"), value("VAPID_PRIVATE_KEY"))
}
