//! Audit log storage: appending to the hash chain and reading it back.
//!
//! Appends run in one write transaction that reads the chain's tail and
//! inserts the next seqs. The `seq` primary key turns a concurrent append
//! (another instance on the same PostgreSQL) into a unique violation, which
//! retries the whole batch on the new tail.
use crate::{Backend, Result, Store, StoreError};
use heartlock_core::audit::{ActorKind, AuditEvent, GENESIS_HASH, NewAuditEvent, Outcome};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use std::time::Duration;

/// Which events to list; every condition present must hold.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub project_id: Option<String>,
    /// Events of any of these projects (an empty list matches nothing).
    pub project_ids: Option<Vec<String>>,
    pub actor_id: Option<String>,
    /// Exact action, or a prefix when it ends with `.` (`"secret."`) or `*`
    /// (`"secret.*"` means the same; the `*` is dropped). Case-sensitive.
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    /// Inclusive lower bound on `at` (ms).
    pub since_ms: Option<i64>,
    /// Exclusive upper bound on `at` (ms).
    pub until_ms: Option<i64>,
    /// Keyset cursor: only events with a lower seq (an older page). A
    /// position, not a condition: the total ignores it.
    pub before_seq: Option<i64>,
    /// Keyset cursor: only events with a higher seq (the newer page: the
    /// `limit` oldest of them, still listed newest first). Ignored with
    /// `before_seq`; the total ignores it.
    pub after_seq: Option<i64>,
}

/// One page of [`Store::list_audit`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Events matching the filter (cursor aside); a lower bound when not
    /// `total_exact`.
    pub total: i64,
    /// False when counting stopped at [`AUDIT_COUNT_CAP`]: there are more.
    pub total_exact: bool,
    /// `before_seq` of the next older page; `None` when this is the oldest.
    pub older: Option<i64>,
    /// `after_seq` of the next newer page; `None` when this is the newest.
    pub newer: Option<i64>,
}

/// Filtered totals count at most this many events: an exact count of a
/// large log costs a scan of every matching row on each page (10,000 rows
/// cost 4 to 13 ms on PostgreSQL here, 1,000 under 1 ms).
pub const AUDIT_COUNT_CAP: i64 = 1_000;

/// Attempts per batch before a conflicting append gives up.
const APPEND_ATTEMPTS: u32 = 20;
/// Rows per INSERT statement: every statement is a round trip inside the
/// transaction that holds the audit lock (on PostgreSQL a network one), so
/// few large ones; 64 rows are 960 parameters, far below either database's
/// limit.
const INSERT_CHUNK_ROWS: usize = 64;
const COLUMNS: &str = "seq, id, at, actor_kind, actor_id, actor_name, action, project_id, \
                       environment_id, secret_key, ip, outcome, detail, prev_hash, hash";
const COLUMN_COUNT: usize = 15;

/// A bound parameter of a query built at runtime.
enum Bind {
    Text(String),
    Int(i64),
}

