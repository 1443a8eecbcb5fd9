//! Building audit events from a request's caller.
use crate::auth::{Actor, Caller};
use crate::state::AppState;
use heartlock_core::audit::{ActorKind, NewAuditEvent, Outcome};

/// An event for `action` by `caller`, to be completed with project/env/key.
pub fn event(state: &AppState, caller: &Caller, action: &str, outcome: Outcome) -> NewAuditEvent {
    let (actor_kind, actor_id, actor_name) = match &caller.actor {
        Actor::User { user, .. } => (
            ActorKind::User,
            Some(user.id.clone()),
            Some(user.email.clone()),
        ),
        Actor::Token(t) => (ActorKind::Token, Some(t.id.clone()), Some(t.name.clone())),
        Actor::Anonymous => (ActorKind::Anonymous, None, None),
    };
    NewAuditEvent {
        at_ms: state.clock.now_ms(),
        actor_kind,
        actor_id,
        actor_name,
        action: action.to_string(),
        project_id: None,
        environment_id: None,
        secret_key: None,
        ip: caller.ip.clone(),
        outcome,
        detail: None,
    }
}

/// Small builder helpers so call sites stay one line.
pub trait EventExt {
    fn project(self, id: &str) -> Self;
    fn environment(self, id: &str) -> Self;
    fn key(self, key: &str) -> Self;
    fn detail(self, d: impl Into<String>) -> Self;
}

impl EventExt for NewAuditEvent {
    fn project(mut self, id: &str) -> Self {
        self.project_id = Some(id.to_string());
        self
    }
    fn environment(mut self, id: &str) -> Self {
        self.environment_id = Some(id.to_string());
        self
    }
    fn key(mut self, key: &str) -> Self {
        self.secret_key = Some(key.to_string());
        self
    }
    fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
}
