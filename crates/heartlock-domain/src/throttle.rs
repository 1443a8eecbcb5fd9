//! Throttling of password checks and registrations: core's policy
//! (`heartlock_core::throttle`) over counters in the store.
//!
//! An attempt is counted in every scope it belongs to BEFORE the password
//! is checked (as a failure, until it turns out to be a success): a locked
//! scope refuses without any argon2 work, and parallel guesses cannot all
//! pass one check. Counters are swapped compare-and-set, so every hit is
//! counted once and a lock one request starts stops the others.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use heartlock_core::audit::Outcome;
use heartlock_core::throttle::{self, Counter, Decision, Policy, Scope};

/// Lost compare-and-set races before refusing (fail closed under a flood).
const MAX_RACES: usize = 8;

/// The client address a counter is kept for.
pub(crate) fn address(caller: &Principal) -> &str {
    caller.ip.as_deref().unwrap_or(throttle::UNKNOWN_ADDRESS)
}

/// The scopes of a password sign-in as `email` (normalized) by `caller`:
/// account and address, address, and account, unless the account signed in
/// from this address recently (so others guessing the account elsewhere
/// cannot lock its owner out).
pub(crate) async fn sign_in_scopes<'a>(
    dom: &Domain,
    caller: &'a Principal,
    email: &'a str,
) -> DomainResult<Vec<Scope<'a>>> {
    let ip = address(caller);
    let mut scopes = vec![Scope::AccountAddress { email, ip }, Scope::Address { ip }];
    if !known_address(dom, caller, email).await? {
        scopes.push(Scope::Account { email });
    }
    Ok(scopes)
}

async fn known_address(dom: &Domain, caller: &Principal, email: &str) -> DomainResult<bool> {
    // Requests without an address share one bucket: it can never be "known".
    let Some(ip) = caller.ip.as_deref() else {
        return Ok(false);
    };
    let scope = Scope::KnownAddress { email, ip };
    let mark = dom.store.throttle_get(&scope.key()).await?;
    Ok(scope.policy().live(mark.as_ref(), dom.now_ms()).hits > 0)
}

/// After a successful sign-in: remembers the address for the account, and
/// drops counters nobody needs any more. Bookkeeping only: failures are
/// logged, the sign-in stands.
pub(crate) async fn signed_in(dom: &Domain, caller: &Principal, email: &str) {
    let now = dom.now_ms();
    if let Some(ip) = caller.ip.as_deref() {
        let scope = Scope::KnownAddress { email, ip };
        let mark = Counter {
            hits: 1,
            last_hit_at: now,
            locked_until: 0,
        };
        let expires = scope.policy().expires_at(&mark);
        if let Err(e) = dom.store.throttle_set(&scope.key(), &mark, expires).await {
            tracing::warn!(error = %e, "cannot remember the sign-in address");
        }
    }
    if let Err(e) = dom.store.throttle_purge(now).await {
        tracing::warn!(error = %e, "cannot purge old throttling counters");
    }
}

/// One scope an attempt was counted in.
struct Counted {
    name: &'static str,
    /// Account and address: a success wipes it (the other scopes only lose
    /// this attempt's hit, so a valid account cannot reset them).
    clear_on_success: bool,
    key: String,
    policy: Policy,
    before: Option<Counter>,
    after: Counter,
}

/// An attempt counted in each of its scopes; say how it ended.
#[must_use = "an attempt is counted as a failure until it is resolved"]
pub(crate) struct Attempt {
    counted: Vec<Counted>,
    now: i64,
}

/// Refuses with [`DomainError::TooManyAttempts`] while any scope is locked;
/// otherwise counts the attempt in every scope.
pub(crate) async fn begin(dom: &Domain, scopes: &[Scope<'_>]) -> DomainResult<Attempt> {
    let now = dom.now_ms();
    // Every scope is read first, so a refused request writes nothing.
    let mut wait = 0;
    for scope in scopes {
        let counter = dom.store.throttle_get(&scope.key()).await?;
        if let Decision::Refused { retry_after_secs } = scope.policy().check(counter.as_ref(), now)
        {
            wait = wait.max(retry_after_secs);
        }
    }
    if wait > 0 {
        return Err(DomainError::TooManyAttempts {
            retry_after_secs: wait,
        });
    }
    let mut attempt = Attempt {
        counted: Vec::with_capacity(scopes.len()),
        now,
    };
    for scope in scopes {
        match count(dom, scope, now).await {
            Ok(c) => attempt.counted.push(c),
            Err(e) => {
                // Refused after all (another request locked a scope first).
                attempt.discard(dom).await;
                return Err(e);
            }
        }
    }
    Ok(attempt)
}

async fn count(dom: &Domain, scope: &Scope<'_>, now: i64) -> DomainResult<Counted> {
    let key = scope.key();
    let policy = scope.policy();
    for _ in 0..MAX_RACES {
        let before = dom.store.throttle_get(&key).await?;
        if let Decision::Refused { retry_after_secs } = policy.check(before.as_ref(), now) {
            return Err(DomainError::TooManyAttempts { retry_after_secs });
        }
        let after = policy.hit(before.as_ref(), now);
        let expires = policy.expires_at(&after);
        if dom
            .store
            .throttle_swap(&key, before.as_ref(), &after, expires)
            .await?
        {
            return Ok(Counted {
                name: scope.name(),
                clear_on_success: matches!(scope, Scope::AccountAddress { .. }),
                key,
                policy,
                before,
                after,
            });
        }
    }
    Err(DomainError::TooManyAttempts {
        retry_after_secs: 1,
    })
}

impl Attempt {
    /// The attempt failed (or, for registrations, created an account): its
    /// hits stay. Each lock it started is audited as `auth.throttled`;
    /// `what` names the operation (no password, ever).
    pub(crate) async fn counts(self, dom: &Domain, caller: &Principal, what: &str) {
        for c in &self.counted {
            if c.after.locked_until > self.now {
                let secs = throttle::retry_after_secs(c.after.locked_until, self.now);
                let ev = event(dom, caller, "auth.throttled", Outcome::Denied).detail(format!(
                    "{what}: {} locked for {secs} s after {} attempts",
                    c.name, c.after.hits
                ));
                dom.audit.record(ev).await;
            }
        }
    }

    /// The password was right: the account-and-address counter is wiped,
    /// the others lose this attempt's hit.
    pub(crate) async fn succeeded(self, dom: &Domain) {
        for c in &self.counted {
            let done = if c.clear_on_success {
                dom.store.throttle_clear(&c.key).await
            } else {
                release(dom, c).await
            };
            if let Err(e) = done {
                tracing::warn!(error = %e, scope = c.name, "cannot update a throttling counter");
            }
        }
    }

    /// The attempt does not count (e.g. a registration form with errors).
    pub(crate) async fn discard(self, dom: &Domain) {
        for c in &self.counted {
            if let Err(e) = release(dom, c).await {
                tracing::warn!(error = %e, scope = c.name, "cannot update a throttling counter");
            }
        }
    }
}

/// Takes one counted hit back (compare-and-set, like counting).
async fn release(dom: &Domain, c: &Counted) -> Result<(), heartlock_store::StoreError> {
    for _ in 0..MAX_RACES {
        let Some(current) = dom.store.throttle_get(&c.key).await? else {
            return Ok(());
        };
        let next = throttle::release(c.before.as_ref(), &c.after, &current);
        let expires = c.policy.expires_at(&next);
        if dom
            .store
            .throttle_swap(&c.key, Some(&current), &next, expires)
            .await?
        {
            return Ok(());
        }
    }
    // Leaving the hit counted is the safe side.
    Ok(())
}
