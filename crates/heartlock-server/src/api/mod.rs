//! The JSON API under /api/v1, documented by the OpenAPI document that the
//! same route definitions generate (so the two cannot drift apart).
pub mod admin;
pub mod admin_oidc;
pub mod audit;
pub mod auth;
pub mod docs;
pub mod error;
pub mod extract;
pub mod group_grants;
pub mod invitations;
pub mod outbox;
pub mod pagination;
pub mod preferences;
pub mod projects;
pub mod push;
pub mod secrets;
pub mod shares;
pub mod sso;
pub mod tokens;
pub mod views;
pub mod watches;

use crate::state::AppState;
use axum::Json;
use axum::routing::get;
use docs::BearerAuth;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Heartlock API", description = "Self-hosted secrets manager. Errors are RFC 9457 problem details."),
    modifiers(&BearerAuth),
    components(schemas(docs::ProblemDoc, docs::FieldErrorDoc)),
    tags((name = "auth"), (name = "projects"), (name = "environments"), (name = "secrets"), (name = "members"), (name = "tokens"), (name = "audit"), (name = "admin"), (name = "push"), (name = "shares"))
)]
struct ApiDoc;

/// The routes and their OpenAPI description, paths relative to /api/v1.
pub fn routes() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(sso::router())
        .merge(projects::router())
        .merge(group_grants::router())
        .merge(invitations::router())
        .merge(secrets::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(admin::router())
        .merge(admin_oidc::router())
        .merge(outbox::router())
        .merge(watches::router())
        .merge(preferences::router())
        .merge(push::router())
        .merge(shares::router())
        .split_for_parts();
    doc.servers = Some(vec![utoipa::openapi::Server::new("/api/v1")]);
    (router, doc)
}

/// The API router, nested under /api/v1 by the app.
pub fn router() -> axum::Router<AppState> {
    let (router, doc) = routes();
    let doc = std::sync::Arc::new(doc);
    router.route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
}
