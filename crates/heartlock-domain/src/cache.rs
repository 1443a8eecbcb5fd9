//! The hot path's memory: service tokens by hash, projects by slug,
//! environments by slug, and per-environment CIPHERTEXT snapshots (plaintext
//! is never cached). Every write and revocation invalidates exactly what it
//! changed, here and (on PostgreSQL) on every other instance through
//! LISTEN/NOTIFY. A load that raced with an invalidation is not kept: loads
//! note the epoch before reading and only insert if it did not move.
//! Concurrent misses of one key share one load (single flight) if it was
//! started at the epoch they see: after a restart, 64 first requests to an
//! environment read it once, not 64 times; a caller arriving after an
//! invalidation starts a new load. A failed load answers its waiters, then
//! is forgotten.
use crate::metrics::{CacheKind, cache_hit, cache_miss};
use crate::secrets::Snapshot;
use heartlock_store::{EnvironmentRecord, ProjectRecord, Store, StoreError, TokenRecord};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

type Map<K, V> = RwLock<HashMap<K, Arc<V>>>;

#[derive(Default)]
pub struct Cache {
    tokens: Slot<String, Option<Arc<TokenRecord>>>,
    projects: Slot<String, Option<Arc<ProjectRecord>>>,
    environments: Slot<(String, String), Option<Arc<EnvironmentRecord>>>,
    snapshots: Slot<String, Arc<Snapshot>>,
    epoch: AtomicU64,
    touched: Mutex<HashMap<String, i64>>,
}

/// What a load answers: a record or nothing (not cached), or a snapshot.
trait Entry: Clone {
    type Value;
    fn from_hit(v: Arc<Self::Value>) -> Self;
    fn to_keep(&self) -> Option<Arc<Self::Value>>;
}

impl<V> Entry for Option<Arc<V>> {
    type Value = V;
    fn from_hit(v: Arc<V>) -> Self {
        Some(v)
    }
    fn to_keep(&self) -> Option<Arc<V>> {
        self.clone()
    }
}

impl<V> Entry for Arc<V> {
    type Value = V;
    fn from_hit(v: Arc<V>) -> Self {
        v
    }
    fn to_keep(&self) -> Option<Arc<V>> {
        Some(self.clone())
    }
}

/// One store load shared by every caller that missed the same key at the
/// same epoch. The cell runs one loader at a time: if the running one is
/// cancelled (or its task panics), a waiter runs its own, so none hangs.
struct Flight<T> {
    epoch: u64,
    result: tokio::sync::OnceCell<Result<T, StoreError>>,
}

/// One cache: its values and its loads in flight.
struct Slot<K, T: Entry> {
    values: Map<K, T::Value>,
    flights: Mutex<HashMap<K, Arc<Flight<T>>>>,
    /// Store loads started (tests count them).
    loads: AtomicU64,
}

impl<K, T: Entry> Default for Slot<K, T> {
    fn default() -> Self {
        Slot {
            values: RwLock::default(),
            flights: Mutex::default(),
            loads: AtomicU64::new(0),
        }
    }
}

impl<K: Hash + Eq + Clone, T: Entry> Slot<K, T> {
    /// The cached value, else the result of the flight for `key` at the
    /// current epoch, started with `load` if there is none. A flight noted
    /// before an invalidation is never joined, so nobody gets data older
    /// than their own arrival. Misses are counted once per caller.
    async fn get<F, Fut>(
        &self,
        epoch: &AtomicU64,
        kind: CacheKind,
        key: K,
        load: F,
    ) -> Result<T, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        if let Some(v) = get(&self.values, &key) {
            cache_hit(kind);
            return Ok(T::from_hit(v));
        }
        let flight = {
            // Plain map edits cannot leave it inconsistent: a poisoned lock is usable.
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            let now = epoch.load(Ordering::Acquire);
            match flights.get(&key) {
                Some(f) if f.epoch == now => f.clone(),
                _ => {
                    // A flight keeps its value before it leaves the map: look again.
                    if let Some(v) = get(&self.values, &key) {
                        cache_hit(kind);
                        return Ok(T::from_hit(v));
                    }
                    let f = Arc::new(Flight {
                        epoch: now,
                        result: tokio::sync::OnceCell::new(),
                    });
                    flights.insert(key.clone(), f.clone());
                    f
                }
            }
        };
        cache_miss(kind);
        let result = flight
            .result
            .get_or_init(|| async {
                self.loads.fetch_add(1, Ordering::Relaxed);
                let r = load().await;
                if let Some(v) = r.as_ref().ok().and_then(Entry::to_keep) {
                    keep(&self.values, epoch, flight.epoch, key.clone(), v);
                }
                self.land(&key, &flight);
                r
            })
            .await;
        match result {
            Ok(t) => Ok(t.clone()),
            // Shared with this flight's waiters only: it has left the map.
            Err(e) => Err(copy_error(e)),
        }
    }

    fn land(&self, key: &K, flight: &Arc<Flight<T>>) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(key);
        }
    }

    #[cfg(test)]
    fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }
}

