//! Where the client commands take their server, project and environment
//! from (flag > environment > .heartlock.toml > profile), without a server.
use crate::common::run;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `whoami --json` with a service token answers without a request.
fn target(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> serde_json::Value {
    let mut all = vec![("HEARTLOCK_TOKEN", "hl_st_x")];
    all.extend_from_slice(env);
    let mut argv = vec!["whoami", "--json"];
    argv.extend_from_slice(args);
    let out = run(dir, &all, &argv);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_str(&text(&out.stdout)).unwrap()
}

#[test]
fn precedence_is_flag_then_env_then_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let out = run(
        dir,
        &[],
        &[
            "setup",
            "--no-input",
            "--server",
            "http://file.example/",
            "-p",
            "fp",
            "-e",
            "fe",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.join(".heartlock.toml")).unwrap();
    assert!(
        written.contains("server = \"http://file.example\""),
        "{written}"
    );

    // Found from a subfolder too.
    let sub = dir.join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    let t = target(&sub, &[("HOME", dir.to_str().unwrap())], &[]);
    assert_eq!(t["server"], "http://file.example");
    assert_eq!(t["project"], "fp");
    assert_eq!(t["environment"], "fe");

    let env = [
        ("HEARTLOCK_SERVER", "http://env.example"),
        ("HEARTLOCK_PROJECT", "ep"),
    ];
    let t = target(dir, &env, &[]);
    assert_eq!(t["server"], "http://env.example");
    assert_eq!(t["project"], "ep");
    assert_eq!(t["environment"], "fe");

    let t = target(
        dir,
        &env,
        &["--server", "http://flag.example", "-p", "xp", "-e", "xe"],
    );
    assert_eq!(t["server"], "http://flag.example");
    assert_eq!(t["project"], "xp");
    assert_eq!(t["environment"], "xe");
}

#[test]
fn missing_configuration_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    // No server anywhere.
    let out = run(dir, &[], &["whoami"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no server"),
        "{}",
        text(&out.stderr)
    );
    // A server but no login and no token.
    let out = run(
        dir,
        &[("HEARTLOCK_SERVER", "http://127.0.0.1:9")],
        &["whoami"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not logged in"));
    // No project.
    let env = [
        ("HEARTLOCK_SERVER", "http://127.0.0.1:9"),
        ("HEARTLOCK_TOKEN", "hl_st_x"),
    ];
    let out = run(dir, &env, &["run", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no project"));
    // setup without values and without a terminal.
    let out = run(dir, &[], &["setup"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join(".heartlock.toml").exists());
    // A bad .heartlock.toml is reported with its path.
    std::fs::write(dir.join(".heartlock.toml"), "server = [").unwrap();
    let out = run(dir, &[], &["whoami"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(".heartlock.toml"));
    // Unknown server unreachable: exit 1.
    std::fs::remove_file(dir.join(".heartlock.toml")).unwrap();
    let env = [
        ("HEARTLOCK_SERVER", "http://127.0.0.1:9"),
        ("HEARTLOCK_TOKEN", "hl_st_x"),
        ("HEARTLOCK_PROJECT", "p"),
        ("HEARTLOCK_ENVIRONMENT", "e"),
    ];
    let out = run(dir, &env, &["secrets", "ls"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot reach the server"));
}

#[test]
fn completions_are_generated() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = run(home.path(), &[], &["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains("heartlock"));
    }
}
