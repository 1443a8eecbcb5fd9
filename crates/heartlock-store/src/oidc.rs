//! Single sign-on identities: an OpenID Provider's (issuer, subject) linked
//! to one user, and the groups the provider last reported for them.
use crate::users::{NewUser, const_format, user_from_row};
use crate::{Result, Store, StoreError, UserRecord};

fn groups_json(groups: &[String]) -> Result<String> {
    serde_json::to_string(groups).map_err(|_| StoreError::corrupt("users", "idp_groups"))
}

impl Store {
    /// The user an identity signs in to, if it was seen before.
    pub async fn user_by_oidc_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>> {
        let sql = const_format(
            "SELECT {USER_COLUMNS} FROM users u JOIN oidc_identities i ON i.user_id = u.id \
             WHERE i.issuer = $1 AND i.subject = $2",
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Creates an account signed in only through the provider (no password)
    /// and links the identity to it, in one transaction. An email already
    /// taken is a `Conflict`.
    pub async fn create_oidc_user(
        &self,
        u: &NewUser,
        issuer: &str,
        subject: &str,
        groups: &[String],
        now: i64,
    ) -> Result<UserRecord> {
        let groups = groups_json(groups)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash, role, is_superuser, idp_groups, created_at, updated_at) \
             VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $7)",
        )
        .bind(&u.id)
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(i64::from(u.is_superuser))
        .bind(&groups)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict("a user with this email already exists".into())
            }
            other => other,
        })?;
        sqlx::query(
            "INSERT INTO oidc_identities (issuer, subject, user_id, created_at, last_login_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(issuer)
        .bind(subject)
        .bind(&u.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        self.user_by_id(&u.id).await?.ok_or(StoreError::NotFound)
    }

    /// The subject a user is linked to at `issuer`, if any.
    pub async fn oidc_subject_of(&self, user_id: &str, issuer: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT subject FROM oidc_identities WHERE user_id = $1 AND issuer = $2",
        )
        .bind(user_id)
        .bind(issuer)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Links a provider identity to an existing (local) account, once its
    /// owner proved the account's password. An identity linked already is a
    /// `Conflict`.
    pub async fn link_oidc_identity(
        &self,
        issuer: &str,
        subject: &str,
        user_id: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO oidc_identities (issuer, subject, user_id, created_at, last_login_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(issuer)
        .bind(subject)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await
    }

    /// A sign-in through the provider: stores the groups it reported and
    /// when; returns the updated user.
    pub async fn record_oidc_sign_in(
        &self,
        issuer: &str,
        subject: &str,
        user_id: &str,
        groups: &[String],
        now: i64,
    ) -> Result<UserRecord> {
        let groups = groups_json(groups)?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET idp_groups = $1, updated_at = $2 WHERE id = $3")
            .bind(&groups)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE oidc_identities SET last_login_at = $1 WHERE issuer = $2 AND subject = $3",
        )
        .bind(now)
        .bind(issuer)
        .bind(subject)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        self.user_by_id(user_id).await?.ok_or(StoreError::NotFound)
    }
}
