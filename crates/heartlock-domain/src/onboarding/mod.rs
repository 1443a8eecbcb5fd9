//! The first-run onboarding wizard: base URL, database, encryption key and
//! the first administrator, applied at once and persisted to
//! `<data_dir>/appconfig.json`. Open only while no administrator exists;
//! completing it closes it for good, even under concurrent attempts (a
//! process-wide lock plus a unique `onboarding_done` row in the database).
//!
//! In production (DEBUG off) every wizard request must carry the one-time
//! setup code printed to the server log ([`setup_code`]). A database URL or
//! key the operator set in the environment is never replaced by the wizard,
//! code or not: the operator changes the environment instead.
mod appconfig;
pub mod setup_code;

use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::DomainError;
use crate::keys::KeySource;
use crate::principal::Principal;
use crate::{key_check, users};
pub use appconfig::{APPCONFIG, update_appconfig, write_appconfig};
use heartlock_core::Keyring;
use heartlock_core::audit::Outcome;
use heartlock_store::{
    Backend, DbTarget, EncryptedColumn, Store, StoreError, StoreOptions, UserRecord,
};
use std::time::Duration;

/// The row that marks onboarding as done (in `server_secrets`).
pub const GUARD: &str = "onboarding_done";
const KEY_CHECK: &str = "key_check";

/// Serialises completions within this process; the GUARD row does it
/// across instances sharing a database.
static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug)]
pub enum OnboardingError {
    /// Onboarding is over (or disabled): the wizard answers 404.
    Closed,
    /// The setup code is missing or wrong (production only).
    SetupCode,
    /// A problem with one step: `field` names it, `key` is a catalogue
    /// message, `detail` an optional explanation (never a secret).
    Invalid {
        field: &'static str,
        key: &'static str,
        detail: Option<String>,
    },
    Internal(String),
}

pub fn invalid(field: &'static str, key: &'static str, detail: Option<String>) -> OnboardingError {
    OnboardingError::Invalid { field, key, detail }
}

impl From<StoreError> for OnboardingError {
    fn from(e: StoreError) -> Self {
        OnboardingError::Internal(e.to_string())
    }
}

pub enum DatabaseChoice {
    /// Keep the database the server runs on.
    Keep,
    /// Switch to this PostgreSQL URL (tested, migrated, then used).
    Postgres(String),
}

/// What the wizard collected, validated.
pub struct Plan {
    pub base_url: String,
    pub database: DatabaseChoice,
    /// The key text to persist, and the keyring it makes.
    pub key_text: String,
    pub ring: Keyring,
    /// False when the running key is kept.
    pub key_changed: bool,
    pub email: String,
    pub display_name: String,
    pub password: String,
}

/// Whether the wizard is available: not disabled, no administrator, not done.
pub async fn is_open(dom: &Domain) -> bool {
    if dom.settings.disable_onboarding {
        return false;
    }
    if !matches!(dom.store.count_admins().await, Ok(0)) {
        return false;
    }
    matches!(dom.store.server_secret(GUARD).await, Ok(None))
}

/// Whether wizard requests must carry the setup code: in production.
pub fn code_required(dom: &Domain) -> bool {
    !dom.settings.debug
}

/// Refuses a wizard request without the right setup code (production).
pub fn check_code(dom: &Domain, caller: &Principal, given: &str) -> Result<(), OnboardingError> {
    if !code_required(dom) || setup_code::matches(&dom.settings.data_dir, given) {
        return Ok(());
    }
    tracing::warn!(
        ip = caller.ip.as_deref().unwrap_or("unknown"),
        "onboarding request refused: missing or wrong setup code"
    );
    Err(OnboardingError::SetupCode)
}

/// At start in production while the wizard is open: issues the setup code
/// and prints it, so that only someone who can read this log can onboard.
pub async fn announce_setup_code(dom: &Domain) {
    if !is_open(dom).await {
        // e.g. `createsuperuser` closed it: a stale code must not linger.
        setup_code::remove(&dom.settings.data_dir);
        return;
    }
    if !code_required(dom) {
        return;
    }
    match setup_code::ensure(&dom.settings.data_dir) {
        Ok(code) => tracing::warn!(
            setup_code = %code,
            "onboarding is open: enter this setup code in the web wizard (or run `heartlock setup-code` to see it again)"
        ),
        Err(e) => tracing::error!(
            error = %e,
            "onboarding is open but no setup code could be written to the data folder; the wizard will refuse every request"
        ),
    }
}

