//! Generic access to every encrypted column, for key rotation. The store
//! hands out ciphertext and the context it is bound to; it never decrypts.
use crate::{Backend, Result, Store};
use heartlock_core::binding::Binding;
use sqlx::AssertSqlSafe;
use std::fmt::Write;

/// Rows per compare-and-swap statement. Small on SQLite, which looks
/// parameter names up linearly (binding cost grows with the square of the
/// count) and where a statement costs no round trip; large on PostgreSQL,
/// where each statement is one (3 parameters a row, far below its limit).
fn swap_chunk_rows(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 100,
        Backend::Postgres => 1000,
    }
}

/// Every column holding a Fernet token. Adding an encrypted column means
/// adding it here, so `rotate-key` can never miss one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptedColumn {
    SecretVersionValue,
    ServerSecretValue,
    ServerSettingValue,
    OutboxPayload,
}

impl EncryptedColumn {
    pub const ALL: [EncryptedColumn; 4] = [
        EncryptedColumn::SecretVersionValue,
        EncryptedColumn::ServerSecretValue,
        EncryptedColumn::ServerSettingValue,
        EncryptedColumn::OutboxPayload,
    ];

    pub fn label(self) -> &'static str {
        match self {
            EncryptedColumn::SecretVersionValue => "secret values",
            EncryptedColumn::ServerSecretValue => "server keys",
            EncryptedColumn::ServerSettingValue => "secret settings",
            EncryptedColumn::OutboxPayload => "outbox messages",
        }
    }

    /// What a row is bound to, from its selected columns.
    fn binding(self, id: &str, environment_id: String, key: String) -> Binding {
        match self {
            EncryptedColumn::SecretVersionValue => Binding::SecretVersion {
                version_id: id.to_string(),
                environment_id,
                key,
            },
            EncryptedColumn::ServerSecretValue => Binding::ServerSecret {
                name: id.to_string(),
            },
            EncryptedColumn::ServerSettingValue => Binding::ServerSetting {
                name: id.to_string(),
            },
            EncryptedColumn::OutboxPayload => Binding::Outbox { id: id.to_string() },
        }
    }

    fn select_batch(self) -> &'static str {
        match self {
            EncryptedColumn::SecretVersionValue => {
                "SELECT v.id, v.value_ct, s.environment_id, s.key FROM secret_versions v JOIN secrets s ON s.id = v.secret_id \
                 WHERE v.id > $1 AND v.value_ct IS NOT NULL ORDER BY v.id LIMIT $2"
            }
            EncryptedColumn::ServerSecretValue => {
                // Same shape as above; the last two columns are unused here.
                "SELECT name, value_ct, name, name FROM server_secrets WHERE name > $1 ORDER BY name LIMIT $2"
            }
            EncryptedColumn::ServerSettingValue => {
                "SELECT name, value, name, name FROM server_settings WHERE name > $1 AND sealed = 1 ORDER BY name LIMIT $2"
            }
            EncryptedColumn::OutboxPayload => {
                "SELECT id, payload_ct, id, id FROM outbox WHERE id > $1 AND payload_ct IS NOT NULL ORDER BY id LIMIT $2"
            }
        }
    }

    fn compare_and_swap(self) -> &'static str {
        match self {
            EncryptedColumn::SecretVersionValue => {
                "UPDATE secret_versions SET value_ct = $1 WHERE id = $2 AND value_ct = $3"
            }
            EncryptedColumn::ServerSecretValue => {
                "UPDATE server_secrets SET value_ct = $1 WHERE name = $2 AND value_ct = $3"
            }
            EncryptedColumn::ServerSettingValue => {
                "UPDATE server_settings SET value = $1 WHERE name = $2 AND value = $3 AND sealed = 1"
            }
            EncryptedColumn::OutboxPayload => {
                "UPDATE outbox SET payload_ct = $1 WHERE id = $2 AND payload_ct = $3"
            }
        }
    }

    /// Table, key column, ciphertext column and extra condition of the
    /// column, for the multi-row compare-and-swap.
    fn target(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            EncryptedColumn::SecretVersionValue => ("secret_versions", "id", "value_ct", ""),
            EncryptedColumn::ServerSecretValue => ("server_secrets", "name", "value_ct", ""),
            EncryptedColumn::ServerSettingValue => (
                "server_settings",
                "name",
                "value",
                " AND server_settings.sealed = 1",
            ),
            EncryptedColumn::OutboxPayload => ("outbox", "id", "payload_ct", ""),
        }
    }

    /// One statement swapping `rows` ciphertexts, each only if still the old
    /// one. VALUES columns are named column1.. on both databases, and both
    /// accept UPDATE .. FROM (SQLite since 3.33). The key list repeats the
    /// ids' parameters: without it PostgreSQL joins by scanning the whole
    /// table (measured: a hash join), with it it looks the rows up by key.
    fn compare_and_swap_many(self, rows: usize) -> String {
        let (table, key, col, extra) = self.target();
        let mut sql = format!("UPDATE {table} SET {col} = v.column3 FROM (VALUES ");
        // Writing into a String cannot fail.
        for row in 0..rows {
            let n = row * 3;
            let sep = if row > 0 { ", " } else { "" };
            let _ = write!(sql, "{sep}(${}, ${}, ${})", n + 1, n + 2, n + 3);
        }
        let _ = write!(sql, ") AS v WHERE {table}.{key} IN (");
        for row in 0..rows {
            let sep = if row > 0 { ", " } else { "" };
            let _ = write!(sql, "{sep}${}", row * 3 + 1);
        }
        let _ = write!(
            sql,
            ") AND {table}.{key} = v.column1 AND {table}.{col} = v.column2{extra}"
        );
        sql
    }
}

#[derive(Debug, Clone)]
pub struct EncryptedRow {
    pub id: String,
    pub ciphertext: String,
    /// What the ciphertext is bound to (its context goes to `Keyring::open`/`seal`).
    pub binding: Binding,
}

impl Store {
    /// Rows of `column` with id greater than `after`, in id order.
    pub async fn encrypted_batch(
        &self,
        column: EncryptedColumn,
        after: &str,
        limit: i64,
    ) -> Result<Vec<EncryptedRow>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(column.select_batch())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, ciphertext, env, key)| EncryptedRow {
                binding: column.binding(&id, env, key),
                id,
                ciphertext,
            })
            .collect())
    }

    /// Replaces a ciphertext only if it is still `old` (a concurrent write
    /// wins); returns whether the row was updated.
    pub async fn replace_ciphertext(
        &self,
        column: EncryptedColumn,
        id: &str,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        let done = sqlx::query(column.compare_and_swap())
            .bind(new)
            .bind(id)
            .bind(old)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces many ciphertexts in one transaction, each `(id, old, new)`
    /// only if it is still `old` (a concurrent write wins); returns how many
    /// rows were updated.
    pub async fn replace_ciphertexts(
        &self,
        column: EncryptedColumn,
        swaps: &[(String, String, String)],
    ) -> Result<u64> {
        if swaps.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let mut updated = 0;
        for chunk in swaps.chunks(swap_chunk_rows(self.backend())) {
            let mut q = sqlx::query(AssertSqlSafe(column.compare_and_swap_many(chunk.len())));
            for (id, old, new) in chunk {
                q = q.bind(id.as_str()).bind(old.as_str()).bind(new.as_str());
            }
            updated += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(updated)
    }
}
