//! The recipient's side: public, no sign-in. Looking at a link (`public`)
//! never consumes a view, so link previews and mail scanners cannot burn
//! it; only `reveal`, with the access value derived from the link key (and
//! the passphrase), hands out the sealed blob and consumes one view.
//! Unknown, expired, used up and revoked links get one neutral answer.
use super::{GONE, Kdf, plausible_id};
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::throttle;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heartlock_core::audit::Outcome;
use heartlock_core::throttle::Scope;
use heartlock_core::token;
use heartlock_store::ShareRecord;

/// What anyone holding the link may know before revealing.
#[derive(Debug, Clone)]
pub struct PublicShare {
    pub id: String,
    pub expires_at: i64,
    pub views_left: i64,
    /// Present when a passphrase is mixed into the key.
    pub kdf: Option<Kdf>,
}

/// The sealed blob, and how many views remain after this one.
#[derive(Debug, Clone)]
pub struct Revealed {
    pub ciphertext: Vec<u8>,
    pub views_left: i64,
}

fn gone() -> DomainError {
    DomainError::NotFound(GONE)
}

fn kdf_of(r: &ShareRecord) -> DomainResult<Option<Kdf>> {
    match (&r.kdf_salt, r.kdf_iterations) {
        (None, None) => Ok(None),
        (Some(salt), Some(it)) => {
            let salt = URL_SAFE_NO_PAD
                .decode(salt)
                .map_err(|_| DomainError::Integrity("a stored share salt does not parse".into()))?;
            let iterations = u32::try_from(it).map_err(|_| {
                DomainError::Integrity("a stored share iteration count does not parse".into())
            })?;
            Ok(Some(Kdf { salt, iterations }))
        }
        _ => Err(DomainError::Integrity(
            "a stored share has half of its passphrase parameters".into(),
        )),
    }
}

/// A live share's public facts (no view consumed). Unknown ids count as
/// failures of the caller's address, like failed reveals.
pub async fn public(dom: &Domain, caller: &Principal, id: &str) -> DomainResult<PublicShare> {
    let found = if plausible_id(id) {
        dom.store.live_share(id, dom.now_ms()).await?
    } else {
        None
    };
    let Some((r, _)) = found else {
        let ip = throttle::address(caller);
        let attempt = throttle::begin(dom, &[Scope::ShareRevealAddress { ip }]).await?;
        attempt.counts(dom, caller, "share link lookup").await;
        return Err(gone());
    };
    Ok(PublicShare {
        kdf: kdf_of(&r)?,
        id: r.id,
        expires_at: r.expires_at,
        views_left: r.views_left,
    })
}

/// Hands out the sealed blob for the right access value and consumes one
/// view (the last view deletes the share). A wrong value consumes nothing:
/// with a passphrase it is a wrong passphrase (403), without one the link
/// was altered (the neutral 404). Throttled per link and per address.
pub async fn reveal(
    dom: &Domain,
    caller: &Principal,
    id: &str,
    auth: &[u8],
) -> DomainResult<Revealed> {
    if auth.len() != 32 {
        return Err(DomainError::validation("auth", "must be 32 bytes"));
    }
    let ip = throttle::address(caller);
    if !plausible_id(id) {
        let attempt = throttle::begin(dom, &[Scope::ShareRevealAddress { ip }]).await?;
        attempt.counts(dom, caller, "share link reveal").await;
        return Err(gone());
    }
    let attempt = throttle::begin(
        dom,
        &[Scope::ShareReveal { id }, Scope::ShareRevealAddress { ip }],
    )
    .await?;
    let now = dom.now_ms();
    let Some((rec, stored_hash)) = dom.store.live_share(id, now).await? else {
        attempt.counts(dom, caller, "share link reveal").await;
        return Err(gone());
    };
    let hash = heartlock_core::share::access_hash(auth);
    if !token::ct_eq(&hash, &stored_hash) {
        attempt.counts(dom, caller, "share link reveal").await;
        let mut ev = event(dom, caller, "share.view", Outcome::Denied)
            .detail(format!("share {id}: wrong access value, no view consumed"));
        if let Some(p) = &rec.project_id {
            ev = ev.project(p);
        }
        dom.audit.record(ev).await;
        return Err(if rec.kdf_salt.is_some() {
            DomainError::Forbidden(
                "wrong passphrase (or the link was altered); no view was used".into(),
            )
        } else {
            gone()
        });
    }
    let mut ev = event(dom, caller, "share.view", Outcome::Success).detail(format!(
        "share {id} opened: view {} of {}",
        rec.views_allowed - rec.views_left + 1,
        rec.views_allowed
    ));
    if let Some(p) = &rec.project_id {
        ev = ev.project(p);
    }
    // The link is the authority (its reader needs no account): the view is
    // taken as the system principal.
    let system = Principal::system("share link");
    let consumed = crate::audit::write(dom, &system, vec![ev], |store| async move {
        store.consume_share(id, &hash, now).await
    })
    .await;
    let consumed = match consumed {
        Ok(Some(c)) => c,
        Ok(None) => {
            // Used up or expired between the two reads.
            attempt.counts(dom, caller, "share link reveal").await;
            return Err(gone());
        }
        Err(e) => {
            attempt.discard(dom).await;
            return Err(e.into());
        }
    };
    attempt.succeeded(dom).await;
    let ciphertext = URL_SAFE_NO_PAD
        .decode(&consumed.ciphertext)
        .map_err(|_| DomainError::Integrity("a stored share does not parse".into()))?;
    Ok(Revealed {
        ciphertext,
        views_left: consumed.record.views_left,
    })
}
