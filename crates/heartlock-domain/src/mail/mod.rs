//! Email through a durable outbox. A change that causes a message seals it
//! (bound to its outbox row) and inserts it in the change's own transaction
//! (`Store::with_outbox`); the worker started by `serve` delivers it through
//! the configured backend with retries. Other kinds of delivery (push) can
//! use the same outbox with another `kind`.
pub mod backend;
pub mod templates;
pub(crate) mod worker;

pub use backend::{MailError, Mailer};
pub use heartlock_store::{OutboxCounts, OutboxMessage};

use crate::error::{BootError, DomainError, DomainResult};
use crate::principal::Principal;
use crate::{Domain, admin};
use heartlock_config::Settings;
use heartlock_core::binding::Binding;
use heartlock_store::{NewOutboxMessage, UserRecord};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

/// The outbox kind of an email.
pub const KIND_EMAIL: &str = "email";

/// What the outbox stores (sealed) for an email.
#[derive(Clone, Serialize, Deserialize)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Email {
    // Bodies may carry one-time links: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Where a message is being caused from: the language to write it in and,
/// when HEARTLOCK_BASE_URL is not set, the base URL of the request (for links).
#[derive(Debug, Clone, Default)]
pub struct MailContext {
    pub lang: String,
    pub request_base_url: Option<String>,
}

impl MailContext {
    pub fn new(lang: &str, request_base_url: Option<String>) -> Self {
        Self {
            lang: lang.to_string(),
            request_base_url,
        }
    }
}

/// The mail side of a running domain: the backend, the worker's wake-up
/// and stop signals.
pub(crate) struct MailRuntime {
    /// The backend, or why the settings cannot make one (reported by `serve`).
    mailer: Result<Arc<dyn Mailer>, String>,
    wake: Arc<Notify>,
    pub(crate) stop: watch::Sender<bool>,
    worker: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl MailRuntime {
    pub(crate) fn new(settings: &Settings) -> Self {
        Self {
            mailer: backend::from_settings(&settings.email).map(Arc::from),
            wake: Arc::new(Notify::new()),
            stop: watch::channel(false).0,
            worker: Mutex::new(None),
        }
    }

    /// Tells the worker a commit enqueued messages (other instances find
    /// them on their next poll).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops the worker after the message it is sending (bounded by the
    /// backend's timeout); a message left claimed is retried after its lease.
    pub(crate) async fn stop(&self, timeout: std::time::Duration) {
        let _ = self.stop.send(true);
        let handle = self.worker.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            let abort = h.abort_handle();
            if tokio::time::timeout(timeout, h).await.is_err() {
                abort.abort();
            }
        }
    }
}

/// Starts the delivery worker (by `serve` only). Fails when the settings
/// cannot make a backend.
pub(crate) fn start_worker(dom: &Domain) -> Result<(), BootError> {
    let mailer = dom.mail.mailer.clone().map_err(BootError::Mail)?;
    tracing::info!(backend = %mailer.describe(), "email backend");
    let handle = worker::spawn(
        dom,
        mailer,
        dom.mail.wake.clone(),
        dom.mail.stop.subscribe(),
    );
    if let Ok(mut w) = dom.mail.worker.lock() {
        *w = Some(handle);
    }
    Ok(())
}

/// What the email backend is (for the admin status page).
pub fn backend_description(dom: &Domain) -> String {
    match &dom.mail.mailer {
        Ok(m) => m.describe(),
        Err(e) => format!("not usable: {e}"),
    }
}

/// The base URL links point to: HEARTLOCK_BASE_URL, else the request's.
pub(crate) fn base_url(dom: &Domain, ctx: &MailContext) -> String {
    dom.settings
        .base_url
        .clone()
        .or_else(|| ctx.request_base_url.clone())
        .unwrap_or_else(|| "http://localhost:8082".to_string())
}

