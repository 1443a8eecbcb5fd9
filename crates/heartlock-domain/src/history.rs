//! A secret's history as its page shows it: the versions, the environment
//! they belong to and who wrote each one.
use crate::Domain;
use crate::error::DomainResult;
use crate::principal::Principal;
use crate::projects::access_env;
use crate::secrets::{EnvRef, PlainVersion, history_in};
use heartlock_core::roles::Action;
use heartlock_store::EnvironmentRecord;
use std::collections::HashMap;

/// Who wrote a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// A user, by email.
    User(String),
    /// A service token, by name.
    Token(String),
}

#[derive(Debug, Clone)]
pub struct History {
    pub environment: EnvironmentRecord,
    pub versions: Vec<PlainVersion>,
    pub total: i64,
    /// Authors by user id or token id.
    pub authors: HashMap<String, Author>,
}

/// One page of a key's versions with their authors (ReadSecrets; audited
/// as `secret.history`).
pub async fn page(
    dom: &Domain,
    caller: &Principal,
    at: EnvRef<'_>,
    key: &str,
    limit: i64,
    offset: i64,
) -> DomainResult<History> {
    let (p, e) = access_env(dom, caller, at.project, at.env, Action::ReadSecrets).await?;
    let (versions, total) = history_in(dom, caller, &p, &e, key, limit, offset).await?;
    let mut authors = HashMap::new();
    for v in &versions {
        if let Some(id) = &v.author_user_id
            && !authors.contains_key(id)
            && let Some(u) = dom.store_as(caller).user_by_id(id).await?
        {
            authors.insert(id.clone(), Author::User(u.email));
        }
    }
    if versions.iter().any(|v| v.author_token_id.is_some()) {
        for t in dom.store_as(caller).project_tokens(&p.id).await? {
            authors.insert(t.id, Author::Token(t.name));
        }
    }
    Ok(History {
        environment: e,
        versions,
        total,
        authors,
    })
}
