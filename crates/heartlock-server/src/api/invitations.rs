//! /api/v1/projects/{project}/invitations: invite an email address to a
//! project, list, resend and revoke pending invitations; and
//! /api/v1/invitations/accept, where the holder of a link accepts it. The
//! link's token travels only by email: no response here ever carries it
//! (an admin who could read it could join as the invitee).
use super::docs::{CommonErrors, ProjectRoleName};
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use super::views::UserView;
use crate::auth::Caller;
use crate::mail_context::{api_lang, mail_context};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use heartlock_domain::invitations::{self, Invitation, NewAccountFields, NewInvite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(resend_invitation))
        .routes(routes!(accept_invitation))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Slugs of the environments the membership will be limited to;
    /// `null` for every environment.
    #[schema(nullable = true)]
    pub environments: Option<Vec<String>>,
    /// The language of its messages: `en` or `fr`.
    pub language: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// Whether the link has expired (resend it for a new one).
    pub expired: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    #[schema(nullable = true)]
    pub last_sent_at: Option<i64>,
    /// The inviter's email; `null` once that account is gone.
    #[schema(nullable = true)]
    pub invited_by: Option<String>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role.as_str().into(),
            environments: i.environments,
            language: i.language,
            expires_at: i.expires_at,
            expired: i.expired,
            created_at: i.created_at,
            last_sent_at: i.last_sent_at,
            invited_by: i.invited_by,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Slugs of the environments a viewer or member is limited to; absent
    /// or `null` for every environment.
    #[schema(nullable = true, max_items = 100)]
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    /// `en` or `fr`; absent: the invitee's own language if they have an
    /// account, else this request's Accept-Language.
    #[schema(nullable = true, pattern = "^(en|fr)$")]
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The token of the link `/invite/<token>`.
    #[schema(max_length = 100)]
    pub token: String,
    /// For a new account only: its password.
    #[schema(nullable = true)]
    #[serde(default)]
    pub password: Option<String>,
    /// For a new account only.
    #[schema(nullable = true, max_length = 200)]
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedInvitation {
    /// The slug of the project joined.
    pub project: String,
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Whether accepting created the account (sign in with it next).
    pub account_created: bool,
    pub user: UserView,
}

/// The project's pending invitations (not accepted, not revoked; expired
/// ones too), newest first.
#[utoipa::path(get, path = "/projects/{project}/invitations", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), PageParams),
    responses((status = 200, description = "Pending invitations", body = Page<InvitationView>), CommonErrors))]
async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<InvitationView>>> {
    let list = invitations::list(&state, &caller, &project).await?;
    let items = list.into_iter().map(InvitationView::from).collect();
    Ok(Json(Page::slice(items, &page)))
}

/// Invite an email address with a role; the link goes to that address by
/// email (never in this response).
#[utoipa::path(post, path = "/projects/{project}/invitations", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = CreateInvitation,
    responses((status = 201, description = "Invited; the message is on its way", body = InvitationView), CommonErrors))]
async fn create_invitation(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(project): Path<String>,
    Json(req): Json<CreateInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationView>)> {
    let mail = mail_context(&state, &headers, api_lang(&headers));
    let new = NewInvite {
        email: &req.email,
        role: &req.role,
        environments: req.environments.as_deref(),
        language: req.language.as_deref(),
    };
    let inv = invitations::create(&state, &caller, &project, new, &mail).await?;
    Ok((StatusCode::CREATED, Json(inv.into())))
}

/// Send a pending invitation again with a new link (the previous link
/// stops working) and a new expiry.
#[utoipa::path(post, path = "/projects/{project}/invitations/{invitation_id}/resend", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("invitation_id" = String, Path, description = "Invitation id")),
    responses((status = 200, description = "Sent again", body = InvitationView), CommonErrors))]
async fn resend_invitation(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
) -> ApiResult<Json<InvitationView>> {
    let mail = mail_context(&state, &headers, api_lang(&headers));
    let inv = invitations::resend(&state, &caller, &project, &id, &mail).await?;
    Ok(Json(inv.into()))
}

/// Revoke a pending invitation: its link stops working.
#[utoipa::path(delete, path = "/projects/{project}/invitations/{invitation_id}", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("invitation_id" = String, Path, description = "Invitation id")),
    responses((status = 204, description = "Revoked"), CommonErrors))]
async fn revoke_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    invitations::revoke(&state, &caller, &project, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invitation. Signed in, the account must have the invited
/// address; without a session, a new account is created with `password`
/// (even when registration is closed: the invitation is the permission),
/// unless the address already has one (401: sign in first) or single
/// sign-on is on (403). The link works once.
#[utoipa::path(post, path = "/invitations/accept", tag = "members",
    request_body = AcceptInvitation,
    responses((status = 200, description = "Joined the project", body = AcceptedInvitation), CommonErrors))]
async fn accept_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<AcceptInvitation>,
) -> ApiResult<Json<AcceptedInvitation>> {
    let account = req.password.as_deref().map(|password| NewAccountFields {
        display_name: req.display_name.as_deref(),
        password,
    });
    let a = invitations::accept(&state, &caller, &req.token, account).await?;
    Ok(Json(AcceptedInvitation {
        project: a.project_slug,
        role: a.role.as_str().into(),
        account_created: a.created,
        user: UserView::from(&a.user),
    }))
}