impl Store {
    /// Appends events atomically in one transaction, in order, continuing the
    /// chain from the current last row. Returns the stored events.
    pub async fn append_audit(&self, events: &[NewAuditEvent]) -> Result<Vec<AuditEvent>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // Ids are fixed once so a retried batch stores the same events.
        let ids: Vec<String> = events
            .iter()
            .map(|_| heartlock_core::ids::new_id())
            .collect();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_append(events, &ids).await {
                Err(StoreError::Conflict(_)) if attempt < APPEND_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn try_append(
        &self,
        events: &[NewAuditEvent],
        ids: &[String],
    ) -> Result<Vec<AuditEvent>> {
        let (mut tx, head) = self.begin_append().await?;
        let stored = append_in(&mut tx, self.backend(), head, events, ids).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// The recorded head of the chain (last seq and hash), if any event was
    /// ever appended.
    pub async fn audit_head(&self) -> Result<Option<(i64, String)>> {
        Ok(
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A transaction holding the audit write lock from its start, so appenders
    /// queue instead of colliding. The only per-backend branch: SQLite takes
    /// the database write lock with BEGIN IMMEDIATE (a deferred transaction
    /// would fail to upgrade its read lock); PostgreSQL locks the table against
    /// other writers while plain reads go on.
    async fn begin_append(&self) -> Result<(Transaction<'static, Any>, Option<(i64, String)>)> {
        let mut tx = self.begin_write().await?;
        let head = self.lock_audit(&mut tx).await?;
        Ok((tx, head))
    }

    /// Takes the audit write lock inside a write transaction (a no-op on
    /// SQLite, whose write transactions are already exclusive) and returns
    /// the chain's head when it read it doing so.
    ///
    /// On PostgreSQL appenders queue on the head row (`FOR UPDATE`): one
    /// round trip that locks and reads the tail, so the section between the
    /// lock and the commit is as short as the chain allows (the next
    /// appender needs this one's last hash). Only a log that never had a
    /// head row yet takes the table lock (or, under row-level security,
    /// whose runtime role may not take it, an advisory lock), then locks
    /// the head row if one has appeared meanwhile.
    pub(crate) async fn lock_audit(
        &self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<Option<(i64, String)>> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";
        let head = sqlx::query_as(HEAD).fetch_optional(&mut **tx).await?;
        if head.is_some() {
            return Ok(head);
        }
        let lock = if self.row_security() {
            "SELECT pg_advisory_xact_lock(7294017365)"
        } else {
            "LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE"
        };
        sqlx::query(lock).execute(&mut **tx).await?;
        Ok(sqlx::query_as(HEAD).fetch_optional(&mut **tx).await?)
    }

    /// Newest first: the page `offset` events past the cursor (if any), with
    /// the total matching the filter and the cursors of the pages around it.
    /// Pages are found by seq through its index (keyset), never by skipping
    /// rows where it can be avoided: without a filter and outside row-level
    /// security the seqs are dense (1 to the head: the log is append-only and
    /// a batch takes its seqs in the transaction that stores it), so an
    /// offset becomes a seq bound and the head is the exact total.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<AuditPage> {
        let limit = limit.max(0);
        let mut offset = offset.max(0);
        let (cond, mut binds) = where_clause(filter);
        // The head is visible to every actor, but under row-level security
        // an actor sees only some of the seqs below it.
        let head = if binds.is_empty() && cond.is_empty() && !self.row_security() {
            self.audit_head().await?.map(|(seq, _)| seq)
        } else {
            None
        };
        let newer_first = filter.before_seq.is_some() || filter.after_seq.is_none();
        let paged = offset > 0 || filter.before_seq.is_some() || filter.after_seq.is_some();
        let mut before = filter.before_seq;
        let mut after = filter.after_seq.filter(|_| filter.before_seq.is_none());
        if let Some(head) = head {
            if newer_first {
                let top = before.unwrap_or(i64::MAX).min(head.saturating_add(1));
                before = Some(top.saturating_sub(offset));
            } else {
                after = after.map(|a| a.saturating_add(offset));
            }
            offset = 0;
        }
        let (total, total_exact) = match head {
            Some(head) => (head, true),
            None => self.capped_count(&cond, &binds).await?,
        };

        let mut conds = vec![];
        if let Some(b) = before {
            conds.push(format!("seq < {}", param(&mut binds, Bind::Int(b))));
        }
        if let Some(a) = after {
            conds.push(format!("seq > {}", param(&mut binds, Bind::Int(a))));
        }
        let cursor = match (cond.is_empty(), conds.is_empty()) {
            (_, true) => String::new(),
            (true, false) => format!(" WHERE {}", conds.join(" AND ")),
            (false, false) => format!(" AND {}", conds.join(" AND ")),
        };
        let order = if newer_first { "DESC" } else { "ASC" };
        // One row past the page tells whether another page follows.
        let lim = param(&mut binds, Bind::Int(limit.saturating_add(1)));
        let off = param(&mut binds, Bind::Int(offset));
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events{cond}{cursor} ORDER BY seq {order} LIMIT {lim} OFFSET {off}"
        );
        let rows = bound(sqlx::query(AssertSqlSafe(sql)), binds)
            .fetch_all(&self.pool)
            .await?;
        let more = rows.len() as i64 > limit;
        let mut events = rows
            .iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(event_from_row)
            .collect::<Result<Vec<_>>>()?;
        if !newer_first {
            events.reverse();
        }
        let (newest, oldest) = (events.first().map(|e| e.seq), events.last().map(|e| e.seq));
        let (older, newer) = if newer_first {
            let newer = paged
                .then(|| newest.or(before.map(|b| b.saturating_sub(1))))
                .flatten()
                .filter(|&n| head.is_none_or(|h| n < h));
            (oldest.filter(|_| more), newer)
        } else {
            (
                oldest.or(after.map(|a| a.saturating_add(1))),
                newest.filter(|_| more),
            )
        };
        Ok(AuditPage {
            events,
            total,
            total_exact,
            older,
            newer,
        })
    }

    /// Events matching `cond`, counted up to [`AUDIT_COUNT_CAP`]; whether
    /// that is all of them.
    async fn capped_count(&self, cond: &str, binds: &[Bind]) -> Result<(i64, bool)> {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM audit_events{cond} LIMIT {}) AS capped",
            AUDIT_COUNT_CAP + 1
        );
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
        for b in binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        let n = q.fetch_one(&self.pool).await?;
        Ok((n.min(AUDIT_COUNT_CAP), n <= AUDIT_COUNT_CAP))
    }

