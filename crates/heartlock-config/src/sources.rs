//! Reading the configuration layers: environment map, `.env` files and
//! `appconfig.json`, plus the legacy-alias and appconfig allow-list rules.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::{ConfigError, Source};

/// Everything the loader needs from the outside world.
///
/// No `Debug` impl on purpose: `env` holds secrets.
#[derive(Clone, Default)]
pub struct LoadInput {
    pub env: HashMap<String, String>,
    pub cwd: PathBuf,
}

impl LoadInput {
    /// Snapshot the real process environment and working directory.
    /// Variables whose name or value is not valid UTF-8 are skipped.
    pub fn from_process() -> io::Result<Self> {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Ok(LoadInput {
            env,
            cwd: std::env::current_dir()?,
        })
    }
}

/// OIDC settings by canonical name; all of them may come from appconfig.json.
pub(crate) const OIDC_NAMES: &[&str] = &[
    "OIDC_ENABLE",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_TOKEN_ENDPOINT",
    "OIDC_USERINFO_ENDPOINT",
    "OIDC_JWKS_ENDPOINT",
    "OIDC_END_SESSION_ENDPOINT",
    "OIDC_REDIRECT_URI",
    "OIDC_SIGN_ALGO",
    "OIDC_SCOPES",
    "OIDC_ISSUER",
    "OIDC_GROUPS_CLAIM",
];

/// Whether appconfig.json may set `name` (it is written by the web UI, so
/// it is deliberately limited to what that UI manages).
pub(crate) fn appconfig_allows(name: &str) -> bool {
    matches!(
        name,
        "HEARTLOCK_BASE_URL" | "DATABASE_URL" | "HEARTLOCK_ENCRYPTION_KEY"
    ) || OIDC_NAMES.contains(&name)
}

/// Legacy names still accepted for a canonical setting, in preference order.
pub(crate) fn aliases(name: &str) -> &'static [&'static str] {
    match name {
        "OIDC_CLIENT_ID" => &["OIDC_RP_CLIENT_ID"],
        "OIDC_CLIENT_SECRET" => &["OIDC_RP_CLIENT_SECRET"],
        "OIDC_AUTHORIZATION_ENDPOINT" => &["OIDC_OP_AUTHORIZATION_ENDPOINT"],
        "OIDC_TOKEN_ENDPOINT" => &["OIDC_OP_TOKEN_ENDPOINT"],
        "OIDC_USERINFO_ENDPOINT" => &["OIDC_OP_USER_ENDPOINT"],
        "OIDC_JWKS_ENDPOINT" => &["OIDC_OP_JWKS_ENDPOINT"],
        "OIDC_END_SESSION_ENDPOINT" => &["OIDC_OP_LOGOUT_ENDPOINT", "OIDC_OP_END_SESSION_ENDPOINT"],
        "OIDC_SIGN_ALGO" => &["OIDC_RP_SIGN_ALGO"],
        _ => &[],
    }
}

/// One source of raw string values.
#[derive(Debug)]
pub(crate) struct Layer {
    pub source: Source,
    pub values: HashMap<String, String>,
}

/// Layers in precedence order, highest first.
#[derive(Debug, Default)]
pub(crate) struct Layers(pub Vec<Layer>);

impl Layers {
    /// The first layer that sets `name` (canonically, or else via an alias
    /// within that same layer) wins.
    pub fn lookup(&self, name: &'static str) -> Option<(String, Source)> {
        for layer in &self.0 {
            if let Some(v) = layer.values.get(name) {
                return Some((v.clone(), layer.source.clone()));
            }
            for alias in aliases(name) {
                if let Some(v) = layer.values.get(*alias) {
                    let source = Source::Legacy {
                        layer: Box::new(layer.source.clone()),
                        alias,
                    };
                    return Some((v.clone(), source));
                }
            }
        }
        None
    }
}

/// Read a file that may legitimately be absent.
fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(_) => Err(file_error(path, "file is not valid UTF-8")),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_error(path, &format!("cannot read file: {e}"))),
    }
}

fn file_error(path: &Path, message: &str) -> ConfigError {
    ConfigError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Parse a `.env`-style file into a map without touching the process
/// environment. Returns `None` when the file does not exist.
pub(crate) fn read_dotenv(path: &Path) -> Result<Option<HashMap<String, String>>, ConfigError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    // dotenvy only strips a BOM in its env-mutating `load`, so do it here.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut values = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((key, value)) => {
                values.insert(key, value);
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                // Report the line number only: the line itself may hold a secret.
                let message = match line_number(text, &line) {
                    Some(n) => {
                        format!("cannot parse line {n} (check quoting and KEY=value syntax)")
                    }
                    None => "cannot parse file (check quoting and KEY=value syntax)".to_string(),
                };
                return Err(file_error(path, &message));
            }
            Err(e) => return Err(file_error(path, &format!("cannot read file: {e}"))),
        }
    }
    Ok(Some(values))
}

/// 1-based line number where `fragment` starts in `text`.
fn line_number(text: &str, fragment: &str) -> Option<usize> {
    let first_line = fragment.lines().next().filter(|l| !l.trim().is_empty())?;
    let pos = text.find(first_line)?;
    Some(text[..pos].matches('\n').count() + 1)
}

/// Parsed appconfig.json: honoured values plus warnings for ignored keys.
pub(crate) struct AppConfig {
    pub values: HashMap<String, String>,
    pub warnings: Vec<String>,
}

/// Read `appconfig.json`; `None` when it does not exist.
pub(crate) fn read_appconfig(path: &Path) -> Result<Option<AppConfig>, ConfigError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        // serde_json errors carry only a position, never the input text.
        file_error(path, &format!("malformed JSON: {e}"))
    })?;
    let serde_json::Value::Object(map) = json else {
        return Err(file_error(path, "expected a JSON object of setting names"));
    };
    let mut values = HashMap::new();
    let mut warnings = Vec::new();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        if !appconfig_allows(key) {
            warnings.push(format!(
                "{}: ignoring key {key}: only HEARTLOCK_BASE_URL, DATABASE_URL, \
                 HEARTLOCK_ENCRYPTION_KEY and OIDC_* settings are read from this file",
                path.display()
            ));
            continue;
        }
        let value = match map.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Bool(b)) => b.to_string(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            // null means "not set here", so lower layers still apply.
            Some(serde_json::Value::Null) | None => continue,
            Some(_) => {
                return Err(file_error(
                    path,
                    &format!("value of {key} must be a string, boolean or number"),
                ));
            }
        };
        values.insert(key.clone(), value);
    }
    Ok(Some(AppConfig { values, warnings }))
}
