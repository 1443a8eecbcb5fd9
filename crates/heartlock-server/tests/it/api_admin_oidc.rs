//! The OIDC admin API (/api/v1/admin/oidc/): effective settings with their
//! source, validated writes to the database and appconfig.json, precedence
//! over the environment, live reload on another instance on the same
//! database, and single sign-on working right after a PUT.
use crate::common::{TestServer, call, cookie_browser, register, second_instance_with};
use heartlock_config::{LoadInput, Settings};
use heartlock_core::roles::ServerRole;
use heartlock_store::NewUser;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";
const ADMIN_SECRET: &str = "admin-set-client-secret-0123456789";

/// Settings as `heartlock_config::load` reads them from `env` (DEBUG on),
/// in the test server's own folder, keeping its database and key.
fn from_env(env: &[(&str, &str)]) -> impl FnOnce(&mut Settings) + use<> {
    let mut map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.insert("DEBUG".into(), "true".into());
    move |s: &mut Settings| {
        let cwd = s.data_dir.parent().unwrap().to_path_buf();
        let mut loaded = heartlock_config::load(&LoadInput { env: map, cwd })
            .unwrap()
            .settings;
        loaded.database_url = s.database_url.clone();
        loaded.encryption_key = s.encryption_key.clone();
        *s = loaded;
    }
}

/// A server administrator's access token on `srv`.
async fn admin_token(srv: &TestServer, email: &str) -> String {
    let user = NewUser {
        id: heartlock_core::ids::new_id(),
        email: email.into(),
        display_name: "Admin".into(),
        password_hash: Some(heartlock_core::password::hash_password(PASSWORD).unwrap()),
        role: ServerRole::Admin,
        is_superuser: false,
    };
    // The second instance shares the first's database: the account may exist.
    let _ = srv.store.create_user(&user, srv.state.clock.now_ms()).await;
    login(srv, email).await
}

