//! The OIDC settings server administrators manage at run time (admin API
//! and page). They form the appconfig layer: validated, stored in the
//! database (the client secret sealed), mirrored into `appconfig.json`,
//! audited, and laid over the environment layer by the configuration code.
//! Every instance polls the scope's version and rebuilds its settings when
//! it changes, so no restart is needed anywhere.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{BootError, DomainError, DomainResult};
use crate::principal::Principal;
use heartlock_config::{
    ConfigError, EffectiveOidc, OidcSettings, REDACTED, Settings, Source, oidc_insecure_urls,
    oidc_setting_names,
};
use heartlock_core::Keyring;
use heartlock_core::audit::Outcome;
use heartlock_core::binding::server_setting_context;
use heartlock_store::{ServerSetting, Store};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The scope of the OIDC rows in `server_settings`.
const SCOPE: &str = "oidc";
const SECRET_NAME: &str = "OIDC_CLIENT_SECRET";
/// How often each instance checks whether another one changed the settings.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Admin-set values by canonical name; `None` (or an empty string) removes.
pub type OidcChanges = BTreeMap<String, Option<String>>;

struct Current {
    effective: Arc<EffectiveOidc>,
    settings: Arc<OidcSettings>,
    /// The database version these settings were built from; `None` while
    /// the scope was never written (start-up value, appconfig.json included).
    version: Option<i64>,
}

/// The swappable OIDC settings of one instance.
pub struct LiveOidc {
    current: RwLock<Current>,
    stopped: AtomicBool,
}

impl LiveOidc {
    fn new(effective: EffectiveOidc, version: Option<i64>) -> Self {
        LiveOidc {
            current: RwLock::new(Current {
                settings: Arc::new(effective.settings.clone()),
                effective: Arc::new(effective),
                version,
            }),
            stopped: AtomicBool::new(false),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Current) -> T) -> T {
        // A poisoned lock still holds a complete value (it is only ever
        // replaced whole), so keep serving it.
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        f(&guard)
    }

    fn version(&self) -> Option<i64> {
        self.read(|c| c.version)
    }

    /// Installs `effective` unless a newer version is already in place (a
    /// slow poll must not undo a write that finished meanwhile).
    fn install(&self, effective: EffectiveOidc, version: i64) -> bool {
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        if guard.version.is_some_and(|v| v >= version) {
            return false;
        }
        *guard = Current {
            settings: Arc::new(effective.settings.clone()),
            effective: Arc::new(effective),
            version: Some(version),
        };
        true
    }

    /// Ends the poller (at shutdown).
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

impl Domain {
    /// The OIDC settings in effect now (they change without a restart).
    pub fn oidc(&self) -> Arc<OidcSettings> {
        self.oidc_live.read(|c| c.settings.clone())
    }

    /// The OIDC settings in effect now, with the source of each.
    pub fn oidc_effective(&self) -> Arc<EffectiveOidc> {
        self.oidc_live.read(|c| c.effective.clone())
    }

    /// Whether single sign-on is on now.
    pub fn oidc_enabled(&self) -> bool {
        self.oidc().enabled()
    }

    /// OIDC_REDIRECT_URI now, else `<base url or request_base>/oauth/callback`.
    pub fn oidc_redirect_uri(&self, request_base: &str) -> String {
        self.settings
            .oidc_redirect_uri_of(&self.oidc(), request_base)
    }
}

fn start_value(settings: &Settings) -> EffectiveOidc {
    EffectiveOidc {
        settings: settings.oidc.clone(),
        sources: oidc_setting_names()
            .iter()
            .map(|n| {
                (
                    *n,
                    settings.source_of(n).cloned().unwrap_or(Source::Default),
                )
            })
            .collect(),
    }
}

/// The stored values in clear (the client secret opened).
fn open_values(ring: &Keyring, rows: &[ServerSetting]) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for row in rows {
        let value = if row.sealed {
            let opened = ring
                .open(&server_setting_context(&row.name), &row.value)
                .ok()?;
            String::from_utf8(opened.plaintext.to_vec()).ok()?
        } else {
            row.value.clone()
        };
        out.insert(row.name.clone(), value);
    }
    Some(out)
}

