//! Borrowing JSON building blocks shared by the JSON formats.
//!
//! serde's own `Cow<str>` impl always allocates, and `serde_json::Value`
//! allocates every string and map; at half a million lines a second neither
//! is affordable. The types here borrow from the line whenever the JSON text
//! needs no unescaping (see also [`crate::flat`] for key-by-key scanning).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{ParseError, from_json};

/// A string that borrows from the input unless it had escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CowStr<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = CowStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

/// One JSON value as the formats care about it: scalars are kept (strings
/// borrowed), nested structure is skipped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Str(Cow<'a, str>),
    U(u64),
    I(i64),
    F(f64),
    Bool(bool),
    Null,
    Nested,
}

impl<'a> Val<'a> {
    /// Text of a value, `None` for what logs use to mean "absent": null,
    /// `""`, `"-"`, and nested structure.
    pub(crate) fn text(self) -> Option<Cow<'a, str>> {
        match self {
            Val::Str(s) => {
                let t = crate::fields::trim(&s);
                if t.is_empty() || t == "-" {
                    None
                } else if t.len() == s.len() {
                    Some(s)
                } else {
                    Some(match s {
                        Cow::Borrowed(b) => Cow::Borrowed(crate::fields::trim(b)),
                        Cow::Owned(ref o) => Cow::Owned(crate::fields::trim(o).to_string()),
                    })
                }
            }
            Val::U(n) => Some(Cow::Owned(n.to_string())),
            Val::I(n) => Some(Cow::Owned(n.to_string())),
            Val::F(n) => Some(Cow::Owned(n.to_string())),
            Val::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            Val::Null | Val::Nested => None,
        }
    }

    /// True when the value counts as absent (see [`Val::text`]).
    pub(crate) fn is_missing(&self) -> bool {
        match self {
            Val::Str(s) => {
                let t = crate::fields::trim(s);
                t.is_empty() || t == "-"
            }
            Val::Null | Val::Nested => true,
            _ => false,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Val<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Val::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Val::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Val::Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Val::U(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Val::I(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Val::F(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Val::Bool(v))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Val::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Val::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                Val::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Val::Nested)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Val::Nested)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Checks that `text` starts like an object; the precise error otherwise.
pub(crate) fn expect_object(text: &str) -> Result<(), ParseError> {
    match text.bytes().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        None => Err(ParseError::Empty),
        Some(b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
            if serde_json::from_str::<IgnoredAny>(text).is_ok() {
                Err(ParseError::NotAnObject)
            } else {
                serde_json::from_str::<IgnoredAny>(text)
                    .map(|_| ())
                    .map_err(|e| from_json(&e))
            }
        }
        Some(_) => serde_json::from_str::<IgnoredAny>(text)
            .map(|_| ())
            .map_err(|e| from_json(&e)),
    }
}

/// Parses a whole document into a typed struct, mapping errors.
pub(crate) fn parse_typed<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, ParseError> {
    expect_object(text)?;
    serde_json::from_str(text).map_err(|e| from_json(&e))
}

/// Request headers given as a JSON object (`{"name": "value"}`, a value may
/// also be an array of strings for repeated headers). Storage is bounded: the
/// rest of a hostile object is skipped, not kept.
#[derive(Debug, Default)]
pub(crate) struct HeaderList<'a>(pub(crate) Vec<(Cow<'a, str>, Cow<'a, str>)>);

/// More than [`linkwell_core::call::MAX_HEADERS`] so that the record's own cap
/// decides, but bounded all the same.
const HEADER_COLLECT_CAP: usize = 2 * linkwell_core::call::MAX_HEADERS;

impl<'de: 'a, 'a> Deserialize<'de> for HeaderList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = HeaderList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of headers")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(HeaderList::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(CowStr(k)) = map.next_key::<CowStr<'de>>()? {
                    let v: HeaderValue<'de> = map.next_value()?;
                    for value in v.0 {
                        if out.len() < HEADER_COLLECT_CAP {
                            out.push((k.clone(), value));
                        }
                    }
                }
                Ok(HeaderList(out))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// One header's value(s); non-string members are ignored.
struct HeaderValue<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for HeaderValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = HeaderValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(HeaderValue(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(HeaderValue(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(HeaderValue(vec![Cow::Owned(v)]))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(HeaderValue(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(HeaderValue(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_f64<E>(self, _v: f64) -> Result<Self::Value, E> {
                Ok(HeaderValue(Vec::new()))
            }
            fn visit_bool<E>(self, _v: bool) -> Result<Self::Value, E> {
                Ok(HeaderValue(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(HeaderValue(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<Val<'de>>()? {
                    if let Val::Str(s) = v
                        && out.len() < HEADER_COLLECT_CAP
                    {
                        out.push(s);
                    }
                }
                Ok(HeaderValue(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(HeaderValue(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_accept_strings_and_arrays() {
        let h: HeaderList<'_> =
            serde_json::from_str(r#"{"a":"1","b":["2","3"],"c":{"x":1},"d":7}"#).unwrap();
        let v: Vec<_> = h.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(v, ["a=1", "b=2", "b=3", "d=7"]);
    }
}
