//! `heartlock serve`.
use crate::logging;
use heartlock_core::SystemClock;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn serve() -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let settings = super::load_settings()?;
    let _log = logging::init_server(settings.log_format);
    let bind = settings.bind;
    // Installed before anything can report "listening" (see shutdown_signal).
    let shutdown = heartlock_server::shutdown_signal();
    let dom = heartlock_domain::Domain::boot_to_serve(settings, Arc::new(SystemClock)).await?;
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) => {
            dom.shutdown().await;
            anyhow::bail!("cannot listen on {bind}: {e}");
        }
    };
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        database = ?dom.backend(),
        startup_ms = started.elapsed().as_millis() as u64,
        "heartlock listening"
    );
    heartlock_server::serve(heartlock_server::AppState::new(dom), listener, shutdown).await?;
    tracing::info!("heartlock stopped");
    Ok(ExitCode::SUCCESS)
}