/// For `createsuperuser`: a word when the wizard already set this server up
/// (and so an administrator exists), so the operator is not surprised.
pub async fn completed_note(dom: &Domain) -> Option<String> {
    let done = matches!(dom.store.server_secret(GUARD).await, Ok(Some(_)));
    let admins = dom.store.count_admins().await.unwrap_or(0);
    done.then(|| {
        format!(
            "this server was already set up with the onboarding wizard ({admins} administrator(s) \
             exist); creating another administrator"
        )
    })
}

/// Whether the wizard may choose this setting: not when the operator set it.
pub fn fixed_by_operator(dom: &Domain, name: &str) -> bool {
    dom.settings.set_by_operator(name)
}

/// A key shown by the wizard: exactly one valid Fernet key.
pub fn validate_generated(text: &str) -> bool {
    heartlock_core::crypto::is_valid_key(text)
}

/// `http(s)://host[:port][/path]`, without a trailing slash.
pub fn validate_base_url(raw: &str) -> Result<String, OnboardingError> {
    let trimmed = raw.trim().trim_end_matches('/').to_string();
    let bad = || invalid("base_url", "onboarding.base_url_invalid", None);
    let url = url::Url::parse(&trimmed).map_err(|_| bad())?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if ok { Ok(trimmed) } else { Err(bad()) }
}

pub fn validate_postgres_url(raw: &str) -> Result<String, OnboardingError> {
    let url = raw.trim().to_string();
    let ok = (url.starts_with("postgres://") || url.starts_with("postgresql://"))
        && url::Url::parse(&url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()));
    if ok {
        Ok(url)
    } else {
        Err(invalid("database", "onboarding.db_url_invalid", None))
    }
}

/// The database's own error text stays in the server log: shown to the
/// browser it would make the wizard a port scanner and password oracle.
fn unreachable(e: &StoreError) -> OnboardingError {
    tracing::info!(error = %e, "onboarding: the PostgreSQL database cannot be used");
    invalid("database", "onboarding.db_unreachable", None)
}

async fn connect(dom: &Domain, url: &str) -> Result<Store, OnboardingError> {
    let mut opts = StoreOptions::new(DbTarget::Postgres(url.to_string()));
    opts.conn_max_age = Duration::from_secs(dom.settings.db_conn_max_age_secs);
    Store::connect(&opts).await.map_err(|e| unreachable(&e))
}

/// The operator set DATABASE_URL: the wizard keeps it.
fn database_choice_allowed(dom: &Domain, choice: &DatabaseChoice) -> Result<(), OnboardingError> {
    match choice {
        DatabaseChoice::Postgres(_) if fixed_by_operator(dom, "DATABASE_URL") => {
            Err(invalid("database", "onboarding.db_from_env", None))
        }
        _ => Ok(()),
    }
}

/// Connects to a PostgreSQL URL; returns how many migrations it still needs.
pub async fn test_database(dom: &Domain, raw_url: &str) -> Result<usize, OnboardingError> {
    let url = validate_postgres_url(raw_url)?;
    database_choice_allowed(dom, &DatabaseChoice::Postgres(url.clone()))?;
    let store = connect(dom, &url).await?;
    let pending = store.pending_migrations().await;
    store.close().await;
    pending.map_err(|e| unreachable(&e))
}

/// The DATABASE_URL of the database in use now.
pub fn current_database_url(dom: &Domain) -> String {
    match dom.store.target() {
        DbTarget::Postgres(url) => url,
        DbTarget::Sqlite(path) if dom.settings.sqlite_path().as_ref() == Some(&path) => {
            dom.settings.database_url.expose().to_string()
        }
        DbTarget::Sqlite(path) => format!("sqlite:///{}", path.display()),
    }
}

