//! Audit events: the hash chain.
//!
//! Every stored event carries the hash of the event before it, so editing,
//! deleting or reordering rows breaks the chain. Events hold names and keys
//! only, never a secret value.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    Token,
    Anonymous,
    System,
}

/// How the attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Denied,
    Failure,
}

/// A stored enum name that no variant matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} name")]
pub struct UnknownName {
    pub kind: &'static str,
}

impl ActorKind {
    /// The snake_case name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::Anonymous => "anonymous",
            ActorKind::System => "system",
        }
    }
}

impl std::str::FromStr for ActorKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(ActorKind::User),
            "token" => Ok(ActorKind::Token),
            "anonymous" => Ok(ActorKind::Anonymous),
            "system" => Ok(ActorKind::System),
            _ => Err(UnknownName { kind: "actor kind" }),
        }
    }
}

impl Outcome {
    /// The snake_case name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "success" => Ok(Outcome::Success),
            "denied" => Ok(Outcome::Denied),
            "failure" => Ok(Outcome::Failure),
            _ => Err(UnknownName { kind: "outcome" }),
        }
    }
}

/// What happened, before it gets a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAuditEvent {
    pub at_ms: i64,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    /// Dotted, e.g. "secret.read", "auth.login".
    pub action: String,
    pub project_id: Option<String>,
    pub environment_id: Option<String>,
    pub secret_key: Option<String>,
    pub ip: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub id: String,
    #[serde(flatten)]
    pub event: NewAuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEvent {
    /// Places `event` in the chain at `seq`, after the event hashed `prev_hash`.
    pub fn chain(seq: i64, id: String, event: NewAuditEvent, prev_hash: String) -> Self {
        let hash = event_hash(seq, &id, &event, &prev_hash);
        Self {
            seq,
            id,
            event,
            prev_hash,
            hash,
        }
    }
}

/// The `prev_hash` of the first event (seq 1).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Bumped if the encoding below ever changes, so old and new chains never collide.
const DOMAIN: &[u8] = b"heartlock.audit.v1";

/// SHA-256 (hex) over an unambiguous encoding of seq, id, every field of the
/// event and prev_hash: each text field is length-prefixed and each optional
/// one tagged, so `None` differs from `Some("")` and no two field splits
/// produce the same bytes.
pub fn event_hash(seq: i64, id: &str, e: &NewAuditEvent, prev_hash: &str) -> String {
    hex::encode(event_digest(seq, id, e, prev_hash))
}

/// The raw digest behind [`event_hash`].
fn event_digest(seq: i64, id: &str, e: &NewAuditEvent, prev_hash: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(seq.to_be_bytes());
    text(&mut h, id);
    h.update(e.at_ms.to_be_bytes());
    text(&mut h, e.actor_kind.as_str());
    opt(&mut h, e.actor_id.as_deref());
    opt(&mut h, e.actor_name.as_deref());
    text(&mut h, &e.action);
    opt(&mut h, e.project_id.as_deref());
    opt(&mut h, e.environment_id.as_deref());
    opt(&mut h, e.secret_key.as_deref());
    opt(&mut h, e.ip.as_deref());
    text(&mut h, e.outcome.as_str());
    opt(&mut h, e.detail.as_deref());
    text(&mut h, prev_hash);
    h.finalize().into()
}

/// Whether a stored event's `hash` is the hash of its content: the same
/// comparison as `event_hash(..) == hash`, without building the hex String
/// (verifying reads every event of the log).
pub fn hash_matches(e: &AuditEvent) -> bool {
    let digest = event_digest(e.seq, &e.id, &e.event, &e.prev_hash);
    let mut hex = [0u8; 64];
    // Only fails on a wrong output length, which is fixed here.
    hex::encode_to_slice(digest, &mut hex).is_ok() && hex.as_slice() == e.hash.as_bytes()
}

fn text(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

fn opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            text(h, s);
        }
    }
}

/// Where the chain is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The row's content does not match its own hash (it was edited).
    #[error("hash mismatch at seq {seq}")]
    HashMismatch { seq: i64 },
    /// The row's `prev_hash` is not the previous row's hash (a row before it
    /// was replaced, or the row was re-hashed after an edit).
    #[error("broken link at seq {seq}")]
    BrokenLink { seq: i64 },
    /// The seq after `after` is not `after + 1` (rows deleted or reordered).
    #[error("gap after seq {after} (next is seq {next})")]
    Gap { after: i64, next: i64 },
    /// The log ends before the recorded head: its newest rows were deleted.
    #[error("truncated: the log ends at seq {last} but its head records seq {head}")]
    Truncated { last: i64, head: i64 },
    /// The last row is not the one the head records (rows added around the
    /// writer, or the last row replaced), or the head itself is missing.
    #[error("the log's last row (seq {last}) does not match its recorded head")]
    HeadMismatch { last: i64 },
}