/// At start: the database copy, when the scope was ever written, wins over
/// appconfig.json's OIDC keys (and the file is rewritten to match);
/// otherwise the start-up value stands.
pub(crate) async fn boot(
    settings: &Settings,
    store: &Store,
    ring: &Keyring,
) -> Result<LiveOidc, BootError> {
    let Some(stored) = store.server_settings(SCOPE).await? else {
        return Ok(LiveOidc::new(start_value(settings), None));
    };
    let admin = open_values(ring, &stored.settings).ok_or_else(|| {
        BootError::Keys(
            "the OIDC client secret stored in the database does not decrypt with the configured \
             keys"
                .into(),
        )
    })?;
    let effective = settings.oidc_with_admin_values(&admin)?;
    sync_file(settings, &admin);
    Ok(LiveOidc::new(effective, Some(stored.version)))
}

/// Checks the database version every [`POLL_INTERVAL`] until shutdown.
pub(crate) fn spawn_poller(dom: &Domain) {
    let live = Arc::downgrade(&dom.oidc_live);
    let (settings, store, ring) = (dom.settings.clone(), dom.store.clone(), dom.keyring.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(POLL_INTERVAL).await;
            let Some(live) = live.upgrade() else { return };
            if live.stopped.load(Ordering::Relaxed) {
                return;
            }
            reload(&settings, &store, &ring, &live).await;
        }
    });
}

/// Rebuilds the settings when the database holds a version this instance
/// has not applied. Failures keep the current settings (and are logged).
async fn reload(settings: &Settings, store: &Store, ring: &Keyring, live: &LiveOidc) {
    let version = match store.server_settings_version(SCOPE).await {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e, "cannot check the OIDC settings version");
            return;
        }
    };
    if version.is_none() || version == live.version() {
        return;
    }
    let stored = match store.server_settings(SCOPE).await {
        Ok(Some(s)) => s,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the OIDC settings");
            return;
        }
    };
    let Some(admin) = open_values(ring, &stored.settings) else {
        tracing::error!("the stored OIDC client secret does not decrypt; settings kept");
        return;
    };
    match settings.oidc_with_admin_values(&admin) {
        Ok(effective) => {
            if live.install(effective, stored.version) {
                tracing::info!(version = stored.version, "OIDC settings reloaded");
                sync_file(settings, &admin);
            }
        }
        Err(e) => tracing::error!(error = %e, "stored OIDC settings are invalid; settings kept"),
    }
}

/// Applies a change another instance made, now (before a sign-in starts).
pub(crate) async fn refresh(dom: &Domain) {
    reload(&dom.settings, &dom.store, &dom.keyring, &dom.oidc_live).await;
}

/// The OIDC keys of appconfig.json as raw strings (as the loader reads them).
fn file_values(settings: &Settings) -> BTreeMap<String, String> {
    let path = settings.data_dir.join(crate::onboarding::APPCONFIG);
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&text) else {
        return BTreeMap::new();
    };
    map.into_iter()
        .filter(|(k, _)| oidc_setting_names().contains(&k.as_str()))
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            _ => None,
        })
        .collect()
}

/// Makes appconfig.json's OIDC keys equal `admin` (other keys untouched).
fn write_file(settings: &Settings, admin: &BTreeMap<String, String>) -> std::io::Result<()> {
    if file_values(settings) == *admin {
        return Ok(());
    }
    let set: Vec<(&str, String)> = admin.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let remove: Vec<&str> = oidc_setting_names()
        .iter()
        .copied()
        .filter(|n| !admin.contains_key(*n))
        .collect();
    crate::onboarding::update_appconfig(&settings.data_dir, &set, &remove).map(|_| ())
}

fn sync_file(settings: &Settings, admin: &BTreeMap<String, String>) {
    if let Err(e) = write_file(settings, admin) {
        tracing::warn!(error = %e, "cannot bring appconfig.json in line with the stored OIDC settings");
    }
}

/// One OIDC setting as administrators see it.
#[derive(Debug, Clone)]
pub struct OidcSettingView {
    pub name: &'static str,
    /// Effective value; the client secret as `********`; `None` when unset.
    pub value: Option<String>,
    pub secret: bool,
    /// `appconfig`, `environment` or `default`.
    pub source: &'static str,
    /// The variable that supplied it (a legacy alias when one did).
    pub variable: Option<String>,
    /// Where exactly, as `heartlock config` prints it (e.g. `.env`).
    pub origin: String,
    /// The value an administrator set, when `source` is `appconfig`
    /// (`None` for the secret, which is never shown).
    pub admin_value: Option<String>,
}

/// The effective OIDC settings, each with its source.
#[derive(Debug, Clone)]
pub struct OidcView {
    pub enabled: bool,
    pub settings: Vec<OidcSettingView>,
}

