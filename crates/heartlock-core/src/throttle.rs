//! Throttling of password guesses and registrations: pure rules, the time
//! always passed in (milliseconds since the epoch).
//!
//! A counter per scope (account + client address, client address, account,
//! registrations from an address) counts hits: failed password checks, or
//! accounts created. Each [`Policy`] lets `lock_after - 1` hits through
//! freely; the `lock_after`-th hit starts a lock of `first_lock_ms`, every
//! further hit doubles it, up to `max_lock_ms`. A locked scope refuses the
//! attempt before any password is checked. A counter whose last hit is older
//! than `decay_ms` starts again from zero.
use sha2::{Digest, Sha256};

const SECOND_MS: i64 = 1_000;
const MINUTE_MS: i64 = 60 * SECOND_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// The longest lock a sign-in scope ever gets.
pub const MAX_SIGN_IN_LOCK_MS: i64 = 15 * MINUTE_MS;

/// An address counts as known for an account (see [`Scope::KnownAddress`])
/// this long after its last successful sign-in.
pub const KNOWN_ADDRESS_MS: i64 = 30 * 24 * HOUR_MS;

/// The address bucket of requests whose client address is unknown.
pub const UNKNOWN_ADDRESS: &str = "unknown";

/// How one scope counts and locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The hit that starts the first lock (the ones before are free).
    pub lock_after: i64,
    pub first_lock_ms: i64,
    pub max_lock_ms: i64,
    /// A counter idle this long is forgotten.
    pub decay_ms: i64,
}

/// One account from one address: the main guard against guessing.
pub const ACCOUNT_ADDRESS: Policy = Policy {
    lock_after: 5,
    first_lock_ms: SECOND_MS,
    max_lock_ms: MAX_SIGN_IN_LOCK_MS,
    decay_ms: HOUR_MS,
};

/// Any account from one address (one address spraying many accounts).
pub const ADDRESS: Policy = Policy {
    lock_after: 20,
    first_lock_ms: SECOND_MS,
    max_lock_ms: MAX_SIGN_IN_LOCK_MS,
    decay_ms: HOUR_MS,
};

/// One account from any address not known for it (many addresses guessing
/// one account). Capped like the others, and never applied to an address
/// the account signed in from recently: the bounded lockout.
pub const ACCOUNT: Policy = Policy {
    lock_after: 50,
    first_lock_ms: SECOND_MS,
    max_lock_ms: MAX_SIGN_IN_LOCK_MS,
    decay_ms: HOUR_MS,
};

/// Accounts created from one address: 10 an hour, then an hour's pause.
pub const REGISTRATION: Policy = Policy {
    lock_after: 10,
    first_lock_ms: HOUR_MS,
    max_lock_ms: HOUR_MS,
    decay_ms: HOUR_MS,
};

/// Wrong access values (wrong passphrases) for one share link.
pub const SHARE_REVEAL: Policy = Policy {
    lock_after: 5,
    first_lock_ms: SECOND_MS,
    max_lock_ms: 15 * MINUTE_MS,
    decay_ms: HOUR_MS,
};

/// Failed share link reveals (unknown links, wrong access values) from one
/// address: 30 an hour, then locks from a minute up to an hour.
pub const SHARE_REVEAL_ADDRESS: Policy = Policy {
    lock_after: 30,
    first_lock_ms: MINUTE_MS,
    max_lock_ms: HOUR_MS,
    decay_ms: HOUR_MS,
};

/// Share links created by one person or address: 30 an hour, then an
/// hour's pause.
pub const SHARE_CREATE: Policy = Policy {
    lock_after: 30,
    first_lock_ms: HOUR_MS,
    max_lock_ms: HOUR_MS,
    decay_ms: HOUR_MS,
};

/// What counts the shares of an anonymous sender: a hash of its address
/// bucket (its /64 for IPv6), never the address itself.
pub fn anonymous_creator(ip: &str) -> String {
    format!(
        "addr:{}",
        hex::encode(Sha256::digest(
            format!("share-creator:{}", bucket(ip)).as_bytes()
        ))
    )
}

/// A scope's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counter {
    pub hits: i64,
    pub last_hit_at: i64,
    /// 0 (or any past time) when not locked.
    pub locked_until: i64,
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Refused { retry_after_secs: u64 },
}

