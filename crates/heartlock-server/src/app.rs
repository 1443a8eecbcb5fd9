//! Building the application: from settings to a running, hardened router.
use crate::error::BootError;
use crate::health;
use crate::middleware::{HttpPolicy, harden};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use heartlock_config::Settings;
use heartlock_core::Clock;
use heartlock_domain::Domain;
use std::future::Future;
use std::sync::Arc;

/// Boots the domain (database, migrations, keys, audit writer) for serving.
pub async fn boot(settings: Settings, clock: Arc<dyn Clock>) -> Result<AppState, BootError> {
    Ok(AppState::new(Domain::boot_to_serve(settings, clock).await?))
}

pub fn http_policy(settings: &Settings) -> HttpPolicy {
    HttpPolicy {
        debug: settings.debug,
        trusted_proxies: settings.trusted_proxies.clone(),
        allowed_hosts: settings.allowed_hosts.clone(),
        secure_ssl_redirect: settings.secure_ssl_redirect,
        cors_allowed_origins: settings.cors_allowed_origins.clone(),
        csrf_trusted_origins: settings.csrf_trusted_origins().to_vec(),
        base_url: settings.base_url.clone(),
        max_body_bytes: settings.max_body_bytes,
        // Share link creation (API and web UI) carries a whole sealed file.
        larger_bodies: ["/api/v1/shares", "/shares"]
            .into_iter()
            .map(|path| {
                let limit = heartlock_domain::shares::request_body_limit(settings);
                (path.to_string(), limit.max(settings.max_body_bytes))
            })
            .collect(),
    }
}

pub fn router(state: AppState) -> Router {
    let policy = Arc::new(http_policy(&state.settings));
    let metrics = crate::metrics::Metrics::for_settings(&state.settings, state.clock.now_ms());
    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", crate::api::router())
        .merge(crate::web::router(state.clone()))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found);
    // Off: no route and no middleware at all, so nothing to pay.
    if let Some(m) = &metrics {
        app = crate::metrics::mount(app, Arc::clone(m));
    }
    let app = app
        // Over the fallback too: the HTML 404 page has a sign-out form.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::web::oidc_csp::allow_provider_sign_out,
        ))
        .with_state(state);
    let app = harden(app, policy);
    match metrics {
        Some(m) => crate::middleware::metrics::wrap(app, m),
        None => app,
    }
}

/// A known path asked with a method it does not take: a problem document
/// (axum adds the `Allow` header listing the methods it does take).
async fn method_not_allowed(method: axum::http::Method) -> axum::response::Response {
    use axum::response::IntoResponse;
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
    )
    .with_detail(format!(
        "this path does not take {method}; the Allow header lists the methods it takes"
    ))
    .into_response()
}

/// Unknown paths: problem+json for the API and non-browser clients, the
/// HTML error page (knowing the signed-in user) for browsers.
async fn not_found(
    State(state): State<AppState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let wants_html = req
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if req.uri().path().starts_with("/api/") || !wants_html {
        return Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found").into_response();
    }
    let (mut parts, _) = req.into_parts();
    match crate::web::session::WebCtx::build(&mut parts, &state).await {
        Ok(ctx) => {
            let msg = ctx.tr.t("error.not_found_text");
            crate::web::errors::render_page(
                crate::web::Layout::new(&ctx, ""),
                ctx.tr,
                StatusCode::NOT_FOUND,
                "error.not_found",
                msg,
            )
        }
        Err(_) => {
            crate::web::errors::WebError::NotFound(crate::web::i18n::Tr::new("en")).into_response()
        }
    }
}

/// Serves until `shutdown` resolves; in-flight requests then finish.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    state.shutdown().await;
    result
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// CALLED (not when first polled), so a signal arriving right after the
/// "listening" line is never lost to the default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match handlers.0.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match handlers.1.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown signal received: finishing in-flight requests");
    }
}
