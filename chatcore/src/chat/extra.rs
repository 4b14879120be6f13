//! Custom data (`extra`) on messages, rooms and members: the host app's setters and
//! the check of what users give (see `docs/DOMAIN.md`, "Custom data").

use serde_json::Value;

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{Extra, Message, check_extra};
use crate::protocol::ServerEvent;

impl Chat {
    /// An `extra` a user gave (send, edit, room create or update): refused
    /// (`forbidden`) unless [`Limits::client_extra`](super::Limits) allows users to set
    /// it, then checked as the host's ([`check_extra`]). None when not given.
    pub(super) fn user_extra(&self, value: Option<Value>) -> Result<Option<Option<Extra>>> {
        let Some(value) = value else {
            return Ok(None);
        };
        if !self.inner.limits.client_extra {
            return Err(Error::Forbidden(
                "extra is set by the host app on this service",
            ));
        }
        check_extra(Some(value), self.inner.limits.max_extra_bytes).map(Some)
    }

    fn host_extra(&self, value: Option<Value>) -> Result<Option<Extra>> {
        check_extra(value, self.inner.limits.max_extra_bytes)
    }

    /// Host app: replace a message's `extra` (`None`, `null` or `{}` clears it), for
    /// any message that is not deleted or a system message; published as
    /// `message_edited` (with `edited_at` unchanged). Not reachable by users (see
    /// [`Limits::client_extra`](super::Limits)).
    pub async fn set_message_extra(&self, id: MessageId, extra: Option<Value>) -> Result<Message> {
        let extra = self.host_extra(extra)?;
        let _order = self.inner.message_order.lock(id).await;
        let store = &self.inner.store;
        let mut msg = store
            .get_message(id)
            .await?
            .ok_or(Error::NotFound("message"))?;
        if msg.kind == crate::model::MessageKind::System {
            return Err(Error::invalid("message", "system messages carry no extra"));
        }
        if !store.set_message_extra(id, extra.as_ref()).await? {
            return Err(Error::NotFound("message"));
        }
        msg.extra = extra;
        self.publish_room(
            msg.room_id,
            ServerEvent::MessageEdited {
                message: msg.clone(),
            },
        );
        Ok(msg)
    }

    /// Host app: replace a room's `extra` (`None`, `null` or `{}` clears it);
    /// published as `room_updated`.
    pub async fn set_room_extra(&self, room: RoomId, extra: Option<Value>) -> Result<()> {
        let extra = self.host_extra(extra)?;
        let store = &self.inner.store;
        let mut room = store.get_room(room).await?.ok_or(Error::NotFound("room"))?;
        room.extra = extra;
        store.update_room(&room).await?;
        self.access_changed().await;
        let public_view = self.room_view(&room, None, None).await?;
        self.publish_room(room.id, ServerEvent::RoomUpdated { room: public_view });
        Ok(())
    }

    /// Host app: replace a member's `extra` in a room (`None`, `null` or `{}` clears
    /// it); shown in the member views from then on (no live event).
    pub async fn set_member_extra(
        &self,
        room: RoomId,
        user: UserId,
        extra: Option<Value>,
    ) -> Result<()> {
        let extra = self.host_extra(extra)?;
        if !self
            .inner
            .store
            .set_member_extra(room, user, extra.as_ref())
            .await?
        {
            return Err(Error::NotFound("member"));
        }
        self.access_changed().await;
        Ok(())
    }
}
