//! Human output (aligned tables, dates) and `--json` output.
use super::error::{CliResult, failed};
use std::io::Write;

/// Prints `value` as pretty JSON on stdout.
pub fn json(value: &serde_json::Value) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| failed(format!("cannot encode JSON: {e}")))?;
    out(&format!("{text}\n"))
}

/// Writes `text` to stdout as is; a closed pipe is not an error worth a
/// message (`heartlock … | head`).
pub fn out(text: &str) -> CliResult<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(failed(format!("cannot write to standard output: {e}"))),
    }
}

/// A table with columns aligned on display characters.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(width(cell));
                }
            }
        }
        let mut text = String::new();
        let headers: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let pad = widths
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(width(cell));
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }

    pub fn print(&self) -> CliResult<()> {
        out(&self.render())
    }
}

/// Unix milliseconds as an RFC 3339 UTC date (to the second).
pub fn date_ms(ms: i64) -> String {
    let Ok(ms) = u64::try_from(ms) else {
        return "-".into();
    };
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A Unix-milliseconds time for `--json` output: an RFC 3339 string in UTC
/// with milliseconds (`2026-12-02T13:58:00.123Z`); null when absent or out
/// of range.
pub fn json_time(ms: impl Into<Option<i64>>) -> serde_json::Value {
    match ms.into().and_then(|ms| u64::try_from(ms).ok()) {
        Some(ms) => {
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
            serde_json::Value::String(humantime::format_rfc3339_millis(at).to_string())
        }
        None => serde_json::Value::Null,
    }
}

/// An optional Unix-milliseconds date, or `-`.
pub fn opt_date_ms(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".into(), date_ms)
}

/// A short age such as `12m` or `3h 5m`.
pub fn age(secs: u64) -> String {
    // Seconds only matter for young ages; elsewhere they are noise.
    let rounded = if secs >= 3600 { secs - secs % 60 } else { secs };
    humantime::format_duration(std::time::Duration::from_secs(rounded)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(&["KEY", "VERSION"]);
        t.row(vec!["A_LONG_KEY".into(), "1".into()]);
        t.row(vec!["B".into(), "12".into()]);
        assert_eq!(
            t.render(),
            "KEY         VERSION\nA_LONG_KEY  1\nB           12\n"
        );
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(age(720), "12m");
        assert_eq!(age(45), "45s");
        assert_eq!(age(3 * 3600 + 5 * 60 + 7), "3h 5m");
    }
}
