//! Operator commands: migrate, config, check --deploy, gen-key, rotate-key.
use crate::logging;
use heartlock_core::{Keyring, SystemClock};
use heartlock_domain::rotation;
use heartlock_domain::{Domain, Principal};
use std::process::ExitCode;
use std::sync::Arc;

pub fn gen_key() -> anyhow::Result<ExitCode> {
    println!("{}", Keyring::generate_key());
    Ok(ExitCode::SUCCESS)
}

pub fn config() -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    print!("{}", heartlock_config::render_report(&settings.report()));
    Ok(ExitCode::SUCCESS)
}

pub fn check(deploy: bool) -> anyhow::Result<ExitCode> {
    // Loading validates every setting; --deploy adds the production checks.
    let settings = super::load_settings()?;
    if !deploy {
        println!("configuration is valid");
        return Ok(ExitCode::SUCCESS);
    }
    let findings = settings.deploy_check();
    if findings.is_empty() {
        println!("no deployment problems found");
        return Ok(ExitCode::SUCCESS);
    }
    for f in &findings {
        println!("{}: [{}] {}", f.id, f.setting, f.message);
    }
    println!("{} deployment problem(s) found", findings.len());
    Ok(ExitCode::FAILURE)
}

pub async fn migrate() -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    logging::init(settings.log_format);
    let applied = heartlock_domain::migrate(&settings).await?;
    println!("applied {applied} migration(s); the database is up to date");
    Ok(ExitCode::SUCCESS)
}

pub async fn rotate_key(dry_run: bool) -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    logging::init(settings.log_format);
    let dom = Domain::boot(settings, Arc::new(SystemClock)).await?;
    let result = rotation::run(&dom, &Principal::system("rotate-key"), dry_run).await;
    let ring_len = dom.keyring.len();
    dom.shutdown().await;
    let report = result?;
    for c in &report.columns {
        println!(
            "{:<14} scanned {:>7}  re-encrypted {:>7}  still under old keys {:>7}  unreadable {:>5}",
            c.label, c.scanned, c.rotated, c.remaining_old, c.unreadable
        );
    }
    println!("{} value(s) still need an old key", report.remaining_old());
    if report.unreadable() > 0 {
        eprintln!(
            "heartlock: {} value(s) could not be decrypted with any configured key; keep the key that wrote them",
            report.unreadable()
        );
        return Ok(ExitCode::FAILURE);
    }
    if report.remaining_old() == 0 && ring_len > 1 {
        println!("every value is under the first key: the other keys can now be removed");
    }
    Ok(ExitCode::SUCCESS)
}
