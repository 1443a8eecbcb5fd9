//! Typed access to the merged layers. Every read records the source of the
//! setting so the report can show where each value came from.

use std::collections::HashMap;

use crate::sources::Layers;
use crate::validate::{self, BOOL_EXPECTED, HTTP_URL_EXPECTED};
use crate::{ConfigError, Secret, Source};

type Result<T> = std::result::Result<T, ConfigError>;

pub(crate) struct Reader<'a> {
    layers: &'a Layers,
    records: HashMap<&'static str, Source>,
}

impl<'a> Reader<'a> {
    pub fn new(layers: &'a Layers) -> Self {
        Reader {
            layers,
            records: HashMap::new(),
        }
    }

    pub fn into_records(self) -> HashMap<&'static str, Source> {
        self.records
    }

    /// Where `name` came from (only meaningful after it was read).
    pub fn source(&self, name: &str) -> Source {
        self.records.get(name).cloned().unwrap_or(Source::Default)
    }

    /// Raw value including explicit empty strings; records the source.
    fn raw(&mut self, name: &'static str) -> Option<(String, Source)> {
        let found = self.layers.lookup(name);
        let source = found.as_ref().map_or(Source::Default, |(_, s)| s.clone());
        self.records.insert(name, source);
        found
    }

    /// Trimmed, non-empty value. An explicit empty string still records its
    /// layer as the source but reads as "not set" (default / None).
    fn value(&mut self, name: &'static str) -> Option<(String, Source)> {
        let (v, s) = self.raw(name)?;
        let v = v.trim();
        (!v.is_empty()).then(|| (v.to_string(), s))
    }

    pub fn string(&mut self, name: &'static str) -> Option<String> {
        self.value(name).map(|(v, _)| v)
    }

    pub fn string_or(&mut self, name: &'static str, default: &str) -> String {
        self.string(name).unwrap_or_else(|| default.to_string())
    }

    /// Secrets are kept verbatim (not trimmed) apart from the empty check.
    pub fn secret(&mut self, name: &'static str) -> Option<Secret> {
        let (v, _) = self.raw(name)?;
        (!v.trim().is_empty()).then(|| Secret::new(v))
    }

    /// A value checked by `check`; `expected` describes the accepted form.
    /// The value is never included in the error.
    pub fn checked<T>(
        &mut self,
        name: &'static str,
        expected: &str,
        check: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.value(name) {
            None => Ok(None),
            Some((v, source)) => match check(&v) {
                Some(t) => Ok(Some(t)),
                None => Err(ConfigError::invalid(name, expected, source)),
            },
        }
    }

    pub fn opt_bool(&mut self, name: &'static str) -> Result<Option<bool>> {
        self.checked(name, BOOL_EXPECTED, validate::parse_bool)
    }

    pub fn bool_or(&mut self, name: &'static str, default: bool) -> Result<bool> {
        Ok(self.opt_bool(name)?.unwrap_or(default))
    }

    pub fn int_or(&mut self, name: &'static str, min: u64, max: u64, default: u64) -> Result<u64> {
        let expected = validate::range_text(min, max);
        let parsed = self.checked(name, &expected, |v| {
            v.parse::<u64>().ok().filter(|n| (min..=max).contains(n))
        })?;
        Ok(parsed.unwrap_or(default))
    }

    /// One of a fixed set of words, matched case-insensitively.
    pub fn choice<T: Copy>(
        &mut self,
        name: &'static str,
        options: &[(&str, T)],
        default: T,
    ) -> Result<T> {
        let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
        let expected = format!("one of {}", words.join(", "));
        let parsed = self.checked(name, &expected, |v| {
            options
                .iter()
                .find(|(w, _)| w.eq_ignore_ascii_case(v))
                .map(|(_, t)| *t)
        })?;
        Ok(parsed.unwrap_or(default))
    }

    pub fn http_url(&mut self, name: &'static str) -> Result<Option<String>> {
        self.checked(name, HTTP_URL_EXPECTED, |v| {
            validate::http_url(v).map(|_| v.to_string())
        })
    }

    /// Comma list where every entry must pass `check`.
    pub fn list(
        &mut self,
        name: &'static str,
        expected: &str,
        check: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Vec<String>>> {
        self.checked(name, expected, |v| {
            validate::comma_list(v).into_iter().map(&check).collect()
        })
    }
}
