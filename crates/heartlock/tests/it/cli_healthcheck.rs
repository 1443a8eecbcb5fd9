//! `heartlock healthcheck`: exit 0 only when /readyz answers 200, else 1
//! with one line saying why.
use crate::common::{Server, run};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn healthcheck_exits_0_on_ready_and_1_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let srv = Server::start(dir.path(), &[("HEARTLOCK_ENCRYPTION_KEY", &key)]);
    let port = srv.addr.rsplit(':').next().unwrap().to_string();

    // No --url: loopback at HEARTLOCK_BIND's port (a wildcard bind, as in the image).
    let bind = format!("0.0.0.0:{port}");
    let out = run(dir.path(), &[("HEARTLOCK_BIND", &bind)], &["healthcheck"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let readyz = srv.url("/readyz");
    let out = run(dir.path(), &[], &["healthcheck", "--url", &readyz]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    // Any answer but 200 (redirects are not followed).
    let other = srv.url("/no-such-page");
    let out = run(dir.path(), &[], &["healthcheck", "--url", &other]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{other} answered ")), "{err}");

    let (status, log) = srv.terminate();
    assert!(status.success(), "{log}");
    let out = run(dir.path(), &[("HEARTLOCK_BIND", &bind)], &["healthcheck"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("http://127.0.0.1:{port}/readyz did not answer")),
        "{err}"
    );
}