    /// Oldest first, seq greater than `after_seq`, for streaming verification.
    pub async fn audit_batch(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        )))
        .bind(after_seq)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row_by_index).collect()
    }

    /// Runs raw SQL (tests tamper with the log through it); returns rows affected.
    #[cfg(feature = "testing")]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        let done = sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

/// `($1, …), (…)`: placeholders for `rows` audit rows. SQLite gets
/// anonymous `?`s, bound in order: it looks a named or numbered parameter
/// up by a linear scan per parameter, so binding a wide insert costs the
/// square of its parameter count (2% of the hot path's CPU at 8 rows,
/// measured with perf). The SQL is otherwise the same for both.
fn values_placeholders(backend: Backend, rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(rows * COLUMN_COUNT * 6);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..COLUMN_COUNT {
            if col > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${}", row * COLUMN_COUNT + col + 1);
                }
            }
        }
        sql.push(')');
    }
    sql
}

async fn insert_chunk(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    chunk: &[AuditEvent],
) -> Result<()> {
    let sql = format!(
        "INSERT INTO audit_events ({COLUMNS}) VALUES {}",
        values_placeholders(backend, chunk.len())
    );
    bind_rows(sqlx::query(AssertSqlSafe(sql)), chunk)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Binds the columns of `chunk`, in [`COLUMNS`] order.
fn bind_rows<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    chunk: &[AuditEvent],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for e in chunk {
        let ev = &e.event;
        q = q
            .bind(e.seq)
            .bind(e.id.clone())
            .bind(ev.at_ms)
            .bind(ev.actor_kind.as_str())
            .bind(ev.actor_id.clone())
            .bind(ev.actor_name.clone())
            .bind(ev.action.clone())
            .bind(ev.project_id.clone())
            .bind(ev.environment_id.clone())
            .bind(ev.secret_key.clone())
            .bind(ev.ip.clone())
            .bind(ev.outcome.as_str())
            .bind(ev.detail.clone())
            .bind(e.prev_hash.clone())
            .bind(e.hash.clone());
    }
    q
}

/// `" WHERE ..."` (or nothing) with `$1..$n` placeholders, and their values in
/// order. sqlx's QueryBuilder is not used: over `Any` it writes `?`
/// placeholders, which PostgreSQL rejects.
fn where_clause(f: &AuditFilter) -> (String, Vec<Bind>) {
    let mut conds: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    if let Some(p) = &f.project_id {
        let ph = param(&mut binds, Bind::Text(p.clone()));
        conds.push(format!("project_id = {ph}"));
    }
    if let Some(ps) = &f.project_ids {
        if ps.is_empty() {
            conds.push("1 = 0".into());
        } else {
            let phs: Vec<String> = ps
                .iter()
                .map(|p| param(&mut binds, Bind::Text(p.clone())))
                .collect();
            conds.push(format!("project_id IN ({})", phs.join(", ")));
        }
    }
    if let Some(a) = &f.actor_id {
        let ph = param(&mut binds, Bind::Text(a.clone()));
        conds.push(format!("actor_id = {ph}"));
    }
    if let Some(action) = &f.action {
        let prefix = action
            .strip_suffix('*')
            .or_else(|| action.ends_with('.').then_some(action.as_str()));
        match prefix {
            // substr() with a literal length compares case-sensitively on
            // both databases, unlike SQLite's LIKE; the length is a number we
            // computed, never user text. Alone, it makes PostgreSQL guess
            // that 0.5% of the log matches, and plan a capped count of a
            // common prefix as a parallel scan of the whole log (20 ms of
            // worker start-up to count 1,000 rows, measured): the LIKE is
            // estimated from the column's statistics instead, and COALESCE
            // hides the substr() from that guess.
            Some(p) => {
                let len = p.chars().count();
                let like = param(&mut binds, Bind::Text(format!("{}%", like_escape(p))));
                let ph = param(&mut binds, Bind::Text(p.to_string()));
                conds.push(format!(
                    "action LIKE {like} ESCAPE '\\' AND COALESCE(substr(action, 1, {len}) = {ph}, FALSE)"
                ));
            }
            None => {
                let ph = param(&mut binds, Bind::Text(action.clone()));
                conds.push(format!("action = {ph}"));
            }
        }
    }
    if let Some(o) = f.outcome {
        let ph = param(&mut binds, Bind::Text(o.as_str().to_string()));
        conds.push(format!("outcome = {ph}"));
    }
    if let Some(t) = f.since_ms {
        let ph = param(&mut binds, Bind::Int(t));
        conds.push(format!("at >= {ph}"));
    }
    if let Some(t) = f.until_ms {
        let ph = param(&mut binds, Bind::Int(t));
        conds.push(format!("at < {ph}"));
    }
    if conds.is_empty() {
        (String::new(), binds)
    } else {
        (format!(" WHERE {}", conds.join(" AND ")), binds)
    }
}

