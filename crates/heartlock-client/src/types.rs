//! The API's JSON shapes, mirrored on the client side (kept independent of
//! the server crate so the CLI stays light). Types holding secret values or
//! credentials redact them in `Debug`, so logging a value by mistake is safe.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

const REDACTED: &str = "<redacted>";

/// One page of a list.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// Page selection for list endpoints (server defaults when `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageParams {
    /// 1-based.
    pub page: Option<u32>,
    /// 1 to 500 (default 50).
    pub per_page: Option<u32>,
}

impl PageParams {
    pub fn new(page: u32, per_page: u32) -> Self {
        Self {
            page: Some(page),
            per_page: Some(per_page),
        }
    }

    pub(crate) fn pairs(&self) -> [(&'static str, Option<String>); 2] {
        [
            ("page", self.page.map(|p| p.to_string())),
            ("per_page", self.per_page.map(|p| p.to_string())),
        ]
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Health {
    pub status: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Ready {
    pub status: String,
    pub database: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// Server role: `admin` or `user`.
    pub role: String,
    pub is_superuser: bool,
    pub disabled: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub refresh_token: String,
    /// Unix milliseconds.
    pub refresh_expires_at: i64,
    pub user: User,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &REDACTED)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &REDACTED)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("user", &self.user)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PasswordChanged {
    /// Other sessions that were signed out.
    pub sessions_revoked: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Environment {
    pub slug: String,
    pub name: String,
    pub position: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub slug: String,
    pub name: String,
    pub org: Option<String>,
    /// The caller's role (`None` for a server admin who is not a member).
    pub role: Option<String>,
    pub environments: Vec<Environment>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `GET /projects` filters.
#[derive(Debug, Clone, Default)]
pub struct ProjectQuery {
    /// Case-insensitive match on slug or name.
    pub q: Option<String>,
    pub page: PageParams,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NewProject {
    pub name: String,
    /// Derived from the name when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Environment slugs in order (server default: development, staging, production).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProjectUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An empty string clears the organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EnvironmentUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New 0-based position; the others shift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    /// `owner`, `admin`, `member` or `viewer`.
    pub role: String,
    /// Slugs of the environments the member is limited to; `None` for all.
    #[serde(default)]
    pub environments: Option<Vec<String>>,
}

#[derive(Clone, Deserialize)]
pub struct Secret {
    pub key: String,
    pub value: String,
    pub version: i64,
    pub updated_at: i64,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("key", &self.key)
            .field("value", &REDACTED)
            .field("version", &self.version)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Sets and deletes applied atomically.
#[derive(Clone, Default, Serialize)]
pub struct BatchWrite {
    pub set: BTreeMap<String, String>,
    pub delete: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl fmt::Debug for BatchWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWrite")
            .field("set", &self.set.keys().collect::<Vec<_>>())
            .field("delete", &self.delete)
            .field("comment", &self.comment)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WrittenKey {
    pub key: String,
    pub version: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WriteResult {
    pub written: Vec<WrittenKey>,
}

#[derive(Clone, Deserialize)]
pub struct Version {
    pub version: i64,
    /// `None` for a deletion.
    pub value: Option<String>,
    pub deleted: bool,
    pub author_user_id: Option<String>,
    pub author_token_id: Option<String>,
    pub comment: Option<String>,
    pub created_at: i64,
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Version")
            .field("version", &self.version)
            .field("value", &self.value.as_ref().map(|_| REDACTED))
            .field("deleted", &self.deleted)
            .field("author_user_id", &self.author_user_id)
            .field("author_token_id", &self.author_token_id)
            .field("comment", &self.comment)
            .field("created_at", &self.created_at)
            .finish()
    }
}

#[derive(Clone, Deserialize)]
pub struct CompareEntry {
    pub environment: String,
    pub present: bool,
    pub value: Option<String>,
    pub version: Option<i64>,
}

impl fmt::Debug for CompareEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompareEntry")
            .field("environment", &self.environment)
            .field("present", &self.present)
            .field("value", &self.value.as_ref().map(|_| REDACTED))
            .field("version", &self.version)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Compare {
    pub key: String,
    /// True when the key is present everywhere with the same value.
    pub consistent: bool,
    pub environments: Vec<CompareEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub project_id: Option<String>,
    pub environment_id: Option<String>,
    pub secret_key: Option<String>,
    pub ip: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: String,
    pub detail: Option<String>,
    pub hash: String,
}

/// `GET /audit` filters.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Project slug.
    pub project: Option<String>,
    /// Exact action, or a prefix ending in `.` or `*`.
    pub action: Option<String>,
    pub actor_id: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: Option<String>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
    /// Cursor: events older than this seq (an [`AuditPage::next_before`]);
    /// `page` then counts from it.
    pub before: Option<i64>,
    /// Cursor: the page just newer than this seq (an
    /// [`AuditPage::prev_after`]). Ignored with `before`.
    pub after: Option<i64>,
    pub page: PageParams,
}

/// One page of `GET /audit`, newest first. Deep pages: follow
/// `next_before` rather than raising the page number.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    pub page: i64,
    pub per_page: i64,
    /// A lower bound when `total_exact` is false.
    pub total: i64,
    pub total_exact: bool,
    /// `before` of the next older page; `None` on the oldest.
    pub next_before: Option<i64>,
    /// `after` of the previous newer page; `None` on the newest.
    pub prev_after: Option<i64>,
}

/// `POST /admin/users`.
#[derive(Clone, Default, Serialize)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `admin` or `user` (server default when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("password", &REDACTED)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .finish()
    }
}

/// `PATCH /admin/users/{id}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserUpdate {
    /// `admin` or `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// A service token as listed (never the token itself).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub environments: Vec<String>,
    /// `read` or `read_write`.
    pub access: String,
    pub allowed_cidrs: Vec<String>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_by: Option<String>,
    pub created_at: i64,
}

/// A new service token: `token` is shown this once.
#[derive(Clone, Deserialize)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenInfo,
}

impl fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token", &REDACTED)
            .field("info", &self.info)
            .finish()
    }
}

/// `POST /projects/{project}/tokens`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewToken {
    pub name: String,
    /// Environment slugs the token may read (and write).
    pub environments: Vec<String>,
    /// `read` or `read_write`.
    pub access: String,
    /// Days until the token stops working (none: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// Client addresses or CIDRs allowed to use the token (empty: any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_cidrs: Vec<String>,
}
