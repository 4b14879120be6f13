//! Notification settings of members.

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{RoomId, UserId};
use crate::model::NotifyLevel;

/// A member's chosen [`NotifyLevel`] in a room. It lives with the membership: it goes
/// when the membership goes, and a member who joins again starts without one (the
/// service then applies the default, see [`NotifyLevel::default_for`]).
#[async_trait]
pub trait NotifyStore: Send + Sync + 'static {
    /// Record the member's level; false if not a member.
    async fn set_notify_level(
        &self,
        room: RoomId,
        user: UserId,
        level: NotifyLevel,
    ) -> Result<bool>;
    /// The member's chosen level; `None` if they never chose one or are not a member.
    async fn notify_level(&self, room: RoomId, user: UserId) -> Result<Option<NotifyLevel>>;
    /// The chosen levels of a room's members (members who never chose are left out),
    /// ordered by user id.
    async fn notify_levels(&self, room: RoomId) -> Result<Vec<(UserId, NotifyLevel)>>;
}
