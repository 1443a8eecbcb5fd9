//! compose.yaml and its helpers (no registry here, so compose itself is not
//! run): the file parsed with PyYAML (scripts/requirements-test.txt) and its
//! essentials checked; deploy/gen-compose-secrets.sh's output, with the
//! compose settings, passes `heartlock check --deploy`;
//! deploy/postgres/init-roles.sh run against the local PostgreSQL;
//! deploy/caddy/Caddyfile read by Caddy itself.
use crate::common::bin;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

const COMPOSE: &str = include_str!("../../../../compose.yaml");
const DOCKERFILE: &str = include_str!("../../../../Dockerfile");

fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn compose() -> serde_json::Value {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is installed");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(COMPOSE.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "compose.yaml is not valid YAML");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `${NAME:-default}` as compose resolves it with NAME unset.
fn with_defaults(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let inner = &rest[start + 2..end];
        let (_, default) = inner.split_once(":-").expect("every ${…} has a default");
        out.push_str(default);
        rest = &rest[end + 1..];
    }
    out + rest
}

#[test]
fn compose_has_the_essentials_and_no_plaintext_secret() {
    let c = compose();
    let s = &c["services"];

    let pg = s["postgres"]["image"].as_str().unwrap();
    let major = pg.strip_prefix("postgres:").unwrap();
    assert!(
        major.starts_with("17") || major.starts_with("18"),
        "postgres image {pg}"
    );
    let pg_env = s["postgres"]["environment"].as_object().unwrap();
    assert!(
        !pg_env.contains_key("POSTGRES_PASSWORD"),
        "plaintext password"
    );
    assert_eq!(
        pg_env["POSTGRES_PASSWORD_FILE"],
        "/run/secrets/postgres_password"
    );
    // Every secret is a file, and the init script gets the two role passwords.
    for secret in c["secrets"].as_object().unwrap().values() {
        assert!(
            secret["file"].as_str().unwrap().starts_with("./secrets/"),
            "{secret}"
        );
    }
    let pg_secrets = s["postgres"]["secrets"].as_array().unwrap();
    for name in [
        "postgres_password",
        "heartlock_owner_db_password",
        "heartlock_app_db_password",
    ] {
        assert!(pg_secrets.iter().any(|v| v == name), "{name}");
    }
    let init = s["postgres"]["volumes"].as_array().unwrap();
    assert!(
        init.iter().any(|v| v
            .as_str()
            .unwrap()
            .starts_with("./deploy/postgres/init-roles.sh:/docker-entrypoint-initdb.d/")),
        "{init:?}"
    );

    let hl = &s["heartlock"];
    assert_eq!(hl["build"], ".");
    assert_eq!(hl["depends_on"]["postgres"]["condition"], "service_healthy");
    assert_eq!(hl["env_file"][0], "./secrets/heartlock.env");
    let env = hl["environment"].as_object().unwrap();
    for (name, value) in env {
        let upper = name.to_uppercase();
        assert!(
            ![
                "PASSWORD",
                "SECRET",
                "KEY",
                "DATABASE_URL",
                "DATABASE_OWNER_URL"
            ]
            .iter()
            .any(|w| upper.contains(w)),
            "{name}={value}: secrets belong in the env file"
        );
    }
    assert!(
        env["TRUSTED_PROXIES"].as_str().unwrap().starts_with(
            s["caddy"]["networks"]["frontend"]["ipv4_address"]
                .as_str()
                .unwrap()
        ),
        "TRUSTED_PROXIES is Caddy's address"
    );
    assert_eq!(hl["volumes"][0], "heartlock_data:/var/lib/heartlock");
    assert_eq!(hl["stop_signal"], "SIGTERM");
    let check = hl["healthcheck"]["test"].as_array().unwrap();
    assert!(check.iter().any(|v| v == "healthcheck"), "{check:?}");
    // Nothing in compose.yaml overrides the image's non-root user.
    assert!(hl.get("user").is_none());
    let user = DOCKERFILE
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("the Dockerfile sets USER");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    // Only Caddy is published.
    assert!(hl.get("ports").is_none() && s["postgres"].get("ports").is_none());

    let caddy = &s["caddy"];
    assert!(caddy["image"].as_str().unwrap().starts_with("caddy:2"));
    let ports: Vec<&str> = caddy["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        ports.contains(&"80:80") && ports.contains(&"443:443"),
        "{ports:?}"
    );
}