/// Incremental verifier so callers can stream rows in batches, oldest first.
/// Verifying from seq 1 is required: the first event must link to
/// [`GENESIS_HASH`].
#[derive(Debug)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
    count: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
            count: 0,
        }
    }

    /// Checks the next event. After a break the verifier moves on from this
    /// event, so later pushes report later breaks only.
    pub fn push(&mut self, e: &AuditEvent) -> Result<(), ChainBreak> {
        self.count += 1;
        let result = if !hash_matches(e) {
            Err(ChainBreak::HashMismatch { seq: e.seq })
        } else if e.seq != self.last_seq + 1 {
            Err(ChainBreak::Gap {
                after: self.last_seq,
                next: e.seq,
            })
        } else if e.prev_hash != self.last_hash {
            Err(ChainBreak::BrokenLink { seq: e.seq })
        } else {
            Ok(())
        };
        self.last_seq = e.seq;
        self.last_hash.clone_from(&e.hash);
        result
    }

    /// Events pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The last pushed seq and hash (0 and [`GENESIS_HASH`] before any), so a
    /// caller can compare the end of the chain against a recorded head.
    pub fn head(&self) -> (i64, &str) {
        (self.last_seq, &self.last_hash)
    }

    /// Compares the end of the chain with the head recorded beside it
    /// (`None`: no head row). An empty log needs no head.
    pub fn check_head(&self, recorded: Option<(i64, &str)>) -> Result<(), ChainBreak> {
        let last = self.last_seq;
        match recorded {
            None if last == 0 => Ok(()),
            None => Err(ChainBreak::HeadMismatch { last }),
            Some((head, _)) if last < head => Err(ChainBreak::Truncated { last, head }),
            Some((head, hash)) if last == head && hash == self.last_hash => Ok(()),
            Some(_) => Err(ChainBreak::HeadMismatch { last }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: i64) -> NewAuditEvent {
        NewAuditEvent {
            at_ms: 1_700_000_000_000 + i,
            actor_kind: ActorKind::User,
            actor_id: Some(format!("u{i}")),
            actor_name: Some("alice".into()),
            action: "secret.read".into(),
            project_id: Some("p1".into()),
            environment_id: None,
            secret_key: Some("DB_URL".into()),
            ip: Some("10.0.0.1".into()),
            outcome: Outcome::Success,
            detail: None,
        }
    }

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let e = AuditEvent::chain(seq, format!("id{seq}"), ev(seq), prev.clone());
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    fn verify(events: &[AuditEvent]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new();
        for e in events {
            v.push(e)?;
        }
        Ok(v.count())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn editing_any_field_is_detected() {
        let edits: Vec<fn(&mut AuditEvent)> = vec![
            |e| e.id.push('x'),
            |e| e.event.at_ms += 1,
            |e| e.event.actor_kind = ActorKind::System,
            |e| e.event.actor_id = None,
            |e| e.event.actor_name = Some("mallory".into()),
            |e| e.event.action = "secret.list".into(),
            |e| e.event.project_id = Some("p2".into()),
            |e| e.event.environment_id = Some(String::new()),
            |e| e.event.secret_key = Some("OTHER".into()),
            |e| e.event.ip = None,
            |e| e.event.outcome = Outcome::Denied,
            |e| e.event.detail = Some("x".into()),
        ];
        for edit in edits {
            let mut c = chain(4);
            edit(&mut c[1]);
            assert_eq!(verify(&c), Err(ChainBreak::HashMismatch { seq: 2 }));
        }
    }

    #[test]
    fn none_differs_from_empty_and_fields_do_not_shift() {
        let mut a = ev(1);
        let mut b = ev(1);
        a.detail = None;
        b.detail = Some(String::new());
        assert_ne!(
            event_hash(1, "i", &a, GENESIS_HASH),
            event_hash(1, "i", &b, GENESIS_HASH)
        );
        a.actor_id = Some("ab".into());
        a.actor_name = Some("c".into());
        b = a.clone();
        b.actor_id = Some("a".into());
        b.actor_name = Some("bc".into());
        assert_ne!(
            event_hash(1, "i", &a, GENESIS_HASH),
            event_hash(1, "i", &b, GENESIS_HASH)
        );
    }

    #[test]
    fn deleting_a_middle_row_is_a_gap() {
        let mut c = chain(5);
        c.remove(2);
        assert_eq!(verify(&c), Err(ChainBreak::Gap { after: 2, next: 4 }));
        // Deleting the first row is caught too.
        let c = chain(3);
        assert_eq!(verify(&c[1..]), Err(ChainBreak::Gap { after: 0, next: 2 }));
    }

    #[test]
    fn reordering_is_detected() {
        let mut c = chain(4);
        c.swap(1, 2);
        assert_eq!(verify(&c), Err(ChainBreak::Gap { after: 1, next: 3 }));
        // Swapping seq numbers too breaks the rows' own hashes.
        let mut c = chain(4);
        c.swap(1, 2);
        c[1].seq = 2;
        c[2].seq = 3;
        assert_eq!(verify(&c), Err(ChainBreak::HashMismatch { seq: 2 }));
    }

    #[test]
    fn altering_prev_hash_is_detected() {
        let mut c = chain(4);
        c[2].prev_hash = GENESIS_HASH.into();
        assert_eq!(verify(&c), Err(ChainBreak::HashMismatch { seq: 3 }));
        // Re-hashing the edited row moves the break to its link.
        let e = c[2].clone();
        c[2] = AuditEvent::chain(e.seq, e.id, e.event, e.prev_hash);
        assert_eq!(verify(&c), Err(ChainBreak::BrokenLink { seq: 3 }));
    }

    #[test]
    fn enum_names_round_trip() {
        for k in [
            ActorKind::User,
            ActorKind::Token,
            ActorKind::Anonymous,
            ActorKind::System,
        ] {
            assert_eq!(k.as_str().parse::<ActorKind>(), Ok(k));
        }
        for o in [Outcome::Success, Outcome::Denied, Outcome::Failure] {
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
        }
        assert!("root".parse::<ActorKind>().is_err());
    }
}
