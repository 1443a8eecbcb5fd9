//! The container image, run for real with Debian's podman (and runc: crun
//! fails on these machines' hybrid cgroups). No image registry is reachable
//! here, so the image is the shipped Dockerfile's `runtime` stage with two
//! lines changed: FROM a Debian bookworm minbase made locally with mmdebstrap
//! (cached under the target dir) instead of debian:bookworm-slim, and the
//! binary COPYed from this build instead of the build stage. Every other
//! line (user, volume, healthcheck, stop signal, port) is the shipped one.
use crate::common::bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DOCKERFILE: &str = include_str!("../../../../Dockerfile");
const RUNTIME: &str = "/usr/sbin/runc";
const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "container-test-password-81f3";

fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .args(["--runtime", RUNTIME])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("podman (Debian package podman) is installed")
}

/// Runs podman, asserts success, returns its trimmed stdout.
fn podman_ok(args: &[&str]) -> String {
    let out = podman(args);
    assert!(
        out.status.success(),
        "podman {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The shipped Dockerfile from `FROM … AS runtime` to its end, FROM `base`
/// and with the build stage's binary replaced by `heartlock` in the context.
fn runtime_stage(dockerfile: &str, base: &str) -> String {
    let lines: Vec<&str> = dockerfile.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("FROM ") && l.ends_with(" AS runtime"))
        .expect("the Dockerfile has a `FROM … AS runtime` stage");
    let mut copies = 0;
    let stage: Vec<String> = lines[start..]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("FROM {base}")
            } else if l.starts_with("COPY --from=build ") {
                copies += 1;
                "COPY heartlock /usr/local/bin/heartlock".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_eq!(copies, 1, "one COPY of the binary from the build stage");
    stage.join("\n") + "\n"
}

/// A Debian bookworm minbase root file system, made once per target dir
/// (about a minute; Debian's mirror must be reachable) and reused.
fn base_tarball() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("container-base");
    let tar = dir.join("bookworm-minbase.tar");
    if !tar.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        // Written under a unique name, then renamed: parallel runs never see half a file.
        let part = dir.join(format!("part-{}.tar", std::process::id()));
        let out = Command::new("mmdebstrap")
            .args(["--variant=minbase", "--quiet", "bookworm"])
            .arg(&part)
            .output()
            .expect("mmdebstrap (Debian package mmdebstrap) is installed");
        assert!(
            out.status.success(),
            "mmdebstrap failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&part, &tar).unwrap();
    }
    tar
}

/// Removes what the test made, whether it passed or not.
#[derive(Default)]
struct Cleanup {
    containers: Vec<String>,
    volumes: Vec<String>,
    images: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = podman(&["rm", "--force", "--time", "0", c]);
        }
        for v in &self.volumes {
            let _ = podman(&["volume", "rm", "--force", v]);
        }
        // Newest first (the base has the test image as a child); no
        // --force, which would also remove a parallel run's containers: an
        // image that carries another run's tag is only untagged.
        for i in self.images.iter().rev() {
            let _ = podman(&["rmi", i]);
        }
    }
}

