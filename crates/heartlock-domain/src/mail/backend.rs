//! Mail backends: the console (development: the whole message printed to
//! the server's output) and SMTP (lettre over rustls; no OpenSSL).
use super::Email;
use heartlock_config::{EmailBackend, EmailSettings};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::time::Duration;
use thiserror::Error;

/// Why a message was not sent. Texts come from the relay or the network,
/// never from our credentials or the message body.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MailError {
    /// Worth another attempt later (relay down, timeout, 4xx, TLS trouble an
    /// operator can fix).
    #[error("{0}")]
    Transient(String),
    /// Will fail again whatever we do (a 5xx answer, an invalid address).
    #[error("{0}")]
    Permanent(String),
}

impl MailError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::Permanent(_))
    }
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Delivers one message.
pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a>;
    /// What this backend is, for logs and `heartlock mail test`.
    fn describe(&self) -> String;
}

/// The backend the settings ask for. Fails on settings that cannot work
/// (an unreadable or empty EMAIL_SSL_CAFILE, a missing host).
pub fn from_settings(s: &EmailSettings) -> Result<Box<dyn Mailer>, String> {
    match s.backend {
        EmailBackend::Console => Ok(Box::new(Console)),
        EmailBackend::Smtp => Ok(Box::new(Smtp::new(s)?)),
    }
}

/// Prints each message, readable, to standard output.
pub struct Console;

impl Mailer for Console {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            // By design (development): the message, links and all, goes to
            // the server's output; one write so messages never interleave.
            let text = format!(
                "---------- email (console backend) ----------\n\
                 From: {}\nTo: {}\nSubject: {}\n\n{}\n\
                 ---------- html alternative ----------\n{}\n\
                 ---------- end of email ----------\n",
                email.from, email.to, email.subject, email.text, email.html
            );
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| MailError::Transient(format!("cannot write to standard output: {e}")))
        })
    }

    fn describe(&self) -> String {
        "console (messages are printed to the server's output)".into()
    }
}

/// An SMTP relay.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    describe: String,
}

impl Smtp {
    fn new(s: &EmailSettings) -> Result<Self, String> {
        let host = s
            .host
            .clone()
            .ok_or("EMAIL_BACKEND=smtp needs EMAIL_HOST")?;
        let tls = if s.use_ssl || s.use_tls {
            let params = tls_parameters(&host, s.ssl_cafile.as_deref())?;
            if s.use_ssl {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        } else {
            Tls::None
        };
        let mode = match &tls {
            Tls::Wrapper(_) => "implicit TLS",
            Tls::Required(_) => "STARTTLS",
            _ => "no TLS",
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(s.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(s.timeout_secs)));
        if let Some(user) = &s.host_user {
            let password = s
                .host_password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default();
            b = b.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self {
            transport: b.build(),
            describe: format!("smtp {host}:{} ({mode})", s.port),
        })
    }
}

/// TLS with verification always on: the built-in public roots, plus the
/// private CA bundle of EMAIL_SSL_CAFILE when set.
fn tls_parameters(host: &str, cafile: Option<&str>) -> Result<TlsParameters, String> {
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(path) = cafile {
        let pem = std::fs::read(path)
            .map_err(|e| format!("EMAIL_SSL_CAFILE: cannot read {path}: {e}"))?;
        let certs = pem_certificates(&pem);
        if certs.is_empty() {
            return Err(format!("EMAIL_SSL_CAFILE: {path} holds no PEM certificate"));
        }
        for c in certs {
            let cert =
                Certificate::from_pem(&c).map_err(|e| format!("EMAIL_SSL_CAFILE: {path}: {e}"))?;
            b = b.add_root_certificate(cert);
        }
    }
    b.build_rustls().map_err(|e| format!("TLS setup: {e}"))
}

/// Each `CERTIFICATE` block of a PEM bundle (lettre reads one at a time).
fn pem_certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let end = start + len + END.len();
        out.push(format!("{}\n", &rest[start..end]).into_bytes());
        rest = &rest[end..];
    }
    out
}

impl Mailer for Smtp {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            let message = build(email)?;
            match self.transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) => Err(classify(&e)),
            }
        })
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

fn build(email: &Email) -> Result<Message, MailError> {
    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| MailError::Permanent(format!("invalid sender address: {e}")))?;
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| MailError::Permanent(format!("invalid recipient address: {e}")))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))
}

/// Only a 5xx answer is permanent; anything else (network, timeout, TLS,
/// 4xx) may work later.
fn classify(e: &lettre::transport::smtp::Error) -> MailError {
    let text = short(&e.to_string());
    if e.is_permanent() {
        MailError::Permanent(text)
    } else {
        MailError::Transient(text)
    }
}

/// Errors are stored and shown: keep them short.
fn short(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_pem_bundle() {
        let pem = b"junk\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\
                    -----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n";
        let certs = pem_certificates(pem);
        assert_eq!(certs.len(), 2);
        assert!(String::from_utf8_lossy(&certs[1]).contains("BBB"));
        assert!(pem_certificates(b"nothing").is_empty());
    }

    #[test]
    fn long_errors_are_cut() {
        assert_eq!(short("abc"), "abc");
        assert!(short(&"é".repeat(400)).len() <= 304);
    }
}
