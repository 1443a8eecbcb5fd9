//! Building audit events from a request's caller.
use crate::Domain;
use crate::principal::Principal;
use heartlock_core::audit::{NewAuditEvent, Outcome};

/// An event for `action` by `caller`, to be completed with project/env/key.
pub fn event(dom: &Domain, caller: &Principal, action: &str, outcome: Outcome) -> NewAuditEvent {
    event_at(dom.clock.now_ms(), caller, action, outcome)
}

fn event_at(at_ms: i64, caller: &Principal, action: &str, outcome: Outcome) -> NewAuditEvent {
    let (actor_kind, actor_id, actor_name) = caller.audit_identity();
    NewAuditEvent {
        at_ms,
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

/// An event of an operator command that runs without a booted domain
/// (`migrate`): the system principal, the system clock.
pub(crate) fn system_event(command: &'static str, action: &str, detail: String) -> NewAuditEvent {
    let now = heartlock_core::Clock::now_ms(&heartlock_core::SystemClock);
    event_at(now, &Principal::system(command), action, Outcome::Success).detail(detail)
}
