//! Retention of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::{FileId, RoomId};
use crate::model::{Room, Timestamp};
use crate::store::{Purged, RetentionStore};

#[async_trait]
impl RetentionStore for MemoryStore {
    async fn set_retention(&self, room: RoomId, days: Option<u32>) -> Result<()> {
        let mut i = self.inner.lock();
        let r = i.rooms.get_mut(&room).ok_or(Error::NotFound("room"))?;
        r.retention_days = days;
        Ok(())
    }

    async fn list_retention_rooms(&self, after: Option<RoomId>, limit: u32) -> Result<Vec<Room>> {
        let i = self.inner.lock();
        let mut rooms: Vec<Room> = i
            .rooms
            .values()
            .filter(|r| r.retention_days.is_some() && after.is_none_or(|a| r.id > a))
            .cloned()
            .collect();
        rooms.sort_by_key(|r| r.id);
        rooms.truncate(limit as usize);
        Ok(rooms)
    }

    async fn purge_messages(&self, room: RoomId, before: Timestamp, limit: u32) -> Result<Purged> {
        let mut i = self.inner.lock();
        let start = i
            .rooms
            .get(&room)
            .map(|r| r.history_start_seq)
            .ok_or(Error::NotFound("room"))?;
        let mut doomed = Vec::new();
        if let Some(seqs) = i.by_seq.get(&room) {
            for (seq, id) in seqs.iter().take(limit as usize) {
                match i.messages.get(id) {
                    Some(m) if m.created_at < before => doomed.push((*seq, *id)),
                    _ => break,
                }
            }
        }
        let mut out = Purged {
            history_start_seq: start,
            ..Purged::default()
        };
        for (seq, id) in &doomed {
            if let Some(seqs) = i.by_seq.get_mut(&room) {
                seqs.remove(seq);
            }
            if let Some(m) = i.messages.remove(id) {
                if let (Some(author), Some(nonce)) = (m.author_id, m.client_nonce.clone()) {
                    i.nonces.remove(&(room, author, nonce));
                }
                if let Some(f) = m
                    .attachment
                    .as_ref()
                    .and_then(|a| a.blob_id.parse::<FileId>().ok())
                {
                    out.files.push(f);
                }
            }
            i.reactions.remove(id);
            out.deleted += 1;
        }
        if let Some((last, _)) = doomed.last() {
            let ids: std::collections::HashSet<_> = doomed.iter().map(|(_, id)| *id).collect();
            if let Some(pins) = i.pins.get_mut(&room) {
                pins.retain(|p| !ids.contains(&p.message_id));
            }
            if let Some(r) = i.rooms.get_mut(&room) {
                r.history_start_seq = r.history_start_seq.max(last + 1);
                out.history_start_seq = r.history_start_seq;
            }
        }
        Ok(out)
    }
}
