//! What the cache keeps of an environment: its live secrets as ciphertext,
//! sorted by key as the exports list them, each with its binding context
//! built once per load instead of once per value per read.
use heartlock_core::binding::secret_version_context;
use heartlock_store::StoredSecret;

#[derive(Debug)]
pub struct Snapshot {
    secrets: Vec<StoredSecret>,
    /// `contexts[i]` is what `secrets[i]` was sealed to.
    contexts: Vec<String>,
}

impl Snapshot {
    pub fn new(env_id: &str, mut secrets: Vec<StoredSecret>) -> Self {
        // Byte order, as `SecretMap` (a BTreeMap) orders keys: the
        // database's collation may differ.
        secrets.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let contexts = secrets
            .iter()
            .map(|s| secret_version_context(&s.version_id, env_id, &s.key))
            .collect();
        Self { secrets, contexts }
    }

    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Each secret with its binding context, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&StoredSecret, &str)> {
        self.secrets
            .iter()
            .zip(self.contexts.iter().map(String::as_str))
    }

    pub fn secrets(&self) -> &[StoredSecret] {
        &self.secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(key: &str) -> StoredSecret {
        StoredSecret {
            key: key.into(),
            secret_id: format!("s-{key}"),
            version: 1,
            version_id: format!("v-{key}"),
            value_ct: String::new(),
            updated_at: 0,
        }
    }

    #[test]
    fn sorted_by_bytes_with_each_context() {
        // A collation that ignores punctuation or case would order these
        // differently; exports list keys as a BTreeMap does.
        let snap = Snapshot::new("e", ["b", "B", "_A", "a_b", "ab"].map(stored).to_vec());
        let keys: Vec<&str> = snap.iter().map(|(s, _)| s.key.as_str()).collect();
        assert_eq!(keys, ["B", "_A", "a_b", "ab", "b"]);
        for (s, context) in snap.iter() {
            assert_eq!(context, secret_version_context(&s.version_id, "e", &s.key));
        }
    }
}
