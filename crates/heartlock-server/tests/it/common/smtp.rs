//! A real SMTP relay for tests: scripts/peers/smtp_capture.py (aiosmtpd),
//! with STARTTLS under a certificate of a test CA made by the openssl CLI.
//! Also used by the heartlock binary's tests (included by path).
#![allow(dead_code)]
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "relay-user";
pub const PASSWORD: &str = "relay-pass-7f3a9c";

/// A test CA and a leaf certificate for 127.0.0.1 and localhost.
pub struct Certs {
    _dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// rustls refuses a self-signed certificate as the server's own, so: a CA,
/// and a leaf it signed.
pub fn certs() -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Heartlock Test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    Certs {
        ca: d.join("ca.pem"),
        cert: d.join("leaf.pem"),
        key: d.join("leaf.key"),
        _dir: dir,
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/smtp_capture.py")
}

/// A running capture relay; messages land in `out`.
pub struct Relay {
    child: Child,
    pub port: u16,
    pub out: PathBuf,
}

impl Relay {
    /// STARTTLS with `certs` (when given) and AUTH as [`USER`]/[`PASSWORD`].
    pub fn start(port: u16, out: &Path, certs: Option<&Certs>) -> Relay {
        let mut cmd = Command::new("python3");
        cmd.arg(script())
            .args(["--port", &port.to_string()])
            .arg("--out")
            .arg(out)
            .args(["--auth", &format!("{USER}:{PASSWORD}")]);
        if let Some(c) = certs {
            cmd.arg("--tls").arg(&c.cert).arg(&c.key);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start smtp_capture.py (pip install aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "relay did not start: {line:?}");
        Relay {
            child,
            port,
            out: out.to_path_buf(),
        }
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the relay received (index.jsonl), in arrival order.
pub fn received(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("index.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Waits until at least `n` messages arrived.
pub async fn wait_for(out: &Path, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let got = received(out);
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} message(s) arrived",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