/// Applies the plan: the new database (if any) and key are prepared, the
/// configuration persisted, the administrator created, and only then does
/// the running server switch over.
pub async fn complete(
    dom: &Domain,
    caller: &Principal,
    plan: Plan,
) -> Result<UserRecord, OnboardingError> {
    let _guard = LOCK.lock().await;
    if !is_open(dom).await {
        return Err(OnboardingError::Closed);
    }
    database_choice_allowed(dom, &plan.database)?;
    if plan.key_changed && fixed_by_operator(dom, "HEARTLOCK_ENCRYPTION_KEY") {
        return Err(invalid("encryption_key", "onboarding.key_from_env", None));
    }
    if fixed_by_operator(dom, "HEARTLOCK_BASE_URL")
        && dom.settings.base_url.as_deref() != Some(plan.base_url.as_str())
    {
        return Err(invalid("base_url", "onboarding.base_url_from_env", None));
    }
    let (target, switched) = match &plan.database {
        DatabaseChoice::Keep => (dom.store.clone(), false),
        DatabaseChoice::Postgres(url) => {
            let store = connect(dom, url).await?;
            if let Err(e) = store.migrate().await {
                store.close().await;
                tracing::warn!(error = %e, "onboarding: migrating the new database failed");
                return Err(invalid("database", "onboarding.db_migrate_failed", None));
            }
            (store, true)
        }
    };
    let result = commit(dom, &plan, &target, switched).await;
    match result {
        Ok(user) => {
            if switched {
                dom.store.replace_with(&target).await;
                if target.backend() == Backend::Postgres {
                    crate::cache::spawn_listener(dom.cache.clone(), &dom.store);
                }
            }
            if plan.key_changed && !dom.keyring.replace(plan.ring.clone()) {
                tracing::error!("onboarding: an encryption key was already installed");
            }
            dom.cache.clear();
            setup_code::remove(&dom.settings.data_dir);
            // Recorded after the switch, so they land in the database now in use.
            let ev = event(dom, caller, "user.create", Outcome::Success).detail(user.email.clone());
            dom.audit.record(ev).await;
            let ev = event(dom, caller, "server.onboarding", Outcome::Success)
                .detail(format!("first administrator {}", user.email));
            dom.audit.record(ev).await;
            tracing::info!(database = ?dom.store.backend(), "onboarding completed");
            Ok(user)
        }
        Err(e) => {
            if switched {
                target.close().await;
            }
            Err(e)
        }
    }
}

async fn commit(
    dom: &Domain,
    plan: &Plan,
    target: &Store,
    switched: bool,
) -> Result<UserRecord, OnboardingError> {
    let now = dom.clock.now_ms();
    if switched
        && (target.count_admins().await? > 0 || target.server_secret(GUARD).await?.is_some())
    {
        return Err(invalid("database", "onboarding.db_has_admin", None));
    }
    let replace_canary = check_key(target, &plan.ring).await?;
    // The database-level guard: the first writer wins, everyone else is closed out.
    let ctx = heartlock_core::binding::server_secret_context(GUARD);
    let mine = plan
        .ring
        .seal(&ctx, heartlock_core::ids::new_id().as_bytes())
        .map_err(|e| OnboardingError::Internal(e.to_string()))?;
    if target
        .server_secret_get_or_insert(GUARD, &mine, now)
        .await?
        != mine
    {
        return Err(OnboardingError::Closed);
    }
    let done = async {
        let dir = dom.settings.data_dir.clone();
        // What the operator set stays theirs: appconfig.json (which wins
        // over the environment at the next start) only gets the choices the
        // wizard made, and never a copy of an operator's key.
        let values: Vec<(&str, String)> = [
            ("HEARTLOCK_BASE_URL", plan.base_url.clone()),
            (
                "DATABASE_URL",
                match &plan.database {
                    DatabaseChoice::Keep => current_database_url(dom),
                    DatabaseChoice::Postgres(url) => url.clone(),
                },
            ),
            ("HEARTLOCK_ENCRYPTION_KEY", plan.key_text.clone()),
        ]
        .into_iter()
        .filter(|(name, _)| !fixed_by_operator(dom, name))
        .collect();
        tokio::task::spawn_blocking(move || write_appconfig(&dir, &values))
            .await
            .map_err(|e| OnboardingError::Internal(e.to_string()))?
            .map_err(|e| {
                invalid(
                    "general",
                    "onboarding.appconfig_failed",
                    Some(e.to_string()),
                )
            })?;
        carry_keys(dom, target, !switched, replace_canary, &plan.ring, now).await?;
        let mut staged = dom.clone();
        staged.store = target.clone();
        users::create_user(
            &staged,
            &plan.email,
            Some(&plan.display_name),
            &plan.password,
            heartlock_core::roles::ServerRole::Admin,
            true,
        )
        .await
        .map_err(|e| match e {
            DomainError::Validation { message, .. } => {
                invalid("admin", "onboarding.admin_invalid", Some(message))
            }
            DomainError::Conflict(m) => invalid("admin", "onboarding.admin_invalid", Some(m)),
            other => OnboardingError::Internal(format!("{other:?}")),
        })
    }
    .await;
    if done.is_err() {
        let _ = target.delete_server_secret(GUARD).await;
    }
    done
}

