//! What a request handler gets: the domain, nothing else. Handlers call
//! domain operations; only the domain talks to the store.
use heartlock_core::signing::Signer;
use heartlock_domain::Domain;
use std::sync::Arc;

/// One `Arc`: axum clones the state for every extractor and layer that
/// takes it, and a clone of the domain itself is a dozen reference counts.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    dom: Domain,
    signer: Signer,
}

impl AppState {
    pub fn new(dom: Domain) -> Self {
        crate::web::errors::set_contact(
            dom.settings.users.admin_contact_email.clone(),
            dom.settings.users.admin_contact_url.clone(),
        );
        let signer = cookie_signer(&dom.settings);
        Self(Arc::new(Inner { dom, signer }))
    }

    pub fn domain(&self) -> &Domain {
        &self.0.dom
    }

    /// Signs the session, CSRF and flash cookies with SECRET_KEY.
    pub fn signer(&self) -> &Signer {
        &self.0.signer
    }
}

/// SECRET_KEY (+ fallbacks). Serving in production without it is refused
/// at boot; in DEBUG a per-process key is used, so browser sessions end on
/// restart.
fn cookie_signer(settings: &heartlock_config::Settings) -> Signer {
    let fallbacks: Vec<&[u8]> = settings
        .secret_key_fallbacks
        .iter()
        .map(|k| k.expose().as_bytes())
        .collect();
    match &settings.secret_key {
        Some(key) => Signer::new(key.expose().as_bytes(), &fallbacks),
        None => {
            tracing::warn!(
                "SECRET_KEY is not set: cookies are signed with a key that lasts until restart"
            );
            let key = heartlock_core::token::random_token("");
            Signer::new(key.as_bytes(), &fallbacks)
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Domain;
    fn deref(&self) -> &Domain {
        &self.0.dom
    }
}
