//! The hot path's memory: service tokens by hash, projects by slug,
//! environments by slug, and per-environment CIPHERTEXT snapshots (plaintext
//! is never cached). Every write and revocation invalidates exactly what it
//! changed, here and (on PostgreSQL) on every other instance through
//! LISTEN/NOTIFY. A load that raced with an invalidation is not kept: loads
//! note the epoch before reading and only insert if it did not move.
use heartlock_store::{
    EnvironmentRecord, ProjectRecord, Store, StoreError, StoredSecret, TokenRecord,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

type Map<K, V> = RwLock<HashMap<K, Arc<V>>>;

#[derive(Default)]
pub struct Cache {
    tokens: Map<String, TokenRecord>,
    projects: Map<String, ProjectRecord>,
    environments: Map<(String, String), EnvironmentRecord>,
    snapshots: Map<String, Vec<StoredSecret>>,
    epoch: AtomicU64,
    touched: Mutex<HashMap<String, i64>>,
}

/// What changed, as sent between instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Secrets of one environment (by id).
    Environment(String),
    /// A project, its environments and their secrets (by project id).
    Project(String),
    /// One service token (by hash).
    Token(String),
    All,
}

impl Change {
    pub fn encode(&self) -> String {
        match self {
            Change::Environment(id) => format!("env:{id}"),
            Change::Project(id) => format!("project:{id}"),
            Change::Token(hash) => format!("token:{hash}"),
            Change::All => "all".into(),
        }
    }

    pub fn decode(s: &str) -> Change {
        match s.split_once(':') {
            Some(("env", id)) => Change::Environment(id.into()),
            Some(("project", id)) => Change::Project(id.into()),
            Some(("token", h)) => Change::Token(h.into()),
            // Unknown payloads are handled safely by dropping everything.
            _ => Change::All,
        }
    }
}

fn get<K: std::hash::Hash + Eq, V>(map: &Map<K, V>, k: &K) -> Option<Arc<V>> {
    map.read().ok()?.get(k).cloned()
}

impl Cache {
    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn keep<K: std::hash::Hash + Eq, V>(&self, map: &Map<K, V>, epoch: u64, k: K, v: Arc<V>) {
        if let Ok(mut m) = map.write()
            && self.epoch() == epoch
        {
            m.insert(k, v);
        }
    }

    pub async fn token(
        &self,
        store: &Store,
        hash: &str,
    ) -> Result<Option<Arc<TokenRecord>>, StoreError> {
        if let Some(t) = get(&self.tokens, &hash.to_string()) {
            crate::metrics::cache_hit(crate::metrics::CacheKind::Token);
            return Ok(Some(t));
        }
        crate::metrics::cache_miss(crate::metrics::CacheKind::Token);
        let epoch = self.epoch();
        let Some(t) = store.token_by_hash(hash).await? else {
            return Ok(None);
        };
        let t = Arc::new(t);
        self.keep(&self.tokens, epoch, hash.to_string(), t.clone());
        Ok(Some(t))
    }

    pub async fn project(
        &self,
        store: &Store,
        slug: &str,
    ) -> Result<Option<Arc<ProjectRecord>>, StoreError> {
        if let Some(p) = get(&self.projects, &slug.to_string()) {
            crate::metrics::cache_hit(crate::metrics::CacheKind::Project);
            return Ok(Some(p));
        }
        crate::metrics::cache_miss(crate::metrics::CacheKind::Project);
        let epoch = self.epoch();
        let Some(p) = store.project_by_slug(slug).await? else {
            return Ok(None);
        };
        let p = Arc::new(p);
        self.keep(&self.projects, epoch, slug.to_string(), p.clone());
        Ok(Some(p))
    }

