//! `FilterStore`.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::RoomId;
use crate::store::FilterStore;

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
