//! `kill -9` under write load, five times on each database: every write the
//! server acknowledged is there afterwards, with its audit event, and the
//! audit chain is intact.
use crate::common::{Server, run};
use heartlock_store::testing::TestDb;
use heartlock_store::{AuditFilter, Backend};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KILLS: usize = 5;
const WRITERS: usize = 8;
const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "a long and unusual passphrase 42";

fn env(db: &TestDb, dir: &std::path::Path, key: &str) -> Vec<(String, String)> {
    vec![
        ("DATABASE_URL".into(), db.url.clone()),
        ("HEARTLOCK_ENCRYPTION_KEY".into(), key.into()),
        (
            "HEARTLOCK_DATA_DIR".into(),
            dir.join("data").display().to_string(),
        ),
        (
            "JWT_SECRET_KEY".into(),
            "crash-test-jwt-key-0123456789abcdef0123".into(),
        ),
        // Plain HTTP to a production server.
        ("SECURE_SSL_REDIRECT".into(), "false".into()),
        ("HEARTLOCK_SUPERUSER_PASSWORD".into(), PASSWORD.into()),
    ]
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn sign_in(http: &reqwest::Client, srv: &Server) -> String {
    let r = http
        .post(srv.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// Writes as fast as it can until the server dies; returns what it acked.
async fn writer(
    http: reqwest::Client,
    base: String,
    token: String,
    round: usize,
    w: usize,
) -> Vec<(String, String)> {
    let mut acked = Vec::new();
    for i in 0.. {
        let key = format!("K_{round}_{w}_{i}");
        let value = format!("value {round}/{w}/{i}");
        let url = format!("{base}/api/v1/projects/crash/environments/development/secrets/{key}");
        let sent = http
            .put(url)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "value": value }))
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == 200 => acked.push((key, value)),
            Ok(r) => panic!("write refused: {}", r.status()),
            Err(_) => break,
        }
    }
    acked
}

async fn crash_loses_nothing(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let env = env(&db, dir.path(), &key);
    let out = run(
        dir.path(),
        &pairs(&env),
        &["createsuperuser", "--email", EMAIL, "--no-input"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let srv = Server::start(dir.path(), &pairs(&env));
    let token = sign_in(&http, &srv).await;
    let r = http
        .post(srv.url("/api/v1/projects"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Crash", "slug": "crash"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut srv = Some(srv);
    for round in 0..KILLS {
        let s = srv
            .take()
            .unwrap_or_else(|| Server::start(dir.path(), &pairs(&env)));
        let base = format!("http://{}", s.addr);
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| tokio::spawn(writer(http.clone(), base.clone(), token.clone(), round, w)))
            .collect();
        // Let the load build up, then pull the plug mid-flight.
        tokio::time::sleep(Duration::from_millis(800)).await;
        tokio::task::spawn_blocking(move || s.kill9())
            .await
            .unwrap();
        for t in tasks {
            let done = t.await.unwrap();
            acked.lock().unwrap().extend(done);
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > KILLS * WRITERS,
        "the load was real: {} writes",
        acked.len()
    );

    // Every acknowledged write survived, with its value.
    let srv = Server::start(dir.path(), &pairs(&env));
    let r = http
        .get(srv.url("/api/v1/projects/crash/environments/development/secrets:export"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let stored: BTreeMap<String, String> = r.json().await.unwrap();
    let lost: Vec<_> = acked
        .iter()
        .filter(|(k, v)| stored.get(k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );
    srv.terminate();

    // Every acknowledged write has its audit event.
    let store = db.store().await;
    let filter = AuditFilter {
        action: Some("secret.write".into()),
        ..Default::default()
    };
    let events = store
        .list_audit(&filter, 1_000_000, 0)
        .await
        .unwrap()
        .events;
    let audited: std::collections::HashSet<_> = events
        .iter()
        .filter_map(|e| e.event.secret_key.clone())
        .collect();
    let unaudited: Vec<_> = acked.iter().filter(|(k, _)| !audited.contains(k)).collect();
    assert!(
        unaudited.is_empty(),
        "{} of {} acknowledged writes lost their audit event",
        unaudited.len(),
        acked.len()
    );
    store.close().await;
    let out = run(dir.path(), &pairs(&env), &["audit", "verify"]);
    assert!(
        out.status.success(),
        "the chain survives the kills: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "kill -9 x{KILLS} on {:?}: {} acknowledged writes, 0 lost, 0 unaudited",
        db.backend,
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_kill9_under_load_loses_no_acknowledged_write_or_event() {
    crash_loses_nothing(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_kill9_under_load_loses_no_acknowledged_write_or_event() {
    crash_loses_nothing(TestDb::new(Backend::Postgres).await).await;
}
