//! Whole-database copies (backup, restore, moving between SQLite and
//! PostgreSQL): every table read in one consistent snapshot as typed values,
//! and written back in foreign-key order in one transaction.
//!
//! The list of tables, their columns and their foreign keys is read from the
//! embedded migrations themselves (applied to a private in-memory SQLite
//! database), so a new migration is copied without a list to maintain here,
//! and both backends get the same list.
use crate::connect::MIGRATOR;
use crate::{Backend, Result, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};
use std::collections::BTreeSet;

/// One stored value. The schema only uses BIGINT and TEXT columns (flags
/// are BIGINT 0/1), so these three cover every cell on both backends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DumpValue {
    Null,
    Int(i64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Int,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// A table of the schema, with its primary key (rows are sorted by it, in
/// Rust, so both backends produce the same order whatever their collation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpTable {
    pub name: String,
    pub columns: Vec<DumpColumn>,
    /// Indexes into `columns`.
    pub primary_key: Vec<usize>,
}

/// Every row of every table, tables in foreign-key order (a table comes
/// after the tables it references).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The last migration applied to the database the rows come from.
    pub schema_version: i64,
    pub tables: Vec<TableRows>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    pub table: DumpTable,
    pub rows: Vec<Vec<DumpValue>>,
}

impl Snapshot {
    pub fn table(&self, name: &str) -> Option<&TableRows> {
        self.tables.iter().find(|t| t.table.name == name)
    }
}

impl TableRows {
    /// The value of `column` in `row` (None if there is no such column).
    pub fn value<'a>(&self, row: &'a [DumpValue], column: &str) -> Option<&'a DumpValue> {
        let i = self.table.columns.iter().position(|c| c.name == column)?;
        row.get(i)
    }
}

/// Tables whose rows make a database "in use": a restore refuses to
/// overwrite them without `replace`.
const OCCUPIED_IF_ANY_ROW_IN: [&str; 3] = ["users", "projects", "audit_events"];
/// Bound parameters per INSERT (far below SQLite's and PostgreSQL's limits).
const PARAMS_PER_INSERT: usize = 500;

/// The schema of the embedded migrations, tables in foreign-key order.
pub async fn schema() -> Result<Vec<DumpTable>> {
    sqlx::any::install_default_drivers();
    // One connection: every connection to `:memory:` is its own database.
    let mut conn = AnyConnection::connect("sqlite::memory:")
        .await
        .map_err(|e| StoreError::Unavailable(format!("in-memory schema database: {e}")))?;
    MIGRATOR.run(&mut conn).await?;
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite!_%' ESCAPE '!' AND name NOT LIKE '!_sqlx%' ESCAPE '!' \
         ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut tables = Vec::new();
    for (name,) in names {
        let cols: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(&name)
                .fetch_all(&mut conn)
                .await?;
        let refs: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)")
                .bind(&name)
                .fetch_all(&mut conn)
                .await?;
        let mut columns = Vec::new();
        let mut pk: Vec<(i64, usize)> = Vec::new();
        for (i, (col, ty, pk_pos)) in cols.into_iter().enumerate() {
            let ty = ty.to_ascii_uppercase();
            let kind = if ty.contains("INT") {
                ColumnKind::Int
            } else if ty.contains("TEXT") {
                ColumnKind::Text
            } else {
                // Fail closed: a new column type needs a decision here.
                return Err(StoreError::Corrupt(format!(
                    "{name}.{col}: column type {ty} is not supported by backup"
                )));
            };
            if pk_pos > 0 {
                pk.push((pk_pos, i));
            }
            columns.push(DumpColumn { name: col, kind });
        }
        pk.sort();
        let primary_key = if pk.is_empty() {
            (0..columns.len()).collect()
        } else {
            pk.into_iter().map(|(_, i)| i).collect()
        };
        tables.push((
            DumpTable {
                name,
                columns,
                primary_key,
            },
            refs.into_iter().map(|(r,)| r).collect::<BTreeSet<_>>(),
        ));
    }
    let _ = conn.close().await;
    fk_order(tables)
}

