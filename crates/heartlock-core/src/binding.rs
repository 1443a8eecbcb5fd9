//! What each encrypted value is bound to. The binding's context string is
//! sealed inside the Fernet payload, so a ciphertext copied into another row
//! (or a row re-parented under another environment or key) no longer opens.
//! Built here, once, so the store only ever hands out the parts.

/// Where an encrypted value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// A secret value: its version row, environment and key.
    SecretVersion {
        version_id: String,
        environment_id: String,
        key: String,
    },
    /// A server-generated key (JWT signing key, key check), by name.
    ServerSecret { name: String },
    /// A secret setting an administrator set at run time, by setting name.
    ServerSetting { name: String },
    /// A message waiting in the outbox, by row id.
    Outbox { id: String },
    /// A browser push subscription's auth secret, by subscription id.
    PushSubscription { id: String },
}

impl Binding {
    /// The context passed to `Keyring::seal` / `Keyring::open`.
    pub fn context(&self) -> String {
        match self {
            Binding::SecretVersion {
                version_id,
                environment_id,
                key,
            } => secret_version_context(version_id, environment_id, key),
            Binding::ServerSecret { name } => server_secret_context(name),
            Binding::ServerSetting { name } => server_setting_context(name),
            Binding::Outbox { id } => outbox_context(id),
            Binding::PushSubscription { id } => format!("push_subscription:{id}"),
        }
    }
}

/// The context of a secret value (see [`Binding::SecretVersion`]).
pub fn secret_version_context(version_id: &str, environment_id: &str, key: &str) -> String {
    let mut s = String::with_capacity(16 + version_id.len() + environment_id.len() + key.len());
    s.push_str("secret_version:");
    s.push_str(version_id);
    s.push(':');
    s.push_str(environment_id);
    s.push(':');
    s.push_str(key);
    s
}

/// The context of a server-generated key (see [`Binding::ServerSecret`]).
pub fn server_secret_context(name: &str) -> String {
    format!("server_secret:{name}")
}

/// The context of a secret setting (see [`Binding::ServerSetting`]).
pub fn server_setting_context(name: &str) -> String {
    format!("server_setting:{name}")
}

/// The context of an outbox message (see [`Binding::Outbox`]).
pub fn outbox_context(id: &str) -> String {
    format!("outbox:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_are_stable() {
        // Stored ciphertexts depend on these exact strings.
        assert_eq!(
            secret_version_context("v1", "e1", "API_KEY"),
            "secret_version:v1:e1:API_KEY"
        );
        assert_eq!(
            server_secret_context("key_check"),
            "server_secret:key_check"
        );
        let b = Binding::ServerSecret { name: "jwt".into() };
        assert_eq!(b.context(), "server_secret:jwt");
    }
}
