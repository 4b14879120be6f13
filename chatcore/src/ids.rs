//! Identifiers: validated newtypes, parsed at the edges.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::error::Error;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

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
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| Error::invalid($what, "not a UUID"))
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
