//! Log output: human text by default, JSON lines with LOG_FORMAT=json.
//! RUST_LOG filters as usual (default: info).
use crate::log_buffer::{BufferedLog, Flusher};
use heartlock_config::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"))
}

fn install<W>(format: LogFormat, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// For one-shot commands: straight to stderr.
pub fn init(format: LogFormat) {
    install(format, std::io::stderr);
}

/// For `serve`: lines are buffered in memory and written out by a thread
/// (see `log_buffer`), so a request does not wait on stderr. Nothing is
/// dropped. Keep the returned flusher until exit; dropping it writes out
/// what is still buffered. Should the thread not start, lines go straight
/// to stderr.
pub fn init_server(format: LogFormat) -> Option<Flusher> {
    match BufferedLog::start(std::io::stderr()) {
        Ok((writer, flusher)) => {
            install(format, writer);
            Some(flusher)
        }
        Err(e) => {
            init(format);
            tracing::warn!(error = %e, "cannot start the log writer thread; logging directly");
            None
        }
    }
}
