//! Custom data: the optional `extra` JSON object a host app attaches to messages,
//! rooms and members (see `docs/DOMAIN.md`, "Custom data").
//!
//! Objects only, at most [`EXTRA_MAX_BYTES`] serialized (the ceiling of
//! `Limits::max_extra_bytes`); an empty object clears it (stored as none). Stores keep
//! it as given; [`check_extra`] is the one place that says what is accepted.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The custom data of a message, room or member: a JSON object.
pub type Extra = Map<String, Value>;

/// The largest `extra` accepted anywhere, serialized as compact JSON (4 KiB).
pub const EXTRA_MAX_BYTES: usize = 4096;

/// Why a non-object `extra` is refused (`Error::Invalid` on `extra`).
pub const EXTRA_NOT_AN_OBJECT: &str = "must be a JSON object";

/// Check an input `extra`: `null` and `{}` mean none; anything else must be an object
/// of at most `max_bytes` (capped at [`EXTRA_MAX_BYTES`]) serialized, else
/// `Error::Invalid` (code `invalid_input`) or `Error::TooLarge` (code `too_large`),
/// both on field `extra`.
pub fn check_extra(value: Option<Value>, max_bytes: usize) -> Result<Option<Extra>> {
    let limit = max_bytes.min(EXTRA_MAX_BYTES);
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            let size = serde_json::to_vec(&map).map_or(usize::MAX, |v| v.len());
            if size > limit {
                return Err(Error::TooLarge {
                    field: "extra",
                    limit,
                });
            }
            Ok((!map.is_empty()).then_some(map))
        }
        Some(_) => Err(Error::invalid("extra", EXTRA_NOT_AN_OBJECT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_only_and_bounded() {
        assert_eq!(check_extra(None, 4096).unwrap(), None);
        assert_eq!(check_extra(Some(Value::Null), 4096).unwrap(), None);
        assert_eq!(check_extra(Some(json!({})), 4096).unwrap(), None);
        let ok = check_extra(Some(json!({"a": [1, {"b": true}]})), 4096).unwrap();
        assert_eq!(ok.unwrap()["a"][1]["b"], json!(true));
        for bad in [json!([1]), json!("x"), json!(3), json!(true)] {
            assert!(matches!(
                check_extra(Some(bad), 4096),
                Err(Error::Invalid { field: "extra", .. })
            ));
        }
        // {"k":"…"} is 8 bytes around the string.
        let fits = json!({ "k": "x".repeat(4096 - 8) });
        assert!(check_extra(Some(fits), 4096).unwrap().is_some());
        let over = json!({ "k": "x".repeat(4096 - 7) });
        assert!(matches!(
            check_extra(Some(over.clone()), 4096),
            Err(Error::TooLarge {
                field: "extra",
                limit: 4096
            })
        ));
        // A larger setting is capped at the ceiling.
        assert!(check_extra(Some(over), 1 << 20).is_err());
    }
}
