//! The `Domain` handle: everything an operation needs (store, keyring,
//! cache, audit log, clock, settings), cheap to clone. The HTTP layer wraps
//! it; CLI admin commands use it directly.
use crate::audit::{AuditLog, AuditWriterHandle};
use crate::cache::Cache;
use crate::error::{BootError, DomainError, DomainResult};
use crate::jwt::JwtKeys;
use crate::keys::{self, KeySource};
use crate::principal::Principal;
use heartlock_config::Settings;
use heartlock_core::roles::AnonymousPolicy;
use heartlock_core::{Clock, Keyring};
use heartlock_store::{Backend, DbTarget, Store, StoreError, StoreOptions, TxActor};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

#[derive(Clone)]
pub struct Domain {
    pub settings: Arc<Settings>,
    /// Only the domain talks to the store.
    pub(crate) store: Store,
    pub keyring: SharedKeyring,
    pub key_source: KeySource,
    pub clock: Arc<dyn Clock>,
    pub jwt: Arc<JwtKeys>,
    pub(crate) cache: Arc<Cache>,
    pub(crate) audit: AuditLog,
    /// Taken once at shutdown to drain the audit queue.
    audit_writer: Arc<Mutex<Option<AuditWriterHandle>>>,
    /// The OIDC settings, replaced at run time (see `oidc_settings`).
    pub(crate) oidc_live: Arc<crate::oidc_settings::LiveOidc>,
    /// The email backend and the outbox worker's signals (see `mail`).
    pub(crate) mail: Arc<crate::mail::MailRuntime>,
    /// The VAPID key pair web pushes are signed with (see `push::vapid`).
    pub(crate) vapid: Arc<heartlock_core::webpush::VapidKeys>,
}

/// Where the database is, from DATABASE_URL.
pub fn db_target(settings: &Settings) -> Result<DbTarget, BootError> {
    if settings.is_postgres() {
        return Ok(DbTarget::Postgres(
            settings.database_url.expose().to_string(),
        ));
    }
    settings.sqlite_path().map(DbTarget::Sqlite).ok_or_else(|| {
        BootError::Store(StoreError::Unavailable(
            "DATABASE_URL: an in-memory SQLite database cannot be shared by the server".into(),
        ))
    })
}

/// The runtime connection (DATABASE_URL), its queries running as the
/// system principal unless a caller narrows them (`Domain::store_as`).
pub(crate) async fn connect_store(settings: &Settings) -> Result<Store, BootError> {
    let mut opts = StoreOptions::new(db_target(settings)?);
    opts.conn_max_age = Duration::from_secs(settings.db_conn_max_age_secs);
    Ok(Store::connect(&opts).await?.acting_as(system_actor()))
}

pub(crate) fn system_actor() -> TxActor {
    TxActor {
        kind: "system",
        id: Some("server".into()),
    }
}

/// The owner connection (DATABASE_OWNER_URL) when one is configured: it owns
/// the tables, runs migrations and restores. PostgreSQL only.
pub(crate) async fn connect_owner_store(settings: &Settings) -> Result<Option<Store>, BootError> {
    let Some(url) = settings.database_owner_url.as_ref() else {
        return Ok(None);
    };
    if !settings.is_postgres() || !heartlock_config::is_postgres_url(url.expose()) {
        return Err(BootError::Store(StoreError::Unavailable(
            "DATABASE_OWNER_URL is for PostgreSQL: DATABASE_URL and DATABASE_OWNER_URL must              both be postgres:// URLs of the same database"
                .into(),
        )));
    }
    let mut opts = StoreOptions::new(DbTarget::Postgres(url.expose().to_string()));
    opts.max_connections = 2;
    opts.conn_max_age = Duration::from_secs(settings.db_conn_max_age_secs);
    Ok(Some(Store::connect(&opts).await?.acting_as(system_actor())))
}

/// Applies pending migrations: as the owner when DATABASE_OWNER_URL is set,
/// which then (re)installs row-level security and the runtime role's
/// grants; else as the runtime role, as a one-role setup always did.
/// Returns how many migrations were applied.
pub(crate) async fn migrate_store(settings: &Settings, store: &Store) -> Result<usize, BootError> {
    match connect_owner_store(settings).await? {
        Some(owner) => {
            let result = async {
                let pending = owner.pending_migrations().await?;
                owner.migrate().await?;
                let runtime_role = store.current_role().await?;
                owner.install_row_security(&runtime_role).await?;
                Ok::<_, StoreError>(pending)
            }
            .await;
            owner.close().await;
            let pending = result?;
            store.detect_row_security().await?;
            Ok(pending)
        }
        None => {
            let pending = store.pending_migrations().await?;
            store.migrate().await?;
            Ok(pending)
        }
    }
}

