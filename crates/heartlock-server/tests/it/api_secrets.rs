//! Secrets through the live API, on SQLite and PostgreSQL.
use crate::common::{TestServer, call, register};
use reqwest::Method;
use serde_json::{Value, json};

async fn setup(srv: &TestServer) -> String {
    let (token, _, _) = register(srv, "owner@example.com").await;
    let (status, body) = call(
        Method::POST,
        srv.url("/api/v1/projects"),
        Some(&token),
        Some(json!({ "name": "Payments" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    token
}

fn env_url(srv: &TestServer, env: &str, rest: &str) -> String {
    srv.url(&format!(
        "/api/v1/projects/payments/environments/{env}/{rest}"
    ))
}

backend_test!(
    two_concurrent_writes_make_two_versions,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let token = setup(&srv).await;
        let url = env_url(&srv, "development", "secrets/API_KEY");
        let (a, b) = tokio::join!(
            call(
                Method::PUT,
                url.clone(),
                Some(&token),
                Some(json!({ "value": "one" }))
            ),
            call(
                Method::PUT,
                url.clone(),
                Some(&token),
                Some(json!({ "value": "two" }))
            )
        );
        assert_eq!((a.0, b.0), (200, 200));
        let mut versions = [
            a.1["version"].as_i64().unwrap(),
            b.1["version"].as_i64().unwrap(),
        ];
        versions.sort();
        assert_eq!(versions, [1, 2]);
        let (_, hist) = call(
            Method::GET,
            env_url(&srv, "development", "secrets/API_KEY/versions"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(hist["total"], 2);
        let values: Vec<&str> = hist["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["value"].as_str().unwrap())
            .collect();
        assert!(values.contains(&"one") && values.contains(&"two"));
        srv.stop().await;
    }
);

backend_test!(
    a_batch_with_one_bad_key_writes_nothing,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let token = setup(&srv).await;
        let (status, body) = call(
            Method::POST,
            env_url(&srv, "development", "secrets:batch"),
            Some(&token),
            Some(json!({ "set": { "GOOD": "1", "ALSO_GOOD": "2", "9BAD": "3" } })),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["type"], "https://heartlock.dev/problems/validation");
        let (_, list) = call(
            Method::GET,
            env_url(&srv, "development", "secrets"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(list["total"], 0, "{list}");
        // A good batch lands whole.
        let (status, _) = call(
            Method::POST,
            env_url(&srv, "development", "secrets:batch"),
            Some(&token),
            Some(json!({ "set": { "A": "1", "B": "2" } })),
        )
        .await;
        assert_eq!(status, 200);
        let (_, list) = call(
            Method::GET,
            env_url(&srv, "development", "secrets"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(list["total"], 2);
        srv.stop().await;
    }
);

backend_test!(
    history_rollback_compare_import_export,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let token = setup(&srv).await;
        for v in ["v1", "v2", "v3"] {
            call(
                Method::PUT,
                env_url(&srv, "development", "secrets/DB"),
                Some(&token),
                Some(json!({ "value": v, "comment": format!("set {v}") })),
            )
            .await;
        }
        let (status, body) = call(
            Method::POST,
            env_url(&srv, "development", "secrets/DB/rollback"),
            Some(&token),
            Some(json!({ "version": 1 })),
        )
        .await;
        assert_eq!((status, body["version"].as_i64()), (200, Some(4)), "{body}");
        let (_, s) = call(
            Method::GET,
            env_url(&srv, "development", "secrets/DB"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(s["value"], "v1");
        // Delete is a version; a rollback brings it back.
        assert_eq!(
            call(
                Method::DELETE,
                env_url(&srv, "development", "secrets/DB"),
                Some(&token),
                None
            )
            .await
            .0,
            204
        );
        assert_eq!(
            call(
                Method::GET,
                env_url(&srv, "development", "secrets/DB"),
                Some(&token),
                None
            )
            .await
            .0,
            404
        );
        let (_, hist) = call(
            Method::GET,
            env_url(&srv, "development", "secrets/DB/versions?per_page=2"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(
            (
                hist["total"].as_i64(),
                hist["items"][0]["deleted"].as_bool()
            ),
            (Some(5), Some(true))
        );

        // Import a dotenv document with quoting, then export it back exactly.
        let doc = "export A=plain\nB=\"multi\\nline \\\"quoted\\\" # not a comment\"\nC='single = quotes'\n# comment\nD=  spaced  # trailing comment\n";
        let (status, body) = call(
            Method::POST,
            env_url(&srv, "staging", "secrets:import"),
            Some(&token),
            Some(json!({ "format": "dotenv", "content": doc })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (_, exported) = call(
            Method::GET,
            env_url(&srv, "staging", "secrets:export?format=json"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(
            exported,
            json!({ "A": "plain", "B": "multi\nline \"quoted\" # not a comment", "C": "single = quotes", "D": "spaced" })
        );
        let resp = crate::common::client()
            .get(env_url(&srv, "staging", "secrets:export"))
            .bearer_auth(&token)
            .header("accept", "text/plain")
            .send()
            .await
            .unwrap();
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let text = resp.text().await.unwrap();
        let reparsed =
            heartlock_core::formats::parse(heartlock_core::formats::Format::Dotenv, &text).unwrap();
        assert_eq!(
            reparsed.get("B").map(String::as_str),
            Some("multi\nline \"quoted\" # not a comment")
        );

        // A bad line names its number and writes nothing.
        let (status, body) = call(
            Method::POST,
            env_url(&srv, "production", "secrets:import"),
            Some(&token),
            Some(json!({ "format": "dotenv", "content": "OK=1\nOK2=2\nthis line is wrong\n" })),
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            body["detail"].as_str().unwrap().contains("line 3"),
            "{body}"
        );
        let (_, list) = call(
            Method::GET,
            env_url(&srv, "production", "secrets"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(list["total"], 0);

        // Compare across environments.
        call(
            Method::PUT,
            env_url(&srv, "production", "secrets/A"),
            Some(&token),
            Some(json!({ "value": "different" })),
        )
        .await;
        let (status, cmp) = call(
            Method::GET,
            srv.url("/api/v1/projects/payments/secrets/A/compare"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(cmp["consistent"], false);
        let envs: Vec<(&str, bool)> = cmp["environments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["environment"].as_str().unwrap(),
                    e["present"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            envs,
            [
                ("development", false),
                ("staging", true),
                ("production", true)
            ]
        );
        srv.stop().await;
    }
);

backend_test!(
    names_sizes_and_missing_things_are_clear_errors,
    |backend| async move {
        let srv = TestServer::start(backend, |s| s.max_secret_bytes = 64).await;
        let token = setup(&srv).await;
        let (status, body) = call(
            Method::PUT,
            env_url(&srv, "development", "secrets/bad-name"),
            Some(&token),
            Some(json!({ "value": "x" })),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = call(
            Method::PUT,
            env_url(&srv, "development", "secrets/BIG"),
            Some(&token),
            Some(json!({ "value": "x".repeat(65) })),
        )
        .await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(
            call(
                Method::GET,
                env_url(&srv, "nope", "secrets"),
                Some(&token),
                None
            )
            .await
            .0,
            404
        );
        assert_eq!(
            call(
                Method::GET,
                srv.url("/api/v1/projects/nope"),
                Some(&token),
                None
            )
            .await
            .0,
            404
        );
        let (status, body): (u16, Value) = call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&token),
            Some(json!({ "name": "Payments" })),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        srv.stop().await;
    }
);

backend_test!(
    deeply_nested_imports_are_refused_and_write_nothing,
    |backend| async move {
        let srv = TestServer::start(backend, |s| s.max_body_bytes = 4 << 20).await;
        let token = setup(&srv).await;
        let url = env_url(&srv, "development", "secrets:import");
        // The reported attack (160 KB) and a 1 MiB one, in both flow styles.
        for depth in [80_000usize, 512 * 1024] {
            for (open, close) in [("[", "]"), ("{", "}")] {
                let content = format!("A: {}{}", open.repeat(depth), close.repeat(depth));
                let (status, body) = call(
                    Method::POST,
                    url.clone(),
                    Some(&token),
                    Some(json!({ "format": "yaml", "content": content })),
                )
                .await;
                assert_eq!(status, 422, "{body}");
                let detail = body["detail"].as_str().unwrap_or_default();
                assert!(detail.contains("too many [ or {"), "{detail}");
            }
        }
        // The server is still answering, and nothing was written.
        let (status, body) = call(
            Method::GET,
            env_url(&srv, "development", "secrets"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], 0, "{body}");
        srv.stop().await;
    }
);
