//! A token's header and payload JSON read once for what verification needs:
//! a few named members as values, everything else checked and skipped, so a
//! token costs no map of its claims until something asks for one.
//!
//! The reading goes through the same `serde_json` parser, by the same calls,
//! as parsing a `serde_json::Value` does: the two accept and refuse the same
//! bytes with the same messages, and a later full parse of accepted bytes
//! cannot fail.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The members of a JSON document whose names `position` places (below
/// `N`); the last of a repeated name wins, as in a parsed `Value`. `None`
/// for a document that is valid JSON but not an object.
pub(crate) fn read_members<const N: usize>(
    json: &[u8],
    position: impl Fn(&str) -> Option<usize>,
) -> Result<Option<[Option<Value>; N]>, serde_json::Error> {
    from_slice_seed(json, Members { position })
}

/// The whole object of JSON that [`read_members`] accepted as one.
pub(crate) fn object(json: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice(json) {
        Ok(Value::Object(map)) => map,
        // Unreachable for accepted bytes (see the module's docs): no claims,
        // rather than a panic on a request.
        _ => {
            debug_assert!(false, "read_members accepted what Value refuses");
            Map::new()
        }
    }
}

/// `serde_json::from_slice`, with a seed: the document, then nothing but
/// whitespace.
fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
    json: &'de [u8],
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value = seed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

struct Members<F, const N: usize> {
    position: F,
}

impl<'de, F: Fn(&str) -> Option<usize>, const N: usize> DeserializeSeed<'de> for Members<F, N> {
    type Value = Option<[Option<Value>; N]>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // `Value` asks for any value too, so the parser takes the same path.
        deserializer.deserialize_any(self)
    }
}

impl<'de, F: Fn(&str) -> Option<usize>, const N: usize> Visitor<'de> for Members<F, N> {
    type Value = Option<[Option<Value>; N]>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: [Option<Value>; N] = std::array::from_fn(|_| None);
        while let Some(key) = map.next_key_seed(Name(&self.position))? {
            match key.and_then(|index| members.get_mut(index)) {
                Some(member) => *member = Some(map.next_value()?),
                None => {
                    map.next_value::<Checked>()?;
                }
            }
        }
        Ok(Some(members))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Checked.visit_seq(seq).map(|_| None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An object's key, placed by a position function.
struct Name<'a, F>(&'a F);

impl<'de, F: Fn(&str) -> Option<usize>> DeserializeSeed<'de> for Name<'_, F> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // As `Value`'s own key reader asks.
        deserializer.deserialize_str(self)
    }
}

impl<'de, F: Fn(&str) -> Option<usize>> Visitor<'de> for Name<'_, F> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok((self.0)(key))
    }
}

/// Any JSON value, parsed as a `Value` would be (numbers in range, strings
/// valid, nesting within the parser's limit) and dropped without being built.
struct Checked;

impl<'de> de::Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while map.next_key_seed(Name(&|_: &str| None))?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 4] = ["exp", "sub", "type", "sub"];

    fn position(key: &str) -> Option<usize> {
        NAMES.iter().position(|name| *name == key)
    }

    /// `read_members` against a parsed `Value`: the same verdict, the same
    /// message, and for an object the same members.
    fn agrees(json: &[u8]) {
        let shown = String::from_utf8_lossy(json);
        let ours = read_members::<4>(json, position);
        match (serde_json::from_slice::<Value>(json), ours) {
            (Ok(Value::Object(map)), Ok(Some(members))) => {
                for (name, member) in NAMES.iter().zip(&members).take(3) {
                    assert_eq!(map.get(*name), member.as_ref(), "{name} in {shown}");
                }
                // A repeated name is read into its first position only.
                assert_eq!(members[3], None, "{shown}");
                assert_eq!(object(json), map, "{shown}");
            }
            (Ok(other), Ok(None)) => assert!(!other.is_object(), "{shown}"),
            (Err(value), Err(members)) => {
                assert_eq!(value.to_string(), members.to_string(), "{shown}")
            }
            (value, members) => panic!("{shown}: Value {value:?}, members {members:?}"),
        }
    }

    #[test]
    fn members_are_read_as_a_parsed_value_reads_them() {
        let cases: &[&[u8]] = &[
            br#"{"sub":"alice","exp":1,"type":"access","x":[1,{"y":null}]}"#,
            br#"{"exp":1,"exp":"late","sub":1,"sub":"last"}"#,
            br#"{"e\u0078p":7,"\u0073ub":"escaped key"}"#,
            br#"{"exp":1e400}"#,
            br#"{"x":1e400}"#,
            br#"{"x":-0.0,"y":18446744073709551616,"z":-9223372036854775809}"#,
            br#"{"x":"\ud800"}"#,
            br#"{"x":"\udc00\ud800"}"#,
            br#"{"x":"\ud83d\ude00","sub":"\u00e9"}"#,
            br#"{"x":"\q"}"#,
            b"{\"x\":\"\xff\"}",
            b"{\"\xc3\x28\":1}",
            b"{\"x\":\"a\x01b\"}",
            br#"{"x":1}  "#,
            br#"{"x":1} x"#,
            br#"{"x":1,}"#,
            br#"{"x":01}"#,
            br#"{"x":1.}"#,
            br#"{"x":.1}"#,
            br#"{"x":+1}"#,
            br#"{"x":NaN}"#,
            br#"{x:1}"#,
            br#"{"x" 1}"#,
            br#"{"x":1"#,
            br#"{}"#,
            b"",
            b"   ",
            b"\xef\xbb\xbf{}",
            br#"[1,{"sub":2}]"#,
            br#"[1,}"#,
            br#""sub""#,
            b"12",
            b"true",
            b"null",
            br#"{"x":tru}"#,
        ];
        for case in cases {
            agrees(case);
        }
        // The parser's nesting limit, inside an ignored member and at the top.
        for depth in [127, 128, 129, 200] {
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            agrees(format!(r#"{{"x":{nested}}}"#).as_bytes());
            agrees(nested.as_bytes());
        }
    }

    #[test]
    fn members_agree_with_value_on_mutated_documents() {
        let seeds: [&[u8]; 3] = [
            br#"{"sub":"alice","exp":1767225600,"type":"access","jti":"a-b","fresh":false,"nested":{"k":[1,2.5,"\u00e9",null,true]}}"#,
            br#"{"alg":"HS256","typ":"JWT","kid":"k1","crit":["b64"],"b64":true}"#,
            br#"[{"sub":"x"},"\ud83d\ude00",-1e-7,{}]"#,
        ];
        // A fixed pseudo-random walk, so a failure reproduces.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        const BYTES: &[u8] = b"{}[]\":,\\u0123456789.eE+-tfnul \x00\x7f\xc3\xa9\xff\xf0";
        for seed in seeds {
            for _ in 0..3000 {
                let mut doc = seed.to_vec();
                for _ in 0..1 + next(3) {
                    let at = next(doc.len() + 1);
                    match next(3) {
                        0 if at < doc.len() => doc[at] = BYTES[next(BYTES.len())],
                        1 if at < doc.len() => {
                            doc.remove(at);
                        }
                        _ => doc.insert(at, BYTES[next(BYTES.len())]),
                    }
                }
                agrees(&doc);
            }
        }
    }
}