impl Policy {
    /// Refused while the counter's lock lasts.
    pub fn check(&self, counter: Option<&Counter>, now: i64) -> Decision {
        match counter {
            Some(c) if c.locked_until > now => Decision::Refused {
                retry_after_secs: retry_after_secs(c.locked_until, now),
            },
            _ => Decision::Allowed,
        }
    }

    /// The counter as it stands at `now`: forgotten once idle for `decay_ms`.
    pub fn live(&self, counter: Option<&Counter>, now: i64) -> Counter {
        match counter {
            Some(c) if now.saturating_sub(c.last_hit_at) < self.decay_ms => *c,
            // An expired lock goes with the hits; a running one stays.
            Some(c) if c.locked_until > now => Counter { hits: 0, ..*c },
            _ => Counter::default(),
        }
    }

    /// How long the `hits`-th hit locks the scope: nothing before
    /// `lock_after`, then doubling from `first_lock_ms`, capped.
    pub fn lock_ms(&self, hits: i64) -> i64 {
        if hits < self.lock_after {
            return 0;
        }
        // 2^40 of anything is past every cap; the shift cannot overflow.
        let doublings = u32::try_from((hits - self.lock_after).min(40)).unwrap_or(40);
        self.first_lock_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_lock_ms)
    }

    /// The counter after one more hit at `now` (a lock, if it starts one).
    pub fn hit(&self, counter: Option<&Counter>, now: i64) -> Counter {
        let live = self.live(counter, now);
        let hits = live.hits.saturating_add(1);
        let lock = self.lock_ms(hits);
        Counter {
            hits,
            last_hit_at: now,
            locked_until: if lock > 0 {
                live.locked_until.max(now.saturating_add(lock))
            } else {
                live.locked_until
            },
        }
    }

    /// When the stored row is of no more use (and may be deleted).
    pub fn expires_at(&self, counter: &Counter) -> i64 {
        counter
            .last_hit_at
            .saturating_add(self.decay_ms)
            .max(counter.locked_until)
    }
}

/// Takes back a hit counted for an attempt that turned out to succeed.
/// `reserved` is what the hit wrote; `current` is what is stored now. If
/// nothing happened since, the counter goes back to `before`; otherwise one
/// hit is removed and any lock started since stays.
pub fn release(before: Option<&Counter>, reserved: &Counter, current: &Counter) -> Counter {
    if current == reserved {
        before.copied().unwrap_or(Counter {
            hits: 0,
            last_hit_at: current.last_hit_at,
            locked_until: 0,
        })
    } else {
        Counter {
            hits: current.hits.saturating_sub(1).max(0),
            ..*current
        }
    }
}

/// Whole seconds until `until`, rounded up, at least 1 (a Retry-After value).
pub fn retry_after_secs(until: i64, now: i64) -> u64 {
    let ms = until.saturating_sub(now).max(1);
    u64::try_from(ms.saturating_add(SECOND_MS - 1) / SECOND_MS).unwrap_or(1)
}

/// What a counter is about. Emails are compared lowercased; `None`
/// addresses share the [`UNKNOWN_ADDRESS`] bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    AccountAddress {
        email: &'a str,
        ip: &'a str,
    },
    Address {
        ip: &'a str,
    },
    Account {
        email: &'a str,
    },
    /// Not a counter: the last successful sign-in of an account from an
    /// address, which exempts that address from the [`Scope::Account`] lock.
    KnownAddress {
        email: &'a str,
        ip: &'a str,
    },
    Registration {
        ip: &'a str,
    },
    /// Wrong access values for one share link (its id).
    ShareReveal {
        id: &'a str,
    },
    /// Failed share link reveals from one address.
    ShareRevealAddress {
        ip: &'a str,
    },
    /// Share links created by one creator (`user:<id>` or
    /// [`anonymous_creator`]).
    ShareCreate {
        creator: &'a str,
    },
}

/// The address a counter is kept for: an IPv6 client owns a whole /64
/// (and picks any address in it at will), so the /64 is what is counted.
fn bucket(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        _ => ip.to_string(),
    }
}

