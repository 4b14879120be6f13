//! `FilterStore`.

use async_trait::async_trait;
use chatcore::store::FilterStore;
use chatcore::{Error, Result, RoomId};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use sea_orm::sea_query::OnConflict;

use super::SqlStore;
use crate::entity::room_blocklists;
use crate::error::backend;

#[async_trait]
impl FilterStore for SqlStore {
    async fn room_blocklist(&self, room: RoomId) -> Result<Vec<String>> {
        let row = room_blocklists::Entity::find_by_id(room.0)
            .one(self.read())
            .await
            .map_err(backend)?;
        match row {
            None => Ok(Vec::new()),
            Some(r) => serde_json::from_str(&r.entries).map_err(Error::backend),
        }
    }

    async fn set_room_blocklist(&self, room: RoomId, entries: &[String]) -> Result<()> {
        let json = serde_json::to_string(entries).map_err(Error::backend)?;
        let id = room.0;
        let empty = entries.is_empty();
        self.write_txn(async move |txn| {
            // Under the room's lock, so a room deleted meanwhile is not found.
            if !super::rooms::lock_room(txn, id).await? {
                return Err(Error::NotFound("room"));
            }
            if empty {
                room_blocklists::Entity::delete_by_id(id)
                    .exec(txn)
                    .await
                    .map_err(backend)?;
                return Ok(());
            }
            room_blocklists::Entity::insert(room_blocklists::ActiveModel {
                room_id: Set(id),
                entries: Set(json),
            })
            .on_conflict(
                OnConflict::column(room_blocklists::Column::RoomId)
                    .update_column(room_blocklists::Column::Entries)
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
