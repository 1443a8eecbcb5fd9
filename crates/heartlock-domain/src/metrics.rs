//! What the domain counts for the `/metrics` endpoint (docs/metrics.md):
//! cache hits and misses, audit group commits, and, read when scraped, the
//! audit queue, the outbox and the connection pool. The HTTP layer owns the
//! endpoint and registers these; nothing here knows HTTP.
//!
//! The counters are process-wide: a server process runs one domain, and the
//! hot paths then pay one atomic add with no handle to pass around. Labels
//! are fixed words, never names, keys or values.
use crate::Domain;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::LazyLock;
use std::time::Duration;

/// Which of the hot path's caches a lookup went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheKind {
    Token,
    Project,
    Environment,
    Snapshot,
}

impl CacheKind {
    const ALL: [CacheKind; 4] = [
        CacheKind::Token,
        CacheKind::Project,
        CacheKind::Environment,
        CacheKind::Snapshot,
    ];

    fn label(self) -> &'static str {
        match self {
            CacheKind::Token => "token",
            CacheKind::Project => "project",
            CacheKind::Environment => "environment",
            CacheKind::Snapshot => "secrets",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
}

struct Metrics {
    cache_hits: Family<CacheLabels, Counter>,
    cache_misses: Family<CacheLabels, Counter>,
    /// The family's counters, resolved once: a lookup then costs one
    /// atomic add, no lock and no hashing.
    hits: [Counter; 4],
    misses: [Counter; 4],
    audit_commit_seconds: Histogram,
    audit_events: Counter,
    audit_batches: Counter,
}

/// 0.5 ms to ~4 s: a group commit is one transaction (an fsync on SQLite).
fn commit_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 14)
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let cache_hits = Family::<CacheLabels, Counter>::default();
    let cache_misses = Family::<CacheLabels, Counter>::default();
    let resolve = |family: &Family<CacheLabels, Counter>| {
        CacheKind::ALL.map(|k| family.get_or_create_owned(&CacheLabels { cache: k.label() }))
    };
    Metrics {
        hits: resolve(&cache_hits),
        misses: resolve(&cache_misses),
        cache_hits,
        cache_misses,
        audit_commit_seconds: Histogram::new(commit_buckets()),
        audit_events: Counter::default(),
        audit_batches: Counter::default(),
    }
});

fn index(kind: CacheKind) -> usize {
    match kind {
        CacheKind::Token => 0,
        CacheKind::Project => 1,
        CacheKind::Environment => 2,
        CacheKind::Snapshot => 3,
    }
}

pub(crate) fn cache_hit(kind: CacheKind) {
    METRICS.hits[index(kind)].inc();
}

pub(crate) fn cache_miss(kind: CacheKind) {
    METRICS.misses[index(kind)].inc();
}

/// One group commit of the audit writer (flush-only rounds are not one).
pub(crate) fn audit_batch_committed(events: usize, took: Duration) {
    if events == 0 {
        return;
    }
    METRICS.audit_batches.inc();
    METRICS.audit_events.inc_by(events as u64);
    METRICS.audit_commit_seconds.observe(took.as_secs_f64());
}

/// Registers the domain's counters (shared, not copied) in `registry`,
/// whose prefix is expected to be `heartlock`.
pub fn register(registry: &mut Registry) {
    let m = &*METRICS;
    registry.register(
        "cache_hits",
        "Lookups answered from the in-memory cache, by cache",
        m.cache_hits.clone(),
    );
    registry.register(
        "cache_misses",
        "Lookups that went to the database, by cache",
        m.cache_misses.clone(),
    );
    registry.register(
        "audit_writer_events",
        "Audit events committed by the group-commit writer",
        m.audit_events.clone(),
    );
    registry.register(
        "audit_writer_commits",
        "Group commits of the audit writer",
        m.audit_batches.clone(),
    );
    registry.register(
        "audit_writer_commit_duration_seconds",
        "Time to commit one batch of audit events, retries included",
        m.audit_commit_seconds.clone(),
    );
}

/// Values read when `/metrics` is scraped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// Audit events waiting for the writer.
    pub audit_queue_depth: u64,
    /// Outbox messages by status; `None` when the database did not answer.
    pub outbox: Option<OutboxBacklog>,
    /// Connections open in the pool, idle among them, and the maximum.
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    /// Milliseconds since the Unix epoch, from the domain's clock.
    pub now_ms: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxBacklog {
    pub pending: i64,
    pub failed: i64,
}

/// Reads the gauges. Only counts: no message, address or name.
pub async fn sample(dom: &Domain) -> Sample {
    let outbox = match dom.store.outbox_counts().await {
        Ok(c) => Some(OutboxBacklog {
            pending: c.pending,
            failed: c.failed,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot count the outbox");
            None
        }
    };
    let pool = dom.store.pool_stats();
    Sample {
        audit_queue_depth: dom.audit.queue_depth() as u64,
        outbox,
        pool_size: pool.size,
        pool_idle: pool.idle,
        pool_max: pool.max,
        now_ms: dom.clock.now_ms(),
    }
}
