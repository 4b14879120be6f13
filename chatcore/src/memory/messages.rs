//! Messages of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, Seq, UserId};
use crate::model::{Message, NewMessage, PageRequest, Timestamp};
use crate::store::MessageStore;

#[async_trait]
impl MessageStore for MemoryStore {
    async fn append_message(&self, new: NewMessage) -> Result<Message> {
        let mut i = self.inner.lock();
        if let (Some(author), Some(nonce)) = (new.author_id, &new.client_nonce)
            && let Some(existing) = i
                .nonces
                .get(&(new.room_id, author, nonce.clone()))
                .and_then(|id| i.messages.get(id))
        {
            return Ok(existing.clone());
        }
        let room = i
            .rooms
            .get_mut(&new.room_id)
            .ok_or(Error::NotFound("room"))?;
        room.last_seq += 1;
        let seq = room.last_seq;
        let msg = Message {
            id: new.id,
            room_id: new.room_id,
            seq,
            author_id: new.author_id,
            kind: new.kind,
            body: new.body,
            system: new.system,
            attachment: new.attachment,
            reply_to: new.reply_to,
            client_nonce: new.client_nonce,
            created_at: new.created_at,
            edited_at: None,
            deleted_at: None,
            reactions: Vec::new(),
            mentions: new.mentions,
        };
        if let (Some(author), Some(nonce)) = (msg.author_id, &msg.client_nonce) {
            i.nonces
                .insert((msg.room_id, author, nonce.clone()), msg.id);
        }
        i.by_seq.entry(msg.room_id).or_default().insert(seq, msg.id);
        i.messages.insert(msg.id, msg.clone());
        Ok(msg)
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(self.inner.lock().messages.get(&id).cloned())
    }

    async fn find_message_by_nonce(
        &self,
        room: RoomId,
        author: UserId,
        nonce: &str,
    ) -> Result<Option<Message>> {
        let i = self.inner.lock();
        Ok(i.nonces
            .get(&(room, author, nonce.to_owned()))
            .and_then(|id| i.messages.get(id))
            .cloned())
    }

    async fn edit_message(&self, id: MessageId, body: &str, at: Timestamp) -> Result<()> {
        let mut i = self.inner.lock();
        let m = i
            .messages
            .get_mut(&id)
            .filter(|m| m.deleted_at.is_none())
            .ok_or(Error::NotFound("message"))?;
        m.body = body.to_owned();
        m.edited_at = Some(at);
        Ok(())
    }

    async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<()> {
        let mut i = self.inner.lock();
        let m = i.messages.get_mut(&id).ok_or(Error::NotFound("message"))?;
        m.body.clear();
        m.attachment = None;
        m.deleted_at = Some(at);
        i.reactions.remove(&id);
        for pins in i.pins.values_mut() {
            pins.retain(|p| p.message_id != id);
        }
        Ok(())
    }

    async fn list_messages(&self, room: RoomId, page: PageRequest) -> Result<Vec<Message>> {
        let i = self.inner.lock();
        let Some(seqs) = i.by_seq.get(&room) else {
            return Ok(Vec::new());
        };
        let lo = page
            .after
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let hi = page
            .before
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let range = seqs.range((lo, hi));
        let limit = page.limit as usize;
        let ids: Vec<MessageId> = if page.after.is_some() {
            range.take(limit).map(|(_, id)| *id).collect()
        } else {
            let mut v: Vec<MessageId> = range.rev().take(limit).map(|(_, id)| *id).collect();
            v.reverse();
            v
        };
        Ok(ids
            .iter()
            .filter_map(|id| i.messages.get(id).cloned())
            .collect())
    }

    async fn last_seq(&self, room: RoomId) -> Result<Seq> {
        Ok(self.inner.lock().rooms.get(&room).map_or(0, |r| r.last_seq))
    }
}
