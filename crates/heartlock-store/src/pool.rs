//! The connection pool every clone of a [`Store`](crate::Store) shares, and
//! the actor each query runs for.
//!
//! Under PostgreSQL row-level security (see `rls.rs`) the policies read the
//! settings `heartlock.actor_kind` and `heartlock.actor_id`. Every query
//! therefore sets them first: a transaction sets them transaction-locally at
//! BEGIN, a lone query sets them on its connection just before it runs. A
//! handle without an actor sets them empty, which the policies read as
//! "nobody": no project rows. Without row-level security nothing is set and
//! a query is one round trip, as before.
use crate::connect::{Backend, DbTarget, TxActor};
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{Any, AnyPool, Database, Either, Execute, Executor, SqlStr};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The database a store currently uses.
pub(crate) struct Current {
    pub(crate) pool: AnyPool,
    /// SQLite: the one connection write transactions take in turn (see
    /// `Store::connect`); `None` on PostgreSQL, where writers run side by side.
    pub(crate) writer: Option<AnyPool>,
    pub(crate) backend: Backend,
    pub(crate) target: DbTarget,
    /// Whether the tables enforce row-level security (PostgreSQL), so every
    /// query must carry its actor. Read from the catalog at connect time and
    /// again after the owner installs the policies.
    pub(crate) row_security: AtomicBool,
}

/// A connection pool that can be replaced under every clone at once, plus
/// the actor this handle's queries run for. It is an sqlx executor itself
/// (delegating to the current pool), so queries are written
/// `.fetch_all(&self.pool)` as with a plain pool.
#[derive(Clone)]
pub(crate) struct SharedPool {
    current: Arc<RwLock<Arc<Current>>>,
    actor: Option<Arc<TxActor>>,
}

impl std::fmt::Debug for SharedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedPool")
    }
}

const SET_ACTOR_LOCAL: &str = "SELECT set_config('heartlock.actor_kind', $1, true), \
                               set_config('heartlock.actor_id', $2, true)";
const SET_ACTOR_SESSION: &str = "SELECT set_config('heartlock.actor_kind', $1, false), \
                                 set_config('heartlock.actor_id', $2, false)";

impl SharedPool {
    pub(crate) fn new(current: Current) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(current))),
            actor: None,
        }
    }

    /// The same pool, its queries running for `actor`.
    pub(crate) fn with_actor(&self, actor: TxActor) -> Self {
        Self {
            current: self.current.clone(),
            actor: Some(Arc::new(actor)),
        }
    }

    pub(crate) fn actor(&self) -> Option<&TxActor> {
        self.actor.as_deref()
    }

    pub(crate) fn current(&self) -> Arc<Current> {
        // A poisoned lock still holds a valid Arc: nothing panics while it is held.
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(crate) fn swap(&self, next: Arc<Current>) -> Arc<Current> {
        let mut g = match self.current.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        std::mem::replace(&mut *g, next)
    }

    /// The pool in use now (a cheap handle).
    pub(crate) fn pool(&self) -> AnyPool {
        self.current().pool.clone()
    }

    fn actor_binds(&self) -> (&'static str, String) {
        match self.actor.as_deref() {
            Some(a) => (a.kind, a.id.clone().unwrap_or_default()),
            None => ("", String::new()),
        }
    }

    /// A transaction; on PostgreSQL it carries this handle's actor (always
    /// under row-level security, else only when there is one, for triggers).
    pub(crate) async fn begin(&self) -> sqlx::Result<sqlx::Transaction<'static, Any>> {
        self.begin_with_statement(None, false).await
    }

    pub(crate) async fn begin_with(
        &self,
        statement: &'static str,
    ) -> sqlx::Result<sqlx::Transaction<'static, Any>> {
        self.begin_with_statement(Some(statement), false).await
    }

    /// A write transaction: on the writer connection where there is one
    /// (waiting for its turn, in arrival order), else like [`Self::begin_with`].
    pub(crate) async fn begin_write(
        &self,
        statement: &'static str,
    ) -> sqlx::Result<sqlx::Transaction<'static, Any>> {
        self.begin_with_statement(Some(statement), true).await
    }

    async fn begin_with_statement(
        &self,
        statement: Option<&'static str>,
        write: bool,
    ) -> sqlx::Result<sqlx::Transaction<'static, Any>> {
        let current = self.current();
        let pool = match (&current.writer, write) {
            (Some(writer), true) => writer,
            _ => &current.pool,
        };
        let mut tx = match statement {
            Some(s) => pool.begin_with(s).await?,
            None => pool.begin().await?,
        };
        if current.backend == Backend::Postgres
            && (self.actor.is_some() || current.row_security.load(Ordering::Acquire))
        {
            let (kind, id) = self.actor_binds();
            sqlx::query(SET_ACTOR_LOCAL)
                .bind(kind)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    pub(crate) async fn close(&self) {
        self.current().close().await
    }
}

impl Current {
    /// Closes the pool and the writer connection.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
    }
}

/// A pooled connection whose next queries run as the actor (row-level
/// security: set on the connection, as a lone query has no transaction).
async fn acquire_as(
    pool: &AnyPool,
    kind: &'static str,
    id: String,
) -> sqlx::Result<sqlx::pool::PoolConnection<Any>> {
    let mut conn = pool.acquire().await?;
    sqlx::query(SET_ACTOR_SESSION)
        .bind(kind)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(conn)
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type Item = Either<<Any as Database>::QueryResult, <Any as Database>::Row>;

impl<'c> Executor<'c> for &SharedPool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> futures_core::stream::BoxStream<'e, sqlx::Result<Item>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let current = self.current();
        let pool = current.pool.clone();
        if !current.row_security.load(Ordering::Acquire) {
            return (&pool).fetch_many(query);
        }
        // One connection for the actor and the query. The rows are
        // collected first: the stream cannot borrow the connection it owns.
        let (kind, id) = self.actor_binds();
        let rows = async move {
            let mut conn = acquire_as(&pool, kind, id).await?;
            conn.fetch_many(query).try_collect::<Vec<_>>().await
        };
        futures_util::stream::once(rows)
            .map(|r| match r {
                Ok(items) => futures_util::stream::iter(items.into_iter().map(Ok)).left_stream(),
                Err(e) => futures_util::stream::once(async move { Err(e) }).right_stream(),
            })
            .flatten()
            .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, sqlx::Result<Option<<Any as Database>::Row>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let current = self.current();
        let pool = current.pool.clone();
        if !current.row_security.load(Ordering::Acquire) {
            return (&pool).fetch_optional(query);
        }
        let (kind, id) = self.actor_binds();
        Box::pin(async move {
            let mut conn = acquire_as(&pool, kind, id).await?;
            conn.fetch_optional(query).await
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [<Any as Database>::TypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<<Any as Database>::Statement>>
    where
        'c: 'e,
    {
        (&self.pool()).prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, sqlx::Result<sqlx::Describe<Any>>>
    where
        'c: 'e,
    {
        (&self.pool()).describe(sql)
    }
}
