//! A member's notification setting in a room.

use serde::{Deserialize, Serialize};

/// What a member is notified of in a room (see [`crate::Notifier`]). Unread and
/// mention counts do not depend on it: a muted room still counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    /// Every message (the default in direct rooms and in rooms of at most
    /// [`Limits::notify_all_max_members`](crate::Limits) members).
    All,
    /// Only messages that mention the member (the default in larger rooms). In a
    /// direct room every message is addressed to the member, so it notifies.
    Mentions,
    /// Nothing (muted).
    None,
}

impl NotifyLevel {
    /// Stable string form, as stored and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyLevel::All => "all",
            NotifyLevel::Mentions => "mentions",
            NotifyLevel::None => "none",
        }
    }

    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "all" => NotifyLevel::All,
            "mentions" => NotifyLevel::Mentions,
            "none" => NotifyLevel::None,
            _ => return None,
        })
    }

    /// The level of a member who never chose one, in a room of `kind` with
    /// `members` members, when rooms of at most `all_max` members notify of every
    /// message.
    pub fn default_for(kind: super::RoomKind, members: u64, all_max: u64) -> Self {
        if kind == super::RoomKind::Direct || members <= all_max {
            NotifyLevel::All
        } else {
            NotifyLevel::Mentions
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NotifyLevel;
    use crate::model::RoomKind;

    #[test]
    fn stored_form_round_trips_and_matches_the_wire() {
        for l in [NotifyLevel::All, NotifyLevel::Mentions, NotifyLevel::None] {
            assert_eq!(NotifyLevel::parse(l.as_str()), Some(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap_or_default(),
                format!("\"{}\"", l.as_str())
            );
        }
        assert_eq!(NotifyLevel::parse("loud"), None);
    }

    #[test]
    fn default_depends_on_size_except_in_direct_rooms() {
        let d = NotifyLevel::default_for;
        assert_eq!(d(RoomKind::Public, 50, 50), NotifyLevel::All);
        assert_eq!(d(RoomKind::Private, 51, 50), NotifyLevel::Mentions);
        assert_eq!(d(RoomKind::Direct, 51, 50), NotifyLevel::All);
    }
}
