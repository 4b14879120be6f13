//! Identifiers: validated newtypes, parsed at the edges.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::error::Error;

/// The text form of every identifier: a UUID in its hyphenated form (either case).
/// The only form accepted, so that the OpenAPI schemas can say exactly what is valid.
pub const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// Parse a hyphenated UUID (36 characters); the simple, braced and URN forms that
/// [`Uuid::parse_str`] also knows are refused.
fn parse_hyphenated(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    Uuid::try_parse(s).ok()
}

/// The schema of an identifier: a string in [`UUID_PATTERN`].
#[cfg(feature = "openapi")]
fn uuid_schema(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .pattern(Some(UUID_PATTERN))
        .description(Some(description))
        .into()
}

macro_rules! uuid_id {
    ($(#[doc = $doc:literal])* $name:ident, $what:literal) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = std::borrow::Cow::<str>::deserialize(d)?;
                    s.parse().map_err(serde::de::Error::custom)
                } else {
                    Uuid::deserialize(d).map(Self)
                }
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                uuid_schema(concat!($($doc),*).trim())
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            /// A new, random, time-ordered (UUIDv7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                parse_hyphenated(s)
                    .map(Self)
                    .ok_or_else(|| Error::invalid($what, "not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"))
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

uuid_id!(
    /// Identifies a user.
    UserId,
    "user_id"
);
uuid_id!(
    /// Identifies a room.
    RoomId,
    "room_id"
);
uuid_id!(
    /// Identifies a message.
    MessageId,
    "message_id"
);
uuid_id!(
    /// Identifies a login session (not the secret token).
    SessionId,
    "session_id"
);

/// Per-room message sequence number: gapless and increasing, starting at 1.
pub type Seq = i64;

/// A validated username: 3–32 characters of ASCII letters, digits, `_`, `-` and `.`,
/// starting with a letter or digit. Unique case-insensitively; see [`Username::normalized`].
///
/// ```
/// use chatcore::Username;
/// let u: Username = "Alice_01".parse().unwrap();
/// assert_eq!(u.as_str(), "Alice_01");
/// assert_eq!(u.normalized(), "alice_01");
/// assert!("a".parse::<Username>().is_err());
/// assert!("has space".parse::<Username>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Minimum length in characters.
    pub const MIN_LEN: usize = 3;
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 32;

    /// Validate and wrap a username.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.len() < Self::MIN_LEN || s.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                "username",
                format!("must be {} to {} characters", Self::MIN_LEN, Self::MAX_LEN),
            ));
        }
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !first_ok
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(Error::invalid(
                "username",
                "use letters, digits, '_', '-' and '.', starting with a letter or digit",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The username as given at registration.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased form used for uniqueness and look-up.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl FromStr for Username {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A private room's join code: exactly 8 characters from `A–Z` and `0–9`.
/// Entered case-insensitively (it is upper-cased on parse); generated with a
/// cryptographically secure generator.
///
/// ```
/// use chatcore::RoomCode;
/// let c: RoomCode = "ab12cd34".parse().unwrap();
/// assert_eq!(c.as_str(), "AB12CD34");
/// assert!("AB12CD3".parse::<RoomCode>().is_err());
/// assert!("AB12CD3!".parse::<RoomCode>().is_err());
/// let g = RoomCode::generate();
/// assert_eq!(g.as_str().len(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RoomCode(String);

impl RoomCode {
    /// Length of every code.
    pub const LEN: usize = 8;
    /// The code alphabet.
    pub const ALPHABET: &'static [u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// A fresh random code from the operating system–seeded CSPRNG (`rand::rng()`, ChaCha12).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let s: String = (0..Self::LEN)
            .map(|_| Self::ALPHABET[rng.random_range(0..Self::ALPHABET.len())] as char)
            .collect();
        Self(s)
    }

    /// Parse a code as a user typed it: surrounding white space is ignored and
    /// letters are upper-cased.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s.len() != Self::LEN || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "code",
                "a room code is 8 letters and digits",
            ));
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// The canonical (upper-case) code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// As the server sends it: 8 upper-case letters and digits. (What a client may type is
/// looser: see [`RoomCode::parse`] and the `room_code` rule of [`crate::openapi`].)
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for RoomCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^[A-Z0-9]{{{}}}$", Self::LEN)))
            .description(Some("A private room's join code."))
            .examples([serde_json::json!("K3Q9ZT2M")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for RoomCode {}

impl FromStr for RoomCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for RoomCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RoomCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

uuid_id!(
    /// Identifies an uploaded file (avatar or message attachment).
    FileId,
    "file_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hyphenated_uuids_only() {
        let id = RoomId::new();
        let text = id.to_string();
        assert_eq!(text.parse::<RoomId>().ok(), Some(id));
        assert_eq!(text.to_uppercase().parse::<RoomId>().ok(), Some(id));
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(serde_json::from_str::<RoomId>(&json).ok(), Some(id));
        for other in [
            id.0.simple().to_string(),
            id.0.braced().to_string(),
            id.0.urn().to_string(),
            String::new(),
            format!(" {text}"),
        ] {
            assert!(other.parse::<RoomId>().is_err(), "{other}");
            let json = serde_json::Value::String(other.clone());
            assert!(serde_json::from_value::<RoomId>(json).is_err(), "{other}");
        }
    }
}
