//! Custom data in the storage contract (see [`crate::model::Extra`]).
//!
//! The rest of the contract lives with the records: [`NewMessage::extra`](crate::model::NewMessage),
//! [`Room::extra`](crate::model::Room) (written by `create_room` and `update_room`)
//! and [`Membership::extra`](crate::model::Membership) (written by `create_room` and
//! `add_member`) are stored as given and read back with the record; deleting a
//! message and erasing an account clear the messages' `extra` with their content.

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::Extra;

/// Setting the custom data of a stored message or membership.
#[async_trait]
pub trait ExtraStore: Send + Sync + 'static {
    /// Replace a message's `extra` (None clears it). False, changing nothing, when
    /// the message does not exist or is deleted (checked in the same statement, so a
    /// racing delete always leaves the tombstone empty).
    async fn set_message_extra(&self, id: MessageId, extra: Option<&Extra>) -> Result<bool>;

    /// Replace a member's `extra` in a room (None clears it). False when the user is
    /// not a member.
    async fn set_member_extra(
        &self,
        room: RoomId,
        user: UserId,
        extra: Option<&Extra>,
    ) -> Result<bool>;
}
