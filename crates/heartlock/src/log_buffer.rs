//! The server's log writer. A line is appended to an in-memory buffer under
//! a mutex; one thread writes the buffer out in a single call once lines
//! have been arriving for [`FLUSH_EVERY`] (sooner when [`SOON`] bytes are
//! waiting). A request pays for a copy of its access-log line, not for a
//! channel send that wakes a writer thread per line, which is what
//! `tracing-appender` costs (measured on the hot path). Nothing is dropped:
//! past [`FULL`] bytes the logging thread waits for the writer.
//!
//! Written here because no logging crate batches by time: the non-blocking
//! writers hand over line by line.
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest a line waits in memory (a `kill -9` loses at most this much).
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Buffered bytes that wake the writer early.
const SOON: usize = 256 * 1024;
/// Buffered bytes past which loggers wait for room.
const FULL: usize = 4 * 1024 * 1024;

#[derive(Default)]
struct State {
    buf: Vec<u8>,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// The writer waits on it for lines (or for the stop).
    lines: Condvar,
    /// Loggers wait on it while the buffer is full.
    room: Condvar,
}

impl Shared {
    /// A logging thread that panicked mid-append leaves bytes, not broken
    /// invariants: keep going with the buffer as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `MakeWriter` given to the subscriber; cheap to clone.
#[derive(Clone)]
pub struct BufferedLog(Arc<Shared>);

/// Owns the writer thread; dropping it writes out what is buffered and
/// stops the thread.
pub struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BufferedLog {
    /// Starts the writer thread, writing to `out`.
    pub fn start<W: Write + Send + 'static>(out: W) -> std::io::Result<(BufferedLog, Flusher)> {
        let shared = Arc::new(Shared::default());
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("heartlock-log".into())
            .spawn(move || write_out(&for_thread, out))?;
        let flusher = Flusher {
            shared: Arc::clone(&shared),
            thread: Some(thread),
        };
        Ok((BufferedLog(shared), flusher))
    }

    fn append(&self, line: &[u8]) -> std::io::Result<()> {
        let shared = &self.0;
        let mut state = shared.lock();
        while state.buf.len() >= FULL && !state.stop {
            state = shared.room.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        if state.stop {
            // The writer is gone (shutting down): no buffer to wait in.
            drop(state);
            return std::io::stderr().write_all(line);
        }
        let was_empty = state.buf.is_empty();
        state.buf.extend_from_slice(line);
        let wake = was_empty || state.buf.len() >= SOON;
        drop(state);
        if wake {
            shared.lines.notify_one();
        }
        Ok(())
    }
}

fn write_out<W: Write>(shared: &Shared, mut out: W) {
    let mut spare = Vec::with_capacity(64 * 1024);
    loop {
        let mut state = shared.lock();
        while state.buf.is_empty() {
            if state.stop {
                return;
            }
            state = shared.lines.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        if !state.stop && state.buf.len() < SOON {
            // Lines have started arriving: let the next ones join them.
            state = shared
                .lines
                .wait_timeout(state, FLUSH_EVERY)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        std::mem::swap(&mut state.buf, &mut spare);
        drop(state);
        shared.room.notify_all();
        // Nowhere to report a failing stderr; the next round tries again.
        let _ = out.write_all(&spare).and_then(|()| out.flush());
        spare.clear();
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.lines.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One event's writer: the subscriber formats a whole line and writes it
/// at once.
pub struct LineWriter<'a>(&'a BufferedLog);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.append(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedLog {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_and_the_drop_flushes() {
        let sink = Sink::default();
        let (log, flusher) = BufferedLog::start(sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000 {
                        let line = format!("t{t} line {i:05} {}\n", "x".repeat(i % 300));
                        LineWriter(&log).write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(flusher);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        for t in 0..4 {
            let mine: Vec<usize> = text
                .lines()
                .filter(|l| l.starts_with(&format!("t{t} ")))
                .map(|l| l.split(' ').nth(2).unwrap().parse().unwrap())
                .collect();
            assert_eq!(mine, (0..20_000).collect::<Vec<_>>(), "thread {t}");
        }
    }

    #[test]
    fn a_quiet_line_is_written_without_a_drop() {
        let sink = Sink::default();
        let (log, _flusher) = BufferedLog::start(sink.clone()).unwrap();
        LineWriter(&log).write_all(b"hello\n").unwrap();
        // Waits on the writer, with a generous bound (not a timing claim).
        for _ in 0..500 {
            if !sink.0.lock().unwrap().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(sink.0.lock().unwrap().as_slice(), b"hello\n");
    }
}