/// Waits until the host reaches /readyz with a 200 (through `heartlock
/// healthcheck`, which exits 0 on 200 only); fails with the container's log.
fn wait_ready(name: &str, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let probe = Command::new(bin())
            .args(["healthcheck", "--url", url])
            .output()
            .unwrap();
        if probe.status.success() {
            return;
        }
        let running = podman_ok(&["inspect", "--format", "{{.State.Running}}", name]);
        if running != "true" || Instant::now() > deadline {
            let logs = podman(&["logs", name]);
            panic!(
                "{name} is not ready (running: {running}): {}{}",
                String::from_utf8_lossy(&logs.stdout),
                String::from_utf8_lossy(&logs.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Signs in through the API from the host: the user is in the database.
async fn sign_in(base: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": EMAIL, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .status()
}

#[test]
fn the_runtime_stage_is_taken_from_the_shipped_dockerfile() {
    let stage = runtime_stage(DOCKERFILE, "localhost/base:test");
    assert!(stage.starts_with("FROM localhost/base:test\n"));
    assert!(!stage.contains("--from=build"));
    for line in [
        "USER 10001:10001",
        "EXPOSE 8082",
        "STOPSIGNAL SIGTERM",
        "VOLUME [\"/var/lib/heartlock\"]",
    ] {
        assert!(stage.lines().any(|l| l == line), "{line} in: {stage}");
    }
    assert!(stage.contains("HEALTHCHECK "), "{stage}");
    // The shipped build stage compiles what the test suite checks.
    assert!(DOCKERFILE.contains("cargo build --release --locked -p heartlock"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runs_non_root_serves_keeps_its_volume_and_stops_on_sigterm() {
    let started = Instant::now();
    let unique = format!(
        "{}-{}",
        std::process::id(),
        &heartlock_core::token::random_token("")[..8].to_lowercase()
    );
    let mut cleanup = Cleanup::default();

    let base = format!("localhost/heartlock-test-base:{unique}");
    cleanup.images.push(base.clone());
    let tar = base_tarball();
    podman_ok(&["import", &tar.display().to_string(), &base]);

    let ctx = tempfile::tempdir().unwrap();
    std::fs::copy(bin(), ctx.path().join("heartlock")).unwrap();
    std::fs::write(
        ctx.path().join("Containerfile"),
        runtime_stage(DOCKERFILE, &base),
    )
    .unwrap();
    let image = format!("localhost/heartlock-test:{unique}");
    cleanup.images.push(image.clone());
    // Docker format: the OCI format has no HEALTHCHECK.
    podman_ok(&[
        "build",
        "--quiet",
        "--format",
        "docker",
        "--tag",
        &image,
        &ctx.path().display().to_string(),
    ]);

    let user = podman_ok(&["image", "inspect", "--format", "{{.Config.User}}", &image]);
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        !uid.is_empty() && uid != "0" && uid != "root",
        "image user {user:?}"
    );

    let name = format!("heartlock-test-{unique}");
    let volume = format!("heartlock-test-data-{unique}");
    cleanup.containers.push(name.clone());
    cleanup.volumes.push(volume.clone());
    let key = String::from_utf8(Command::new(bin()).arg("gen-key").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let secret_key = heartlock_core::token::random_token("");
    let jwt_key = heartlock_core::token::random_token("");
    // Production settings (DEBUG off); only the TLS redirect is off, the
    // host speaking plain HTTP to the published port.
    let env = [
        format!("SECRET_KEY={secret_key}"),
        format!("JWT_SECRET_KEY={jwt_key}"),
        format!("HEARTLOCK_ENCRYPTION_KEY={key}"),
        "SECURE_SSL_REDIRECT=false".to_string(),
    ];
    let mut run = vec![
        "run".to_string(),
        "--detach".into(),
        "--name".into(),
        name.clone(),
        "--volume".into(),
        format!("{volume}:/var/lib/heartlock"),
        "--publish".into(),
        "127.0.0.1::8082".into(),
        // podman's default limits (over a million open files) are above
        // what these sandboxed machines allow; runc would refuse to start.
        "--ulimit".into(),
        "nofile=4096:4096".into(),
        "--ulimit".into(),
        "nproc=4096:4096".into(),
    ];
    for e in &env {
        run.push("--env".into());
        run.push(e.clone());
    }
    run.push(image.clone());
    podman_ok(&run.iter().map(String::as_str).collect::<Vec<_>>());

    // `podman port` answers 127.0.0.1:PORT for the port podman picked.
    let port = podman_ok(&["port", &name, "8082/tcp"]);
    let base_url = format!("http://{port}");
    let readyz = format!("{base_url}/readyz");
    wait_ready(&name, &readyz);
    let r = reqwest::get(&readyz).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["database"], "sqlite", "{body}");

    assert_eq!(podman_ok(&["exec", &name, "id", "-u"]), uid);
    // The container's processes as the host sees them (no user namespace:
    // the host user is the image's uid).
    let top = podman_ok(&["top", &name, "huser", "comm"]);
    assert!(
        top.lines()
            .skip(1)
            .any(|l| l.split_whitespace().nth(1) == Some("heartlock")),
        "{top}"
    );
    assert!(
        top.lines()
            .skip(1)
            .all(|l| l.split_whitespace().next() == Some(uid)),
        "every process runs as {uid}: {top}"
    );
    podman_ok(&["healthcheck", "run", &name]);
    let health = podman_ok(&["inspect", "--format", "{{.State.Health.Status}}", &name]);
    assert_eq!(health, "healthy");

    // Data: the SQLite database on the volume (DATABASE_URL is unset).
    let out = Command::new("podman")
        .args(["--runtime", RUNTIME, "exec", "--interactive", &name])
        .args([
            "heartlock",
            "createsuperuser",
            "--email",
            EMAIL,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{PASSWORD}")?;
            drop(stdin);
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "createsuperuser: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sign_in(&base_url).await, 200);
    let files = podman_ok(&["exec", &name, "ls", "/var/lib/heartlock"]);
    assert!(files.lines().any(|f| f == "db.sqlite3"), "{files}");

    // SIGTERM (the image's STOPSIGNAL); a kill after the timeout would exit 137.
    podman_ok(&["stop", "--time", "30", &name]);
    let code = podman_ok(&["inspect", "--format", "{{.State.ExitCode}}", &name]);
    let logs = podman(&["logs", &name]);
    let log =
        String::from_utf8_lossy(&logs.stderr).to_string() + &String::from_utf8_lossy(&logs.stdout);
    assert_eq!(code, "0", "exit code after SIGTERM: {log}");
    assert!(log.contains("shutdown signal received"), "{log}");
    assert!(log.contains("heartlock stopped"), "{log}");
    for secret in [&key, &secret_key, &jwt_key, &PASSWORD.to_string()] {
        assert!(!log.contains(secret.as_str()), "a secret is in the log");
    }

    // Started again, on the same volume: the user is still there.
    podman_ok(&["start", &name]);
    let port = podman_ok(&["port", &name, "8082/tcp"]);
    let base_url = format!("http://{port}");
    wait_ready(&name, &format!("{base_url}/readyz"));
    assert_eq!(sign_in(&base_url).await, 200);

    drop(cleanup);
    for (what, listed) in [
        (
            "container",
            podman_ok(&["ps", "--all", "--format", "{{.Names}}"]),
        ),
        (
            "volume",
            podman_ok(&["volume", "ls", "--format", "{{.Name}}"]),
        ),
        (
            "image",
            podman_ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
        ),
    ] {
        assert!(!listed.contains(&unique), "the test {what} was not removed");
    }
    eprintln!("container test took {:?}", started.elapsed());
}
