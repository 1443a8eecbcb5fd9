//! A live server (SQLite) plus a private HOME for driving the CLI.
#![allow(dead_code)]
use crate::common::{Server, heartlock};
use std::io::Write;
use std::process::{Output, Stdio};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct-horse-battery-staple-42!";

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub struct Fixture {
    pub srv: Option<Server>,
    pub url: String,
    /// The server's working folder and database.
    pub srv_dir: TempDir,
    /// HOME and working folder of the CLI.
    pub home: TempDir,
}

impl Fixture {
    pub fn start() -> Fixture {
        Self::start_with(&[])
    }

    /// With more settings for the server.
    pub fn start_with(extra: &[(&str, &str)]) -> Fixture {
        let srv_dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite:///{}", srv_dir.path().join("hl.sqlite3").display());
        let key = heartlock_core::Keyring::generate_key();
        let mut env = vec![
            ("DATABASE_URL", db.as_str()),
            ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
            // Plain HTTP on loopback: no redirect to HTTPS.
            ("SECURE_SSL_REDIRECT", "false"),
        ];
        env.extend_from_slice(extra);
        let srv = Server::start(srv_dir.path(), &env);
        let url = format!("http://{}", srv.addr);
        Fixture {
            srv: Some(srv),
            url,
            srv_dir,
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// Stops the server (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        if let Some(srv) = self.srv.take() {
            let (status, log) = srv.terminate();
            assert!(status.success(), "{log}");
        }
    }

    /// Runs the CLI in HOME with `env` and `stdin`.
    pub fn cli_in(&self, env: &[(&str, &str)], args: &[&str], stdin: &[u8]) -> Output {
        let mut cmd = heartlock(self.home.path(), env);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn heartlock");
        let mut input = child.stdin.take().unwrap();
        let bytes = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(&bytes);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    }

    pub fn cli(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        self.cli_in(env, args, b"")
    }

    /// Runs the CLI and expects success; returns stdout.
    pub fn ok(&self, env: &[(&str, &str)], args: &[&str]) -> String {
        let out = self.cli(env, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "heartlock {args:?} failed: {}\nserver log:\n{}",
            text(&out.stderr),
            self.srv.as_ref().map(|s| s.log_text()).unwrap_or_default()
        );
        text(&out.stdout)
    }

    /// Creates an account through the HTTP API (the CLI has no register).
    pub fn register(&self, email: &str) {
        let url = format!("{}/api/v1/auth/register", self.url);
        let body = serde_json::json!({ "email": email, "password": PASSWORD });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let status = rt.block_on(async {
            reqwest::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status.as_u16(), 201);
    }

    /// Registers, logs in, creates project `demo` (dev, prod) and writes
    /// `.heartlock.toml` for demo/dev.
    pub fn with_project() -> Fixture {
        let fx = Fixture::start();
        fx.register("alice@example.com");
        let out = fx.cli_in(
            &[],
            &[
                "login",
                "--server",
                &fx.url,
                "--email",
                "alice@example.com",
                "--password-stdin",
            ],
            format!("{PASSWORD}\n").as_bytes(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        fx.ok(
            &[],
            &[
                "projects", "create", "demo", "--env", "dev", "--env", "prod",
            ],
        );
        fx.ok(&[], &["setup", "--no-input", "-p", "demo", "-e", "dev"]);
        fx
    }

    /// A read-only service token for demo/dev.
    pub fn token(&self) -> String {
        let out = self.cli(&[], &["tokens", "create", "ci", "--env", "dev"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("will not be shown again"));
        text(&out.stdout).trim().to_string()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(mut srv) = self.srv.take() {
            let _ = srv.child.kill();
            let _ = srv.child.wait();
        }
    }
}
