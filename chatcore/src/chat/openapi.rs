//! The validation rules of [`Chat`](crate::Chat)'s inputs, written into an OpenAPI
//! document, so that a client generated from it validates as the service does.
//!
//! chatcore's input types ([`Register`](crate::Register), [`NewRoom`](crate::NewRoom),
//! [`SendMessage`](crate::SendMessage)…) derive their schemas with utoipa; each field
//! that the service validates names its rule with a marker in place of a `format`:
//! `#[schema(format = "chatcore:name")]`. [`constrain`] replaces every marker with the
//! rule's JSON Schema keywords (`maxLength`, `minLength`, `pattern`, `minimum`,
//! `maximum`, `enum`), taking the numbers from the [`Limits`] in force, so the document
//! a server serves always states its own limits. The patterns state exactly what the
//! validators accept; the tests below check them against each other.
//!
//! | marker | rule |
//! |---|---|
//! | `username` | 3–32 of `A–Z a–z 0–9 _ . -`, starting with a letter or digit |
//! | `password` | `password_min_chars` to `password_max_chars` characters |
//! | `room-password` | at most `password_max_chars` characters (`""`: none) |
//! | `name`, `optional-name` | at most `max_name_chars`, no control character nor bidirectional control, at least one visible character (`optional-name`: or `""`) |
//! | `description`, `bio`, `reason`, `caption` | at most `max_description_chars` / `max_bio_chars` / `max_description_chars` / `max_message_chars`; no control character but newline and tab |
//! | `body` | as `caption`, and at least one visible character (not white space, invisible or a bidirectional control) |
//! | `url` | `""`, or at most `max_url_len` characters: `http://`, `https://` or `/` (not `//`), no white space or control character |
//! | `email`, `required-email` | `""` (not for `required-email`), or at most 254 characters `local@domain`, the domain with an inner dot, no white space or control character |
//! | `nonce` | 1 to 64 characters |
//! | `room-code` | 8 letters and digits, any case, white space around allowed |
//! | `history-limit`, `rooms-limit` | 1 to [`Limits::history_page_ceiling`] / [`Limits::ROOMS_PAGE_MAX`] |
//! | `max-members` | 0 (the service-wide limit), or 2 to `max_members_per_room` |
//! | `slow-mode` | 0 to [`Limits::MAX_SLOW_MODE_SECS`] |
//! | `retention-days` | 0 (the site default) to `max_retention_days` (at most [`Limits::MAX_RETENTION_DAYS`]) |
//! | `new-room-kind` | `public` or `private` |
//! | `assignable-role` | `member`, `moderator` or `admin` |

use serde_json::{Map, Value, json};

use super::Limits;
use super::messages::MAX_NONCE_LEN;
use super::validate::{BIDI_CONTROLS, INVISIBLE, MAX_EMAIL_CHARS};
use crate::ids::Username;
use crate::model::{Role, RoomKind};

/// What every marker starts with.
pub const MARKER_PREFIX: &str = "chatcore:";

/// Characters `char::is_control` refuses (Unicode `Cc`), in a character class.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";
/// `CONTROL` but newline and tab.
const CONTROL_BUT_LINES: &str = r"\x00-\x08\x0b-\x1f\x7f-\x9f";
/// Control characters and white space (`char::is_whitespace`, as `str::trim` uses).
const CONTROL_OR_SPACE: &str =
    r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// White space (`char::is_whitespace`).
const SPACE: &str = r"\x09-\x0d\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// Character ranges as the inside of a character class (`\uXXXX-\uXXXX`).
fn class(ranges: &[(char, char)]) -> String {
    ranges
        .iter()
        .map(|(lo, hi)| {
            if lo == hi {
                format!("\\u{:04x}", u32::from(*lo))
            } else {
                format!("\\u{:04x}-\\u{:04x}", u32::from(*lo), u32::from(*hi))
            }
        })
        .collect()
}

/// A one-line name: no control character nor bidirectional control anywhere, at
/// least one that is neither space nor invisible.
fn name_pattern() -> String {
    let bidi = class(BIDI_CONTROLS);
    let invisible = class(INVISIBLE);
    format!("[^{CONTROL}{bidi}]*[^{CONTROL_OR_SPACE}{bidi}{invisible}][^{CONTROL}{bidi}]*")
}

