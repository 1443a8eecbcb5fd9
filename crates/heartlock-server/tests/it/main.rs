//! Integration tests of the HTTP server, one binary (linked once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod api_admin_oidc;
mod api_audit;
mod api_auth;
mod api_authz_matrix;
mod api_no_leaks;
mod api_secrets;
mod api_sso;
mod api_tokens;
mod encryption;
mod group_grants;
mod hardening;
mod invitations;
mod layers;
mod mail_outbox;
mod metrics;
mod middleware_common;
mod middleware_csrf;
mod middleware_host;
mod middleware_misc;
mod middleware_tls;
mod new_sign_in;
mod push;
mod shares;
mod shares_no_leaks;
mod throttle;
mod turnstile;
mod watches;
mod web_admin;
mod web_admin_oidc;
mod web_authz_matrix;
mod web_cookies;
mod web_env_limits;
mod web_invitations;
mod web_oidc;
mod web_oidc_csp;
mod web_oidc_tokens;
mod web_onboarding;
mod web_onboarding_prod;
mod web_projects;