impl Scope<'_> {
    /// The stored key: a SHA-256 hash, so the table keeps no email or
    /// address in clear.
    pub fn key(&self) -> String {
        let clear = match self {
            Scope::AccountAddress { email, ip } => {
                format!("acct-ip:{}|{}", email.to_lowercase(), bucket(ip))
            }
            Scope::Address { ip } => format!("ip:{}", bucket(ip)),
            Scope::Account { email } => format!("acct:{}", email.to_lowercase()),
            Scope::KnownAddress { email, ip } => {
                format!("acct-known:{}|{}", email.to_lowercase(), bucket(ip))
            }
            Scope::Registration { ip } => format!("register:{}", bucket(ip)),
            Scope::ShareReveal { id } => format!("share-reveal:{id}"),
            Scope::ShareRevealAddress { ip } => format!("share-reveal-ip:{}", bucket(ip)),
            Scope::ShareCreate { creator } => format!("share-create:{creator}"),
        };
        hex::encode(Sha256::digest(clear.as_bytes()))
    }

    pub fn policy(&self) -> Policy {
        match self {
            Scope::AccountAddress { .. } => ACCOUNT_ADDRESS,
            Scope::Address { .. } => ADDRESS,
            Scope::Account { .. } => ACCOUNT,
            Scope::KnownAddress { .. } => Policy {
                lock_after: i64::MAX,
                first_lock_ms: 0,
                max_lock_ms: 0,
                decay_ms: KNOWN_ADDRESS_MS,
            },
            Scope::Registration { .. } => REGISTRATION,
            Scope::ShareReveal { .. } => SHARE_REVEAL,
            Scope::ShareRevealAddress { .. } => SHARE_REVEAL_ADDRESS,
            Scope::ShareCreate { .. } => SHARE_CREATE,
        }
    }

    /// A short name for logs and audit details (no email, no address).
    pub fn name(&self) -> &'static str {
        match self {
            Scope::AccountAddress { .. } => "account and address",
            Scope::Address { .. } => "address",
            Scope::Account { .. } => "account",
            Scope::KnownAddress { .. } => "known address",
            Scope::Registration { .. } => "registrations from the address",
            Scope::ShareReveal { .. } => "share link",
            Scope::ShareRevealAddress { .. } => "share link reveals from the address",
            Scope::ShareCreate { .. } => "share links created",
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let a = Scope::Address {
            ip: "2001:db8:1:2:aaaa::1",
        };
        let b = Scope::Address {
            ip: "2001:db8:1:2:ffff::9",
        };
        let other = Scope::Address {
            ip: "2001:db8:1:3::1",
        };
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), other.key());
        let mapped = Scope::Address {
            ip: "::ffff:10.0.0.1",
        };
        assert_eq!(mapped.key(), Scope::Address { ip: "10.0.0.1" }.key());
    }

    use super::*;

    const T0: i64 = 1_700_000_000_000;

    /// Hits `n` times, one second apart, ignoring locks.
    fn hits(p: &Policy, n: usize) -> (Counter, Vec<i64>) {
        let mut c: Option<Counter> = None;
        let mut locks = Vec::new();
        for i in 0..n {
            let now = T0 + i64::try_from(i).unwrap() * 1_000;
            let next = p.hit(c.as_ref(), now);
            locks.push(next.locked_until.saturating_sub(now).max(0));
            c = Some(next);
        }
        (c.unwrap(), locks)
    }

    #[test]
    fn the_curve_is_free_then_doubling_then_capped() {
        let (_, locks) = hits(&ACCOUNT_ADDRESS, 16);
        let s = |n: i64| n * 1_000;
        assert_eq!(
            locks,
            vec![
                0,
                0,
                0,
                0,
                s(1),
                s(2),
                s(4),
                s(8),
                s(16),
                s(32),
                s(64),
                s(128),
                s(256),
                s(512),
                s(900),
                s(900)
            ]
        );
        assert_eq!(ACCOUNT_ADDRESS.lock_ms(10_000), MAX_SIGN_IN_LOCK_MS);
        assert_eq!(ACCOUNT_ADDRESS.lock_ms(i64::MAX), MAX_SIGN_IN_LOCK_MS);
        assert_eq!(ADDRESS.lock_ms(19), 0);
        assert_eq!(ADDRESS.lock_ms(20), 1_000);
        assert_eq!(ACCOUNT.lock_ms(49), 0);
        assert_eq!(ACCOUNT.lock_ms(50), 1_000);
        assert_eq!(ACCOUNT.lock_ms(1_000), MAX_SIGN_IN_LOCK_MS);
        assert_eq!(REGISTRATION.lock_ms(9), 0);
        assert_eq!(REGISTRATION.lock_ms(10), HOUR_MS);
        assert_eq!(REGISTRATION.lock_ms(11), HOUR_MS);
    }

    #[test]
    fn a_lock_refuses_until_it_ends() {
        let p = ACCOUNT_ADDRESS;
        let (c, _) = hits(&p, 7);
        // The 7th hit, at T0 + 6 s, locks for 4 s.
        let at = T0 + 6_000;
        assert_eq!(c.locked_until, at + 4_000);
        assert_eq!(
            p.check(Some(&c), at),
            Decision::Refused {
                retry_after_secs: 4
            }
        );
        assert_eq!(
            p.check(Some(&c), at + 3_001),
            Decision::Refused {
                retry_after_secs: 1
            }
        );
        assert_eq!(p.check(Some(&c), at + 4_000), Decision::Allowed);
        assert_eq!(p.check(None, at), Decision::Allowed);
    }

    #[test]
    fn counters_decay_after_an_idle_hour() {
        let p = ACCOUNT_ADDRESS;
        let (c, _) = hits(&p, 6);
        let later = c.last_hit_at + HOUR_MS;
        assert_eq!(p.live(Some(&c), later - 1), c);
        assert_eq!(p.live(Some(&c), later), Counter::default());
        // After the decay the next failure is the first again: no lock.
        let next = p.hit(Some(&c), later);
        assert_eq!((next.hits, next.locked_until), (1, 0));
        assert_eq!(p.expires_at(&c), later);
    }

    #[test]
    fn a_running_lock_survives_the_decay_of_its_hits() {
        let p = REGISTRATION;
        let c = Counter {
            hits: 10,
            last_hit_at: T0,
            locked_until: T0 + 2 * HOUR_MS,
        };
        let live = p.live(Some(&c), T0 + HOUR_MS);
        assert_eq!((live.hits, live.locked_until), (0, T0 + 2 * HOUR_MS));
    }

    #[test]
    fn releasing_a_hit_restores_or_decrements() {
        let p = ADDRESS;
        let before = Counter {
            hits: 19,
            last_hit_at: T0,
            locked_until: 0,
        };
        let reserved = p.hit(Some(&before), T0 + 1);
        assert!(reserved.locked_until > T0);
        // Nothing since: back to where it was (the lock it started goes).
        assert_eq!(release(Some(&before), &reserved, &reserved), before);
        assert_eq!(release(None, &reserved, &reserved).hits, 0);
        // Someone else hit since: one hit less, their lock stays.
        let other = p.hit(Some(&reserved), T0 + 2);
        let released = release(Some(&before), &reserved, &other);
        assert_eq!(released.hits, other.hits - 1);
        assert_eq!(released.locked_until, other.locked_until);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(T0 + 1, T0), 1);
        assert_eq!(retry_after_secs(T0 + 1_000, T0), 1);
        assert_eq!(retry_after_secs(T0 + 1_001, T0), 2);
        assert_eq!(retry_after_secs(T0, T0), 1);
    }

    #[test]
    fn keys_are_hashes_of_distinct_scopes() {
        let a = Scope::AccountAddress {
            email: "Ann@Example.com",
            ip: "10.0.0.1",
        };
        let b = Scope::AccountAddress {
            email: "ann@example.com",
            ip: "10.0.0.1",
        };
        assert_eq!(a.key(), b.key());
        assert_eq!(a.key().len(), 64);
        assert!(!a.key().contains("ann"));
        let keys = [
            a.key(),
            Scope::AccountAddress {
                email: "ann@example.com",
                ip: "10.0.0.2",
            }
            .key(),
            Scope::Address { ip: "10.0.0.1" }.key(),
            Scope::Account {
                email: "ann@example.com",
            }
            .key(),
            Scope::KnownAddress {
                email: "ann@example.com",
                ip: "10.0.0.1",
            }
            .key(),
            Scope::Registration { ip: "10.0.0.1" }.key(),
        ];
        let unique: std::collections::BTreeSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
    }
}