/// A body: no control character but newline and tab, at least one character that is
/// neither space, invisible nor a bidirectional control.
fn body_pattern() -> String {
    let bidi = class(BIDI_CONTROLS);
    let invisible = class(INVISIBLE);
    format!("[^{CONTROL_BUT_LINES}]*[^{CONTROL_OR_SPACE}{bidi}{invisible}][^{CONTROL_BUT_LINES}]*")
}

fn email_pattern() -> String {
    format!(
        "[^@{CONTROL_OR_SPACE}]+@[^@.{CONTROL_OR_SPACE}][^@{CONTROL_OR_SPACE}]*\\.[^@{CONTROL_OR_SPACE}]*[^@.{CONTROL_OR_SPACE}]"
    )
}

fn url_pattern() -> String {
    format!(
        "[Hh][Tt][Tt][Pp][Ss]?://[^{CONTROL_OR_SPACE}]*|/(?:[^/{CONTROL_OR_SPACE}][^{CONTROL_OR_SPACE}]*)?"
    )
}

fn username_pattern() -> String {
    format!(
        "[A-Za-z0-9][A-Za-z0-9_.-]{{{},{}}}",
        Username::MIN_LEN - 1,
        Username::MAX_LEN - 1
    )
}

fn room_code_pattern() -> String {
    format!(
        "[{SPACE}]*[A-Za-z0-9]{{{}}}[{SPACE}]*",
        crate::RoomCode::LEN
    )
}

/// `^(?:…)$`, or `^(?:…)?$` when `""` is accepted too.
fn whole(pattern: &str, empty_too: bool) -> Value {
    let optional = if empty_too { "?" } else { "" };
    Value::String(format!("^(?:{pattern}){optional}$"))
}

/// The keywords of one rule: `(key, value)` pairs to set on the marked schema.
fn keywords(rule: &str, l: &Limits) -> Option<Vec<(&'static str, Value)>> {
    let text = |max: usize| {
        vec![
            ("maxLength", json!(max)),
            (
                "pattern",
                Value::String(format!("^[^{CONTROL_BUT_LINES}]*$")),
            ),
        ]
    };
    let range = |min: u32, max: u32| {
        vec![
            ("format", json!("int32")),
            ("minimum", json!(min)),
            ("maximum", json!(max)),
        ]
    };
    Some(match rule {
        "username" => vec![
            ("minLength", json!(Username::MIN_LEN)),
            ("maxLength", json!(Username::MAX_LEN)),
            ("pattern", whole(&username_pattern(), false)),
        ],
        "password" => vec![
            ("minLength", json!(l.password_min_chars)),
            ("maxLength", json!(l.password_max_chars)),
        ],
        "room-password" => vec![("maxLength", json!(l.password_max_chars))],
        "name" | "optional-name" => vec![
            ("maxLength", json!(l.max_name_chars)),
            ("pattern", whole(&name_pattern(), rule == "optional-name")),
        ],
        "description" | "reason" => text(l.max_description_chars),
        "bio" => text(l.max_bio_chars),
        "report-reason" => text(l.max_report_reason_chars),
        "timeout-secs" => vec![
            ("minimum", json!(l.min_timeout.as_secs_f64().ceil() as u64)),
            ("maximum", json!(l.max_timeout.as_secs())),
        ],
        "caption" => text(l.max_message_chars),
        "body" => vec![
            ("maxLength", json!(l.max_message_chars)),
            ("pattern", whole(&body_pattern(), false)),
        ],
        "url" => vec![
            ("maxLength", json!(l.max_url_len)),
            ("pattern", whole(&url_pattern(), true)),
        ],
        "email" | "required-email" => {
            let required = rule == "required-email";
            let mut k = vec![
                ("maxLength", json!(MAX_EMAIL_CHARS)),
                ("pattern", whole(&email_pattern(), !required)),
            ];
            if required {
                k.push(("minLength", json!(1)));
            }
            k
        }
        "nonce" => vec![("minLength", json!(1)), ("maxLength", json!(MAX_NONCE_LEN))],
        "room-code" => vec![("pattern", whole(&room_code_pattern(), false))],
        "history-limit" => range(1, l.history_page_ceiling()),
        "rooms-limit" => range(1, Limits::ROOMS_PAGE_MAX),
        "slow-mode" => range(0, Limits::MAX_SLOW_MODE_SECS),
        "retention-days" => range(
            0,
            l.max_retention_days
                .unwrap_or(Limits::MAX_RETENTION_DAYS)
                .min(Limits::MAX_RETENTION_DAYS),
        ),
        "new-room-kind" => vec![(
            "enum",
            json!([RoomKind::Public.as_str(), RoomKind::Private.as_str()]),
        )],
        "assignable-role" => vec![(
            "enum",
            json!([
                Role::Member.as_str(),
                Role::Moderator.as_str(),
                Role::Admin.as_str()
            ]),
        )],
        _ => return None,
    })
}