/// StoreError holds no source, so waiters get an equal copy.
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::Migration(m) => StoreError::Migration(m.clone()),
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict(m) => StoreError::Conflict(m.clone()),
        StoreError::Database(m) => StoreError::Database(m.clone()),
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
    }
}

/// Inserts only if no invalidation happened since `noted`.
fn keep<K: Hash + Eq, V>(map: &Map<K, V>, epoch: &AtomicU64, noted: u64, k: K, v: Arc<V>) {
    if let Ok(mut m) = map.write()
        && epoch.load(Ordering::Acquire) == noted
    {
        m.insert(k, v);
    }
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

fn get<K: Hash + Eq, V>(map: &Map<K, V>, k: &K) -> Option<Arc<V>> {
    map.read().ok()?.get(k).cloned()
}

// Every caller reaching these was authorised for the record by the domain
// first, so a flight's result may be shared even though its leader loads
// through its own store handle (on PostgreSQL it carries the leader's actor
// for row-level security).
impl Cache {
    pub async fn token(
        &self,
        store: &Store,
        hash: &str,
    ) -> Result<Option<Arc<TokenRecord>>, StoreError> {
        let load = || async { Ok(store.token_by_hash(hash).await?.map(Arc::new)) };
        let key = hash.to_string();
        self.tokens
            .get(&self.epoch, CacheKind::Token, key, load)
            .await
    }

    pub async fn project(
        &self,
        store: &Store,
        slug: &str,
    ) -> Result<Option<Arc<ProjectRecord>>, StoreError> {
        let load = || async { Ok(store.project_by_slug(slug).await?.map(Arc::new)) };
        let key = slug.to_string();
        self.projects
            .get(&self.epoch, CacheKind::Project, key, load)
            .await
    }

    pub async fn environment(
        &self,
        store: &Store,
        project_id: &str,
        slug: &str,
    ) -> Result<Option<Arc<EnvironmentRecord>>, StoreError> {
        let load = || async {
            let e = store.environment_by_slug(project_id, slug).await?;
            Ok(e.map(Arc::new))
        };
        let key = (project_id.to_string(), slug.to_string());
        let kind = CacheKind::Environment;
        self.environments.get(&self.epoch, kind, key, load).await
    }

    /// The live secrets of an environment, as ciphertext.
    pub async fn snapshot(&self, store: &Store, env_id: &str) -> Result<Arc<Snapshot>, StoreError> {
        let load = || async {
            let secrets = store.current_secrets(env_id).await?;
            Ok(Arc::new(Snapshot::new(env_id, secrets)))
        };
        let key = env_id.to_string();
        self.snapshots
            .get(&self.epoch, CacheKind::Snapshot, key, load)
            .await
    }

    /// Applies a change locally.
    pub fn invalidate(&self, change: &Change) {
        // Bump first: a load in flight must not re-insert stale data.
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match change {
            Change::Environment(id) => {
                if let Ok(mut m) = self.snapshots.values.write() {
                    m.remove(id);
                }
            }
            Change::Project(id) => {
                if let Ok(mut m) = self.projects.values.write() {
                    m.retain(|_, p| p.id != *id);
                }
                if let Ok(mut m) = self.environments.values.write() {
                    m.retain(|(pid, _), _| pid != id);
                }
                // Project changes are rare: dropping every snapshot is simplest and exact enough.
                if let Ok(mut m) = self.snapshots.values.write() {
                    m.clear();
                }
                if let Ok(mut m) = self.tokens.values.write() {
                    m.retain(|_, t| t.project_id != *id);
                }
            }
            Change::Token(hash) => {
                if let Ok(mut m) = self.tokens.values.write() {
                    m.remove(hash);
                }
            }
            Change::All => self.clear(),
        }
    }

    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut m) = self.tokens.values.write() {
            m.clear();
        }
        if let Ok(mut m) = self.projects.values.write() {
            m.clear();
        }
        if let Ok(mut m) = self.environments.values.write() {
            m.clear();
        }
        if let Ok(mut m) = self.snapshots.values.write() {
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

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
