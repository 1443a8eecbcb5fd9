//! `/metrics`: off by default, open with HEARTLOCK_METRICS, behind a bearer
//! token with HEARTLOCK_METRICS_TOKEN; its output parsed by the official
//! Prometheus text-format parser (Python's `prometheus_client.parser`).
use crate::common::{TestServer, call, client, register};
use heartlock_config::Secret;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const TOKEN: &str = "mt-4f9Kq2Lx7vR2mL9pTz4Kw8Qa";
/// Written into paths and bodies; must never reach the output.
const CANARY_KEY: &str = "CANARY_KEY_7D1F";
const CANARY_VALUE: &str = "canary-value-2b8e";
const CANARY_PATH: &str = "/no-such-page-CANARY_PATH_93AC";

/// Every sample of the scrape as `{name, labels, value}`, plus each
/// family's `{name, type}`; the parser raises (and the test fails) on any
/// malformed line.
fn parse(text: &str) -> (Vec<Value>, Vec<Value>) {
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families, samples = [], []
for f in text_string_to_metric_families(sys.stdin.read()):
    families.append({"name": f.name, "type": f.type})
    for s in f.samples:
        samples.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps({"families": families, "samples": samples}))
"#;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (with prometheus_client, scripts/requirements-test.txt)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused the output: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        doc["families"].as_array().unwrap().clone(),
        doc["samples"].as_array().unwrap().clone(),
    )
}

fn value(samples: &[Value], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s["name"] == name
                && labels
                    .iter()
                    .all(|(k, v)| s["labels"][*k].as_str() == Some(*v))
        })
        .and_then(|s| s["value"].as_f64())
}