fn display(o: &OidcSettings, name: &str) -> Option<String> {
    let opt = |v: &Option<String>| v.clone();
    match name {
        "OIDC_ENABLE" => o.enable.map(|b| b.to_string()),
        "OIDC_CLIENT_ID" => opt(&o.client_id),
        "OIDC_CLIENT_SECRET" => o.client_secret.as_ref().map(|_| REDACTED.to_string()),
        "OIDC_AUTHORIZATION_ENDPOINT" => opt(&o.authorization_endpoint),
        "OIDC_TOKEN_ENDPOINT" => opt(&o.token_endpoint),
        "OIDC_USERINFO_ENDPOINT" => opt(&o.userinfo_endpoint),
        "OIDC_JWKS_ENDPOINT" => opt(&o.jwks_endpoint),
        "OIDC_END_SESSION_ENDPOINT" => opt(&o.end_session_endpoint),
        "OIDC_REDIRECT_URI" => opt(&o.redirect_uri),
        "OIDC_SIGN_ALGO" => Some(o.sign_algo.clone()),
        "OIDC_SCOPES" => Some(o.scopes.join(" ")),
        "OIDC_ISSUER" => opt(&o.issuer),
        "OIDC_GROUPS_CLAIM" => Some(o.groups_claim.clone()),
        _ => None,
    }
}

fn view_of(e: &EffectiveOidc) -> OidcView {
    let settings = oidc_setting_names()
        .iter()
        .map(|name| {
            let source = e.source(name);
            let (kind, variable) = match (&source, source.layer()) {
                (_, Source::AppConfig(_)) => ("appconfig", None),
                (_, Source::Default) => ("default", None),
                (Source::Legacy { alias, .. }, _) => ("environment", Some(alias.to_string())),
                _ => ("environment", Some(name.to_string())),
            };
            let secret = *name == SECRET_NAME;
            let value = display(&e.settings, name);
            OidcSettingView {
                name,
                admin_value: (kind == "appconfig" && !secret)
                    .then(|| value.clone())
                    .flatten(),
                value,
                secret,
                source: kind,
                variable,
                origin: source.to_string(),
            }
        })
        .collect();
    OidcView {
        enabled: e.settings.enabled(),
        settings,
    }
}

/// The effective OIDC settings with their sources (server admins).
pub async fn view(dom: &Domain, caller: &Principal) -> DomainResult<OidcView> {
    crate::admin::require_admin(caller)?;
    refresh(dom).await;
    Ok(view_of(&dom.oidc_effective()))
}

/// The admin-set values now: the database's when the scope is managed
/// there, else appconfig.json's OIDC keys.
async fn current_admin_values(dom: &Domain) -> DomainResult<BTreeMap<String, String>> {
    match dom.store.server_settings(SCOPE).await? {
        Some(stored) => open_values(&dom.keyring, &stored.settings).ok_or_else(|| {
            DomainError::Integrity("the stored OIDC client secret does not decrypt".into())
        }),
        None => Ok(file_values(&dom.settings)),
    }
}

/// Drops removals and empty values; trims everything but the secret.
fn cleaned(values: OidcChanges) -> DomainResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (name, value) in values {
        if !oidc_setting_names().contains(&name.as_str()) {
            return Err(DomainError::validation(name, "not an OIDC setting"));
        }
        let Some(value) = value else { continue };
        let value = if name == SECRET_NAME {
            value
        } else {
            value.trim().to_string()
        };
        if !value.trim().is_empty() {
            out.insert(name, value);
        }
    }
    Ok(out)
}

fn config_error(e: ConfigError) -> DomainError {
    match e {
        ConfigError::Invalid { name, expected, .. } => {
            DomainError::validation(name, format!("expected {expected}"))
        }
        ConfigError::Conflict { message } => DomainError::validation("OIDC", message),
        ConfigError::File { .. } => DomainError::Internal("configuration file error".into()),
    }
}

/// The checks of a new admin layer: every value parses as at start-up,
/// https (unless DEBUG, or loopback), `openid` among the scopes, and the
/// issuer's discovery document reachable and naming that issuer.
async fn validate(dom: &Domain, admin: &BTreeMap<String, String>) -> DomainResult<EffectiveOidc> {
    let effective = dom
        .settings
        .oidc_with_admin_values(admin)
        .map_err(config_error)?;
    let o = &effective.settings;
    if !dom.settings.debug
        && let Some(name) = oidc_insecure_urls(o)
            .into_iter()
            .find(|n| admin.contains_key(*n))
    {
        return Err(DomainError::validation(
            name,
            "must be an https:// URL (http:// only for loopback hosts or with DEBUG on)",
        ));
    }
    if admin.contains_key("OIDC_SCOPES") && !o.scopes.iter().any(|s| s == "openid") {
        return Err(DomainError::validation(
            "OIDC_SCOPES",
            "must include openid",
        ));
    }
    if o.issuer.is_some() {
        crate::oidc::check_provider(o).await?;
    }
    Ok(effective)
}