/// Orders tables so each comes after those it references (alphabetical
/// among equals, so the order is stable).
fn fk_order(mut pending: Vec<(DumpTable, BTreeSet<String>)>) -> Result<Vec<DumpTable>> {
    let mut done: Vec<DumpTable> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|(t, refs)| {
            refs.iter()
                .all(|r| *r == t.name || done.iter().any(|d| d.name == *r))
        });
        let Some(i) = ready else {
            return Err(StoreError::Corrupt(
                "schema: foreign keys form a cycle between tables".into(),
            ));
        };
        done.push(pending.remove(i).0);
    }
    Ok(done)
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column_list(table: &DumpTable) -> String {
    table
        .columns
        .iter()
        .map(|c| quoted(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn decode(table: &DumpTable, row: &AnyRow) -> Result<Vec<DumpValue>> {
    let mut out = Vec::with_capacity(table.columns.len());
    for (i, c) in table.columns.iter().enumerate() {
        let v = match c.kind {
            ColumnKind::Int => row
                .try_get::<Option<i64>, _>(i)
                .map_err(|_| StoreError::corrupt(&table.name, &c.name))?
                .map_or(DumpValue::Null, DumpValue::Int),
            ColumnKind::Text => row
                .try_get::<Option<String>, _>(i)
                .map_err(|_| StoreError::corrupt(&table.name, &c.name))?
                .map_or(DumpValue::Null, DumpValue::Text),
        };
        out.push(v);
    }
    Ok(out)
}

fn sort_rows(table: &DumpTable, rows: &mut [Vec<DumpValue>]) {
    rows.sort_by(|a, b| {
        let key = |r: &Vec<DumpValue>| -> Vec<DumpValue> {
            table
                .primary_key
                .iter()
                .filter_map(|&i| r.get(i).cloned())
                .collect()
        };
        key(a).cmp(&key(b))
    });
}

impl Store {
    /// The version of the last migration applied (0 when none).
    pub async fn schema_version(&self) -> Result<i64> {
        let v: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success = $1")
                .bind(true)
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.and_then(|(v,)| v).unwrap_or(0))
    }

    /// Reads every table in one consistent snapshot. `progress` is told
    /// each table's name and row count as it is read.
    pub async fn snapshot(
        &self,
        progress: &mut (dyn FnMut(&str, usize) + Send),
    ) -> Result<Snapshot> {
        let schema = schema().await?;
        if self.pending_migrations().await? > 0 {
            return Err(StoreError::Migration(
                "the database has migrations to apply: run `heartlock migrate` first".into(),
            ));
        }
        // The one dialect difference: PostgreSQL needs REPEATABLE READ for
        // every statement to see the same snapshot; a SQLite (WAL) read
        // transaction keeps the snapshot of its first read until it ends.
        let mut tx = match self.backend() {
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
            Backend::Sqlite => self.pool.begin().await?,
        };
        let (schema_version,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success = $1")
                .bind(true)
                .fetch_one(&mut *tx)
                .await?;
        let mut tables = Vec::with_capacity(schema.len());
        for table in schema {
            let sql = format!(
                "SELECT {} FROM {}",
                column_list(&table),
                quoted(&table.name)
            );
            let raw = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *tx).await?;
            let mut rows = raw
                .iter()
                .map(|r| decode(&table, r))
                .collect::<Result<Vec<_>>>()?;
            sort_rows(&table, &mut rows);
            progress(&table.name, rows.len());
            tables.push(TableRows { table, rows });
        }
        tx.rollback().await?;
        Ok(Snapshot {
            schema_version: schema_version.unwrap_or(0),
            tables,
        })
    }

    /// Whether any user, project or audit event is stored.
    pub async fn is_in_use(&self) -> Result<bool> {
        for t in OCCUPIED_IF_ANY_ROW_IN {
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(t));
            let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(sql))
                .fetch_one(&self.pool)
                .await?;
            if n > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Writes `snap` into this (migrated) database in one transaction:
    /// refuses a database in use unless `replace`, empties every table,
    /// inserts in foreign-key order, then checks each table's row count.
    /// Nothing is written unless all of it is. `progress` is told each
    /// table as it is written.
    pub async fn load_snapshot(
        &self,
        snap: &Snapshot,
        replace: bool,
        progress: &mut (dyn FnMut(&str, usize) + Send),
    ) -> Result<()> {
        let schema = schema().await?;
        let version = self.schema_version().await?;
        if snap.schema_version != version {
            return Err(StoreError::Conflict(format!(
                "the data is at schema version {} and this database at {version}: use the \
                 heartlock release that matches the data",
                snap.schema_version
            )));
        }
        let same = schema.len() == snap.tables.len()
            && schema.iter().zip(&snap.tables).all(|(a, b)| *a == b.table);
        if !same {
            return Err(StoreError::Conflict(
                "the data's tables and columns differ from this database's schema".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        for t in OCCUPIED_IF_ANY_ROW_IN {
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(t));
            let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(sql))
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 && !replace {
                return Err(StoreError::Conflict(format!(
                    "the target database is not empty ({n} row(s) in {t})"
                )));
            }
        }
        // Children first, so no foreign key is left dangling in between.
        for t in schema.iter().rev() {
            let sql = format!("DELETE FROM {}", quoted(&t.name));
            sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        for t in &snap.tables {
            let table = &t.table;
            let width = table.columns.len().max(1);
            let per_insert = (PARAMS_PER_INSERT / width).max(1);
            for chunk in t.rows.chunks(per_insert) {
                let mut sql = format!(
                    "INSERT INTO {} ({}) VALUES ",
                    quoted(&table.name),
                    column_list(table)
                );
                let mut n = 0;
                for r in 0..chunk.len() {
                    if r > 0 {
                        sql.push_str(", ");
                    }
                    let marks: Vec<String> = (0..width)
                        .map(|_| {
                            n += 1;
                            format!("${n}")
                        })
                        .collect();
                    sql.push_str(&format!("({})", marks.join(", ")));
                }
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for row in chunk {
                    if row.len() != table.columns.len() {
                        return Err(StoreError::Corrupt(format!(
                            "{}: a row has {} value(s) for {} column(s)",
                            table.name,
                            row.len(),
                            table.columns.len()
                        )));
                    }
                    for (c, v) in table.columns.iter().zip(row) {
                        q = match (c.kind, v) {
                            (ColumnKind::Int, DumpValue::Int(i)) => q.bind(Some(*i)),
                            (ColumnKind::Int, DumpValue::Null) => q.bind(None::<i64>),
                            (ColumnKind::Text, DumpValue::Text(s)) => q.bind(Some(s.clone())),
                            (ColumnKind::Text, DumpValue::Null) => q.bind(None::<String>),
                            _ => return Err(StoreError::corrupt(&table.name, &c.name)),
                        };
                    }
                }
                q.execute(&mut *tx).await?;
            }
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(&table.name));
            let (count,): (i64,) = sqlx::query_as(AssertSqlSafe(sql))
                .fetch_one(&mut *tx)
                .await?;
            if usize::try_from(count).ok() != Some(t.rows.len()) {
                return Err(StoreError::Corrupt(format!(
                    "{}: {count} row(s) written, {} expected",
                    table.name,
                    t.rows.len()
                )));
            }
            progress(&table.name, t.rows.len());
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn schema_lists_every_table_after_the_tables_it_references() {
        let tables = schema().await.expect("schema");
        let pos = |n: &str| tables.iter().position(|t| t.name == n).expect(n);
        assert!(pos("users") < pos("memberships"));
        assert!(pos("projects") < pos("environments"));
        assert!(pos("environments") < pos("secrets"));
        assert!(pos("secrets") < pos("secret_versions"));
        assert!(tables.iter().all(|t| !t.name.starts_with("_sqlx")));
        let audit = &tables[pos("audit_events")];
        assert_eq!(audit.primary_key, vec![0]);
    }
}
