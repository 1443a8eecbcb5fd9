//! Reading a whole environment: the list and the export (the hot path).
//! Values are opened one after another into one reusable buffer, straight
//! from the cached ciphertext snapshot, and the JSON export is written as
//! it goes: no per-value allocation beyond the output itself.
//!
//! The read is recorded (and committed) before the first value is opened:
//! no plaintext exists until its reading is on the record, and none is
//! held in memory while the audit log commits. A value that then fails to
//! open adds a failure event for the same read.
use super::{PlainSecret, Snapshot};
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use heartlock_core::OpenBuf;
use heartlock_core::audit::Outcome;
use heartlock_core::formats::{self, Format, SecretMap};
use heartlock_store::{EnvironmentRecord, ProjectRecord, StoredSecret};

/// Opens one value of the snapshot into `buf`; a value that does not open
/// is an integrity error naming the version, never the value.
fn open_bytes<'b>(
    dom: &Domain,
    s: &StoredSecret,
    context: &str,
    buf: &'b mut OpenBuf,
) -> DomainResult<&'b [u8]> {
    let (value, _) = dom
        .keyring
        .open_in(context, &s.value_ct, buf)
        .map_err(|e| {
            DomainError::Integrity(format!(
                "stored secret version {} cannot be decrypted: {e}",
                s.version_id
            ))
        })?;
    Ok(value)
}

/// `value` as text; not UTF-8 is an integrity error naming the version.
fn utf8<'v>(s: &StoredSecret, value: &'v [u8]) -> DomainResult<&'v str> {
    std::str::from_utf8(value).map_err(|_| {
        DomainError::Integrity(format!("secret version {} is not UTF-8", s.version_id))
    })
}

/// [`open_bytes`], as text.
fn open_value<'b>(
    dom: &Domain,
    s: &StoredSecret,
    context: &str,
    buf: &'b mut OpenBuf,
) -> DomainResult<&'b str> {
    let value = open_bytes(dom, s, context, buf)?;
    utf8(s, value)
}

struct Read<'a> {
    dom: &'a Domain,
    caller: &'a Principal,
    project: &'a ProjectRecord,
    env: &'a EnvironmentRecord,
    action: &'a str,
}

impl Read<'_> {
    async fn record(&self, outcome: Outcome, detail: String) {
        let ev = event(self.dom, self.caller, self.action, outcome)
            .project(&self.project.id)
            .environment(&self.env.id)
            .detail(detail);
        self.dom.audit.record(ev).await;
    }

    /// Records the read, runs `open_all`, and records its failure if any.
    async fn audited<T>(
        &self,
        count: usize,
        open_all: impl FnOnce() -> DomainResult<T>,
    ) -> DomainResult<T> {
        self.record(Outcome::Success, format!("{count} secret(s)"))
            .await;
        let result = open_all();
        if let Err(e) = &result {
            // Integrity messages name the version, never a value.
            self.record(Outcome::Failure, e.to_string()).await;
        }
        result
    }
}

/// Every live secret of an environment, decrypted, by key.
pub(super) async fn read_all_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    action: &str,
) -> DomainResult<Vec<PlainSecret>> {
    let snapshot = dom.cache.snapshot(&dom.store_as(caller), &env.id).await?;
    let read = Read {
        dom,
        caller,
        project,
        env,
        action,
    };
    read.audited(snapshot.len(), || {
        let mut buf = OpenBuf::default();
        let mut out = Vec::with_capacity(snapshot.len());
        for (s, context) in snapshot.iter() {
            let value = open_value(dom, s, context, &mut buf)?;
            out.push(PlainSecret {
                key: s.key.clone(),
                value: value.to_string(),
                version: s.version,
                updated_at: s.updated_at,
            });
        }
        Ok(out)
    })
    .await
}

/// The environment as one document. JSON (the default, and the hot path)
/// is written straight from the opened values; the other formats go
/// through the shared renderer.
pub(super) async fn export_in(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    format: Format,
) -> DomainResult<String> {
    if format != Format::Json {
        let all = read_all_in(dom, caller, project, env, "secret.export").await?;
        let map: SecretMap = all.into_iter().map(|s| (s.key, s.value)).collect();
        return formats::render(format, &map)
            .map_err(|e| DomainError::validation("format", e.to_string()));
    }
    let snapshot = dom.cache.snapshot(&dom.store_as(caller), &env.id).await?;
    let read = Read {
        dom,
        caller,
        project,
        env,
        action: "secret.export",
    };
    read.audited(snapshot.len(), || json_of(dom, &snapshot))
        .await
}

fn json_of(dom: &Domain, snapshot: &Snapshot) -> DomainResult<String> {
    let mut buf = OpenBuf::default();
    // Keys are short and values near their ciphertext's size: one
    // allocation up front in the common case.
    let guess: usize = snapshot
        .secrets()
        .iter()
        .map(|s| s.key.len() + s.value_ct.len() * 3 / 4 + 6)
        .sum();
    let mut json = Vec::with_capacity(guess + 2);
    json.push(b'{');
    for (i, (s, context)) in snapshot.iter().enumerate() {
        let value = open_bytes(dom, s, context, &mut buf)?;
        if i > 0 {
            json.push(b',');
        }
        write_json_str(&mut json, s.key.as_bytes())?;
        json.push(b':');
        if is_plain_ascii(value) {
            quote(&mut json, value);
        } else {
            write_json_str(&mut json, utf8(s, value)?.as_bytes())?;
        }
    }
    json.push(b'}');
    // Built from `&str`s and serde_json's escaping: valid UTF-8.
    String::from_utf8(json).map_err(|e| DomainError::Internal(e.to_string()))
}

/// Printable ASCII without `"` or `\`: valid UTF-8 that JSON takes as it
/// is. Most values (tokens, URLs, hex) are; checked without branching per
/// byte, which is several times faster than the escaper's table walk.
fn is_plain_ascii(bytes: &[u8]) -> bool {
    !bytes.iter().fold(false, |bad, &b| {
        bad | !(0x20..0x7f).contains(&b) | (b == b'"') | (b == b'\\')
    })
}

fn quote(out: &mut Vec<u8>, plain: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(plain);
    out.push(b'"');
}

/// A JSON string of `text` (UTF-8), escaped where needed.
fn write_json_str(out: &mut Vec<u8>, text: &[u8]) -> DomainResult<()> {
    if is_plain_ascii(text) {
        quote(out, text);
        return Ok(());
    }
    let text = std::str::from_utf8(text).map_err(|e| DomainError::Internal(e.to_string()))?;
    serde_json::to_writer(out, text).map_err(|e| DomainError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_match_serde_json() {
        let samples = [
            "",
            "plain",
            "with space",
            "quote\"",
            "back\\slash",
            "tab\t",
            "nl\n",
            "\u{7f}del",
            "é",
            "日本",
            "emoji 🎉",
            "\u{1}",
            "</script>",
            "a~z{}[]",
        ];
        for s in samples {
            let mut ours = Vec::new();
            write_json_str(&mut ours, s.as_bytes()).unwrap();
            let theirs = serde_json::to_vec(s).unwrap();
            assert_eq!(ours, theirs, "{s:?}");
            let back: String = serde_json::from_slice(&ours).unwrap();
            assert_eq!(back, s);
        }
        for b in 0u8..=255 {
            let plain = is_plain_ascii(&[b]);
            let expected = (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
            assert_eq!(plain, expected, "byte {b}");
        }
    }
}