/// Stores `admin` as the whole admin layer (one transaction with its audit
/// event), applies it here at once and mirrors it into appconfig.json.
async fn save(
    dom: &Domain,
    caller: &Principal,
    admin: BTreeMap<String, String>,
    effective: EffectiveOidc,
    ev: heartlock_core::audit::NewAuditEvent,
) -> DomainResult<()> {
    let mut rows = Vec::with_capacity(admin.len());
    for (name, value) in &admin {
        if name == SECRET_NAME {
            // A secret sealed under an ephemeral key would be lost at restart.
            dom.require_stable_key()?;
            let sealed = dom
                .keyring
                .seal(&server_setting_context(name), value.as_bytes())
                .map_err(|_| DomainError::Internal("cannot encrypt the client secret".into()))?;
            rows.push(ServerSetting {
                name: name.clone(),
                value: sealed,
                sealed: true,
            });
        } else {
            rows.push(ServerSetting {
                name: name.clone(),
                value: value.clone(),
                sealed: false,
            });
        }
    }
    let now = dom.now_ms();
    let version = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.replace_server_settings(SCOPE, &rows, now).await
    })
    .await?;
    dom.oidc_live.install(effective, version);
    write_file(&dom.settings, &admin).map_err(|e| {
        tracing::error!(error = %e, "OIDC settings saved, but appconfig.json could not be written");
        DomainError::Internal(
            "the settings were saved and applied, but appconfig.json could not be written".into(),
        )
    })
}

fn describe(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    let set: Vec<&str> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k.as_str())
        .collect();
    let removed: Vec<&str> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(String::as_str)
        .collect();
    let part = |label: &str, names: &[&str]| {
        if names.is_empty() {
            None
        } else {
            Some(format!("{label} {}", names.join(", ")))
        }
    };
    let text = [part("set", &set), part("removed", &removed)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    if text.is_empty() {
        "unchanged".to_string()
    } else {
        text
    }
}

async fn apply(
    dom: &Domain,
    caller: &Principal,
    admin: BTreeMap<String, String>,
) -> DomainResult<OidcView> {
    let before = current_admin_values(dom).await?;
    let effective = validate(dom, &admin).await?;
    let ev = event(dom, caller, "config.oidc.update", Outcome::Success)
        .detail(describe(&before, &admin));
    save(dom, caller, admin, effective, ev).await?;
    Ok(view_of(&dom.oidc_effective()))
}

/// PUT: `values` become the whole admin layer (names left out are removed).
pub async fn replace(
    dom: &Domain,
    caller: &Principal,
    values: OidcChanges,
) -> DomainResult<OidcView> {
    crate::admin::require_admin(caller)?;
    apply(dom, caller, cleaned(values)?).await
}

/// PATCH: `changes` merged into the admin layer (`None` or "" removes).
pub async fn update(
    dom: &Domain,
    caller: &Principal,
    changes: OidcChanges,
) -> DomainResult<OidcView> {
    crate::admin::require_admin(caller)?;
    let mut admin = current_admin_values(dom).await?;
    for (name, value) in &changes {
        if !oidc_setting_names().contains(&name.as_str()) {
            return Err(DomainError::validation(name, "not an OIDC setting"));
        }
        admin.remove(name);
        if let Some(v) = value {
            admin.insert(name.clone(), v.clone());
        }
    }
    let admin = cleaned(admin.into_iter().map(|(k, v)| (k, Some(v))).collect())?;
    apply(dom, caller, admin).await
}

/// DELETE: removes every admin-set OIDC value (environment and defaults
/// apply again).
pub async fn remove(dom: &Domain, caller: &Principal) -> DomainResult<OidcView> {
    crate::admin::require_admin(caller)?;
    let before = current_admin_values(dom).await?;
    let admin = BTreeMap::new();
    let effective = dom
        .settings
        .oidc_with_admin_values(&admin)
        .map_err(config_error)?;
    let names: Vec<&str> = before.keys().map(String::as_str).collect();
    let detail = if names.is_empty() {
        "nothing to remove".to_string()
    } else {
        format!("removed {}", names.join(", "))
    };
    let ev = event(dom, caller, "config.oidc.delete", Outcome::Success).detail(detail);
    save(dom, caller, admin, effective, ev).await?;
    Ok(view_of(&dom.oidc_effective()))
}
