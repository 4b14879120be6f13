//! Read positions and counts of a [`MemoryStore`].
//!
//! The memory store counts by walking the messages after the position (it is for
//! tests and small embeddings); the SQL stores count with indexes.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, Seq, UserId};
use crate::model::{MessageKind, ReadCounts};
use crate::store::ReadStore;

#[async_trait]
impl ReadStore for MemoryStore {
    async fn read_position(&self, room: RoomId, user: UserId) -> Result<Option<Seq>> {
        let i = self.inner.lock();
        let member = i
            .members
            .get(&room)
            .is_some_and(|ms| ms.contains_key(&user));
        Ok(member.then(|| i.read.get(&(room, user)).copied().unwrap_or(0)))
    }

    async fn advance_read_positions(&self, positions: &[(RoomId, UserId, Seq)]) -> Result<()> {
        let mut i = self.inner.lock();
        for &(room, user, seq) in positions {
            if !i
                .members
                .get(&room)
                .is_some_and(|ms| ms.contains_key(&user))
            {
                continue;
            }
            let at = i.read.entry((room, user)).or_insert(0);
            *at = (*at).max(seq);
        }
        Ok(())
    }

    async fn set_read_position(&self, room: RoomId, user: UserId, seq: Seq) -> Result<bool> {
        let mut i = self.inner.lock();
        if !i
            .members
            .get(&room)
            .is_some_and(|ms| ms.contains_key(&user))
        {
            return Ok(false);
        }
        i.read.insert((room, user), seq);
        Ok(true)
    }

    async fn read_counts(&self, room: RoomId, user: UserId, after: Seq) -> Result<ReadCounts> {
        let i = self.inner.lock();
        let last_seq = i.rooms.get(&room).map_or(0, |r| r.last_seq);
        let mut counts = ReadCounts {
            last_seq,
            ..ReadCounts::default()
        };
        let Some(seqs) = i.by_seq.get(&room) else {
            return Ok(counts);
        };
        let after = after.max(0);
        for id in seqs.range(after.saturating_add(1)..).map(|(_, id)| id) {
            let Some(m) = i.messages.get(id) else {
                continue;
            };
            if m.kind == MessageKind::System || m.deleted_at.is_some() || m.author_id == Some(user)
            {
                continue;
            }
            counts.unread += 1;
            if m.mentions.contains(&user) {
                counts.mentions += 1;
            }
        }
        Ok(counts)
    }

    async fn set_mentions(&self, message: MessageId, mentions: &[UserId]) -> Result<()> {
        let mut i = self.inner.lock();
        let m = i
            .messages
            .get_mut(&message)
            .ok_or(Error::NotFound("message"))?;
        m.mentions = mentions.to_vec();
        Ok(())
    }

    async fn edit_with_mentions(
        &self,
        message: MessageId,
        body: &str,
        at: crate::model::Timestamp,
        mentions: &[UserId],
    ) -> Result<()> {
        super::messages::edit(&mut self.inner.lock(), message, body, at, Some(mentions))
    }

    async fn set_private_receipts(&self, user: UserId, private: bool) -> Result<()> {
        let mut i = self.inner.lock();
        if private {
            i.private_receipts.insert(user);
        } else {
            i.private_receipts.remove(&user);
        }
        Ok(())
    }

    async fn private_receipts(&self, user: UserId) -> Result<bool> {
        Ok(self.inner.lock().private_receipts.contains(&user))
    }

    async fn list_receipts(&self, room: RoomId) -> Result<Vec<(UserId, Seq)>> {
        let i = self.inner.lock();
        let Some(ms) = i.members.get(&room) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<(UserId, Seq)> = ms
            .keys()
            .filter(|u| !i.private_receipts.contains(u))
            .map(|u| (*u, i.read.get(&(room, *u)).copied().unwrap_or(0)))
            .collect();
        out.sort();
        Ok(out)
    }
}