async fn login(srv: &TestServer, email: &str) -> String {
    let (status, body) = call(
        Method::POST,
        srv.url("/api/v1/auth/login"),
        None,
        Some(json!({ "email": email, "password": PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

fn setting<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {view}"))
}

async fn get(srv: &TestServer, token: &str) -> Value {
    let (status, body) = call(
        Method::GET,
        srv.url("/api/v1/admin/oidc/"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn appconfig(srv: &TestServer) -> (Value, u32) {
    let path = srv.state.settings.data_dir.join("appconfig.json");
    let text = std::fs::read_to_string(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    (serde_json::from_str(&text).unwrap(), mode)
}

const ENV: &[(&str, &str)] = &[
    ("OIDC_CLIENT_ID", "env-client"),
    ("OIDC_RP_CLIENT_SECRET", "env-secret-value-0123456789"),
    ("OIDC_GROUPS_CLAIM", "roles"),
];

backend_test!(
    sources_precedence_file_audit_and_removal,
    |backend| async move {
        let srv = TestServer::start(backend, from_env(ENV)).await;
        let token = admin_token(&srv, "root@example.com").await;

        // Environment values, with the variable (legacy alias included).
        let view = get(&srv, &token).await;
        assert_eq!(view["enabled"], false);
        let id = setting(&view, "OIDC_CLIENT_ID");
        assert_eq!(id["value"], "env-client");
        assert_eq!(id["source"], "environment");
        assert_eq!(id["variable"], "OIDC_CLIENT_ID");
        let secret = setting(&view, "OIDC_CLIENT_SECRET");
        assert_eq!(secret["value"], "********");
        assert_eq!(secret["variable"], "OIDC_RP_CLIENT_SECRET");
        assert_eq!(
            secret["origin"],
            "environment (legacy OIDC_RP_CLIENT_SECRET)"
        );
        assert_eq!(setting(&view, "OIDC_SIGN_ALGO")["source"], "default");
        assert_eq!(setting(&view, "OIDC_SIGN_ALGO")["value"], "RS256");
        assert!(!view.to_string().contains("env-secret-value"));

        // PUT: the appconfig layer beats the environment, at once.
        let (status, body) = call(
            Method::PUT,
            srv.url("/api/v1/admin/oidc/"),
            Some(&token),
            Some(json!({
                "OIDC_CLIENT_ID": "admin-client",
                "OIDC_CLIENT_SECRET": ADMIN_SECRET,
                "OIDC_SCOPES": "openid email",
                "OIDC_ENABLE": false,
            })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(!body.to_string().contains(ADMIN_SECRET));
        let view = get(&srv, &token).await;
        assert!(!view.to_string().contains(ADMIN_SECRET));
        let id = setting(&view, "OIDC_CLIENT_ID");
        assert_eq!(id["value"], "admin-client");
        assert_eq!(id["source"], "appconfig");
        assert_eq!(id["variable"], Value::Null);
        assert_eq!(setting(&view, "OIDC_CLIENT_SECRET")["source"], "appconfig");
        assert_eq!(setting(&view, "OIDC_CLIENT_SECRET")["value"], "********");
        assert_eq!(setting(&view, "OIDC_GROUPS_CLAIM")["value"], "roles");
        assert_eq!(setting(&view, "OIDC_ENABLE")["value"], "false");
        let live = srv.state.oidc();
        assert_eq!(live.client_id.as_deref(), Some("admin-client"));
        assert_eq!(
            live.client_secret.as_ref().map(|s| s.expose()),
            Some(ADMIN_SECRET)
        );
        assert_eq!(live.scopes, vec!["openid", "email"]);

        // appconfig.json holds exactly the admin-set OIDC values, owner-only.
        let (file, mode) = appconfig(&srv);
        assert_eq!(mode, 0o600);
        assert_eq!(file["OIDC_CLIENT_ID"], "admin-client");
        assert_eq!(file["OIDC_CLIENT_SECRET"], ADMIN_SECRET);
        assert_eq!(file["OIDC_ENABLE"], "false");
        // The secret is sealed in the database, never stored in clear there.
        let stored = srv.store.server_settings("oidc").await.unwrap().unwrap();
        let row = stored
            .settings
            .iter()
            .find(|s| s.name == "OIDC_CLIENT_SECRET")
            .unwrap();
        assert!(row.sealed && !row.value.contains(ADMIN_SECRET));

        // PATCH merges; null removes one value (the environment applies).
        let (status, body) = call(
            Method::PATCH,
            srv.url("/api/v1/admin/oidc"),
            Some(&token),
            Some(json!({ "OIDC_SCOPES": null, "OIDC_GROUPS_CLAIM": "teams" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(setting(&body, "OIDC_SCOPES")["source"], "default");
        assert_eq!(setting(&body, "OIDC_GROUPS_CLAIM")["value"], "teams");
        assert_eq!(setting(&body, "OIDC_CLIENT_ID")["value"], "admin-client");
        let (file, _) = appconfig(&srv);
        assert_eq!(file.get("OIDC_SCOPES"), None);
        assert_eq!(file["OIDC_GROUPS_CLAIM"], "teams");

        // DELETE: every admin-set value goes, the environment is back.
        let (status, _) = call(
            Method::DELETE,
            srv.url("/api/v1/admin/oidc/"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let view = get(&srv, &token).await;
        assert_eq!(setting(&view, "OIDC_CLIENT_ID")["value"], "env-client");
        assert_eq!(setting(&view, "OIDC_CLIENT_ID")["source"], "environment");
        assert_eq!(
            setting(&view, "OIDC_CLIENT_SECRET")["variable"],
            "OIDC_RP_CLIENT_SECRET"
        );
        assert_eq!(setting(&view, "OIDC_GROUPS_CLAIM")["value"], "roles");
        let (file, _) = appconfig(&srv);
        assert!(
            file.as_object()
                .unwrap()
                .keys()
                .all(|k| !k.starts_with("OIDC_")),
            "{file}"
        );
        assert_eq!(srv.state.oidc().client_id.as_deref(), Some("env-client"));

        // Audited, never with the secret.
        let (status, audit) = call(
            Method::GET,
            srv.url("/api/v1/audit?action=config.oidc*&per_page=50"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{audit}");
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec![
                "config.oidc.delete",
                "config.oidc.update",
                "config.oidc.update"
            ]
        );
        assert!(!audit.to_string().contains(ADMIN_SECRET));
        assert!(audit.to_string().contains("OIDC_CLIENT_SECRET"));
        srv.stop().await;
    }
);

backend_test!(
    invalid_values_are_refused_and_change_nothing,
    |backend| async move {
        let srv = TestServer::start(backend, from_env(ENV)).await;
        let token = admin_token(&srv, "root@example.com").await;
        let before = get(&srv, &token).await;
        let cases = [
            (
                json!({ "OIDC_AUTHORIZATION_ENDPOINT": "not a url" }),
                "OIDC_AUTHORIZATION_ENDPOINT",
            ),
            (
                json!({ "OIDC_TOKEN_ENDPOINT": "ftp://idp.example/token" }),
                "OIDC_TOKEN_ENDPOINT",
            ),
            (json!({ "OIDC_SIGN_ALGO": "none" }), "OIDC_SIGN_ALGO"),
            (json!({ "OIDC_SCOPES": "email profile" }), "OIDC_SCOPES"),
            // Nothing listens there: discovery is unreachable.
            (
                json!({ "OIDC_CLIENT_ID": "x", "OIDC_ISSUER": "http://127.0.0.1:9" }),
                "OIDC_ISSUER",
            ),
        ];
        for (body, field) in cases {
            for method in [Method::PUT, Method::PATCH] {
                let (status, problem) = call(
                    method.clone(),
                    srv.url("/api/v1/admin/oidc/"),
                    Some(&token),
                    Some(body.clone()),
                )
                .await;
                assert_eq!(status, 422, "{method} {body}: {problem}");
                assert_eq!(problem["errors"][0]["field"], field, "{problem}");
            }
        }
        let (status, _) = call(
            Method::PUT,
            srv.url("/api/v1/admin/oidc/"),
            Some(&token),
            Some(json!({ "OIDC_NOT_A_SETTING": "x" })),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(get(&srv, &token).await, before, "nothing changed");
        assert!(!srv.state.settings.data_dir.join("appconfig.json").exists());
        assert_eq!(srv.store.server_settings("oidc").await.unwrap(), None);

        // Non-admins are refused; anonymous callers must sign in.
        let (user_token, _, _) = register(&srv, "user@example.com").await;
        for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
            let body = (method == Method::PUT || method == Method::PATCH)
                .then(|| json!({ "OIDC_CLIENT_ID": "hijack" }));
            let (status, _) = call(
                method.clone(),
                srv.url("/api/v1/admin/oidc/"),
                Some(&user_token),
                body.clone(),
            )
            .await;
            assert_eq!(status, 403, "{method} as a user");
            let (status, _) =
                call(method.clone(), srv.url("/api/v1/admin/oidc/"), None, body).await;
            assert_eq!(status, 401, "{method} anonymous");
        }
        assert_eq!(get(&srv, &token).await, before);
        srv.stop().await;
    }
);

backend_test!(
    another_instance_picks_the_change_up_without_restart,
    |backend| async move {
        let first = TestServer::start(backend, from_env(ENV)).await;
        let key = first.state.settings.encryption_key.clone();
        let second = second_instance_with(
            &first,
            key.clone(),
            from_env(&[("OIDC_CLIENT_ID", "second-env-client")]),
        )
        .await;
        let t1 = admin_token(&first, "root@example.com").await;
        let t2 = login(&second, "root@example.com").await;
        assert_eq!(
            setting(&get(&second, &t2).await, "OIDC_CLIENT_ID")["value"],
            "second-env-client"
        );

        let (status, body) = call(
            Method::PUT,
            first.url("/api/v1/admin/oidc/"),
            Some(&t1),
            Some(json!({ "OIDC_CLIENT_ID": "shared-admin-client", "OIDC_CLIENT_SECRET": ADMIN_SECRET })),
        )
        .await;
        assert_eq!(status, 200, "{body}");

        // The second instance's poller notices through the database (no
        // request to it is needed): bounded wait.
        let mut seen = None;
        // The poller swaps the live settings, then rewrites its own
        // appconfig.json: wait for both.
        let file_has_it = || {
            std::fs::read_to_string(second.state.settings.data_dir.join("appconfig.json"))
                .is_ok_and(|t| t.contains("shared-admin-client"))
        };
        for _ in 0..50 {
            let live = second.state.oidc();
            if live.client_id.as_deref() == Some("shared-admin-client") && file_has_it() {
                seen = Some(live);
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let live = seen.expect("the second instance picked the change up within 10 s");
        assert_eq!(
            live.client_secret.as_ref().map(|s| s.expose()),
            Some(ADMIN_SECRET)
        );
        let view = get(&second, &t2).await;
        assert_eq!(setting(&view, "OIDC_CLIENT_ID")["source"], "appconfig");
        // Its own appconfig.json follows the database.
        let (file, mode) = appconfig(&second);
        assert_eq!(file["OIDC_CLIENT_ID"], "shared-admin-client");
        assert_eq!(mode, 0o600);

        // A restart with a stale appconfig.json: the database copy wins and
        // the file is rewritten to match.
        let third = second_instance_with(&first, key, |s| {
            std::fs::create_dir_all(&s.data_dir).unwrap();
            std::fs::write(
                s.data_dir.join("appconfig.json"),
                r#"{"OIDC_CLIENT_ID": "stale-file-client", "OIDC_SCOPES": "openid"}"#,
            )
            .unwrap();
            from_env(&[])(s);
        })
        .await;
        assert_eq!(
            third.state.oidc().client_id.as_deref(),
            Some("shared-admin-client")
        );
        assert_eq!(
            third.state.oidc().scopes,
            vec!["openid", "email", "profile"]
        );
        let (file, _) = appconfig(&third);
        assert_eq!(file["OIDC_CLIENT_ID"], "shared-admin-client");
        assert_eq!(file.get("OIDC_SCOPES"), None);

        // DELETE on the first: the second falls back to its environment.
        let (status, _) = call(
            Method::DELETE,
            first.url("/api/v1/admin/oidc/"),
            Some(&t1),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let mut back = false;
        for _ in 0..50 {
            if second.state.oidc().client_id.as_deref() == Some("second-env-client") {
                back = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(back, "the second instance saw the removal");
        third.stop().await;
        second.stop().await;
        first.stop().await;
    }
);

const OP_SECRET: &str = "heartlock-test-secret-0123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// e2e/oidc/op.mjs on `port` for `srv`'s callback, killed when dropped.
async fn start_op(port: u16, srv: &TestServer) -> tokio::process::Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/oidc/op.mjs");
    let child = tokio::process::Command::new("node")
        .arg(script)
        .env("OP_PORT", port.to_string())
        .env("OP_REDIRECT_URI", srv.url("/oauth/callback"))
        .env("OP_POST_LOGOUT", srv.url("/login"))
        .env("OP_CLIENT_SECRET", OP_SECRET)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node (with e2e/node_modules installed) is needed for the OIDC tests");
    let discovery = format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(&discovery).await
            && r.status().is_success()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the OpenID Provider did not start on port {port}");
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

backend_test!(sso_works_right_after_a_put, |backend| async move {
    let srv = TestServer::start(backend, from_env(&[])).await;
    let port = free_port();
    let mut op = start_op(port, &srv).await;
    let issuer = format!("http://127.0.0.1:{port}");
    let token = admin_token(&srv, "root@example.com").await;
    let b = cookie_browser();
    assert_eq!(
        b.get(srv.url("/oauth/login"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let login_page = b
        .get(srv.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!login_page.contains("href=\"/oauth/login\""));

    let (status, body) = call(
        Method::PUT,
        srv.url("/api/v1/admin/oidc/"),
        Some(&token),
        Some(json!({
            "OIDC_CLIENT_ID": "heartlock",
            "OIDC_CLIENT_SECRET": OP_SECRET,
            "OIDC_ISSUER": issuer,
            "OIDC_AUTHORIZATION_ENDPOINT": format!("{issuer}/auth"),
            "OIDC_TOKEN_ENDPOINT": format!("{issuer}/token"),
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enabled"], true, "auto-enabled: {body}");

    // No restart: the login page offers SSO and a whole sign-in works.
    let login_page = b
        .get(srv.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login_page.contains("href=\"/oauth/login\""));
    let r = b.get(srv.url("/oauth/login")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let auth = location(&r);
    assert!(auth.starts_with(&format!("{issuer}/auth?")), "{auth}");
    let mut url = url::Url::parse(&format!("{auth}&login_hint=alice")).unwrap();
    let mut callback = None;
    for _ in 0..10 {
        let r = b.get(url.as_str()).send().await.unwrap();
        assert!(
            r.status().is_redirection(),
            "provider answered {}",
            r.status()
        );
        let next = url.join(&location(&r)).unwrap();
        if next.as_str().starts_with(&srv.url("/oauth/callback")) {
            callback = Some(next);
            break;
        }
        url = next;
    }
    let callback = callback.expect("the provider sent the browser back");
    let r = b.get(callback.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/projects");
    assert_eq!(
        b.get(srv.url("/projects")).send().await.unwrap().status(),
        200
    );
    let _ = op.kill().await;
    srv.stop().await;
});
