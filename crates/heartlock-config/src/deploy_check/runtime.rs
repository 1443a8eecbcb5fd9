//! Checks that need more than the loaded settings: whether an administrator
//! exists, and what `<data_dir>/appconfig.json` holds now (the onboarding
//! wizard writes it while the server runs, and it wins at the next start).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use super::Findings;
use crate::report::SETTING_NAMES;
use crate::sources::{aliases, read_appconfig, read_dotenv};
use crate::{Secret, Settings, Source, validate};

const APPCONFIG: &str = "appconfig.json";

/// Facts about the running deployment. `None` means "not known", and the
/// checks that need it are skipped (never guessed).
#[derive(Debug, Clone, Default)]
pub struct RuntimeFacts {
    /// Whether at least one server administrator account exists.
    pub admin_exists: Option<bool>,
    /// Whether the onboarding wizard was completed (it then stays closed).
    pub onboarding_done: Option<bool>,
    /// The settings in `<data_dir>/appconfig.json` now (empty when there is
    /// no such file). Values are kept as [`Secret`]s and never reported.
    pub appconfig: Option<HashMap<String, Secret>>,
    /// Canonical names of the settings set in the process environment or
    /// the `.env` files (below appconfig.json in precedence).
    pub lower_layer_names: Option<BTreeSet<&'static str>>,
}

impl RuntimeFacts {
    /// Fills `appconfig` and `lower_layer_names` by reading appconfig.json
    /// and the `.env` files again, now; `env` is the process environment
    /// the settings were loaded from. Only names are kept from `env` and the
    /// `.env` files. A file that cannot be read leaves its fact unknown.
    pub fn read_config_files(&mut self, settings: &Settings, env: &HashMap<String, String>) {
        self.appconfig = match read_appconfig(&settings.data_dir.join(APPCONFIG)) {
            Ok(Some(file)) => Some(
                file.values
                    .into_iter()
                    .map(|(k, v)| (k, Secret::new(v)))
                    .collect(),
            ),
            Ok(None) => Some(HashMap::new()),
            Err(_) => None,
        };
        let mut names: HashSet<String> = env.keys().cloned().collect();
        let mut files = vec![settings.cwd.join(".env")];
        if let Some(app_env) = &settings.app_env {
            files.push(settings.cwd.join(format!(".env.{app_env}")));
        }
        for path in files {
            match read_dotenv(&path) {
                Ok(Some(values)) => names.extend(values.into_keys()),
                Ok(None) => {}
                Err(_) => {
                    self.lower_layer_names = None;
                    return;
                }
            }
        }
        self.lower_layer_names = Some(
            SETTING_NAMES
                .iter()
                .copied()
                .filter(|n| names.contains(*n) || aliases(n).iter().any(|a| names.contains(*a)))
                .collect(),
        );
    }
}

fn is_appconfig(source: Option<&Source>) -> bool {
    matches!(source.map(Source::layer), Some(Source::AppConfig(_)))
}

/// `s` with the onboarding wizard's settings from the current
/// appconfig.json applied (base URL, database, encryption key), as the next
/// start would load them. Invalid values are left out: they would stop the
/// next start, which is reported there.
pub(super) fn effective<'a>(s: &'a Settings, facts: &RuntimeFacts) -> Cow<'a, Settings> {
    let Some(values) = &facts.appconfig else {
        return Cow::Borrowed(s);
    };
    let get = |name: &str| values.get(name).map(|v| v.expose().trim());
    let mut out = Cow::Borrowed(s);
    let path = s.data_dir.join(APPCONFIG);
    let mark = |out: &mut Cow<'a, Settings>, name: &'static str| {
        if !is_appconfig(out.source_of(name)) {
            out.to_mut()
                .records
                .insert(name, Source::AppConfig(path.clone()));
        }
    };
    if let Some(url) = get("HEARTLOCK_BASE_URL").and_then(validate::base_url) {
        if out.base_url.as_deref() != Some(url.as_str()) {
            out.to_mut().base_url = Some(url);
        }
        mark(&mut out, "HEARTLOCK_BASE_URL");
    }
    if let Some(url) =
        get("DATABASE_URL").filter(|v| validate::is_sqlite_url(v) || validate::is_postgres_url(v))
    {
        if out.database_url.expose() != url {
            out.to_mut().database_url = Secret::new(url);
        }
        mark(&mut out, "DATABASE_URL");
    }
    if let Some(key) = get("HEARTLOCK_ENCRYPTION_KEY").filter(|v| validate::fernet_keys(v).is_ok())
    {
        if out.encryption_key.as_ref().map(Secret::expose) != Some(key) {
            out.to_mut().encryption_key = Some(Secret::new(key));
        }
        mark(&mut out, "HEARTLOCK_ENCRYPTION_KEY");
    }
    out
}

/// `loaded`: the settings as loaded; `s`: with appconfig.json applied.
pub(super) fn check(loaded: &Settings, s: &Settings, facts: &RuntimeFacts, out: &mut Findings) {
    if facts.admin_exists == Some(false)
        && !s.disable_onboarding
        && facts.onboarding_done != Some(true)
    {
        out.error(
            "heartlock.W040",
            &["HEARTLOCK_DISABLE_ONBOARDING"],
            "No server administrator exists and the onboarding wizard is open: whoever opens \
             /onboarding first becomes the administrator and chooses the database and the \
             encryption key.",
            "Create the administrator now (`heartlock createsuperuser`, or finish the wizard \
             yourself), or set HEARTLOCK_DISABLE_ONBOARDING=true.",
        );
    }
    if is_appconfig(s.source_of("HEARTLOCK_ENCRYPTION_KEY")) {
        let next_to = match s.sqlite_path() {
            Some(db) if db.starts_with(&s.data_dir) => "next to the SQLite database",
            _ => "in the data directory",
        };
        out.error(
            "heartlock.W041",
            &["HEARTLOCK_ENCRYPTION_KEY"],
            format!(
                "The encryption key is stored in plain text in {APPCONFIG} {next_to}, so any \
                 copy or backup of that directory can decrypt every secret."
            ),
            format!(
                "Keep a backup of the key, move it to HEARTLOCK_ENCRYPTION_KEY in the \
                 environment or the service's secret store, then delete it from {APPCONFIG}."
            ),
        );
    }
    let in_appconfig: BTreeSet<&'static str> = SETTING_NAMES
        .iter()
        .copied()
        .filter(|n| {
            is_appconfig(s.source_of(n))
                || facts
                    .appconfig
                    .as_ref()
                    .is_some_and(|values| values.contains_key(*n))
        })
        .collect();
    let lower = facts.lower_layer_names.as_ref();
    let overridden: Vec<&'static str> = in_appconfig
        .into_iter()
        .filter(|n| {
            lower.is_some_and(|names| names.contains(n))
                // Loaded from a lower layer, but appconfig.json has it now.
                || loaded.source_of(n).map(Source::layer).is_some_and(|l| {
                    matches!(
                        l,
                        Source::Environment | Source::DotEnv(_) | Source::AppEnvFile(_)
                    )
                })
        })
        .collect();
    if !overridden.is_empty() {
        out.warning(
            "heartlock.W042",
            &overridden,
            format!(
                "{APPCONFIG} in the data directory sets {}, which the environment or a .env \
                 file sets too; {APPCONFIG} wins, so the environment's value is ignored.",
                overridden.join(", ")
            ),
            format!(
                "Keep each setting in one place: remove it from {APPCONFIG} (written by the \
                 onboarding wizard) or from the environment."
            ),
        );
    }
}
