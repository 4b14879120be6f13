//! Messages of a [`MemoryStore`].

use async_trait::async_trait;

use super::{Inner, MemoryStore};
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, Seq, UserId};
use crate::model::{Message, NewMessage, PageRequest, Timestamp};
use crate::store::MessageStore;

#[async_trait]
impl MessageStore for MemoryStore {
    async fn append_message(&self, new: NewMessage) -> Result<Message> {
        append(&mut self.inner.lock(), new, None)
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
        edit(&mut self.inner.lock(), id, body, at, None)
    }

    async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<()> {
        delete(&mut self.inner.lock(), id, at)
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

/// Append under the store's lock, and queue the `message_created` row of `event`
/// for a new message (not for the first copy of a repeated nonce). The row is made
/// before anything changes: if it cannot be, nothing is stored.
pub(super) fn append(
    i: &mut Inner,
    new: NewMessage,
    event: Option<&crate::store::EventStamp>,
) -> Result<Message> {
    if let (Some(author), Some(nonce)) = (new.author_id, &new.client_nonce)
        && let Some(existing) = i
            .nonces
            .get(&(new.room_id, author, nonce.clone()))
            .and_then(|id| i.messages.get(id))
    {
        return Ok(existing.clone());
    }
    if !i.rooms.contains_key(&new.room_id) {
        return Err(Error::NotFound("room"));
    }
    if let Some(root) = new.thread_root {
        super::threads::check_root(i, new.room_id, root)?;
    }
    let seq = i
        .rooms
        .get(&new.room_id)
        .ok_or(Error::NotFound("room"))?
        .last_seq
        + 1;
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
        thread_root: new.thread_root,
        also_in_room: new.thread_root.is_some() && new.also_in_room,
        thread: None,
        extra: new.extra,
    };
    let row = event
        .map(|e| crate::events::message_created_row(e, &msg))
        .transpose()?;
    if let Some(room) = i.rooms.get_mut(&msg.room_id) {
        room.last_seq = seq;
    }
    if let Some(row) = row {
        super::hooks::push_outbox(i, &[row]);
    }
    if let (Some(author), Some(nonce)) = (msg.author_id, &msg.client_nonce) {
        i.nonces
            .insert((msg.room_id, author, nonce.clone()), msg.id);
    }
    i.by_seq.entry(msg.room_id).or_default().insert(seq, msg.id);
    i.messages.insert(msg.id, msg.clone());
    if let Some(root) = msg.thread_root
        && let Some(r) = i.messages.get_mut(&root)
    {
        r.thread
            .get_or_insert_default()
            .add_reply(msg.author_id, msg.created_at);
    }
    Ok(msg)
}

/// Edit under the store's lock (`mentions` set: replace them too); `NotFound` if
/// missing or deleted.
pub(super) fn edit(
    i: &mut Inner,
    id: MessageId,
    body: &str,
    at: Timestamp,
    mentions: Option<&[UserId]>,
) -> Result<()> {
    let m = i
        .messages
        .get_mut(&id)
        .filter(|m| m.deleted_at.is_none())
        .ok_or(Error::NotFound("message"))?;
    m.body = body.to_owned();
    m.edited_at = Some(at);
    if let Some(mentions) = mentions {
        m.mentions = mentions.to_vec();
    }
    Ok(())
}

/// Delete under the store's lock.
pub(super) fn delete(i: &mut Inner, id: MessageId, at: Timestamp) -> Result<()> {
    let m = i.messages.get_mut(&id).ok_or(Error::NotFound("message"))?;
    let was_reply = m.thread_root.filter(|_| m.deleted_at.is_none());
    m.body.clear();
    m.attachment = None;
    m.extra = None;
    m.deleted_at = Some(at);
    if let Some(root) = was_reply {
        super::threads::recount(i, root);
    }
    i.reactions.remove(&id);
    for pins in i.pins.values_mut() {
        pins.retain(|p| p.message_id != id);
    }
    Ok(())
}
