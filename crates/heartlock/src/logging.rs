//! Log output: human text by default, JSON lines with LOG_FORMAT=json.
//! RUST_LOG filters as usual (default: info).
use heartlock_config::LogFormat;
use std::io::IsTerminal;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
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

/// For `serve`: requests hand their lines (the access log) to a writer
/// thread instead of waiting on stderr. Nothing is dropped: when the queue
/// is full the logging request waits. Keep the guard until exit; dropping
/// it writes out what is still queued.
pub fn init_server(format: LogFormat) -> WorkerGuard {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("heartlock-log")
        // The thread writes what has queued up in one call and flushes when
        // the queue is empty: no write per line under load, nothing left
        // waiting once it is quiet.
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    install(format, writer);
    guard
}