/// Read-only: may `ring` be used with `target`? Returns whether the key
/// canary must be replaced (it was made with another key and the database
/// holds no secret values yet). Data under another key is refused.
async fn check_key(target: &Store, ring: &Keyring) -> Result<bool, OnboardingError> {
    let Some(ct) = target.server_secret(KEY_CHECK).await? else {
        return Ok(false);
    };
    let ctx = heartlock_core::binding::server_secret_context(KEY_CHECK);
    if ring.open(&ctx, &ct).is_ok() {
        return Ok(false);
    }
    let has_values = !target
        .encrypted_batch(EncryptedColumn::SecretVersionValue, "", 1)
        .await?
        .is_empty();
    if has_values {
        Err(invalid("encryption_key", "onboarding.key_mismatch", None))
    } else {
        Ok(true)
    }
}

/// Seals the server's own keys (e.g. the generated JWT signing key) under
/// the new key in the target database, then writes the key canary.
async fn carry_keys(
    dom: &Domain,
    target: &Store,
    same_db: bool,
    replace_canary: bool,
    ring: &Keyring,
    now: i64,
) -> Result<(), OnboardingError> {
    let column = EncryptedColumn::ServerSecretValue;
    if replace_canary {
        target.delete_server_secret(KEY_CHECK).await?;
    }
    let mut after = String::new();
    loop {
        let rows = dom.store.encrypted_batch(column, &after, 100).await?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        for row in rows.iter().filter(|r| r.id != KEY_CHECK && r.id != GUARD) {
            let ctx = row.binding.context();
            let Ok(opened) = dom.keyring.open(&ctx, &row.ciphertext) else {
                tracing::warn!(name = %row.id, "onboarding: cannot read a server key; skipped");
                continue;
            };
            let ct = ring
                .seal(&ctx, &opened.plaintext)
                .map_err(|e| OnboardingError::Internal(e.to_string()))?;
            if same_db {
                target
                    .replace_ciphertext(column, &row.id, &row.ciphertext, &ct)
                    .await?;
                continue;
            }
            match target.server_secret(&row.id).await? {
                Some(theirs) if ring.open(&ctx, &theirs).is_ok() => {}
                Some(_) => {
                    target.delete_server_secret(&row.id).await?;
                    target
                        .server_secret_get_or_insert(&row.id, &ct, now)
                        .await?;
                }
                None => {
                    target
                        .server_secret_get_or_insert(&row.id, &ct, now)
                        .await?;
                }
            }
        }
    }
    key_check::verify_key(target, ring, &KeySource::AppConfig, now)
        .await
        .map_err(|e| OnboardingError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            validate_base_url(" https://vault.example.com/ ").unwrap(),
            "https://vault.example.com"
        );
        assert!(validate_base_url("http://localhost:8000/heartlock").is_ok());
        for bad in [
            "ftp://x.org",
            "vault.example.com",
            "https://",
            "https://u:p@x.org",
            "https://x.org/?a=1",
        ] {
            assert!(validate_base_url(bad).is_err(), "{bad}");
        }
        assert!(validate_postgres_url("postgres://u@db:5432/heartlock").is_ok());
        assert!(validate_postgres_url("postgresql://db/h").is_ok());
        assert!(validate_postgres_url("mysql://db/h").is_err());
    }
}
