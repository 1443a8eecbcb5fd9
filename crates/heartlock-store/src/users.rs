//! User accounts.
use crate::{Result, Store, StoreError};
use heartlock_core::roles::ServerRole;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub role: ServerRole,
    pub is_superuser: bool,
    pub oidc_subject: Option<String>,
    pub idp_groups: Vec<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// `en` or `fr` for messages to this user; `None`: the request's language.
    pub language: Option<String>,
    /// Email on a sign-in from a browser this account has not used before.
    pub notify_new_sign_in: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    /// Already normalised (trimmed, lowercase) by the caller.
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub role: ServerRole,
    pub is_superuser: bool,
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.password_hash, u.role, u.is_superuser, u.oidc_subject, u.idp_groups, u.disabled, u.created_at, u.updated_at, u.language, u.notify_new_sign_in";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    let groups: String = row.try_get("idp_groups")?;
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        role: ServerRole::parse(&role).ok_or_else(|| StoreError::corrupt("users", "role"))?,
        is_superuser: row.try_get::<i64, _>("is_superuser")? != 0,
        oidc_subject: row.try_get("oidc_subject")?,
        idp_groups: serde_json::from_str(&groups)
            .map_err(|_| StoreError::corrupt("users", "idp_groups"))?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        language: row.try_get("language")?,
        notify_new_sign_in: row.try_get::<i64, _>("notify_new_sign_in")? != 0,
    })
}

impl Store {
    pub async fn create_user(&self, u: &NewUser, now: i64) -> Result<UserRecord> {
        sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash, role, is_superuser, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&u.id)
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(&u.password_hash)
        .bind(u.role.as_str())
        .bind(i64::from(u.is_superuser))
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("a user with this email already exists".into()),
            other => other,
        })?;
        self.user_by_id(&u.id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        let sql = const_format("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let sql = const_format("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Users by email order, with the total count.
    pub async fn list_users(&self, limit: i64, offset: i64) -> Result<(Vec<UserRecord>, i64)> {
        let sql =
            const_format("SELECT {USER_COLUMNS} FROM users u ORDER BY u.email LIMIT $1 OFFSET $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok((
            rows.iter().map(user_from_row).collect::<Result<_>>()?,
            total,
        ))
    }

    /// Accounts that can administer the server (role admin or superuser).
    pub async fn count_admins(&self) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin' OR is_superuser = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }

    pub async fn set_user_role(&self, id: &str, role: ServerRole, now: i64) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        if r.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    pub async fn set_user_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(disabled))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        if r.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// The user's message preferences.
    pub async fn set_user_preferences(
        &self,
        id: &str,
        language: Option<&str>,
        notify_new_sign_in: bool,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE users SET language = $1, notify_new_sign_in = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(language)
        .bind(i64::from(notify_new_sign_in))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        if r.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    pub async fn set_password_hash(&self, id: &str, hash: &str, now: i64) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        if r.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}

/// `{USER_COLUMNS}` substitution for the few queries sharing the column list.
pub(crate) fn const_format(template: &str) -> String {
    template.replace("{USER_COLUMNS}", USER_COLUMNS)
}
