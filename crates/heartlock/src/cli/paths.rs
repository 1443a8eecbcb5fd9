//! Where the CLI keeps its files, and how it writes the private ones:
//! directories 0700, files 0600, replaced atomically (temp file + rename) so
//! a crash never leaves a half-written credential behind.
use super::error::{CliResult, failed, usage};
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// An absolute path from an environment variable; relative or empty values
/// are ignored, as the XDG base-directory spec says.
fn abs_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

fn base_dir(xdg: &str, fallback: &str) -> CliResult<PathBuf> {
    if let Some(dir) = abs_env(xdg) {
        return Ok(dir.join("heartlock"));
    }
    abs_env("HOME")
        .map(|home| home.join(fallback).join("heartlock"))
        .ok_or_else(|| usage(format!("cannot find a home directory: set HOME or {xdg}")))
}

/// `$XDG_CONFIG_HOME/heartlock`, else `~/.config/heartlock`.
pub fn config_dir() -> CliResult<PathBuf> {
    base_dir("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_CACHE_HOME/heartlock`, else `~/.cache/heartlock`.
pub fn cache_dir() -> CliResult<PathBuf> {
    base_dir("XDG_CACHE_HOME", ".cache")
}

/// Creates `dir` (and parents) and makes it private to the user.
pub fn private_dir(dir: &Path) -> CliResult<()> {
    fs::create_dir_all(dir).map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| failed(format!("cannot protect {}: {e}", dir.display())))
}

/// A fresh temp path next to `path` (same filesystem, so rename is atomic).
fn temp_path(path: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.{nanos}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Writes a new 0600 temp file next to `path` and returns its path.
fn write_temp(path: &Path, bytes: &[u8]) -> CliResult<PathBuf> {
    let tmp = temp_path(path);
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        });
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(failed(format!("cannot write {}: {e}", path.display())));
    }
    Ok(tmp)
}

/// Replaces `path` with `bytes` atomically, mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let tmp = write_temp(path, bytes)?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        failed(format!("cannot write {}: {e}", path.display()))
    })
}

/// Creates `path` with `bytes` (mode 0600) unless it already exists; returns
/// false when it did. Readers never see a partial file.
pub fn create_private(path: &Path, bytes: &[u8]) -> CliResult<bool> {
    let tmp = write_temp(path, bytes)?;
    // A hard link fails when the target exists, unlike rename.
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(failed(format!("cannot create {}: {e}", path.display()))),
    }
}

/// Reads a file that may not exist.
pub fn read_optional(path: &Path) -> CliResult<Option<String>> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(failed(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Removes a file that may not exist.
pub fn remove_optional(path: &Path) -> CliResult<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(failed(format!("cannot remove {}: {e}", path.display()))),
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
