//! GET /api/v1/audit: pages by number and by cursor, on SQLite and PostgreSQL.
use crate::common::{TestServer, call, register};
use heartlock_core::roles::ServerRole;
use heartlock_store::NewUser;
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// A server administrator's access token.
async fn admin_token(srv: &TestServer) -> String {
    let user = NewUser {
        id: heartlock_core::ids::new_id(),
        email: "root@example.com".into(),
        display_name: "Admin".into(),
        password_hash: Some(heartlock_core::password::hash_password(PASSWORD).unwrap()),
        role: ServerRole::Admin,
        is_superuser: false,
    };
    srv.store
        .create_user(&user, srv.state.clock.now_ms())
        .await
        .unwrap();
    let (status, body) = call(
        Method::POST,
        srv.url("/api/v1/auth/login"),
        None,
        Some(json!({ "email": "root@example.com", "password": PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn list(srv: &TestServer, token: &str, query: &str) -> Value {
    let (status, body) = call(
        Method::GET,
        srv.url(&format!("/api/v1/audit?{query}")),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn seqs(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

/// Follows `next_before` from the first page to the end: every page's seqs.
async fn walk(srv: &TestServer, token: &str, query: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut page = list(srv, token, query).await;
    loop {
        pages.push(seqs(&page));
        let Some(before) = page["next_before"].as_i64() else {
            return pages;
        };
        page = list(srv, token, &format!("{query}&before={before}")).await;
    }
}

backend_test!(
    cursor_walks_to_the_last_page_and_back,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (owner, _, _) = register(&srv, "owner@example.com").await;
        let (s, b) = call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&owner),
            Some(json!({ "name": "Pay" })),
        )
        .await;
        assert_eq!(s, 201, "{b}");
        let sets: serde_json::Map<String, Value> = (0..23)
            .map(|i| (format!("KEY_{i:02}"), json!("v")))
            .collect();
        let (s, b) = call(
            Method::POST,
            srv.url("/api/v1/projects/pay/environments/development/secrets:batch"),
            Some(&owner),
            Some(json!({ "set": sets })),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let admin = admin_token(&srv).await;

        // The administrator's unfiltered log: an exact total, newest first.
        let first = list(&srv, &admin, "per_page=5").await;
        let total = first["total"].as_i64().unwrap();
        assert!(total > 23, "{first}");
        assert_eq!(first["total_exact"], true);
        assert_eq!(first["prev_after"], Value::Null);
        assert_eq!(seqs(&first), (total - 4..=total).rev().collect::<Vec<_>>());
        // The cursor walk covers every event once, down to seq 1...
        let pages = walk(&srv, &admin, "per_page=5").await;
        let all: Vec<i64> = pages.iter().flatten().copied().collect();
        assert_eq!(all, (1..=total).rev().collect::<Vec<_>>());
        assert!(pages.iter().all(|p| !p.is_empty()));
        // ...its last page is the last page by number...
        let last_no = (total + 4) / 5;
        let by_number = list(&srv, &admin, &format!("per_page=5&page={last_no}")).await;
        assert_eq!(&seqs(&by_number), pages.last().unwrap());
        assert_eq!(by_number["next_before"], Value::Null);
        // ...and `prev_after` leads back to the page before it.
        let after = by_number["prev_after"].as_i64().unwrap();
        let back = list(&srv, &admin, &format!("per_page=5&after={after}")).await;
        assert_eq!(&seqs(&back), &pages[pages.len() - 2]);

        // Filtered: the same walk over the matching events only.
        let pages = walk(&srv, &admin, "per_page=4&action=secret.").await;
        assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), 23);
        let filtered = list(&srv, &admin, "per_page=4&action=secret.").await;
        assert_eq!(
            (filtered["total"].as_i64(), &filtered["total_exact"]),
            (Some(23), &json!(true))
        );

        // The owner (no administrator) walks only her project's events.
        let mine = walk(&srv, &owner, "per_page=4").await;
        let (s, own) = call(
            Method::GET,
            srv.url("/api/v1/audit?per_page=500"),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(mine.concat(), seqs(&own));
        assert!(
            own["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| !e["project_id"].is_null())
        );

        // A negative cursor is refused.
        let (s, _) = call(
            Method::GET,
            srv.url("/api/v1/audit?before=-1"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, 422);
        srv.stop().await;
    }
);
