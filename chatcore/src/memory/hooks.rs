//! `FilterStore` and `OutboxStore`.

use async_trait::async_trait;

use super::{Inner, MemoryStore};
use crate::error::{Error, Result};
use uuid::Uuid;

use crate::ids::RoomId;
use crate::model::Timestamp;
use crate::store::{FilterStore, OutboxEntry, OutboxRow, OutboxStore};

#[async_trait]
impl FilterStore for MemoryStore {
    async fn room_blocklist(&self, room: RoomId) -> Result<Vec<String>> {
        Ok(self
            .inner
            .lock()
            .blocklists
            .get(&room)
            .cloned()
            .unwrap_or_default())
    }

    async fn set_room_blocklist(&self, room: RoomId, entries: &[String]) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&room) {
            return Err(Error::NotFound("room"));
        }
        if entries.is_empty() {
            i.blocklists.remove(&room);
        } else {
            i.blocklists.insert(room, entries.to_vec());
        }
        Ok(())
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn enqueue_events(&self, events: &[(Uuid, RoomId, String, Timestamp)]) -> Result<()> {
        push_outbox(&mut self.inner.lock(), events);
        Ok(())
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let i = self.inner.lock();
        Ok(i.outbox
            .iter()
            .filter(|e| e.delivered_at.is_none() && e.given_up_at.is_none())
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn mark_delivered(&self, id: Uuid, at: Timestamp) -> Result<()> {
        let mut i = self.inner.lock();
        let e = i
            .outbox
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or(Error::NotFound("event"))?;
        e.delivered_at = Some(at);
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: Uuid,
        attempts: u32,
        next_attempt_at: Timestamp,
        error: &str,
        give_up: bool,
    ) -> Result<()> {
        let mut i = self.inner.lock();
        let e = i
            .outbox
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or(Error::NotFound("event"))?;
        e.attempts = attempts;
        e.next_attempt_at = next_attempt_at;
        e.last_error = Some(error.to_owned());
        if give_up {
            e.given_up_at = Some(next_attempt_at);
        }
        Ok(())
    }

    async fn given_up_events(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let i = self.inner.lock();
        Ok(i.outbox
            .iter()
            .rev()
            .filter(|e| e.given_up_at.is_some())
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn delete_delivered_events(&self, before: Timestamp, limit: u32) -> Result<u64> {
        let mut i = self.inner.lock();
        let mut left = limit;
        i.outbox.retain(|e| {
            let old = e.given_up_at.is_none() && e.delivered_at.is_some_and(|d| d < before);
            if old && left > 0 {
                left -= 1;
                false
            } else {
                true
            }
        });
        Ok(u64::from(limit - left))
    }
}

/// Queue outbox rows under the store's lock (a repeated id is ignored).
pub(super) fn push_outbox(i: &mut Inner, events: &[OutboxRow]) {
    for (id, room, payload, at) in events {
        if i.outbox.iter().any(|e| e.id == *id) {
            continue;
        }
        let position = i.outbox.last().map_or(1, |e| e.position + 1);
        i.outbox.push(OutboxEntry {
            id: *id,
            position,
            room: *room,
            payload: payload.clone(),
            created_at: *at,
            attempts: 0,
            next_attempt_at: *at,
            delivered_at: None,
            given_up_at: None,
            last_error: None,
        });
    }
}
