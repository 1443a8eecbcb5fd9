//! Who is acting: the one input every domain operation takes. The HTTP layer
//! turns credentials into a `Principal`; CLI admin commands act as
//! [`Principal::system`].
use heartlock_core::audit::ActorKind;
use heartlock_core::roles::{ServerRole, TokenAccess};
use heartlock_store::{TokenRecord, TxActor, UserRecord};

#[derive(Debug, Clone)]
pub enum Actor {
    /// A signed-in user (API or browser session).
    User {
        user: Box<UserRecord>,
        session_id: String,
    },
    /// A service token (already checked: live, not expired, allowed address).
    Token(Box<TokenRecord>),
    /// No credentials, under POLICY_NO_AUTH_DEFAULT.
    Anonymous,
    /// The server itself, for CLI admin commands (named in the audit log).
    System { name: &'static str },
}

/// An actor plus where the request came from (for the audit log).
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The request's own base URL (`scheme://host`, the host already checked
    /// against ALLOWED_HOSTS): links in the messages a change causes point
    /// there when HEARTLOCK_BASE_URL is unset.
    pub base_url: Option<String>,
}

impl Principal {
    pub fn anonymous() -> Self {
        Self::new(Actor::Anonymous)
    }

    /// The principal of an operator command run on the server's machine.
    pub fn system(name: &'static str) -> Self {
        Self::new(Actor::System { name })
    }

    pub fn new(actor: Actor) -> Self {
        Self {
            actor,
            ip: None,
            user_agent: None,
            base_url: None,
        }
    }

    pub fn user(&self) -> Option<&UserRecord> {
        match &self.actor {
            Actor::User { user, .. } => Some(user),
            _ => None,
        }
    }

    pub fn token(&self) -> Option<&TokenRecord> {
        match &self.actor {
            Actor::Token(t) => Some(t),
            _ => None,
        }
    }

    /// Users with the admin role (or the superuser flag) and the system.
    pub fn server_role(&self) -> ServerRole {
        match &self.actor {
            Actor::User { user, .. } if user.is_superuser || user.role == ServerRole::Admin => {
                ServerRole::Admin
            }
            Actor::System { .. } => ServerRole::Admin,
            _ => ServerRole::User,
        }
    }

    /// What a write transaction carries (PostgreSQL transaction settings).
    pub fn tx_actor(&self) -> TxActor {
        let (kind, id) = match &self.actor {
            Actor::User { user, .. } => ("user", Some(user.id.clone())),
            Actor::Token(t) => ("token", Some(t.id.clone())),
            Actor::Anonymous => ("anonymous", None),
            Actor::System { name } => ("system", Some((*name).to_string())),
        };
        TxActor { kind, id }
    }

    /// The audit log's view of the actor: kind, id and display name.
    pub fn audit_identity(&self) -> (ActorKind, Option<String>, Option<String>) {
        match &self.actor {
            Actor::User { user, .. } => (
                ActorKind::User,
                Some(user.id.clone()),
                Some(user.email.clone()),
            ),
            Actor::Token(t) => (ActorKind::Token, Some(t.id.clone()), Some(t.name.clone())),
            Actor::Anonymous => (ActorKind::Anonymous, None, None),
            Actor::System { name } => (ActorKind::System, None, Some((*name).to_string())),
        }
    }

    /// Whether a token may write (false for every other actor).
    pub fn token_can_write(&self) -> bool {
        self.token()
            .is_some_and(|t| t.access == TokenAccess::ReadWrite)
    }
}