    pub async fn environment(
        &self,
        store: &Store,
        project_id: &str,
        slug: &str,
    ) -> Result<Option<Arc<EnvironmentRecord>>, StoreError> {
        let key = (project_id.to_string(), slug.to_string());
        if let Some(e) = get(&self.environments, &key) {
            crate::metrics::cache_hit(crate::metrics::CacheKind::Environment);
            return Ok(Some(e));
        }
        crate::metrics::cache_miss(crate::metrics::CacheKind::Environment);
        let epoch = self.epoch();
        let Some(e) = store.environment_by_slug(project_id, slug).await? else {
            return Ok(None);
        };
        let e = Arc::new(e);
        self.keep(&self.environments, epoch, key, e.clone());
        Ok(Some(e))
    }

    /// The live secrets of an environment, as ciphertext.
    pub async fn snapshot(
        &self,
        store: &Store,
        env_id: &str,
    ) -> Result<Arc<Vec<StoredSecret>>, StoreError> {
        if let Some(s) = get(&self.snapshots, &env_id.to_string()) {
            crate::metrics::cache_hit(crate::metrics::CacheKind::Snapshot);
            return Ok(s);
        }
        crate::metrics::cache_miss(crate::metrics::CacheKind::Snapshot);
        let epoch = self.epoch();
        let s = Arc::new(store.current_secrets(env_id).await?);
        self.keep(&self.snapshots, epoch, env_id.to_string(), s.clone());
        Ok(s)
    }

    /// Applies a change locally.
    pub fn invalidate(&self, change: &Change) {
        // Bump first: a load in flight must not re-insert stale data.
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match change {
            Change::Environment(id) => {
                if let Ok(mut m) = self.snapshots.write() {
                    m.remove(id);
                }
            }
            Change::Project(id) => {
                if let Ok(mut m) = self.projects.write() {
                    m.retain(|_, p| p.id != *id);
                }
                if let Ok(mut m) = self.environments.write() {
                    m.retain(|(pid, _), _| pid != id);
                }
                // Project changes are rare: dropping every snapshot is simplest and exact enough.
                if let Ok(mut m) = self.snapshots.write() {
                    m.clear();
                }
                if let Ok(mut m) = self.tokens.write() {
                    m.retain(|_, t| t.project_id != *id);
                }
            }
            Change::Token(hash) => {
                if let Ok(mut m) = self.tokens.write() {
                    m.remove(hash);
                }
            }
            Change::All => self.clear(),
        }
    }

    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut m) = self.tokens.write() {
            m.clear();
        }
        if let Ok(mut m) = self.projects.write() {
            m.clear();
        }
        if let Ok(mut m) = self.environments.write() {
            m.clear();
        }
        if let Ok(mut m) = self.snapshots.write() {
            m.clear();
        }
    }

    /// True at most once per `every_ms` per token id.
    pub fn should_touch(&self, token_id: &str, now: i64, every_ms: i64) -> bool {
        let Ok(mut m) = self.touched.lock() else {
            return false;
        };
        match m.get(token_id) {
            Some(last) if now - last < every_ms => false,
            _ => {
                m.insert(token_id.to_string(), now);
                true
            }
        }
    }
}

/// Invalidates locally and tells the other instances.
pub async fn changed(cache: &Cache, store: &Store, change: Change) {
    cache.invalidate(&change);
    if let Err(e) = store.notify_change(&change.encode()).await {
        // Other instances would keep stale data: make it loud.
        tracing::error!(error = %e, "cannot notify other instances of a change");
    }
}

/// Applies other instances' changes until the process ends (PostgreSQL only).
pub fn spawn_listener(cache: Arc<Cache>, store: &Store) {
    let target = store.target().clone();
    tokio::spawn(async move {
        loop {
            match heartlock_store::notify::listen(&target).await {
                Ok(None) => return,
                Ok(Some(mut listener)) => {
                    // Anything may have changed while we were not listening.
                    cache.clear();
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(n)) => cache.invalidate(&Change::decode(n.payload())),
                            // The connection dropped; notifications may be lost.
                            Ok(None) => cache.clear(),
                            Err(e) => {
                                tracing::warn!(error = %e, "change listener failed; reconnecting");
                                cache.clear();
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes; retrying");
                    cache.clear();
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}
