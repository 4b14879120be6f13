//! Pins of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId};
use crate::model::Pin;
use crate::store::PinStore;

#[async_trait]
impl PinStore for MemoryStore {
    async fn pin(&self, pin: Pin, max: usize) -> Result<bool> {
        let mut i = self.inner.lock();
        if i.messages
            .get(&pin.message_id)
            .is_none_or(|m| m.room_id != pin.room_id || m.deleted_at.is_some())
        {
            return Err(Error::NotFound("message"));
        }
        let pins = i.pins.entry(pin.room_id).or_default();
        if pins.iter().any(|p| p.message_id == pin.message_id) {
            return Ok(false);
        }
        if pins.len() >= max {
            return Err(Error::TooLarge {
                field: "pins",
                limit: max,
            });
        }
        pins.push(pin);
        Ok(true)
    }

    async fn unpin(&self, room: RoomId, message: MessageId) -> Result<bool> {
        let mut i = self.inner.lock();
        let Some(pins) = i.pins.get_mut(&room) else {
            return Ok(false);
        };
        let before = pins.len();
        pins.retain(|p| p.message_id != message);
        Ok(pins.len() < before)
    }

    async fn list_pins(&self, room: RoomId) -> Result<Vec<Pin>> {
        let i = self.inner.lock();
        let mut pins = i.pins.get(&room).cloned().unwrap_or_default();
        pins.reverse();
        Ok(pins)
    }
}