/// Whether a schema's `type` allows `null` (an `Option` field).
fn nullable(schema: &Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    }
}

/// Apply `rule` to the schema that carries its marker. False for an unknown rule.
fn apply(rule: &str, schema: &mut Map<String, Value>, l: &Limits) -> bool {
    schema.remove("format");
    if rule == "max-members" {
        // 0 or 2..=cap: an `anyOf` of the two (and of null for an optional field).
        let mut options = vec![
            json!({"type": "integer", "format": "int32", "enum": [0]}),
            json!({"type": "integer", "format": "int32", "minimum": 2, "maximum": l.max_members_per_room}),
        ];
        if nullable(schema) {
            options.push(json!({"type": "null"}));
        }
        for k in ["type", "minimum", "maximum"] {
            schema.remove(k);
        }
        schema.insert("anyOf".into(), Value::Array(options));
        return true;
    }
    let Some(keywords) = keywords(rule, l) else {
        return false;
    };
    for (k, v) in keywords {
        schema.insert(k.into(), v);
    }
    true
}

/// Replace every rule marker in `document` (an OpenAPI document as JSON) with the
/// keywords of its rule under `limits`. Returns the markers it does not know (none,
/// for a document built from chatcore's types); those are left in place.
pub fn constrain(document: &mut Value, limits: &Limits) -> Vec<String> {
    let mut unknown = Vec::new();
    visit(document, limits, &mut unknown);
    unknown
}

