//! JSON as the services' answers are read: strictly. An object that names
//! a key twice has no one meaning (parsers disagree on which value wins,
//! and a forged answer can hide a second `maintainers` or `versions` behind
//! the first), so such an answer is refused rather than read last-wins.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The longest part of an upstream value quoted in a message.
const QUOTE_MAX: usize = 64;

/// Why an answer's JSON could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Not JSON, or JSON with a key twice or something after it.
    #[error("not JSON as documented: {0}")]
    Syntax(serde_json::Error),
    /// JSON, but not the shape asked for.
    #[error("not the documented shape: {0}")]
    Shape(serde_json::Error),
}

/// An answer's JSON, refusing duplicate keys and trailing data.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Strict
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(JsonError::Syntax)
}

/// An answer's JSON read into `T`, refusing duplicate keys anywhere (serde's
/// derived readers refuse them only for a struct's own fields, not in the
/// maps and free-form values inside it).
pub fn parse_into<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    serde_json::from_value(parse(bytes)?).map_err(JsonError::Shape)
}

/// A value from an answer, quoted for a message and cut short: upstream
/// answers are not trusted to keep messages small.
pub fn quoted(s: &str) -> String {
    match s.char_indices().nth(QUOTE_MAX) {
        Some((i, _)) => format!("{:?}…", &s[..i]),
        None => format!("{s:?}"),
    }
}

/// A JSON value's type, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads a `Value` as serde_json does, except that a repeated key in an
/// object is an error. (The depth limit stays serde_json's own.)
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key {} appears twice in one object",
                    quoted(&key)
                )));
            }
            let v = map.next_value_seed(Strict)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_as_serde_json_does() {
        let text = br#"{"a": [1, -2, 3.5, true, null, "x"], "b": {"c": {}}, "\u0064": 18446744073709551615}"#;
        let plain: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(parse(text).unwrap(), plain);
        // Key order is kept (the registries' order of releases).
        let v = parse(br#"{"z": 1, "a": 2}"#).unwrap();
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["z", "a"]
        );
    }

    #[test]
    fn a_key_named_twice_is_refused_at_any_depth() {
        for text in [
            r#"{"maintainers": [], "maintainers": [{"name": "a"}]}"#,
            r#"{"versions": {"1.0.0": {"deprecated": "no", "deprecated": "yes"}}}"#,
            // The same key once escaped and once not is the same key.
            r#"{"name": "x", "n\u0061me": "y"}"#,
            r#"[{"a": 1}, {"b": 1, "b": 2}]"#,
        ] {
            let e = parse(text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains("appears twice"), "{text}: {e}");
        }
        // The same key in sibling objects is fine.
        assert!(parse(br#"[{"a": 1}, {"a": 2}]"#).is_ok());
        assert!(parse(b"{} {}").is_err());
        assert!(parse(b"{\"a\": 1").is_err());
        #[derive(serde::Deserialize, Debug)]
        struct S {
            #[allow(dead_code)]
            m: std::collections::BTreeMap<String, u8>,
        }
        // serde's own reader lets the map's second `k` win; this does not.
        assert!(serde_json::from_slice::<S>(br#"{"m": {"k": 1, "k": 2}}"#).is_ok());
        assert!(parse_into::<S>(br#"{"m": {"k": 1, "k": 2}}"#).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn quotes_are_cut_short() {
        assert_eq!(quoted("ab"), "\"ab\"");
        let long = "x".repeat(10_000);
        assert!(quoted(&long).chars().count() < 80);
    }
}
