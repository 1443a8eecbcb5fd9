//! `<data_dir>/appconfig.json`: the onboarding wizard's settings file, read
//! at start-up with precedence over the environment.
use std::path::{Path, PathBuf};

pub const APPCONFIG: &str = "appconfig.json";

/// Merges `values` into `<dir>/appconfig.json` atomically (temporary file in
/// the same folder, fsync, rename), readable by the owner only.
pub fn write_appconfig(dir: &Path, values: &[(&str, String)]) -> std::io::Result<PathBuf> {
    update_appconfig(dir, values, &[])
}

/// As [`write_appconfig`], also removing the keys in `remove`.
pub fn update_appconfig(
    dir: &Path,
    values: &[(&str, String)],
    remove: &[&str],
) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(APPCONFIG);
    let mut map = match std::fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => {
                return Err(std::io::Error::other(format!(
                    "{} is not a JSON object; fix or remove it",
                    path.display()
                )));
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::Map::new(),
        Err(e) => return Err(e),
    };
    for k in remove {
        map.remove(*k);
    }
    for (k, v) in values {
        map.insert((*k).to_string(), serde_json::Value::String(v.clone()));
    }
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(map))
        .map_err(std::io::Error::other)?;
    let tmp = dir.join(format!(
        ".{APPCONFIG}.{}.tmp",
        heartlock_core::ids::new_id()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appconfig_is_private_and_merged() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(APPCONFIG), r#"{"OIDC_CLIENT_ID": "x"}"#).unwrap();
        let path =
            write_appconfig(dir.path(), &[("DATABASE_URL", "postgres://db/h".into())]).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["OIDC_CLIENT_ID"], "x");
        assert_eq!(v["DATABASE_URL"], "postgres://db/h");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
