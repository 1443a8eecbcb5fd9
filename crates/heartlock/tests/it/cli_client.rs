//! The client commands, run as real processes against a live server.
use crate::cli_support::{Fixture, PASSWORD, text};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn run_execs_the_command_with_secrets_and_its_exit_code() {
    let fx = Fixture::with_project();
    fx.ok(&[], &["secrets", "set", "KEY=from-heartlock", "OTHER=x"]);
    let script = ["run", "--", "sh", "-c", "echo $KEY; exit 7"];

    // With the login profile.
    let out = fx.cli(&[], &script);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "from-heartlock\n");

    // A shell command line.
    let out = fx.cli(&[], &["run", "--command", "echo \"$KEY|$OTHER\" && exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "from-heartlock|x\n");
    // Both forms at once is a usage error.
    let out = fx.cli(&[], &["run", "-c", "true", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // With a service token and nothing else but the server.
    let token = fx.token();
    let env = [
        ("HEARTLOCK_TOKEN", token.as_str()),
        ("XDG_CONFIG_HOME", "/nonexistent-config"),
    ];
    let out = fx.cli(&env, &script);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "from-heartlock\n");

    // Secrets override the process environment unless --preserve-env.
    let env = [("KEY", "local")];
    let out = fx.cli(&env, &script);
    assert_eq!(text(&out.stdout), "from-heartlock\n");
    let out = fx.cli(
        &env,
        &[
            "run",
            "--preserve-env",
            "--",
            "sh",
            "-c",
            "echo $KEY $OTHER",
        ],
    );
    assert_eq!(text(&out.stdout), "local x\n");

    // A missing command is the shell's 127.
    let out = fx.cli(&[], &["run", "--", "no-such-command-xyz"]);
    assert_eq!(out.status.code(), Some(127));
}

#[test]
fn sigterm_reaches_the_command() {
    let fx = Fixture::with_project();
    fx.ok(&[], &["secrets", "set", "KEY=v"]);
    let script = "trap \"echo got-term; exit 3\" TERM; echo ready; while true; do sleep 0.1; done";
    let mut child = crate::common::heartlock(fx.home.path(), &[])
        .args(["run", "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(lines.next().unwrap().unwrap(), "got-term");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the command did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3));
}

#[test]
fn fallback_cache_serves_when_the_server_is_down_and_only_then() {
    let mut fx = Fixture::with_project();
    fx.ok(&[], &["secrets", "set", "KEY=cached-value"]);
    let token = fx.token();
    let env = [("HEARTLOCK_TOKEN", token.as_str())];
    let cached_run = [
        "run",
        "--fallback-cache",
        "--max-age",
        "1h",
        "--",
        "sh",
        "-c",
        "echo $KEY",
    ];

    // A successful run fills the cache; it is encrypted.
    let out = fx.cli(&env, &cached_run);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cache_dir = fx.home.path().join(".cache/heartlock");
    let files: Vec<_> = std::fs::read_dir(&cache_dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    let cache_file = files[0].as_ref().unwrap().path();
    let raw = std::fs::read_to_string(&cache_file).unwrap();
    assert!(!raw.contains("cached-value"), "the cache must be encrypted");
    let mode = std::fs::metadata(&cache_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // A wrong token is refused, with the server's detail, and never falls back.
    let bad = [("HEARTLOCK_TOKEN", "hl_st_not-a-real-token")];
    let out = fx.cli(&bad, &cached_run);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("unknown service token"), "{err}");
    assert!(!err.contains("cached"), "{err}");

    // The refusal removed the cache; the good token fills it again.
    assert!(!cache_file.exists());
    fx.ok(&env, &cached_run);

    fx.stop();
    let out = fx.cli(&env, &cached_run);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "cached-value\n");
    let err = text(&out.stderr);
    assert!(
        err.contains("server unreachable, using cached secrets from"),
        "{err}"
    );

    // Two hours later (the test hook, kept out of the help), a 1h cache is too old.
    let later = [
        ("HEARTLOCK_TOKEN", token.as_str()),
        ("HEARTLOCK_NOW_OFFSET_SECS", "7200"),
    ];
    let out = fx.cli(&later, &cached_run);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("older than --max-age 1h"), "{err}");
    // …but a longer --max-age accepts it.
    let out = fx.cli(
        &later,
        &["run", "--fallback-cache", "--max-age", "3h", "--", "true"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Without --fallback-cache, a stopped server is an error.
    let out = fx.cli(&env, &["run", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot reach the server"));
}

#[test]
fn login_whoami_logout_with_a_private_profile() {
    let fx = Fixture::start();
    fx.register("bob@example.com");
    let out = fx.cli_in(
        &[],
        &[
            "login",
            "--server",
            &fx.url,
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        format!("{PASSWORD}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let profiles = fx.home.path().join(".config/heartlock/profiles");
    let files: Vec<_> = std::fs::read_dir(&profiles)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    assert_eq!(files.len(), 1);
    let profile = &files[0];
    let mode = std::fs::metadata(profile).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let body = std::fs::read_to_string(profile).unwrap();
    assert!(
        !body.contains(PASSWORD),
        "the profile must not hold the password"
    );
    assert!(body.contains("refresh_token"));

    let who = fx.ok(&[], &["whoami"]);
    assert!(who.contains("bob@example.com"), "{who}");
    let who: serde_json::Value = serde_json::from_str(&fx.ok(&[], &["whoami", "--json"])).unwrap();
    assert_eq!(who["email"], "bob@example.com");

    // A broken access token is replaced through the refresh token, which
    // rotates (and is saved).
    let old_refresh = refresh_token(&body);
    let broken = body
        .lines()
        .map(|l| {
            if l.starts_with("access_token") {
                "access_token = \"bogus\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(profile, broken).unwrap();
    let who = fx.ok(&[], &["whoami"]);
    assert!(who.contains("bob@example.com"), "{who}");
    let body = std::fs::read_to_string(profile).unwrap();
    assert_ne!(refresh_token(&body), old_refresh);
    let mode = std::fs::metadata(profile).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let out = fx.ok(&[], &["logout"]);
    assert!(out.contains("logged out"), "{out}");
    assert!(!profile.exists());
    let out = fx.cli(&[], &["whoami", "--server", &fx.url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not logged in"));

    // The session was revoked on the server: the old refresh token is dead.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/api/v1/auth/refresh", fx.url))
            .json(&serde_json::json!({ "refresh_token": refresh_token(&body) }))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 401);
}

fn refresh_token(profile: &str) -> String {
    profile
        .lines()
        .find(|l| l.starts_with("refresh_token "))
        .unwrap()
        .to_string()
}

#[test]
fn set_from_stdin_json_output_and_errors() {
    let fx = Fixture::with_project();
    let value = "line 1\r\nquote \" and 'single' # not a comment = sign\n\tü ✓ $HOME `x`\n\n";
    let out = fx.cli_in(&[], &["secrets", "set", "A=-", "B=plain"], value.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = fx.cli(&[], &["secrets", "get", "A", "--raw"]);
    assert_eq!(got.stdout, value.as_bytes());
    assert_eq!(fx.ok(&[], &["secrets", "get", "B"]), "plain\n");

    // ls masks values; --json parses everywhere.
    let ls = fx.ok(&[], &["secrets", "ls"]);
    assert!(ls.contains('A') && !ls.contains("plain"), "{ls}");
    for args in [
        &["secrets", "ls", "--json"][..],
        &["secrets", "get", "A", "--json"],
        &["secrets", "history", "A", "--json"],
        &["projects", "ls", "--json"],
        &["envs", "ls", "--json"],
        &["tokens", "ls", "--json"],
        &["whoami", "--json"],
        &["export", "--json"],
    ] {
        let out = fx.ok(&[], args);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"));
        if args[..2] == ["secrets", "get"] {
            assert_eq!(v["value"], value);
            // Times are RFC 3339 strings in UTC.
            let at = v["updated_at"].as_str().unwrap_or_default();
            assert!(
                at.len() == 24 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
                "{v}"
            );
        }
        if args[..2] == ["tokens", "ls"] {
            for t in v.as_array().unwrap() {
                assert!(t["created_at"].is_string(), "{t}");
                assert!(t["revoked_at"].is_null(), "{t}");
            }
        }
    }
    let ls: serde_json::Value =
        serde_json::from_str(&fx.ok(&[], &["secrets", "ls", "--json"])).unwrap();
    assert!(ls[0].get("value").is_none(), "values only with --reveal");

    // rm + history + rollback.
    fx.ok(&[], &["secrets", "rm", "B"]);
    assert_eq!(fx.cli(&[], &["secrets", "get", "B"]).status.code(), Some(1));
    fx.ok(&[], &["secrets", "rollback", "B", "1"]);
    assert_eq!(fx.ok(&[], &["secrets", "get", "B"]), "plain\n");

    // Server refusals: the problem detail and exit 1.
    let out = fx.cli(&[], &["secrets", "ls", "-p", "no-such-project"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("heartlock: ") && err.contains("not"),
        "{err}"
    );
    // Usage errors: exit 2, and a bad pair never echoes its value.
    let out = fx.cli(&[], &["secrets", "set", "NOEQUALS"]);
    assert_eq!(out.status.code(), Some(2));
    let out = fx.cli(&[], &["secrets", "set", "1BAD=s3cr3t-value"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("s3cr3t"));
}

#[test]
fn tokens_are_revoked_by_name_or_id() {
    let fx = Fixture::with_project();
    let create_json = |name: &str| {
        let out = fx.cli(&[], &["tokens", "create", name, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let create = |name: &str| create_json(name)["id"].as_str().unwrap().to_string();
    let ci_token = create_json("ci")["token"].as_str().unwrap().to_string();
    fx.ok(&[("HEARTLOCK_TOKEN", &ci_token)], &["secrets", "ls"]);
    let dup_a = create("dup");
    let dup_b = create("dup");

    let out = fx.ok(&[], &["tokens", "revoke", "ci"]);
    assert!(out.contains("revoked token"), "{out}");
    // The refused token is named as the cause, not the login.
    let out = fx.cli(&[("HEARTLOCK_TOKEN", &ci_token)], &["secrets", "ls"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("HEARTLOCK_TOKEN was refused"), "{err}");
    assert!(!err.contains("heartlock login"), "{err}");
    // Revoked: the name now names no active token.
    let out = fx.cli(&[], &["tokens", "revoke", "ci"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("no active token") && err.contains("\"ci\""),
        "{err}"
    );

    let out = fx.cli(&[], &["tokens", "revoke", "dup"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("2 active tokens") && err.contains(&dup_a) && err.contains(&dup_b),
        "{err}"
    );
    fx.ok(&[], &["tokens", "revoke", &dup_a]);
    // One left under that name: the name is enough now.
    fx.ok(&[], &["tokens", "revoke", "dup"]);
    let ls: serde_json::Value =
        serde_json::from_str(&fx.ok(&[], &["tokens", "ls", "--json"])).unwrap();
    let live = ls
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["revoked_at"].is_null())
        .count();
    assert_eq!(live, 0, "{ls}");
}

#[test]
fn environments_are_created_renamed_and_removed() {
    let fx = Fixture::with_project();
    let out = fx.ok(&[], &["envs", "create", "qa", "--name", "Quality"]);
    assert!(out.contains("created environment qa (Quality)"), "{out}");
    fx.ok(&[], &["secrets", "set", "-e", "qa", "A=1"]);
    let out = fx.ok(&[], &["envs", "rename", "qa", "Acceptance"]);
    assert!(
        out.contains("renamed environment qa to Acceptance"),
        "{out}"
    );
    let ls: serde_json::Value =
        serde_json::from_str(&fx.ok(&[], &["envs", "ls", "--json"])).unwrap();
    assert!(
        ls.as_array()
            .unwrap()
            .iter()
            .any(|e| e["slug"] == "qa" && e["name"] == "Acceptance"),
        "{ls}"
    );
    // Standard input is not a terminal: without --yes nothing is deleted.
    let out = fx.cli(&[], &["envs", "rm", "qa"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    assert_eq!(fx.ok(&[], &["secrets", "get", "-e", "qa", "A"]), "1\n");
    let out = fx.ok(&[], &["envs", "rm", "qa", "--yes"]);
    assert!(out.contains("deleted environment qa"), "{out}");
    let out = fx.cli(&[], &["secrets", "get", "-e", "qa", "A"]);
    assert_eq!(out.status.code(), Some(1));
    // A refusal from the server is reported, not swallowed.
    let out = fx.cli(&[], &["envs", "rename", "no-such-env", "X"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn setup_checks_the_project_and_environment() {
    let fx = Fixture::with_project();
    let out = fx.cli(&[], &["setup", "--no-input", "-p", "demo", "-e", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("no environment nope") && err.contains("dev, prod"),
        "{err}"
    );
    let out = fx.cli(&[], &["setup", "--no-input", "-p", "nope", "-e", "dev"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("no project nope") && err.contains("yours: demo"),
        "{err}"
    );
    // Neither refusal replaced the file the fixture wrote.
    let t: serde_json::Value = serde_json::from_str(&fx.ok(&[], &["whoami", "--json"])).unwrap();
    assert_eq!(
        (t["project"].as_str(), t["environment"].as_str()),
        (Some("demo"), Some("dev"))
    );
    // An existing pair is written.
    fx.ok(&[], &["setup", "--no-input", "-p", "demo", "-e", "prod"]);
    let t: serde_json::Value = serde_json::from_str(&fx.ok(&[], &["whoami", "--json"])).unwrap();
    assert_eq!(t["environment"], "prod");
}
