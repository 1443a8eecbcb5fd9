//! Lets the sign-out form reach the OpenID Provider. `POST /logout` answers
//! a browser that signed in through the provider with a redirect to the
//! provider's end-session address, and browsers hold every redirect of a
//! form submission to the CSP `form-action` of the page that held the form:
//! with the strict `form-action 'self'` Chromium blocks that redirect and
//! the person stays on the page, still signed in at the provider. So the
//! pages shown to such a browser (it carries the signed sign-out cookie) add
//! exactly that one origin to `form-action`; every other page keeps the
//! strict policy.
//!
//! While Cloudflare Turnstile is enabled, every page's policy also allows
//! the widget's origin (see `middleware::policy_with_turnstile`); both
//! changes are made here so they compose.
use super::oidc::sign_out_url;
use crate::middleware::{CONTENT_SECURITY_POLICY, policy_with_turnstile};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

/// Middleware: the relaxed CSP described above, unless the handler set one.
pub async fn allow_provider_sign_out(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let base = heartlock_domain::turnstile::enabled(&state)
        .then(|| policy_with_turnstile(heartlock_domain::turnstile::ORIGIN));
    let policy = match sign_out_url(&state, req.headers()).and_then(|url| origin_of(&url)) {
        Some(origin) => Some(policy_allowing(
            base.as_deref().unwrap_or(CONTENT_SECURITY_POLICY),
            &origin,
        )),
        None => base,
    }
    .and_then(|p| HeaderValue::from_str(&p).ok());
    let mut res = next.run(req).await;
    if let Some(policy) = policy
        && !res.headers().contains_key(header::CONTENT_SECURITY_POLICY)
    {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    res
}

/// `scheme://host[:port]` of an http(s) URL; a parsed origin cannot carry
/// `;`, `,` or spaces, so it cannot add a directive to the policy.
fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

fn policy_allowing(base: &str, origin: &str) -> String {
    base.replacen(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_session_origin_is_added() {
        let origin =
            origin_of("https://idp.example.com:8443/session/end?id_token_hint=ey.x.y&a=b;c")
                .expect("an http(s) URL has an origin");
        assert_eq!(origin, "https://idp.example.com:8443");
        let policy = policy_allowing(CONTENT_SECURITY_POLICY, &origin);
        assert!(policy.ends_with("form-action 'self' https://idp.example.com:8443"));
        assert_eq!(
            policy.replace(" https://idp.example.com:8443", ""),
            CONTENT_SECURITY_POLICY,
            "nothing else changes"
        );
    }

    #[test]
    fn non_http_addresses_add_nothing() {
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("data:text/html,x"), None);
        assert_eq!(origin_of("not a url"), None);
    }
}
