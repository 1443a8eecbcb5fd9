//! Project pages: the dashboard, the secrets grid, history, environments,
//! members, service tokens and the audit log. Handlers stay thin: parse,
//! call the domain service (which decides access with the one permission
//! function), render.
mod audit;
mod dashboard;
mod environments;
mod grid;
mod history;
mod invitations;
mod members;
mod secrets;
mod tokens;
pub(crate) mod watches;

use super::errors::{WebError, from_domain};
use super::session::WebCtx;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use heartlock_domain::DomainError;
use heartlock_domain::projects;
use tower_http::set_header::SetResponseHeaderLayer;

/// Every route of this module; each one is also listed in `web::ROUTES`.
pub fn router() -> Router<AppState> {
    const KEY: &str = "/projects/{project}/environments/{env}/secrets/{key}";
    Router::new()
        .route("/projects", get(dashboard::page).post(dashboard::create))
        .route("/projects/{project}", get(grid::page))
        .route("/projects/{project}/secrets", post(secrets::add))
        .route("/projects/{project}/import", post(secrets::import))
        .route("/projects/{project}/export", get(secrets::export))
        .route(KEY, get(secrets::reveal).post(secrets::save))
        .route(&format!("{KEY}/edit"), get(secrets::edit))
        .route(&format!("{KEY}/delete"), post(secrets::delete))
        .route(&format!("{KEY}/history"), get(history::page))
        .route(&format!("{KEY}/rollback"), post(history::rollback))
        .route(
            "/projects/{project}/environments",
            get(environments::page).post(environments::create),
        )
        .route(
            "/projects/{project}/environments/{env}/rename",
            post(environments::rename),
        )
        .route(
            "/projects/{project}/environments/{env}/move",
            post(environments::reorder),
        )
        .route(
            "/projects/{project}/environments/{env}/delete",
            post(environments::delete),
        )
        .route(
            "/projects/{project}/environments/{env}/watch",
            post(watches::watch),
        )
        .route(
            "/projects/{project}/environments/{env}/unwatch",
            post(watches::unwatch),
        )
        .route(
            "/projects/{project}/members",
            get(members::page).post(members::add),
        )
        .route(
            "/projects/{project}/members/{user_id}/role",
            post(members::change_role),
        )
        .route(
            "/projects/{project}/members/{user_id}/remove",
            post(members::remove),
        )
        .route("/projects/{project}/invitations", post(invitations::create))
        .route(
            "/projects/{project}/invitations/{invitation_id}/resend",
            post(invitations::resend),
        )
        .route(
            "/projects/{project}/invitations/{invitation_id}/revoke",
            post(invitations::revoke),
        )
        .route("/projects/{project}/group-grants", post(members::grant_add))
        .route(
            "/projects/{project}/group-grants/change",
            post(members::grant_change),
        )
        .route(
            "/projects/{project}/group-grants/remove",
            post(members::grant_remove),
        )
        .route(
            "/projects/{project}/tokens",
            get(tokens::page).post(tokens::create),
        )
        .route(
            "/projects/{project}/tokens/{token_id}/revoke",
            post(tokens::revoke),
        )
        .route("/projects/{project}/audit", get(audit::page))
        // Pages here show secret values and tokens: no cache may keep them.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// What the caller may do on a project (decided by the domain), to show
/// only the controls that work; every operation still checks on its own.
pub type Perms = heartlock_domain::projects::Permissions;

/// The project header and tabs shared by every project page.
pub struct Head {
    pub slug: String,
    pub name: String,
    pub tab: &'static str,
    pub perms: Perms,
}

/// A project page needs a signed-in browser session, unless
/// POLICY_NO_AUTH_DEFAULT lets anonymous visitors in.
pub fn signed_in(ctx: &WebCtx) -> Result<(), WebError> {
    if ctx.may_browse() {
        Ok(())
    } else {
        Err(WebError::Login(ctx.path.clone()))
    }
}

/// A key that cannot exist is a page that does not exist.
pub fn check_key(ctx: &WebCtx, key: &str) -> Result<(), WebError> {
    signed_in(ctx)?;
    heartlock_domain::secrets::validate_key(key).map_err(|_| WebError::NotFound(ctx.tr))
}

/// A service error as a page.
pub fn fail(ctx: &WebCtx, e: DomainError) -> WebError {
    from_domain(ctx.tr, &ctx.path, e)
}

/// Errors a person can fix on the form they just sent.
pub fn recoverable(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::Validation { .. } | DomainError::Conflict(_) | DomainError::TooLarge(_)
    )
}

