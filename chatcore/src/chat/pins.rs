//! Pinned messages.
//!
//! Moderators and up pin and unpin the messages of their room, at most
//! [`Limits::max_pins_per_room`](super::Limits) (checked atomically by the store).
//! Each change posts a system message (`pinned` / `unpinned`) and publishes
//! `message_pinned` / `message_unpinned`; members read the list with [`Chat::pins`].
//! Direct rooms have no pins (no moderation there); deleting a message unpins it.

use serde::{Deserialize, Serialize};

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::ModAction;
use crate::model::{Message, MessageKind, Pin, RoomKind, SystemEvent, Timestamp};
use crate::perm::Action;
use crate::protocol::ServerEvent;

/// A pinned message as members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinView {
    /// The message (with the viewer's reaction summary).
    pub message: Message,
    /// Who pinned it (None once that account is gone).
    pub pinned_by: Option<UserId>,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub pinned_at: Timestamp,
}

impl Chat {
    /// Pin a message (moderators and up; not in direct rooms). Pinning it again
    /// changes nothing.
    pub async fn pin_message(&self, actor: UserId, message: MessageId) -> Result<()> {
        self.set_pinned(actor, message, true).await
    }

    /// Unpin a message (moderators and up). Nothing if it was not pinned.
    pub async fn unpin_message(&self, actor: UserId, message: MessageId) -> Result<()> {
        self.set_pinned(actor, message, false).await
    }

    async fn set_pinned(&self, actor: UserId, id: MessageId, on: bool) -> Result<()> {
        let (msg, role) = self.member_message(actor, id).await?;
        let room = self
            .inner
            .store
            .get_room(msg.room_id)
            .await?
            .ok_or(Error::NotFound("room"))?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms have no pins"));
        }
        self.require(role, Action::Pin)?;
        if on && (msg.deleted_at.is_some() || msg.kind == MessageKind::System) {
            return Err(Error::NotFound("message"));
        }
        let store = &self.inner.store;
        let now = self.now();
        let changed = if on {
            let pin = Pin {
                room_id: room.id,
                message_id: id,
                pinned_by: Some(actor),
                pinned_at: now,
            };
            store.pin(pin, self.inner.limits.max_pins_per_room).await?
        } else {
            store.unpin(room.id, id).await?
        };
        if !changed {
            return Ok(());
        }
        let action = if on { ModAction::Pin } else { ModAction::Unpin };
        self.mod_log(room.id, actor, action)
            .message(id)
            .write()
            .await?;
        let (event, system) = if on {
            (
                ServerEvent::MessagePinned {
                    room: room.id,
                    message_id: id,
                    by: actor,
                    pinned_at: now,
                },
                SystemEvent::Pinned {
                    message: id,
                    by: actor,
                },
            )
        } else {
            (
                ServerEvent::MessageUnpinned {
                    room: room.id,
                    message_id: id,
                    by: actor,
                },
                SystemEvent::Unpinned {
                    message: id,
                    by: actor,
                },
            )
        };
        self.publish_room(room.id, event);
        self.post_system(room.id, system).await?;
        Ok(())
    }

    /// The pinned messages of a room, newest pin first (members only).
    pub async fn pins(&self, actor: UserId, room: RoomId) -> Result<Vec<PinView>> {
        let (room, _) = self.require_member(actor, room).await?;
        let store = &self.inner.store;
        let pins = store.list_pins(room.id).await?;
        let mut messages = Vec::with_capacity(pins.len());
        for p in &pins {
            match store.get_message(p.message_id).await? {
                Some(m) if m.deleted_at.is_none() => messages.push(m),
                _ => {}
            }
        }
        self.with_reactions(actor, &mut messages).await?;
        Ok(pins
            .into_iter()
            .filter_map(|p| {
                let i = messages.iter().position(|m| m.id == p.message_id)?;
                Some(PinView {
                    message: messages.swap_remove(i),
                    pinned_by: p.pinned_by,
                    pinned_at: p.pinned_at,
                })
            })
            .collect())
    }
}
