//! Deployment findings with the facts only a running deployment knows:
//! whether an administrator exists, whether onboarding is done, and what
//! appconfig.json holds now. The rules themselves live in heartlock-config.
use crate::Domain;
use crate::onboarding::{self, GUARD};
use heartlock_config::{Finding, LoadInput, RuntimeFacts, Secret, Settings};
use heartlock_store::{DbTarget, Store, StoreError, StoreOptions};
use std::time::Duration;

/// A check must not hang a CI job on an unreachable database.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// (an administrator exists, onboarding was completed)
async fn read_database(store: &Store) -> Result<(bool, bool), StoreError> {
    let admins = store.count_admins().await?;
    let done = store.server_secret(GUARD).await?.is_some();
    Ok((admins > 0, done))
}

/// For `heartlock check --deploy`: fills `admin_exists` and
/// `onboarding_done` without booting (no migration, no key file, nothing
/// written). The error says why they stay unknown; it never holds the
/// database URL.
pub async fn read_database_facts(
    settings: &Settings,
    facts: &mut RuntimeFacts,
) -> Result<(), String> {
    let target = crate::db_target(settings).map_err(|e| e.to_string())?;
    if let DbTarget::Sqlite(path) = &target
        && !path.exists()
    {
        // A fresh install: the first start creates an empty database, with
        // no administrator and the wizard open.
        facts.admin_exists = Some(false);
        facts.onboarding_done = Some(false);
        return Ok(());
    }
    let mut opts = StoreOptions::new(target);
    opts.max_connections = 1;
    let store = tokio::time::timeout(PROBE_TIMEOUT, Store::connect(&opts))
        .await
        .map_err(|_| "timed out connecting to the database".to_string())?
        .map_err(|e| e.to_string())?;
    let read = read_database(&store).await;
    store.close().await;
    let (admin, done) =
        read.map_err(|e| format!("cannot read it (is it migrated? `heartlock migrate`): {e}"))?;
    facts.admin_exists = Some(admin);
    facts.onboarding_done = Some(done);
    Ok(())
}

/// For the admin status page, computed on every call: the running server's
/// settings with the database in use now, the administrator and onboarding
/// state, and appconfig.json / `.env` files as they are now.
pub async fn deploy_findings(dom: &Domain) -> Vec<Finding> {
    let mut facts = RuntimeFacts::default();
    // Unreadable means unknown: the checks that need it are skipped.
    if let Ok((admin, done)) = read_database(&dom.store).await {
        facts.admin_exists = Some(admin);
        facts.onboarding_done = Some(done);
    }
    let mut settings = (*dom.settings).clone();
    // The OIDC settings in effect now (administrators change them live).
    settings.oidc = (*dom.oidc()).clone();
    // The onboarding wizard can switch databases while the server runs.
    settings.database_url = Secret::new(onboarding::current_database_url(dom));
    let for_files = settings.clone();
    let db_only = facts.clone();
    let read = tokio::task::spawn_blocking(move || {
        // The server loaded its settings from this process's environment;
        // only the names are kept.
        let env = LoadInput::from_process().map(|i| i.env);
        let mut facts = facts;
        facts.read_config_files(&for_files, env.as_ref().unwrap_or(&Default::default()));
        if env.is_err() {
            facts.lower_layer_names = None;
        }
        facts
    })
    .await;
    match read {
        Ok(facts) => settings.deploy_check_with(&facts),
        // Without the files, the database facts alone.
        Err(_) => settings.deploy_check_with(&db_only),
    }
}
