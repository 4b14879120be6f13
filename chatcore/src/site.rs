//! Site administration records: who administers the whole site, who is suspended,
//! and the audit log of what site administrators did.
//!
//! Site administrators stand beside the room roles ([`crate::Role`]): they act on
//! accounts and rooms across the site, but they never read a private room's
//! messages (see `docs/SECURITY.md`). The rules are in [`crate::Chat`]'s admin
//! methods; the records here are what [`crate::store::SiteStore`] keeps.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{RoomId, UserId};
use crate::model::Timestamp;
use crate::protocol::UserView;

/// A user's standing on the site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteStatus {
    /// Since when the user is a site administrator (None: not one).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub admin_since: Option<Timestamp>,
    /// Since when the account is suspended (None: not suspended).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub suspended_at: Option<Timestamp>,
}

/// What a site administrator (or the operator, from the command line) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdminAction {
    /// Made a user a site administrator.
    GrantAdmin,
    /// Took site administration from a user.
    RevokeAdmin,
    /// Suspended an account.
    Suspend,
    /// Lifted a suspension.
    Unsuspend,
    /// Deleted a room.
    DeleteRoom,
}

impl AdminAction {
    /// Every action, for parsers and docs.
    pub const ALL: [AdminAction; 5] = [
        AdminAction::GrantAdmin,
        AdminAction::RevokeAdmin,
        AdminAction::Suspend,
        AdminAction::Unsuspend,
        AdminAction::DeleteRoom,
    ];

    /// Stable text form (as stored).
    pub fn as_str(self) -> &'static str {
        match self {
            AdminAction::GrantAdmin => "grant_admin",
            AdminAction::RevokeAdmin => "revoke_admin",
            AdminAction::Suspend => "suspend",
            AdminAction::Unsuspend => "unsuspend",
            AdminAction::DeleteRoom => "delete_room",
        }
    }

    /// The action of a stored text form.
    pub fn parse(s: &str) -> Option<AdminAction> {
        AdminAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One entry of the site audit log. Entries are never changed or removed; they keep
/// their ids after the users and rooms they name are gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Identifier (UUIDv7: ordered by time).
    pub id: Uuid,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub at: Timestamp,
    /// Who (None: the operator, from the command line).
    pub actor: Option<UserId>,
    /// What.
    pub action: AdminAction,
    /// The user acted on.
    pub target_user: Option<UserId>,
    /// The room acted on.
    pub target_room: Option<RoomId>,
    /// A short description for humans (the username or room name at the time).
    pub detail: String,
}

/// A user as a site administrator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUserView {
    /// The public view.
    #[serde(flatten)]
    pub user: UserView,
    /// Site administrator and suspension state.
    #[serde(flatten)]
    pub status: SiteStatus,
}

/// A room as a site administrator sees it: that it exists and who is in it, never
/// its messages or code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminRoomView {
    /// Identifier.
    pub id: RoomId,
    /// Kind.
    pub kind: crate::model::RoomKind,
    /// Name.
    pub name: String,
    /// Number of members.
    pub member_count: u64,
    /// When the room was created.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
}

/// A member of a room as a site administrator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminMemberView {
    /// The member.
    pub user: UserView,
    /// Their role in the room.
    pub role: crate::model::Role,
    /// When they joined.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub joined_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_their_text() {
        for a in AdminAction::ALL {
            assert_eq!(AdminAction::parse(a.as_str()), Some(a));
            let json = serde_json::to_string(&a).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
        assert_eq!(AdminAction::parse("nope"), None);
    }
}
