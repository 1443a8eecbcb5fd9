//! Translations: flat key → text catalogues embedded in the binary. English
//! and French are complete (a test compares their keys); the locale comes
//! from the `heartlock_locale` cookie (set by /set-locale), else from
//! Accept-Language, else English.
use std::collections::HashMap;
use std::sync::OnceLock;

pub const LOCALES: [(&str, &str); 2] = [("en", "English"), ("fr", "Français")];
pub const COOKIE: &str = "heartlock_locale";

fn catalogue(lang: &str) -> &'static HashMap<String, String> {
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    static FR: OnceLock<HashMap<String, String>> = OnceLock::new();
    let (cell, text) = match lang {
        "fr" => (&FR, include_str!("../../locales/fr.json")),
        _ => (&EN, include_str!("../../locales/en.json")),
    };
    cell.get_or_init(|| serde_json::from_str(text).unwrap_or_default())
}

/// Keys of a catalogue (for the completeness test).
pub fn keys(lang: &str) -> Vec<String> {
    let mut k: Vec<String> = catalogue(lang).keys().cloned().collect();
    k.sort();
    k
}

/// A translator for one request.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: &'static str,
}

impl Tr {
    pub fn new(lang: &str) -> Self {
        let lang = LOCALES
            .iter()
            .map(|(l, _)| *l)
            .find(|l| *l == lang)
            .unwrap_or("en");
        Self { lang }
    }

    /// The text for `key`; the key itself when missing (visible, and caught by tests).
    pub fn t(&self, key: &str) -> String {
        catalogue(self.lang)
            .get(key)
            .or_else(|| catalogue("en").get(key))
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// `t` with `{name}` placeholders filled in.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key);
        for (k, v) in args {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

/// Picks the locale: cookie, then Accept-Language (first supported), then English.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Tr {
    if let Some(c) = cookie.filter(|c| LOCALES.iter().any(|(l, _)| l == c)) {
        return Tr::new(c);
    }
    let mut prefs: Vec<(f32, String)> = accept_language
        .unwrap_or("")
        .split(',')
        .filter_map(|part| {
            let mut it = part.trim().split(';');
            let tag = it.next()?.trim().to_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                .unwrap_or(1.0);
            Some((q, tag))
        })
        .collect();
    prefs.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, tag) in prefs {
        let primary = tag.split('-').next().unwrap_or("");
        if LOCALES.iter().any(|(l, _)| *l == primary) {
            return Tr::new(primary);
        }
    }
    Tr::new("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_are_complete_and_negotiation_works() {
        assert!(!keys("en").is_empty());
        assert_eq!(keys("en"), keys("fr"), "en and fr must have the same keys");
        assert_eq!(negotiate(None, Some("fr-FR,fr;q=0.9,en;q=0.8")).lang, "fr");
        assert_eq!(negotiate(None, Some("de, en;q=0.5")).lang, "en");
        assert_eq!(negotiate(Some("fr"), Some("en")).lang, "fr");
        assert_eq!(negotiate(Some("xx"), None).lang, "en");
    }
}
