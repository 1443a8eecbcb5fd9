//! What a request handler gets: the domain, nothing else. Handlers call
//! domain operations; only the domain talks to the store.
use heartlock_domain::Domain;

#[derive(Clone)]
pub struct AppState {
    dom: Domain,
}

impl AppState {
    pub fn new(dom: Domain) -> Self {
        crate::web::errors::set_contact(
            dom.settings.users.admin_contact_email.clone(),
            dom.settings.users.admin_contact_url.clone(),
        );
        Self { dom }
    }

    pub fn domain(&self) -> &Domain {
        &self.dom
    }
}

impl std::ops::Deref for AppState {
    type Target = Domain;
    fn deref(&self) -> &Domain {
        &self.dom
    }
}
