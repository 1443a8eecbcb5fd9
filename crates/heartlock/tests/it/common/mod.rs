//! Runs the real `heartlock` binary with a controlled environment.
#![allow(dead_code)]
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_heartlock"))
}

/// A command with an empty environment (plus PATH/HOME) in `cwd`.
pub fn heartlock(cwd: &Path, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(cwd).env_clear();
    c.env("PATH", std::env::var("PATH").unwrap_or_default());
    c.env("HOME", cwd);
    c.env("RUST_LOG", "info");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

pub fn run(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    heartlock(cwd, env)
        .args(args)
        .output()
        .expect("run heartlock")
}

/// A running `heartlock serve`, its stderr collected line by line.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(cwd: &Path, env: &[(&str, &str)]) -> Server {
        // Production (DEBUG off) needs a SECRET_KEY to serve; tests may override it.
        let mut all: HashMap<&str, &str> = HashMap::from([
            ("HEARTLOCK_BIND", "127.0.0.1:0"),
            ("SECRET_KEY", "test-secret-key-5e1f0c9a7b3d2e8f4a6c1b9d"),
        ]);
        all.extend(env.iter().copied());
        let pairs: Vec<(&str, &str)> = all.into_iter().collect();
        let mut child = heartlock(cwd, &pairs)
            .arg("serve")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = log.lock().unwrap().iter().find_map(|l| {
                l.contains("heartlock listening")
                    .then(|| {
                        l.split_whitespace()
                            .find_map(|w| w.strip_prefix("addr="))
                            .map(str::to_string)
                    })
                    .flatten()
            });
            if let Some(addr) = found {
                return Server { child, addr, log };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "server exited with {status}: {}",
                    log.lock().unwrap().join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "server did not start: {}",
                log.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// SIGKILL: no shutdown, no draining, as in a crash.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(50));
                return (status, self.log_text());
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
