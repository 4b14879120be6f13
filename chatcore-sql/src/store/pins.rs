//! `PinStore`.

use async_trait::async_trait;
use chatcore::model::Pin;
use chatcore::store::PinStore;
use chatcore::{Error, MessageId, Result, RoomId, UserId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::SqlStore;
use crate::convert::{from_ts, ts};
use crate::entity::{messages, pins, rooms};
use crate::error::backend;

#[async_trait]
impl PinStore for SqlStore {
    async fn pin(&self, pin: Pin, max: usize) -> Result<bool> {
        let row = pins::ActiveModel {
            message_id: Set(pin.message_id.0),
            room_id: Set(pin.room_id.0),
            pinned_by: Set(pin.pinned_by.map(|u| u.0)),
            pinned_at: Set(ts(pin.pinned_at)?),
        };
        let (room, message) = (pin.room_id.0, pin.message_id.0);
        self.write_txn(async move |txn| {
            // The room row lock (PostgreSQL `FOR UPDATE`; SQLite holds the write lock
            // already) serializes the pins of one room: the count stays true until
            // commit.
            let locked: Option<Uuid> = rooms::Entity::find_by_id(room)
                .select_only()
                .column(rooms::Column::Id)
                .lock_exclusive()
                .into_tuple()
                .one(txn)
                .await
                .map_err(backend)?;
            if locked.is_none() {
                return Err(Error::NotFound("message"));
            }
            let msg: Option<(Uuid, Option<i64>)> = messages::Entity::find_by_id(message)
                .select_only()
                .column(messages::Column::RoomId)
                .column(messages::Column::DeletedAt)
                .into_tuple()
                .one(txn)
                .await
                .map_err(backend)?;
            if !matches!(msg, Some((r, None)) if r == room) {
                return Err(Error::NotFound("message"));
            }
            if pins::Entity::find_by_id(message)
                .one(txn)
                .await
                .map_err(backend)?
                .is_some()
            {
                return Ok(false);
            }
            let count = pins::Entity::find()
                .filter(pins::Column::RoomId.eq(room))
                .count(txn)
                .await
                .map_err(backend)?;
            if count >= max as u64 {
                return Err(Error::TooLarge {
                    field: "pins",
                    limit: max,
                });
            }
            pins::Entity::insert(row).exec(txn).await.map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn unpin(&self, room: RoomId, message: MessageId) -> Result<bool> {
        let res = pins::Entity::delete_many()
            .filter(pins::Column::MessageId.eq(message.0))
            .filter(pins::Column::RoomId.eq(room.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn list_pins(&self, room: RoomId) -> Result<Vec<Pin>> {
        let rows = pins::Entity::find()
            .filter(pins::Column::RoomId.eq(room.0))
            .order_by_desc(pins::Column::PinnedAt)
            .order_by_desc(pins::Column::MessageId)
            .all(self.read())
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|p| Pin {
                room_id: RoomId(p.room_id),
                message_id: MessageId(p.message_id),
                pinned_by: p.pinned_by.map(UserId),
                pinned_at: from_ts(p.pinned_at),
            })
            .collect())
    }
}