/// Binds `binds` in order.
fn bound(
    mut q: sqlx::query::Query<'_, Any, sqlx::any::AnyArguments>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        };
    }
    q
}

/// `text` matching itself only, in a LIKE pattern escaped by a backslash.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Adds a bound value; returns its placeholder.
fn param(binds: &mut Vec<Bind>, b: Bind) -> String {
    binds.push(b);
    format!("${}", binds.len())
}

fn event_from_row(row: &AnyRow) -> Result<AuditEvent> {
    let seq: i64 = row.try_get("seq")?;
    // An unknown name can only come from an edited row: say which.
    let bad = |what: &str| StoreError::Database(format!("audit event {seq}: unknown {what}"));
    let actor_kind: String = row.try_get("actor_kind")?;
    let outcome: String = row.try_get("outcome")?;
    Ok(AuditEvent {
        seq,
        id: row.try_get("id")?,
        event: NewAuditEvent {
            at_ms: row.try_get("at")?,
            actor_kind: actor_kind
                .parse::<ActorKind>()
                .map_err(|_| bad("actor kind"))?,
            actor_id: row.try_get("actor_id")?,
            actor_name: row.try_get("actor_name")?,
            action: row.try_get("action")?,
            project_id: row.try_get("project_id")?,
            environment_id: row.try_get("environment_id")?,
            secret_key: row.try_get("secret_key")?,
            ip: row.try_get("ip")?,
            outcome: outcome.parse::<Outcome>().map_err(|_| bad("outcome"))?,
            detail: row.try_get("detail")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// [`event_from_row`] for rows selected as `COLUMNS`, read by position:
/// verifying reads every row of the log, and a by-name read looks each
/// column up first.
fn event_from_row_by_index(row: &AnyRow) -> Result<AuditEvent> {
    let seq: i64 = row.try_get(0)?;
    let bad = |what: &str| StoreError::Database(format!("audit event {seq}: unknown {what}"));
    let actor_kind: String = row.try_get(3)?;
    let outcome: String = row.try_get(11)?;
    Ok(AuditEvent {
        seq,
        id: row.try_get(1)?,
        event: NewAuditEvent {
            at_ms: row.try_get(2)?,
            actor_kind: actor_kind
                .parse::<ActorKind>()
                .map_err(|_| bad("actor kind"))?,
            actor_id: row.try_get(4)?,
            actor_name: row.try_get(5)?,
            action: row.try_get(6)?,
            project_id: row.try_get(7)?,
            environment_id: row.try_get(8)?,
            secret_key: row.try_get(9)?,
            ip: row.try_get(10)?,
            outcome: outcome.parse::<Outcome>().map_err(|_| bad("outcome"))?,
            detail: row.try_get(12)?,
        },
        prev_hash: row.try_get(13)?,
        hash: row.try_get(14)?,
    })
}

/// Growing, slightly jittered pause between conflicting attempts, capped at
/// 200 ms; the jitter keeps colliding instances from retrying in lockstep.
fn backoff(attempt: u32) -> Duration {
    let base = 5u64.saturating_mul(1 << attempt.min(6)).min(200);
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) % 10)
        .unwrap_or(0);
    Duration::from_millis(base + jitter)
}

/// Continues the chain with `events` inside `tx`, which must already hold
/// the audit write lock (see `Store::lock_audit`, and `head` is what it
/// read), and moves the head with them.
pub(crate) async fn append_in(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    head: Option<(i64, String)>,
    events: &[NewAuditEvent],
    ids: &[String],
) -> Result<Vec<AuditEvent>> {
    // The head row moves with every append; under row-level security an
    // actor may not see the newest event itself, but every actor sees the
    // head (it holds no project data).
    let mut tail = head;
    if tail.is_none() {
        tail = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut **tx)
            .await?;
    }
    if tail.is_none() {
        tail = sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    }
    let (mut seq, mut prev) = tail.unwrap_or_else(|| (0, GENESIS_HASH.to_string()));
    let mut stored = Vec::with_capacity(events.len());
    for (event, id) in events.iter().zip(ids) {
        seq += 1;
        let e = AuditEvent::chain(seq, id.clone(), event.clone(), prev);
        prev = e.hash.clone();
        stored.push(e);
    }
    for chunk in stored.chunks(INSERT_CHUNK_ROWS) {
        insert_chunk(tx, backend, chunk).await?;
    }
    // The head moves with the rows, in the same transaction.
    sqlx::query(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(seq)
    .bind(&prev)
    .execute(&mut **tx)
    .await?;
    Ok(stored)
}
