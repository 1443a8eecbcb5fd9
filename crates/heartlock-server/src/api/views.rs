//! JSON shapes of the API (requests and responses).
use super::docs::{ImportFormatName, ProjectRoleName, ServerRoleName};
use heartlock_domain::members::Member;
use heartlock_domain::projects::ProjectInfo;
use heartlock_domain::records::{EnvironmentRecord, ProjectRecord, UserRecord};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
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

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().to_string(),
            is_superuser: u.is_superuser,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 12 to 1024 characters, and not easy to guess.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    /// Defaults to the email's local part.
    #[schema(max_length = 200)]
    pub display_name: Option<String>,
    /// The Cloudflare Turnstile token (the widget's `cf-turnstile-response`),
    /// required when the server has TURNSTILE_ENABLED and requires it for
    /// this action (TURNSTILE_REQUIRE_ON_REGISTER). Scripts sign in with a service token instead.
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub turnstile_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The Cloudflare Turnstile token (the widget's `cf-turnstile-response`),
    /// required when the server has TURNSTILE_ENABLED and requires it for
    /// this action (TURNSTILE_REQUIRE_ON_LOGIN). Scripts sign in with a service token instead.
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub turnstile_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    pub new_password: String,
    /// The Cloudflare Turnstile token (the widget's `cf-turnstile-response`),
    /// required when the server has TURNSTILE_ENABLED and requires it for
    /// this action (TURNSTILE_REQUIRE_ON_PASSWORD_CHANGE). Scripts sign in with a service token instead.
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub turnstile_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    /// Other sessions that were signed out.
    pub sessions_revoked: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub refresh_token: String,
    /// Unix milliseconds.
    pub refresh_expires_at: i64,
    pub user: UserView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnvironmentView {
    pub slug: String,
    pub name: String,
    pub position: i64,
}

impl From<&EnvironmentRecord> for EnvironmentView {
    fn from(e: &EnvironmentRecord) -> Self {
        Self {
            slug: e.slug.clone(),
            name: e.name.clone(),
            position: e.position,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub slug: String,
    pub name: String,
    #[schema(nullable = true)]
    pub org: Option<String>,
    /// The caller's role on the project (`null` for server admins who are not members).
    #[schema(nullable = true)]
    pub role: Option<String>,
    pub environments: Vec<EnvironmentView>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&ProjectInfo> for ProjectView {
    fn from(i: &ProjectInfo) -> Self {
        ProjectView::new(&i.project, i.role.map(|r| r.as_str()), &i.environments)
    }
}

impl ProjectView {
    pub fn new(p: &ProjectRecord, role: Option<&str>, envs: &[EnvironmentRecord]) -> Self {
        Self {
            slug: p.slug.clone(),
            name: p.name.clone(),
            org: p.org.clone(),
            role: role.map(str::to_string),
            environments: envs.iter().map(EnvironmentView::from).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    #[schema(
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        max_length = 100
    )]
    pub name: String,
    /// Derived from the name when absent or null.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,62}$")]
    pub slug: Option<String>,
    /// Environment slugs, in order (default: development, staging, production).
    #[schema(max_items = 100)]
    pub environments: Option<Vec<String>>,
    #[schema(
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        max_length = 100
    )]
    pub org: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    /// Unchanged when absent or null.
    #[schema(
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        max_length = 100
    )]
    pub name: Option<String>,
    /// Unchanged when absent or null; an empty or blank string removes it.
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$", max_length = 100)]
    pub org: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnvironment {
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,62}$")]
    pub slug: String,
    /// Defaults to the slug.
    #[schema(
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        max_length = 100
    )]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnvironment {
    #[schema(
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        max_length = 100
    )]
    pub name: Option<String>,
    /// New 0-based position; the others shift.
    #[serde(default, deserialize_with = "opt_integer")]
    #[schema(minimum = 0, maximum = 2147483647)]
    pub position: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretView {
    pub key: String,
    pub value: String,
    pub version: i64,
    pub updated_at: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSecret {
    pub value: String,
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchWrite {
    /// Keys to create or update.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Keys to delete.
    #[serde(default)]
    pub delete: Vec<String>,
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WrittenKey {
    pub key: String,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteResult {
    pub written: Vec<WrittenKey>,
}

impl WriteResult {
    pub fn new(written: Vec<(String, i64)>) -> Self {
        Self {
            written: written
                .into_iter()
                .map(|(key, version)| WrittenKey { key, version })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    /// Absent for a deletion.
    #[schema(nullable = true)]
    pub value: Option<String>,
    pub deleted: bool,
    #[schema(nullable = true)]
    pub author_user_id: Option<String>,
    #[schema(nullable = true)]
    pub author_token_id: Option<String>,
    #[schema(nullable = true)]
    pub comment: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    #[serde(deserialize_with = "integer")]
    #[schema(minimum = 1)]
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompareEntry {
    pub environment: String,
    pub present: bool,
    #[schema(nullable = true)]
    pub value: Option<String>,
    #[schema(nullable = true)]
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompareView {
    pub key: String,
    /// True when the key is present everywhere with the same value.
    pub consistent: bool,
    pub environments: Vec<CompareEntry>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// `dotenv`, `json` or `yaml`.
    #[schema(value_type = ImportFormatName)]
    pub format: String,
    pub content: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Slugs of the environments the member is limited to, in project
    /// order; `null` for every environment.
    #[schema(nullable = true)]
    pub environments: Option<Vec<String>>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user.id,
            email: m.user.email,
            display_name: m.user.display_name,
            role: m.role.as_str().into(),
            environments: m.environments,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    /// The email of an existing account.
    pub email: String,
    /// `owner`, `admin`, `member` or `viewer`.
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Slugs of the environments a viewer or member is limited to; absent
    /// or `null` for every environment (owners and admins always have all).
    #[schema(nullable = true, max_items = 100)]
    #[serde(default)]
    pub environments: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Slugs of the environments a viewer or member is limited to; absent
    /// or `null` for every environment (the previous limit is replaced).
    #[schema(nullable = true, max_items = 100)]
    #[serde(default)]
    pub environments: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// `admin` or `user`; unchanged when absent or null.
    #[schema(value_type = Option<ServerRoleName>)]
    pub role: Option<String>,
    /// Unchanged when absent or null.
    pub disabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 12 to 1024 characters, and not easy to guess.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    #[schema(max_length = 200)]
    pub display_name: Option<String>,
    /// `admin` or `user` (default: DEFAULT_USER_ROLE).
    #[schema(value_type = Option<ServerRoleName>)]
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor_kind: String,
    #[schema(nullable = true)]
    pub actor_id: Option<String>,
    #[schema(nullable = true)]
    pub actor_name: Option<String>,
    pub action: String,
    #[schema(nullable = true)]
    pub project_id: Option<String>,
    #[schema(nullable = true)]
    pub environment_id: Option<String>,
    #[schema(nullable = true)]
    pub secret_key: Option<String>,
    #[schema(nullable = true)]
    pub ip: Option<String>,
    pub outcome: String,
    #[schema(nullable = true)]
    pub detail: Option<String>,
    pub hash: String,
}

impl From<heartlock_core::audit::AuditEvent> for AuditEventView {
    fn from(e: heartlock_core::audit::AuditEvent) -> Self {
        Self {
            seq: e.seq,
            id: e.id,
            at: e.event.at_ms,
            actor_kind: e.event.actor_kind.as_str().into(),
            actor_id: e.event.actor_id,
            actor_name: e.event.actor_name,
            action: e.event.action,
            project_id: e.event.project_id,
            environment_id: e.event.environment_id,
            secret_key: e.event.secret_key,
            ip: e.event.ip,
            outcome: e.event.outcome.as_str().into(),
            detail: e.event.detail,
            hash: e.hash,
        }
    }
}

/// JSON does not tell `1` from `1.0`: an integer field also takes a float
/// with no fractional part (anything else is a 422, as before).
pub(crate) fn integer<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Some(i),
        // i64::MAX as f64 rounds up to 2^63, so the bound is exclusive.
        (None, Some(f)) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
            Some(f as i64)
        }
        _ => None,
    };
    whole
        .and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| D::Error::custom(format!("expected an integer in range, got {n}")))
}

pub(crate) fn opt_integer<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap<T: TryFrom<i64>>(#[serde(deserialize_with = "integer")] T);
    Ok(Option::<Wrap<T>>::deserialize(d)?.map(|w| w.0))
}
