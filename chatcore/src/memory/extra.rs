//! Custom data of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::Result;
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::Extra;
use crate::store::ExtraStore;

#[async_trait]
impl ExtraStore for MemoryStore {
    async fn set_message_extra(&self, id: MessageId, extra: Option<&Extra>) -> Result<bool> {
        let mut i = self.inner.lock();
        match i.messages.get_mut(&id) {
            Some(m) if m.deleted_at.is_none() => {
                m.extra = extra.cloned();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn set_member_extra(
        &self,
        room: RoomId,
        user: UserId,
        extra: Option<&Extra>,
    ) -> Result<bool> {
        let mut i = self.inner.lock();
        match i.members.get_mut(&room).and_then(|m| m.get_mut(&user)) {
            Some(m) => {
                m.extra = extra.cloned();
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