/// `heartlock migrate`: connects and applies every pending migration;
/// returns how many there were. Applied migrations are audited as the
/// system principal.
pub async fn migrate(settings: &Settings) -> Result<usize, BootError> {
    let store = connect_store(settings).await?;
    let pending = match migrate_store(settings, &store).await {
        Ok(p) => p,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    if pending > 0 {
        let detail = format!("{pending} migration(s) applied");
        let ev = crate::audit_event::system_event("migrate", "database.migrate", detail);
        let written = store.append_audit(&[ev]).await;
        store.close().await;
        written?;
    } else {
        store.close().await;
    }
    Ok(pending)
}

/// Configurations too dangerous to serve in production, whatever
/// `check --deploy` says: refused at start, naming the variables.
fn refuse_unsafe(settings: &Settings) -> Result<(), BootError> {
    if !settings.debug && settings.secret_key.is_none() {
        return Err(BootError::Unsafe(
            "SECRET_KEY is not set; it signs browser sessions and CSRF cookies and is required \
             when DEBUG is off. Set SECRET_KEY to a long random value (e.g. the output of \
             `openssl rand -base64 60`)"
                .into(),
        ));
    }
    if !settings.debug
        && settings.open_admin_registration()
        && !settings.users.allow_open_admin_registration
    {
        return Err(BootError::Unsafe(
            "DEFAULT_USER_ROLE=admin with ENABLE_REGISTRATION=true would make anyone who \
             registers a server administrator. Set DEFAULT_USER_ROLE=user or \
             ENABLE_REGISTRATION=false (or HEARTLOCK_ALLOW_OPEN_ADMIN_REGISTRATION=true if you \
             really mean it)"
                .into(),
        ));
    }
    Ok(())
}

/// What `/readyz` and the admin status page report about the database.
#[derive(Debug, Clone)]
pub struct DatabaseStatus {
    pub backend: Backend,
    pub reachable: bool,
    /// `None` when it could not be read.
    pub pending_migrations: Option<usize>,
}

impl Domain {
    /// Boots for serving requests: first refuses configurations too
    /// dangerous to serve. Operator commands use [`Domain::boot`], so an
    /// operator can still fix things (rotate keys, create an admin).
    pub async fn boot_to_serve(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Domain, BootError> {
        refuse_unsafe(&settings)?;
        let dom = Self::boot(settings, clock).await?;
        if let Err(e) = crate::mail::start_worker(&dom) {
            dom.shutdown().await;
            return Err(e);
        }
        crate::shares::sweep::spawn(&dom, dom.mail.stop.subscribe());
        crate::onboarding::announce_setup_code(&dom).await;
        Ok(dom)
    }

    /// Opens the database, applies migrations, resolves and checks the keys,
    /// starts the audit writer and (PostgreSQL) the change listener.
    pub async fn boot(settings: Settings, clock: Arc<dyn Clock>) -> Result<Domain, BootError> {
        let (keyring, key_source) = keys::resolve_keyring(&settings)?;
        let store = connect_store(&settings).await?;
        migrate_store(&settings, &store).await?;
        crate::key_check::verify_key(&store, &keyring, &key_source, clock.now_ms()).await?;
        let jwt = JwtKeys::load(
            &settings,
            &store,
            &keyring,
            key_source.is_stable(),
            clock.now_ms(),
        )
        .await?;
        let oidc_live = crate::oidc_settings::boot(&settings, &store, &keyring).await?;
        let vapid = crate::push::vapid::load(
            &settings,
            &store,
            &keyring,
            key_source.is_stable(),
            clock.now_ms(),
        )
        .await?;
        let (audit, audit_writer) = AuditLog::start(store.clone());
        let cache = Arc::new(Cache::default());
        crate::cache::spawn_listener(cache.clone(), &store);
        if key_source == KeySource::Ephemeral {
            tracing::warn!("encryption key source: ephemeral (see the warning above)");
        } else {
            tracing::info!(source = %key_source, keys = keyring.len(), "encryption key loaded");
        }
        let mail = Arc::new(crate::mail::MailRuntime::new(&settings));
        let dom = Domain {
            settings: Arc::new(settings),
            store,
            keyring: SharedKeyring::new(keyring),
            key_source,
            clock,
            jwt: Arc::new(jwt),
            cache,
            audit,
            audit_writer: Arc::new(Mutex::new(Some(audit_writer))),
            oidc_live: Arc::new(oidc_live),
            mail,
            vapid: Arc::new(vapid),
        };
        crate::oidc_settings::spawn_poller(&dom);
        Ok(dom)
    }

    /// Commits every queued audit event, stops the writer and closes the
    /// database (idempotent).
    pub async fn shutdown(&self) {
        // The worker first: it may still mark a message it is sending.
        let grace = Duration::from_secs(self.settings.email.timeout_secs.saturating_add(1));
        self.mail.stop(grace).await;
        let handle = self.audit_writer.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            h.shutdown().await;
        }
        self.oidc_live.stop();
        self.store.close().await;
    }

    /// The store, with its write transactions carrying `principal`.
    /// Under PostgreSQL row-level security its reads see only what the
    /// principal may: anonymous callers everything only when the server's
    /// no-auth policy lets them read at all.
    pub(crate) fn store_as(&self, principal: &Principal) -> Store {
        let mut actor = principal.tx_actor();
        if actor.kind == "anonymous" && self.anonymous_policy() != AnonymousPolicy::Deny {
            actor.id = Some("reader".into());
        }
        self.store.acting_as(actor)
    }

    /// Whether values may be encrypted and stored: never under an ephemeral
    /// key (they would be unreadable after a restart).
    pub(crate) fn require_stable_key(&self) -> DomainResult<()> {
        if self.key_source.is_stable() || self.keyring.replaced() {
            Ok(())
        } else {
            Err(DomainError::Unavailable(
                "no encryption key is configured: set HEARTLOCK_ENCRYPTION_KEY (or finish the \
                 onboarding wizard) before storing secrets"
                    .into(),
            ))
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// What a request without credentials may do (POLICY_NO_AUTH_DEFAULT).
    /// With single sign-on configured, nothing: every non-public path needs
    /// a sign-in, whatever the policy says.
    pub fn anonymous_policy(&self) -> AnonymousPolicy {
        if crate::oidc::enabled(self) {
            return AnonymousPolicy::Deny;
        }
        // Project visibility filters by the signed-in user's groups; a
        // caller without any sees nothing, so anonymous access is off too.
        if self.settings.project_visibility_enabled {
            return AnonymousPolicy::Deny;
        }
        match self.settings.policy_no_auth_default {
            heartlock_config::NoAuthPolicy::Deny => AnonymousPolicy::Deny,
            heartlock_config::NoAuthPolicy::ViewOnly => AnonymousPolicy::ViewOnly,
            heartlock_config::NoAuthPolicy::AllowAll => AnonymousPolicy::AllowAll,
        }
    }

    /// Resolves once every audit event recorded so far is committed.
    pub async fn flush_audit(&self) {
        self.audit.flush().await;
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Database reachability and migration state (probes, status page).
    pub async fn database_status(&self) -> DatabaseStatus {
        DatabaseStatus {
            backend: self.store.backend(),
            reachable: self.store.ping().await.is_ok(),
            pending_migrations: self.store.pending_migrations().await.ok(),
        }
    }

    /// Forgets every cached token, project, environment and snapshot (here
    /// only), e.g. after the database was changed behind the server's back.
    pub fn clear_caches(&self) {
        self.cache.clear();
    }

    /// Where the data lives now (the onboarding wizard may have moved it).
    pub fn database_target(&self) -> DbTarget {
        self.store.target()
    }
}

/// The encryption keyring, usable as a `&Keyring` (Deref). The onboarding
/// wizard may install the key it configured once, for every clone at once;
/// until then the key resolved at start-up is used.
#[derive(Clone)]
pub struct SharedKeyring {
    initial: Arc<Keyring>,
    onboarded: Arc<OnceLock<Keyring>>,
}

impl SharedKeyring {
    pub fn new(ring: Keyring) -> Self {
        Self {
            initial: Arc::new(ring),
            onboarded: Arc::new(OnceLock::new()),
        }
    }

    /// Installs the onboarding key; false if one was installed already.
    pub fn replace(&self, ring: Keyring) -> bool {
        self.onboarded.set(ring).is_ok()
    }

    /// Whether the onboarding key replaced the start-up key.
    pub fn replaced(&self) -> bool {
        self.onboarded.get().is_some()
    }
}

impl std::ops::Deref for SharedKeyring {
    type Target = Keyring;
    fn deref(&self) -> &Keyring {
        self.onboarded.get().unwrap_or(&self.initial)
    }
}
