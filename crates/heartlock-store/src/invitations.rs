//! Project invitations: an email address, a role (and an optional
//! environment limit) and the SHA-256 hash of a one-time link token. The
//! store keeps them and applies the guarded updates that make a link single
//! use; the domain decides who may invite and what accepting means.
use crate::member_environments::{encode_limit, parse_limit};
use crate::users::NewUser;
use crate::{Result, Store, StoreError};
use heartlock_core::roles::ProjectRole;

/// One stored invitation (never the token, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub id: String,
    pub project_id: String,
    /// Normalised (trimmed, lowercase) by the domain.
    pub email: String,
    pub role: ProjectRole,
    /// Environment ids the membership will be limited to; `None` for all.
    pub environments: Option<Vec<String>>,
    /// `en` or `fr`: the language of its messages.
    pub language: String,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub accepted_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub last_sent_at: Option<i64>,
    /// The user who invited (`None` once that account is gone).
    pub created_by: Option<String>,
    pub created_at: i64,
}

/// What a new invitation is made of.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: String,
    pub project_id: String,
    pub email: String,
    pub role: ProjectRole,
    pub environments: Option<Vec<String>>,
    pub language: String,
    pub token_hash: String,
    pub expires_at: i64,
    pub created_by: Option<String>,
}

/// What accepting adds: the membership for `user_id`, and the account
/// itself when `new_user` is set (its id is `user_id`).
#[derive(Debug, Clone)]
pub struct Acceptance<'a> {
    pub invitation_id: &'a str,
    pub user_id: &'a str,
    pub new_user: Option<&'a NewUser>,
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
);

const COLUMNS: &str = "id, project_id, email, role, environments, language, expires_at, \
                       accepted_at, accepted_by, revoked_at, last_sent_at, created_by, created_at";

fn record(r: Row) -> Result<InvitationRecord> {
    let role =
        ProjectRole::parse(&r.3).ok_or_else(|| StoreError::corrupt("invitations", "role"))?;
    Ok(InvitationRecord {
        id: r.0,
        project_id: r.1,
        email: r.2,
        role,
        environments: parse_limit("invitations", r.4)?,
        language: r.5,
        expires_at: r.6,
        accepted_at: r.7,
        accepted_by: r.8,
        revoked_at: r.9,
        last_sent_at: r.10,
        created_by: r.11,
        created_at: r.12,
    })
}

/// Still usable: neither accepted nor revoked (expiry is checked against
/// the caller's clock).
const OPEN: &str = "accepted_at IS NULL AND revoked_at IS NULL";

impl Store {
    /// Stores a new invitation (with the handle's audit events and outbox
    /// messages, in one transaction).
    pub async fn create_invitation(&self, inv: &NewInvitation, now: i64) -> Result<()> {
        let envs = encode_limit("invitations", inv.environments.as_deref())?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO invitations (id, project_id, email, role, token_hash, expires_at, created_by, \
             created_at, environments, language, last_sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8)",
        )
        .bind(&inv.id)
        .bind(&inv.project_id)
        .bind(&inv.email)
        .bind(inv.role.as_str())
        .bind(&inv.token_hash)
        .bind(inv.expires_at)
        .bind(&inv.created_by)
        .bind(now)
        .bind(envs)
        .bind(&inv.language)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await
    }

    /// A project's invitations that are neither accepted nor revoked
    /// (expired ones included: they can be resent), newest first.
    pub async fn open_invitations(&self, project_id: &str) -> Result<Vec<InvitationRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM invitations WHERE project_id = $1 AND {OPEN} \
             ORDER BY created_at DESC, id"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(record).collect()
    }

    /// One invitation of a project, whatever its state.
    pub async fn invitation(&self, project_id: &str, id: &str) -> Result<Option<InvitationRecord>> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM invitations WHERE project_id = $1 AND id = $2"
        )))
        .bind(project_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(record).transpose()
    }

    /// The invitation a link token hashes to, whatever its state.
    pub async fn invitation_by_token_hash(&self, hash: &str) -> Result<Option<InvitationRecord>> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM invitations WHERE token_hash = $1"
        )))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(record).transpose()
    }

    /// Whether `email` already has an open, unexpired invitation to the project.
    pub async fn open_invitation_for(
        &self,
        project_id: &str,
        email: &str,
        now: i64,
    ) -> Result<bool> {
        let row: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM invitations WHERE project_id = $1 AND email = $2 AND expires_at > $3 \
             AND {OPEN}"
        )))
        .bind(project_id)
        .bind(email)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Gives an open invitation a new token and expiry (the old link dies);
    /// false, and no audit event nor message, when it is no longer open.
    pub async fn reissue_invitation(
        &self,
        id: &str,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE invitations SET token_hash = $1, expires_at = $2, last_sent_at = $3 \
             WHERE id = $4 AND {OPEN}"
        )))
        .bind(token_hash)
        .bind(expires_at)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.finish_guarded(tx, r.rows_affected()).await
    }

    /// Revokes an open invitation; false (and nothing recorded) otherwise.
    pub async fn revoke_invitation(&self, id: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND {OPEN}"
        )))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.finish_guarded(tx, r.rows_affected()).await
    }

    /// Accepts an invitation in one transaction: marks it used (only if it
    /// is still open and unexpired, so of two concurrent accepts one wins),
    /// creates the account when asked, and adds the membership with the
    /// invitation's role and environments (an existing membership is kept
    /// as it is). False, with nothing written, when the invitation was no
    /// longer usable.
    pub async fn accept_invitation(&self, a: &Acceptance<'_>, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE invitations SET accepted_at = $1, accepted_by = $2 \
             WHERE id = $3 AND expires_at > $1 AND {OPEN}"
        )))
        .bind(now)
        .bind(a.user_id)
        .bind(a.invitation_id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(u) = a.new_user {
            sqlx::query(
                "INSERT INTO users (id, email, display_name, password_hash, role, is_superuser, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&u.id)
            .bind(&u.email)
            .bind(&u.display_name)
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(i64::from(u.is_superuser))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict("a user with this email already exists".into())
                }
                other => other,
            })?;
        }
        sqlx::query(
            "INSERT INTO memberships (project_id, user_id, role, created_at, environments) \
             SELECT project_id, $1, role, $2, environments FROM invitations WHERE id = $3 \
             ON CONFLICT (project_id, user_id) DO NOTHING",
        )
        .bind(a.user_id)
        .bind(now)
        .bind(a.invitation_id)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        Ok(true)
    }

    /// Commits when a guarded update changed a row; otherwise rolls back and
    /// drops the attached events and messages (they describe a change).
    async fn finish_guarded(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        affected: u64,
    ) -> Result<bool> {
        if affected == 0 {
            self.discard_audit();
            let _ = self.take_outbox();
            tx.rollback().await?;
            return Ok(false);
        }
        self.commit_write(tx).await?;
        Ok(true)
    }
}