async fn scrape(srv: &TestServer, token: Option<&str>) -> reqwest::Response {
    let mut req = client().get(srv.url("/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

backend_test!(off_by_default_is_not_found, |backend| async move {
    let srv = TestServer::start(backend, |_| {}).await;
    let r = scrape(&srv, None).await;
    assert_eq!(r.status(), 404);
    let r = scrape(&srv, Some(TOKEN)).await;
    assert_eq!(r.status(), 404);
    srv.stop().await;
});

backend_test!(
    counts_requests_by_route_template_and_leaks_nothing,
    |backend| async move {
        let srv = TestServer::start(backend, |s| s.metrics.enabled = true).await;
        let (token, _, _) = register(&srv, "metrics@example.com").await;
        let (status, body) = call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&token),
            Some(json!({ "name": "Payments" })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let env = srv.url("/api/v1/projects/payments/environments/development");
        let (status, body) = call(
            Method::PUT,
            format!("{env}/secrets/{CANARY_KEY}"),
            Some(&token),
            Some(json!({ "value": CANARY_VALUE })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        const N: usize = 7;
        for _ in 0..N {
            let (status, body) =
                call(Method::GET, format!("{env}/secrets"), Some(&token), None).await;
            assert_eq!(status, 200, "{body}");
            let (status, _) = call(
                Method::GET,
                format!("{env}/secrets/{CANARY_KEY}"),
                Some(&token),
                None,
            )
            .await;
            assert_eq!(status, 200);
        }
        let r = client().get(srv.url(CANARY_PATH)).send().await.unwrap();
        assert_eq!(r.status(), 404);

        let r = scrape(&srv, None).await;
        assert_eq!(r.status(), 200);
        let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
        let text = r.text().await.unwrap();
        for needle in [
            CANARY_KEY,
            CANARY_VALUE,
            "CANARY_PATH",
            "payments",
            "metrics@",
        ] {
            assert!(!text.contains(needle), "{needle} in /metrics:\n{text}");
        }
        let (families, samples) = parse(&text);

        let list = "/api/v1/projects/{project}/environments/{env}/secrets";
        let one = "/api/v1/projects/{project}/environments/{env}/secrets/{key}";
        let count = |route: &str, status: &str| {
            value(
                &samples,
                "heartlock_http_requests_total",
                &[("method", "GET"), ("route", route), ("status", status)],
            )
            .unwrap_or(0.0)
        };
        assert!(count(list, "200") >= N as f64, "{text}");
        assert!(count(one, "200") >= N as f64, "{text}");
        assert!(count("unmatched", "404") >= 1.0, "{text}");
        let timed = value(
            &samples,
            "heartlock_http_request_duration_seconds_count",
            &[("method", "GET"), ("route", list)],
        )
        .unwrap_or(0.0);
        assert!(timed >= N as f64, "{text}");
        let inf = value(
            &samples,
            "heartlock_http_request_duration_seconds_bucket",
            &[("method", "GET"), ("route", list), ("le", "+Inf")],
        );
        assert_eq!(inf, Some(timed));
        for s in &samples {
            if let Some(route) = s["labels"]["route"].as_str() {
                assert!(route == "unmatched" || route.starts_with('/'), "{s}");
            }
        }

        // Reading the list N times hits the ciphertext cache at least N - 1 times.
        let hits = value(
            &samples,
            "heartlock_cache_hits_total",
            &[("cache", "secrets")],
        );
        assert!(hits.unwrap_or(0.0) >= (N - 1) as f64, "{text}");
        assert!(
            value(
                &samples,
                "heartlock_cache_misses_total",
                &[("cache", "secrets")]
            )
            .is_some()
        );
        // Reads are audited through the group-commit writer.
        let written = value(&samples, "heartlock_audit_writer_events_total", &[]);
        assert!(written.unwrap_or(0.0) >= 1.0, "{text}");
        assert!(
            value(
                &samples,
                "heartlock_audit_writer_commit_duration_seconds_count",
                &[]
            )
            .is_some()
        );
        assert!(value(&samples, "heartlock_audit_queue_depth", &[]).is_some());
        for status in ["pending", "failed"] {
            assert!(value(&samples, "heartlock_outbox_messages", &[("status", status)]).is_some());
        }
        let max = value(&samples, "heartlock_db_pool_max_connections", &[]).unwrap();
        let open = value(&samples, "heartlock_db_pool_connections", &[]).unwrap();
        let idle = value(&samples, "heartlock_db_pool_idle_connections", &[]).unwrap();
        assert!(max >= 1.0 && open <= max && idle <= open, "{text}");
        assert!(value(&samples, "heartlock_uptime_seconds", &[]).is_some());
        assert_eq!(value(&samples, "heartlock_build_info", &[]), Some(1.0));

        let kind = |name: &str| {
            families
                .iter()
                .find(|f| f["name"] == name)
                .map(|f| f["type"].as_str().unwrap().to_string())
        };
        assert_eq!(kind("heartlock_http_requests").as_deref(), Some("counter"));
        assert_eq!(
            kind("heartlock_http_request_duration_seconds").as_deref(),
            Some("histogram")
        );
        assert_eq!(
            kind("heartlock_audit_queue_depth").as_deref(),
            Some("gauge")
        );
        srv.stop().await;
    }
);

backend_test!(a_token_protects_it, |backend| async move {
    // HEARTLOCK_METRICS stays false: the token alone turns it on.
    let srv = TestServer::start(backend, |s| {
        s.metrics.token = Some(Secret::new(TOKEN));
    })
    .await;
    let r = scrape(&srv, None).await;
    assert_eq!(r.status(), 401);
    let ctype = r.headers()["content-type"].to_str().unwrap();
    assert!(ctype.starts_with("application/problem+json"), "{ctype}");
    assert!(r.headers().contains_key("www-authenticate"));
    let body = r.text().await.unwrap();
    assert!(
        !body.contains(TOKEN) && !body.contains("heartlock_"),
        "{body}"
    );
    let wrong = format!("{}x", &TOKEN[..TOKEN.len() - 1]);
    assert_eq!(scrape(&srv, Some(&wrong)).await.status(), 401);
    assert_eq!(scrape(&srv, Some("short")).await.status(), 401);
    let basic = client()
        .get(srv.url("/metrics"))
        .basic_auth("prometheus", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);

    let r = scrape(&srv, Some(TOKEN)).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains(TOKEN));
    let (_, samples) = parse(&text);
    // The refused scrapes above were counted, under their route template.
    let refused = value(
        &samples,
        "heartlock_http_requests_total",
        &[("method", "GET"), ("route", "/metrics"), ("status", "401")],
    );
    assert!(refused.unwrap_or(0.0) >= 4.0, "{text}");
    srv.stop().await;
});
