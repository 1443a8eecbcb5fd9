//! Operator commands: migrate, config, check --deploy, gen-key, rotate-key.
use crate::logging;
use heartlock_config::{Finding, LoadInput, RuntimeFacts, Severity};
use heartlock_core::{Keyring, SystemClock};
use heartlock_domain::{Domain, Principal};
use heartlock_domain::{deploy, rotation};
use std::process::ExitCode;
use std::sync::Arc;

pub fn gen_key() -> anyhow::Result<ExitCode> {
    println!("{}", Keyring::generate_key());
    Ok(ExitCode::SUCCESS)
}

/// `heartlock gen-vapid`: base64url (padded) of the 65-byte public point
/// and of the PKCS#8 DER private key, then the placeholder subject.
pub fn gen_vapid() -> anyhow::Result<ExitCode> {
    let keys = heartlock_core::webpush::VapidKeys::generate();
    let private = keys
        .private_pkcs8_b64()
        .ok_or_else(|| anyhow::anyhow!("cannot encode the generated key"))?;
    println!("VAPID_PUBLIC_KEY={}", keys.public_padded());
    println!("VAPID_PRIVATE_KEY={}", private.as_str());
    println!("VAPID_SUBJECT=mailto:admin@example.com");
    Ok(ExitCode::SUCCESS)
}

pub fn config() -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    print!("{}", heartlock_config::render_report(&settings.report()));
    Ok(ExitCode::SUCCESS)
}

/// Findings at or above this severity make `check --deploy` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailLevel {
    Error,
    Warning,
}

pub struct CheckArgs {
    pub deploy: bool,
    pub json: bool,
    pub fail_level: FailLevel,
}

pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    // Loading validates every setting; --deploy adds the production checks.
    let input = LoadInput::from_process()?;
    let loaded = heartlock_config::load(&input)?;
    for w in &loaded.warnings {
        eprintln!("heartlock: warning: {w}");
    }
    let settings = loaded.settings;
    if !args.deploy {
        println!("configuration is valid");
        return Ok(ExitCode::SUCCESS);
    }
    let mut facts = RuntimeFacts::default();
    facts.read_config_files(&settings, &input.env);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Err(reason) = rt.block_on(deploy::read_database_facts(&settings, &mut facts)) {
        // Not a failure: the settings are still checked.
        eprintln!(
            "heartlock: note: cannot read the database ({reason}); skipped the checks that \
             need it (whether an administrator exists)"
        );
    }
    let findings = settings.deploy_check_with(&facts);
    if args.json {
        println!("{}", heartlock_config::findings_json(&findings));
    } else {
        print_findings(&findings);
    }
    let threshold = match args.fail_level {
        FailLevel::Error => Severity::Error,
        FailLevel::Warning => Severity::Warning,
    };
    // Severity orders Error before Warning.
    Ok(if findings.iter().any(|f| f.severity <= threshold) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Grouped by severity (the findings come errors first).
fn print_findings(findings: &[Finding]) {
    if findings.is_empty() {
        println!("no deployment problems found");
        return;
    }
    let mut current = None;
    for f in findings {
        if current != Some(f.severity) {
            current = Some(f.severity);
            let title = match f.severity {
                Severity::Error => "errors",
                Severity::Warning => "warnings",
            };
            println!("{title}:");
        }
        println!("  {} [{}] {}", f.id, f.settings.join(", "), f.message);
        println!("      fix: {}", f.fix);
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    println!("{errors} error(s), {} warning(s)", findings.len() - errors);
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