#[test]
fn generated_secrets_with_the_compose_settings_pass_the_deploy_check() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets");
    let out = Command::new(repo_root().join("deploy/gen-compose-secrets.sh"))
        .arg(&secrets)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Never overwrites.
    let again = Command::new(repo_root().join("deploy/gen-compose-secrets.sh"))
        .arg(&secrets)
        .output()
        .unwrap();
    assert!(!again.status.success());

    let read = |f: &str| std::fs::read_to_string(secrets.join(f)).unwrap();
    let env_file: HashMap<String, String> = read("heartlock.env")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    for (var, role, file) in [
        ("DATABASE_URL", "heartlock_app", "heartlock_app_db_password"),
        (
            "DATABASE_OWNER_URL",
            "heartlock_owner",
            "heartlock_owner_db_password",
        ),
    ] {
        let url = url::Url::parse(&env_file[var]).unwrap();
        assert_eq!(url.username(), role, "{var}");
        assert_eq!(url.password(), Some(read(file).trim()), "{var}");
        assert_eq!(url.host_str(), Some("postgres"));
        assert_eq!(url.path(), "/heartlock");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(secrets.join("heartlock.env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the owner reads the secrets");
    }

    // What the container sees: the env file, then compose's `environment:`.
    let c = compose();
    let mut env = env_file;
    for (k, v) in c["services"]["heartlock"]["environment"]
        .as_object()
        .unwrap()
    {
        env.insert(k.clone(), with_defaults(v.as_str().unwrap()));
    }
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["check", "--deploy"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(&env)
        .current_dir(work.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("heartlock.W"), "{text}");
}

/// psql against the test PostgreSQL server (HEARTLOCK_TEST_PG_URL) as its superuser.
fn psql(pg: &url::Url, db: &str, sql: &str) -> String {
    let mut url = pg.clone();
    url.set_path(db);
    let out = Command::new("psql")
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .arg(url.as_str())
        .output()
        .expect("psql is installed");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Drops the database and roles the test made, even when it fails.
struct DropRoles<'a> {
    pg: &'a url::Url,
    db: String,
    roles: [String; 2],
}

impl Drop for DropRoles<'_> {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            psql(
                self.pg,
                "postgres",
                &format!("DROP DATABASE IF EXISTS \"{}\"", self.db),
            );
            for r in &self.roles {
                psql(self.pg, "postgres", &format!("DROP ROLE IF EXISTS \"{r}\""));
            }
        });
    }
}