/// A service error as a sentence for the form that was sent.
pub fn problem(ctx: &WebCtx, e: &DomainError) -> String {
    let detail = crate::web::auth_pages::user_message(e);
    ctx.tr.tf("form.error", &[("detail", &detail)])
}

/// An htmx request for a fragment (not a history restore, which wants a page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

pub fn with_status(mut r: Response, status: StatusCode) -> Response {
    *r.status_mut() = status;
    r
}

/// The project header of a page: the project (which the caller must be able
/// to see) and the caller's permissions on it. Pages call their own domain
/// operation first, so a refused read or write is refused (and audited) there.
pub async fn head(
    state: &AppState,
    ctx: &WebCtx,
    slug: &str,
    tab: &'static str,
) -> Result<Head, WebError> {
    signed_in(ctx)?;
    let (project, perms) = projects::with_permissions(state, &ctx.caller, slug)
        .await
        .map_err(|e| fail(ctx, e))?;
    Ok(Head {
        slug: project.slug,
        name: project.name,
        tab,
        perms,
    })
}

/// Page-number pagination for the lists here.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    /// Query string to keep on the links (e.g. `q=abc&`), already encoded.
    pub keep: String,
}

impl Pager {
    pub const PER_PAGE: i64 = 50;

    pub fn new(page: Option<&str>, total: i64, keep: String) -> Self {
        let pages = ((total + Self::PER_PAGE - 1) / Self::PER_PAGE).max(1);
        let page = page
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(1)
            .clamp(1, pages);
        Self { page, pages, keep }
    }

    /// The requested page before the total is known.
    pub fn requested(page: Option<&str>) -> i64 {
        page.and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(1)
            .clamp(1, i64::from(i32::MAX))
    }

    pub fn offset(page: i64) -> i64 {
        (page - 1) * Self::PER_PAGE
    }

    pub fn prev(&self) -> i64 {
        self.page - 1
    }

    pub fn next(&self) -> i64 {
        self.page + 1
    }

    /// "Page 2 of 5".
    pub fn label(&self, tr: impl std::borrow::Borrow<crate::web::i18n::Tr>) -> String {
        let (page, pages) = (self.page.to_string(), self.pages.to_string());
        tr.borrow()
            .tf("pager.position", &[("page", &page), ("pages", &pages)])
    }
}

/// RFC 3339 time for a page, or an empty string.
pub fn when(ms: Option<i64>) -> String {
    ms.map(super::account::iso).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_clamps_and_counts() {
        let p = Pager::new(Some("9"), 120, String::new());
        assert_eq!((p.page, p.pages), (3, 3));
        let p = Pager::new(Some("x"), 0, String::new());
        assert_eq!((p.page, p.pages), (1, 1));
        assert_eq!(Pager::offset(2), 50);
        assert_eq!(Pager::requested(Some("-4")), 1);
    }

    #[test]
    fn htmx_detection_ignores_history_restores() {
        let mut h = HeaderMap::new();
        assert!(!is_htmx(&h));
        h.insert("hx-request", HeaderValue::from_static("true"));
        assert!(is_htmx(&h));
        h.insert(
            "hx-history-restore-request",
            HeaderValue::from_static("true"),
        );
        assert!(!is_htmx(&h));
    }
}
