//! `.heartlock.toml`: which server, project and environment a folder uses.
//! It holds no secrets, so it can be committed.
use super::error::{CliResult, failed, usage};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".heartlock.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// The nearest `.heartlock.toml` in the current folder or its parents.
pub fn find() -> CliResult<Option<(PathBuf, ProjectFile)>> {
    let Ok(cwd) = std::env::current_dir() else {
        return Ok(None);
    };
    for dir in cwd.ancestors() {
        let path = dir.join(FILE_NAME);
        if let Some(text) = super::paths::read_optional(&path)? {
            return parse(&path, &text).map(|f| Some((path, f)));
        }
    }
    Ok(None)
}

fn parse(path: &Path, text: &str) -> CliResult<ProjectFile> {
    toml::from_str(text)
        .map_err(|e| usage(format!("{} is not valid: {}", path.display(), e.message())))
}

/// Writes `.heartlock.toml` into `dir` (replacing any previous one).
pub fn write(dir: &Path, file: &ProjectFile) -> CliResult<PathBuf> {
    let path = dir.join(FILE_NAME);
    let body = toml::to_string(file).map_err(|e| failed(format!("cannot encode: {e}")))?;
    let text = format!("# Heartlock settings for this folder (no secrets here).\n{body}");
    std::fs::write(&path, text)
        .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}
