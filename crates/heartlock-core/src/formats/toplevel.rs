//! The top level of a JSON document, read as an ordered list of
//! entries. Serde's own map impls keep the last of two duplicate keys; we
//! want to refuse duplicates instead. Anything that is not a mapping becomes
//! `NotAMapping` rather than a serde error, because serde's type errors quote
//! the offending value, which could be a secret.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

pub(super) enum TopLevel<K, V> {
    Mapping(Vec<(K, V)>),
    /// `null`.
    Empty,
    NotAMapping,
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for TopLevel<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopVisitor(PhantomData))
    }
}

struct TopVisitor<K, V>(PhantomData<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for TopVisitor<K, V> {
    type Value = TopLevel<K, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of secret names to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(TopLevel::Mapping(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Drain it so the deserializer does not complain about leftovers.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::NotAMapping)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TopLevel::Empty)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TopLevel::Empty)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAMapping)
    }
}
