//! A value planted in a secret must never appear in the server's log output
//! or in any error body. Logs are captured at TRACE level for every crate
//! (this test binary installs its own global subscriber).
use crate::common::{TestServer, call, register};
use reqwest::Method;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
pub(crate) struct Capture(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) fn capture() -> Capture {
    static CAP: OnceLock<Capture> = OnceLock::new();
    CAP.get_or_init(|| {
        let cap = Capture::default();
        let writer = cap.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        cap
    })
    .clone()
}

const PLANTED: &str = "PLANTED-s3cr3t-Zq9xW7";

backend_test!(
    a_planted_value_never_reaches_logs_or_error_bodies,
    |backend| async move {
        let cap = capture();
        let srv = TestServer::start(backend, |s| s.max_secret_bytes = 256).await;
        let (token, _, _) = register(&srv, "owner@example.com").await;
        call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&token),
            Some(json!({ "name": "Payments" })),
        )
        .await;
        let base = srv.url("/api/v1/projects/payments/environments/development");
        let mut bodies = Vec::new();
        let mut run = |r: (u16, serde_json::Value)| bodies.push(r);

        // Normal use: write, read, history, export, rollback.
        run(call(
            Method::PUT,
            format!("{base}/secrets/TOKEN"),
            Some(&token),
            Some(json!({ "value": PLANTED })),
        )
        .await);
        run(call(
            Method::PUT,
            format!("{base}/secrets/TOKEN"),
            Some(&token),
            Some(json!({ "value": "other" })),
        )
        .await);
        run(call(
            Method::POST,
            format!("{base}/secrets/TOKEN/rollback"),
            Some(&token),
            Some(json!({ "version": 1 })),
        )
        .await);
        // Errors that carry the value in the request.
        let mut errors = Vec::new();
        errors.push(
            call(
                Method::PUT,
                format!("{base}/secrets/bad-key"),
                Some(&token),
                Some(json!({ "value": PLANTED })),
            )
            .await,
        );
        errors.push(
            call(
                Method::PUT,
                format!("{base}/secrets/BIG"),
                Some(&token),
                Some(json!({ "value": format!("{PLANTED}{}", "x".repeat(300)) })),
            )
            .await,
        );
        errors.push(
            call(
                Method::PUT,
                format!("{base}/secrets/TYPED"),
                Some(&token),
                Some(json!({ "value": 12, "comment": PLANTED })),
            )
            .await,
        );
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets:batch"),
                Some(&token),
                Some(json!({ "set": { "OK": PLANTED, "1BAD": PLANTED } })),
            )
            .await,
        );
        // serde type errors would quote the value: they must not.
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets/TOKEN/rollback"),
                Some(&token),
                Some(json!({ "version": PLANTED })),
            )
            .await,
        );
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets:batch"),
                Some(&token),
                Some(json!({ "set": { "PORT": 5_432_987_123_u64 } })),
            )
            .await,
        );
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets:import"),
                Some(&token),
                Some(json!({ "format": "dotenv", "content": format!("A=1\n{PLANTED}\n") })),
            )
            .await,
        );
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets:import"),
                Some(&token),
                Some(json!({ "format": "json", "content": format!("{{\"A\": [\"{PLANTED}\"]}}") })),
            )
            .await,
        );
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets:import"),
                Some(&token),
                Some(json!({ "format": "yaml", "content": format!("A: [{PLANTED}\n") })),
            )
            .await,
        );
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets:import"),
                Some(&token),
                Some(json!({ "format": "dotenv", "content": format!("A=\"{PLANTED}") })),
            )
            .await,
        );
        errors.push(
            call(
                Method::POST,
                format!("{base}/secrets:batch"),
                Some(&token),
                Some(json!({ "set": { "X": PLANTED }, "unknown_field": PLANTED })),
            )
            .await,
        );
        let malformed = crate::common::client()
            .put(format!("{base}/secrets/RAW"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(format!("{{\"value\": \"{PLANTED}\""))
            .send()
            .await
            .unwrap();
        errors.push((
            malformed.status().as_u16(),
            serde_json::Value::String(malformed.text().await.unwrap()),
        ));
        run(call(
            Method::GET,
            format!("{base}/secrets:export?format=docker"),
            Some(&token),
            None,
        )
        .await);

        for (status, body) in &errors {
            assert!(
                (400..500).contains(status),
                "expected a client error, got {status}: {body}"
            );
            assert!(
                !body.to_string().contains(PLANTED),
                "error body leaks the value: {body}"
            );
            assert!(
                !body.to_string().contains("5432987123"),
                "error body leaks a number: {body}"
            );
        }
        srv.state.flush_audit().await;
        srv.stop().await;
        let log = String::from_utf8_lossy(&cap.0.lock().unwrap()).into_owned();
        assert!(
            log.len() > 1000,
            "the capture should hold the server's trace log"
        );
        assert!(!log.contains(PLANTED), "the log leaks the value");
        // Sanity: the value really was stored and served.
        assert!(bodies.iter().any(|(s, _)| *s == 200));
    }
);