fn visit(value: &mut Value, l: &Limits, unknown: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let rule = map
                .get("format")
                .and_then(Value::as_str)
                .and_then(|f| f.strip_prefix(MARKER_PREFIX))
                .map(str::to_owned);
            if let Some(rule) = rule
                && !apply(&rule, map, l)
            {
                unknown.push(format!("{MARKER_PREFIX}{rule}"));
            }
            for v in map.values_mut() {
                visit(v, l, unknown);
            }
        }
        Value::Array(items) => {
            for v in items {
                visit(v, l, unknown);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    //! Each pattern against its validator, over every short string of an alphabet of
    //! the characters that matter (white space of several kinds, control characters,
    //! separators, non-ASCII letters).
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::chat::validate;

    const ALPHABET: [char; 18] = [
        'a', 'Z', '7', ' ', '\t', '\n', '\r', '\u{85}', '\u{a0}', '\u{2003}', '\u{feff}', 'é',
        '\u{7}', '.', '@', '/', '\u{202e}', '\u{200b}',
    ];

    /// Every string of up to `n` characters of `alphabet`.
    fn strings(alphabet: &[char], n: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..n {
            last = last
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |c| {
                        let mut t = s.clone();
                        t.push(*c);
                        t
                    })
                })
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    fn regex(rule: &str) -> (regex::Regex, usize, usize) {
        let l = Limits::default();
        let k = keywords(rule, &l).unwrap();
        let get = |name: &str| k.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
        let pattern = get("pattern").unwrap();
        let min = get("minLength").and_then(|v| v.as_u64()).unwrap_or(0);
        let max = get("maxLength")
            .and_then(|v| v.as_u64())
            .unwrap_or(u64::MAX);
        (
            regex::Regex::new(pattern.as_str().unwrap()).unwrap(),
            usize::try_from(min).unwrap(),
            usize::try_from(max).unwrap_or(usize::MAX),
        )
    }

    /// The schema accepts `s` exactly when `valid` does.
    fn agree(rule: &str, samples: &[String], valid: impl Fn(&str) -> bool) {
        let (re, min, max) = regex(rule);
        for s in samples {
            let n = s.chars().count();
            let schema = re.is_match(s) && n >= min && n <= max;
            assert_eq!(schema, valid(s), "{rule}: {s:?} (schema says {schema})");
        }
    }

    #[test]
    fn names_texts_and_bodies() {
        let samples = strings(&ALPHABET, 3);
        let l = Limits::default();
        agree("name", &samples, |s| {
            validate::name("n", s, l.max_name_chars).is_ok()
        });
        agree("optional-name", &samples, |s| {
            s.is_empty() || validate::name("n", s, l.max_name_chars).is_ok()
        });
        agree("description", &samples, |s| {
            validate::text("d", s, l.max_description_chars).is_ok()
        });
        agree("body", &samples, |s| {
            validate::body(s, l.max_message_chars).is_ok()
        });
        // Lengths are counted on the input as sent.
        let long = [
            "x".repeat(l.max_name_chars),
            format!(" {}", "x".repeat(l.max_name_chars)),
            "é".repeat(l.max_name_chars),
        ];
        agree("name", &long, |s| {
            validate::name("n", s, l.max_name_chars).is_ok()
        });
    }

    #[test]
    fn urls() {
        let l = Limits::default();
        let tails = strings(&['a', ' ', '\t', '\u{a0}', 'é', '/', ':', '\u{85}'], 3);
        let mut samples = Vec::new();
        for head in [
            "", "http://", "HTTPS://", "hTtP://", "/", "//", "https:/", "ftp://", "h",
        ] {
            for tail in &tails {
                samples.push(format!("{head}{tail}"));
            }
        }
        samples.push(format!("/{}", "é".repeat(l.max_url_len - 1)));
        samples.push(format!("/{}", "é".repeat(l.max_url_len)));
        agree("url", &samples, |s| {
            validate::url("u", Some(s), l.max_url_len).is_ok()
        });
    }

    #[test]
    fn emails() {
        let samples = strings(&['a', '@', '.', ' ', '\u{a0}', 'é', '\u{7}', '\t'], 6);
        agree("email", &samples, |s| validate::email(Some(s)).is_ok());
        agree("required-email", &samples, |s| {
            validate::email(Some(s)).is_ok_and(|e| e.is_some())
        });
    }

    #[test]
    fn usernames_and_codes() {
        let mut samples = strings(&['a', 'Z', '0', '_', '.', '-', ' ', 'é'], 4);
        samples.push("a".repeat(32));
        samples.push("a".repeat(33));
        agree("username", &samples, |s| Username::parse(s).is_ok());
        let mut codes = strings(&['a', ' ', '\t'], 2)
            .iter()
            .flat_map(|pad| {
                ["AB12cd34", "AB12CD3", "AB12CD345", "AB12CD3!"].map(|c| format!("{pad}{c}{pad}"))
            })
            .collect::<Vec<_>>();
        codes.push("\u{3000}ab12cd34\u{85}".into());
        agree("room-code", &codes, |s| crate::RoomCode::parse(s).is_ok());
    }

    #[test]
    fn markers_are_replaced_with_the_limits_in_force() {
        let limits = Limits {
            max_name_chars: 10,
            max_members_per_room: 50,
            ..Limits::default()
        };
        let mut doc = json!({"components": {"schemas": {"NewRoom": {"properties": {
            "name": {"type": "string", "format": "chatcore:name"},
            "max_members": {"type": ["integer", "null"], "format": "chatcore:max-members", "minimum": 0},
            "odd": {"type": "string", "format": "chatcore:no-such-rule"},
            "plain": {"type": "string", "format": "uuid"},
        }}}}});
        let unknown = constrain(&mut doc, &limits);
        assert_eq!(unknown, ["chatcore:no-such-rule"]);
        let props = &doc["components"]["schemas"]["NewRoom"]["properties"];
        assert_eq!(props["name"]["maxLength"], 10);
        assert!(props["name"].get("format").is_none());
        assert_eq!(props["max_members"]["anyOf"][1]["maximum"], 50);
        assert_eq!(props["max_members"]["anyOf"][2]["type"], "null");
        assert!(props["max_members"].get("minimum").is_none());
        assert_eq!(props["plain"]["format"], "uuid");
    }
}