#[test]
fn init_roles_creates_an_owner_and_an_app_role_without_rights() {
    let pg = url::Url::parse(
        &std::env::var("HEARTLOCK_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
    )
    .unwrap();
    let unique = format!(
        "{}_{}",
        std::process::id(),
        heartlock_core::token::random_token("")[..8]
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let guard = DropRoles {
        pg: &pg,
        db: format!("hl_test_init_{unique}"),
        roles: [
            format!("hl_test_owner_{unique}"),
            format!("hl_test_app_{unique}"),
        ],
    };
    let [owner, app] = &guard.roles.clone();
    let db = &guard.db.clone();
    let dir = tempfile::tempdir().unwrap();
    // A quote and a backslash: the password reaches PostgreSQL as written.
    let (owner_pw, app_pw) = ("owner-pw-1f8a'\\x", "app-pw-93c2'\\y");
    std::fs::write(dir.path().join("owner"), format!("{owner_pw}\n")).unwrap();
    std::fs::write(dir.path().join("app"), format!("{app_pw}\n")).unwrap();

    let out = Command::new(repo_root().join("deploy/postgres/init-roles.sh"))
        .env("PGHOST", pg.host_str().unwrap())
        .env("PGPORT", pg.port().unwrap_or(5432).to_string())
        .env("POSTGRES_USER", pg.username())
        // md5 hashes (deprecated, for this check only) can be recomputed here.
        .env("PGOPTIONS", "-c password_encryption=md5")
        .env("HEARTLOCK_DB", db)
        .env("HEARTLOCK_OWNER_ROLE", owner)
        .env("HEARTLOCK_APP_ROLE", app)
        .env("HEARTLOCK_OWNER_PASSWORD_FILE", dir.path().join("owner"))
        .env("HEARTLOCK_APP_PASSWORD_FILE", dir.path().join("app"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "init-roles.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let combined = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!combined.contains(owner_pw) && !combined.contains(app_pw));

    assert_eq!(
        psql(
            &pg,
            "postgres",
            &format!("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{db}'")
        ),
        *owner
    );
    let lit = |s: &str| s.replace('\'', "''");
    for (role, pw) in [(owner, owner_pw), (app, app_pw)] {
        let row = psql(
            &pg,
            "postgres",
            &format!(
                "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, \
                 rolbypassrls, rolpassword = 'md5' || md5(E'{}' || rolname) \
                 FROM pg_authid WHERE rolname = '{role}'",
                lit(pw).replace('\\', "\\\\")
            ),
        );
        assert_eq!(row, "t|f|f|f|f|f|t", "{role}: login, no rights, password");
    }
    let privileges = |role: &str| {
        psql(
            &pg,
            db,
            &format!(
                "SELECT has_database_privilege('{role}', '{db}', 'CONNECT'), \
                 has_database_privilege('{role}', '{db}', 'CREATE'), \
                 has_schema_privilege('{role}', 'public', 'CREATE'), \
                 has_schema_privilege('{role}', 'public', 'USAGE')"
            ),
        )
    };
    assert_eq!(privileges(owner), "t|t|t|t");
    assert_eq!(privileges(app), "t|f|f|t", "the app role may only connect");
    // Heartlock on these roles: the owner migrates and installs row-level
    // security, the app role is granted data rights only and can work.
    let url_for = |role: &str| {
        format!(
            "postgres://{role}@{}:{}/{db}",
            pg.host_str().unwrap(),
            pg.port().unwrap_or(5432)
        )
    };
    let work = tempfile::tempdir().unwrap();
    let heartlock = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_heartlock"))
            .args(args)
            .current_dir(work.path())
            .env("DEBUG", "true")
            .env("DATABASE_URL", url_for(app))
            .env("DATABASE_OWNER_URL", url_for(owner))
            .output()
            .unwrap()
    };
    let out = heartlock(&["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = heartlock(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        psql(
            &pg,
            db,
            &format!(
                "SELECT c.relforcerowsecurity, has_table_privilege('{app}', 'secrets', 'INSERT'), \
                 has_table_privilege('{app}', 'audit_events', 'INSERT'), \
                 has_table_privilege('{app}', 'audit_events', 'UPDATE'), \
                 has_table_privilege('{app}', 'audit_events', 'DELETE') \
                 FROM pg_class c WHERE c.relname = 'secrets'"
            )
        ),
        "t|t|t|f|f"
    );
    // Nobody else may connect.
    assert_eq!(
        psql(
            &pg,
            "postgres",
            &format!("SELECT has_database_privilege('public', '{db}', 'CONNECT')")
        ),
        "f"
    );
    drop(guard);
    assert_eq!(
        psql(
            &pg,
            "postgres",
            &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{owner}', '{app}')")
        ),
        "0"
    );
}

/// deploy/caddy/Caddyfile as Caddy reads it (`caddy adapt`, Debian's caddy).
fn caddy_config(domain: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new("caddy");
    cmd.args(["adapt", "--adapter", "caddyfile", "--config"])
        .arg(repo_root().join("deploy/caddy/Caddyfile"))
        .env_remove("HEARTLOCK_DOMAIN")
        .env_remove("HEARTLOCK_UPSTREAM");
    if let Some(d) = domain {
        cmd.env("HEARTLOCK_DOMAIN", d);
    }
    let out = cmd
        .output()
        .expect("caddy (Debian package caddy) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn caddy_terminates_tls_for_the_domain_and_proxies_to_heartlock() {
    for (domain, host) in [
        (None, "secrets.example.com"),
        (Some("vault.example.org"), "vault.example.org"),
    ] {
        let config = caddy_config(domain);
        let server = &config["apps"]["http"]["servers"]["srv0"];
        // A named site on :443 only: Caddy's automatic HTTPS (and its :80 redirect).
        assert_eq!(server["listen"], serde_json::json!([":443"]), "{config}");
        let route = &server["routes"][0];
        assert_eq!(route["match"][0]["host"], serde_json::json!([host]));
        let text = route.to_string();
        assert!(text.contains(r#""handler":"reverse_proxy""#), "{text}");
        assert!(text.contains(r#""dial":"heartlock:8082""#), "{text}");
        assert!(
            text.contains(r#""delete":["Forwarded"]"#),
            "the client's Forwarded header is dropped: {text}"
        );
    }
}