/// Seals `email` for a new outbox row.
pub(crate) fn seal(dom: &Domain, email: &Email) -> DomainResult<NewOutboxMessage> {
    let id = heartlock_core::ids::new_id();
    let json = zeroize::Zeroizing::new(
        serde_json::to_vec(email).map_err(|e| DomainError::Internal(e.to_string()))?,
    );
    let payload_ct = dom
        .keyring
        .seal(&Binding::Outbox { id: id.clone() }.context(), &json)
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(NewOutboxMessage {
        id,
        kind: KIND_EMAIL.to_string(),
        recipient: email.to.clone(),
        payload_ct,
        created_at: dom.now_ms(),
    })
}

fn when(now_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// The "your password was changed" message for `user`, ready to commit
/// with the change.
pub(crate) fn password_changed(
    dom: &Domain,
    user: &UserRecord,
    ctx: &MailContext,
    now_ms: i64,
) -> DomainResult<Vec<NewOutboxMessage>> {
    let r = templates::password_changed(
        recipient_language(user, ctx),
        &user.email,
        &when(now_ms),
        &base_url(dom, ctx),
    );
    let email = Email {
        from: dom.settings.email.default_from_email.clone(),
        to: user.email.clone(),
        subject: r.subject,
        text: r.text,
        html: r.html,
    };
    Ok(vec![seal(dom, &email)?])
}

/// The language of a message to `user`: theirs when they chose one, else
/// the language of the request causing it.
pub fn recipient_language<'a>(user: &'a UserRecord, ctx: &'a MailContext) -> &'a str {
    user.language.as_deref().unwrap_or(&ctx.lang)
}

/// The "new sign-in from a new browser" message for `user`.
pub(crate) fn new_sign_in(
    dom: &Domain,
    user: &UserRecord,
    ctx: &MailContext,
    now_ms: i64,
    browser: &str,
    ip: &str,
) -> DomainResult<Vec<NewOutboxMessage>> {
    let r = templates::new_sign_in(
        recipient_language(user, ctx),
        &user.email,
        &when(now_ms),
        browser,
        ip,
        &base_url(dom, ctx),
    );
    let email = Email {
        from: dom.settings.email.default_from_email.clone(),
        to: user.email.clone(),
        subject: r.subject,
        text: r.text,
        html: r.html,
    };
    Ok(vec![seal(dom, &email)?])
}

/// The outbox, newest first, for server administrators; `status` narrows
/// to `pending`, `sent` or `failed`. Payloads are never returned.
pub async fn outbox(
    dom: &Domain,
    caller: &Principal,
    status: Option<&str>,
    limit: i64,
) -> DomainResult<Vec<OutboxMessage>> {
    admin::require_admin(caller)?;
    if let Some(s) = status
        && !["pending", "sent", "failed"].contains(&s)
    {
        return Err(DomainError::validation(
            "status",
            "must be pending, sent or failed",
        ));
    }
    Ok(dom.store.list_outbox(status, limit.clamp(1, 500)).await?)
}

/// How many messages are pending, sent and failed (server administrators).
pub async fn counts(dom: &Domain, caller: &Principal) -> DomainResult<OutboxCounts> {
    admin::require_admin(caller)?;
    Ok(dom.store.outbox_counts().await?)
}

/// `heartlock mail test --to ADDRESS`: one message sent at once through the
/// configured backend (not through the outbox). Returns the backend's
/// description.
pub async fn send_test(settings: &Settings, to: &str) -> Result<String, String> {
    let mailer = backend::from_settings(&settings.email)?;
    let describe = mailer.describe();
    let r = templates::test_message(&describe);
    let email = Email {
        from: settings.email.default_from_email.clone(),
        to: to.to_string(),
        subject: r.subject,
        text: r.text,
        html: r.html,
    };
    mailer
        .send(&email)
        .await
        .map(|()| describe.clone())
        .map_err(|e| format!("{describe}: {e}"))
}
