//! `heartlock check --deploy` and the admin status page: production-readiness
//! findings. Each finding has a stable id, a severity, the settings involved,
//! what is wrong and how to fix it; none ever includes a secret value.
//!
//! Only features in use are checked (no SMTP finding without the SMTP
//! backend, no OIDC finding with OIDC off…), so a well-configured deployment
//! gets no findings and the check can gate a CI pipeline.

mod database;
mod features;
mod keys;
mod runtime;
mod web;

use crate::Settings;

pub use runtime::RuntimeFacts;

/// How bad a finding is. `Error` sorts before `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Dangerous or insecure: fix before serving real secrets.
    Error,
    /// Should be fixed, but not an open door.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One deployment problem. `id` is stable so tooling can reference it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    /// The settings involved, canonical names.
    pub settings: Vec<&'static str>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Finding {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "severity": self.severity.as_str(),
            "settings": self.settings,
            "message": self.message,
            "fix": self.fix,
        })
    }
}

/// The `check --deploy --json` document:
/// `{"findings": [...], "errors": N, "warnings": N}`.
pub fn findings_json(findings: &[Finding]) -> serde_json::Value {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    serde_json::json!({
        "findings": findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        "errors": count(Severity::Error),
        "warnings": count(Severity::Warning),
    })
}

/// Collects findings; the check modules push into it.
pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    pub(crate) fn push(
        &mut self,
        id: &'static str,
        severity: Severity,
        settings: &[&'static str],
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0.push(Finding {
            id,
            severity,
            settings: settings.to_vec(),
            message: message.into(),
            fix: fix.into(),
        });
    }

    pub(crate) fn error(
        &mut self,
        id: &'static str,
        settings: &[&'static str],
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(id, Severity::Error, settings, message, fix);
    }

    pub(crate) fn warning(
        &mut self,
        id: &'static str,
        settings: &[&'static str],
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(id, Severity::Warning, settings, message, fix);
    }
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and ::1: traffic that never
/// leaves the machine, so plain HTTP there is not a finding.
pub(crate) fn is_loopback_host<S: AsRef<str>>(host: &url::Host<S>) -> bool {
    match host {
        url::Host::Domain(d) => {
            let d = d.as_ref().trim_end_matches('.').to_ascii_lowercase();
            // Non-special schemes (postgres://) keep IP hosts as plain text.
            let ip = d.trim_start_matches('[').trim_end_matches(']');
            d == "localhost"
                || d.ends_with(".localhost")
                || ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// An `http://` URL (or origin) whose host is not loopback.
pub(crate) fn is_remote_http(raw: &str) -> bool {
    match url::Url::parse(raw) {
        Ok(u) => u.scheme() == "http" && !u.host().is_some_and(|h| is_loopback_host(&h)),
        // Unparsable values are refused when loading; judge by the prefix.
        Err(_) => raw
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("http://")),
    }
}

impl Settings {
    /// Findings from the settings alone, errors first, in a stable order.
    /// Checks that need runtime state (is there an administrator? what does
    /// appconfig.json hold now?) are skipped; see [`Settings::deploy_check_with`].
    pub fn deploy_check(&self) -> Vec<Finding> {
        self.deploy_check_with(&RuntimeFacts::default())
    }

    /// Findings from the settings plus what is known about the running
    /// deployment. Unknown facts (`None`) skip their checks.
    pub fn deploy_check_with(&self, facts: &RuntimeFacts) -> Vec<Finding> {
        // appconfig.json written since these settings were loaded (by the
        // onboarding wizard) wins at the next start, so judge that.
        let effective = runtime::effective(self, facts);
        let s = effective.as_ref();
        let mut out = Findings(Vec::new());
        keys::check(s, &mut out);
        web::check(s, &mut out);
        database::check(s, &mut out);
        features::check(s, &mut out);
        runtime::check(self, s, facts, &mut out);
        let mut findings = out.0;
        findings.sort_by(|a, b| (a.severity, a.id).cmp(&(b.severity, b.id)));
        findings
    }
}
