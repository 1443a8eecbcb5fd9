//! The one-way layering, checked on every test run: HTTP → domain → store.
//! The server has no store or SQL dependency and its handlers make no store
//! calls; the domain knows no HTTP.
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The names listed under `[dependencies]` (not dev or build ones).
fn dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(crates_dir().join(krate).join("Cargo.toml")).unwrap();
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && let Some((name, _)) = line.split_once('=') {
            out.push(name.trim().trim_end_matches(".workspace").to_string());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_server_reaches_the_database_only_through_the_domain() {
    let deps = dependencies("heartlock-server");
    assert!(deps.contains(&"heartlock-domain".to_string()), "{deps:?}");
    for banned in ["heartlock-store", "sqlx"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "server depends on {banned}"
        );
    }
    let cli = dependencies("heartlock");
    assert!(!cli.iter().any(|d| d == "heartlock-store" || d == "sqlx"));
    let mut files = Vec::new();
    let src = crates_dir().join("heartlock-server/src");
    rust_files(&src.join("api"), &mut files);
    rust_files(&src.join("web"), &mut files);
    assert!(files.len() > 20, "found {} handler files", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let t = code.trim();
            let store_call =
                t.contains(".store.") || t.starts_with(".store") || t.ends_with(".store");
            let banned = ["heartlock_store", "sqlx", "Action::"]
                .iter()
                .any(|b| code.contains(b));
            assert!(
                !store_call && !banned,
                "{}:{}: handlers call the domain, not the store, and decide no permission: {line}",
                file.display(),
                n + 1
            );
        }
    }
}

#[test]
fn the_domain_knows_no_http() {
    let deps = dependencies("heartlock-domain");
    for banned in [
        "axum",
        "axum-extra",
        "tower",
        "tower-http",
        "http",
        "hyper",
        "askama",
    ] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "domain depends on {banned}"
        );
    }
    let mut files = Vec::new();
    rust_files(&crates_dir().join("heartlock-domain/src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for banned in ["axum::", "http::", "tower::", "StatusCode"] {
            assert!(
                !text.contains(banned),
                "{} mentions {banned}",
                file.display()
            );
        }
    }
}
