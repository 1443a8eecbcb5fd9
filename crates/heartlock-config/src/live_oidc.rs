//! OIDC settings recomputed while the server runs. The values an
//! administrator sets (the appconfig layer, kept in the database and in
//! `appconfig.json`) are parsed by the same reader as at start-up and laid
//! over what the environment, the `.env` files and the defaults gave.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::deploy_check::is_remote_http;
use crate::reader::Reader;
use crate::sources::{Layer, Layers, OIDC_NAMES};
use crate::{ConfigError, OidcSettings, Settings, Source};

/// Effective OIDC settings and where each one came from (canonical names).
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveOidc {
    pub settings: OidcSettings,
    pub sources: BTreeMap<&'static str, Source>,
}

impl EffectiveOidc {
    /// Where `name` got its value (`Default` for an unknown name).
    pub fn source(&self, name: &str) -> Source {
        self.sources.get(name).cloned().unwrap_or(Source::Default)
    }

    /// Names whose value an administrator set (the appconfig layer).
    pub fn admin_set(&self) -> Vec<&'static str> {
        self.sources
            .iter()
            .filter(|(_, s)| matches!(s.layer(), Source::AppConfig(_)))
            .map(|(n, _)| *n)
            .collect()
    }
}

/// Every OIDC setting by canonical name, in the order of the docs.
pub fn oidc_setting_names() -> &'static [&'static str] {
    OIDC_NAMES
}

/// The OIDC URLs that use `http://` with a host that is not loopback.
pub fn oidc_insecure_urls(o: &OidcSettings) -> Vec<&'static str> {
    [
        ("OIDC_AUTHORIZATION_ENDPOINT", &o.authorization_endpoint),
        ("OIDC_TOKEN_ENDPOINT", &o.token_endpoint),
        ("OIDC_USERINFO_ENDPOINT", &o.userinfo_endpoint),
        ("OIDC_JWKS_ENDPOINT", &o.jwks_endpoint),
        ("OIDC_END_SESSION_ENDPOINT", &o.end_session_endpoint),
        ("OIDC_ISSUER", &o.issuer),
        ("OIDC_REDIRECT_URI", &o.redirect_uri),
    ]
    .into_iter()
    .filter(|(_, u)| u.as_deref().is_some_and(is_remote_http))
    .map(|(name, _)| name)
    .collect()
}

/// Parses the OIDC group from `layers`, recording each source.
pub(crate) fn from_layers(layers: &Layers) -> Result<EffectiveOidc, ConfigError> {
    let mut reader = Reader::new(layers);
    let settings = crate::load::oidc_group(&mut reader)?;
    let records = reader.into_records();
    let sources = OIDC_NAMES
        .iter()
        .map(|n| (*n, records.get(n).cloned().unwrap_or(Source::Default)))
        .collect();
    Ok(EffectiveOidc { settings, sources })
}

impl Settings {
    /// The OIDC settings without `appconfig.json`'s values: what the
    /// environment, the `.env` files and the defaults give. When the file
    /// set no OIDC value this is simply the start-up value.
    pub fn oidc_without_appconfig(&self) -> Result<EffectiveOidc, ConfigError> {
        if let Some(lower) = &self.oidc_lower {
            return lower.as_ref().map(|b| (**b).clone()).map_err(|e| e.clone());
        }
        Ok(EffectiveOidc {
            settings: self.oidc.clone(),
            sources: OIDC_NAMES
                .iter()
                .map(|n| (*n, self.records.get(n).cloned().unwrap_or(Source::Default)))
                .collect(),
        })
    }

    /// `admin` (canonical OIDC names to raw values, as `appconfig.json`
    /// holds them) over [`Settings::oidc_without_appconfig`]: the
    /// precedence appconfig → environment → `.env` files → defaults.
    pub fn oidc_with_admin_values(
        &self,
        admin: &BTreeMap<String, String>,
    ) -> Result<EffectiveOidc, ConfigError> {
        let base = self.oidc_without_appconfig()?;
        overlay(base, admin, &self.data_dir.join("appconfig.json"))
    }

    /// OIDC_REDIRECT_URI of `o`, else `<base url or request_base>/oauth/callback`.
    pub fn oidc_redirect_uri_of(&self, o: &OidcSettings, request_base: &str) -> String {
        if let Some(uri) = &o.redirect_uri {
            return uri.clone();
        }
        let base = self.base_url.as_deref().unwrap_or(request_base);
        format!("{}/oauth/callback", base.trim_end_matches('/'))
    }
}

/// Lays the admin values over `base`, field by field: each OIDC field is
/// read from its own name only, so this equals a full layered read.
fn overlay(
    base: EffectiveOidc,
    admin: &BTreeMap<String, String>,
    path: &Path,
) -> Result<EffectiveOidc, ConfigError> {
    if let Some(unknown) = admin.keys().find(|k| !OIDC_NAMES.contains(&k.as_str())) {
        return Err(ConfigError::invalid(
            unknown,
            "an OIDC setting name",
            Source::AppConfig(path.to_path_buf()),
        ));
    }
    let values: HashMap<String, String> = admin.clone().into_iter().collect();
    let layers = Layers(vec![Layer {
        source: Source::AppConfig(path.to_path_buf()),
        values,
    }]);
    let top = from_layers(&layers)?;
    let set = |name: &str| admin.contains_key(name);
    let (t, mut out) = (top.settings, base);
    let o = &mut out.settings;
    if set("OIDC_ENABLE") {
        o.enable = t.enable;
    }
    if set("OIDC_CLIENT_ID") {
        o.client_id = t.client_id;
    }
    if set("OIDC_CLIENT_SECRET") {
        o.client_secret = t.client_secret;
    }
    if set("OIDC_AUTHORIZATION_ENDPOINT") {
        o.authorization_endpoint = t.authorization_endpoint;
    }
    if set("OIDC_TOKEN_ENDPOINT") {
        o.token_endpoint = t.token_endpoint;
    }
    if set("OIDC_USERINFO_ENDPOINT") {
        o.userinfo_endpoint = t.userinfo_endpoint;
    }
    if set("OIDC_JWKS_ENDPOINT") {
        o.jwks_endpoint = t.jwks_endpoint;
    }
    if set("OIDC_END_SESSION_ENDPOINT") {
        o.end_session_endpoint = t.end_session_endpoint;
    }
    if set("OIDC_REDIRECT_URI") {
        o.redirect_uri = t.redirect_uri;
    }
    if set("OIDC_SIGN_ALGO") {
        o.sign_algo = t.sign_algo;
    }
    if set("OIDC_SCOPES") {
        o.scopes = t.scopes;
    }
    if set("OIDC_ISSUER") {
        o.issuer = t.issuer;
    }
    if set("OIDC_GROUPS_CLAIM") {
        o.groups_claim = t.groups_claim;
    }
    for name in OIDC_NAMES.iter().copied().filter(|n| set(n)) {
        let source = top
            .sources
            .get(name)
            .cloned()
            .unwrap_or_else(|| Source::AppConfig(path.to_path_buf()));
        out.sources.insert(name, source);
    }
    Ok(out)
}
