//! `heartlock backup`, `restore` and `migrate-db`: thin wrappers over
//! `heartlock_domain::backup` that print progress (stderr) and a report.
use crate::logging;
use heartlock_core::{Clock, SystemClock};
use heartlock_domain::backup::{self, BackupError, RestoreReport};
use std::path::PathBuf;
use std::process::ExitCode;

fn progress(verb: &'static str) -> impl FnMut(&str, usize) + Send {
    move |table, rows| eprintln!("{verb} {table:<28} {rows:>9} row(s)")
}

pub async fn backup(file: PathBuf) -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    logging::init(settings.log_format);
    let mut read = progress("read   ");
    let report = backup::backup(&settings, &file, SystemClock.now_ms(), &mut read).await?;
    let m = &report.manifest;
    let rows: usize = m.tables.iter().map(|t| t.rows).sum();
    println!(
        "backup written to {} ({} bytes): {} table(s), {rows} row(s), schema version {}",
        file.display(),
        report.bytes,
        m.tables.len(),
        m.schema_version
    );
    match &m.audit_head {
        Some(h) => println!("audit chain head: seq {} hash {}", h.seq, h.hash),
        None => println!("audit chain: empty"),
    }
    println!("data sha256: {}", m.data_sha256);
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(file: PathBuf, force: bool) -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    logging::init(settings.log_format);
    let mut write = progress("restored");
    match backup::restore(&settings, &file, force, &mut write).await {
        Ok(report) => Ok(print_report("restore", &report)),
        Err(BackupError::NotEmpty(m)) => Err(anyhow::anyhow!(
            "{m}: restore into an empty database, or pass --force to replace everything in it"
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn migrate_db(to: String) -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    logging::init(settings.log_format);
    let target = backup::parse_target(&to)?;
    let mut read = progress("read   ");
    let mut write = progress("copied ");
    let report = backup::migrate_db(&settings, &target, &mut read, &mut write).await?;
    Ok(print_report("migrate-db", &report))
}

/// Prints what was written and whether the chain checks out; exit 1 when
/// it does not.
fn print_report(what: &str, r: &RestoreReport) -> ExitCode {
    let rows: usize = r.tables.iter().map(|(_, n)| n).sum();
    println!(
        "{what}: {} table(s), {rows} row(s) written in one transaction (schema version {})",
        r.tables.len(),
        r.schema_version
    );
    if r.key_checked {
        println!("encryption key: the configured key opens the copied data");
    } else if what == "restore" {
        println!("encryption key: not checked (the backup holds no key-check value)");
    }
    let mut ok = true;
    match &r.audit.first_break {
        None => println!("audit log intact: {} event(s)", r.audit.events),
        Some(b) => {
            ok = false;
            println!("audit log TAMPERED: {b}");
        }
    }
    if !r.head_matches {
        ok = false;
        println!("audit chain head differs from the source's");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
