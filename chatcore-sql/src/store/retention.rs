//! `RetentionStore`.

use async_trait::async_trait;
use chatcore::model::{Attachment, Room, Timestamp};
use chatcore::store::{Purged, RetentionStore};
use chatcore::{Error, FileId, Result, RoomId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::SqlStore;
use crate::convert::ts;
use crate::entity::{messages, rooms};
use crate::error::backend;

#[async_trait]
impl RetentionStore for SqlStore {
    async fn set_retention(&self, room: RoomId, days: Option<u32>) -> Result<()> {
        let res = rooms::Entity::update_many()
            .col_expr(
                rooms::Column::RetentionDays,
                Expr::value(days.map(i64::from)),
            )
            .filter(rooms::Column::Id.eq(room.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("room"));
        }
        Ok(())
    }

    async fn list_retention_rooms(&self, after: Option<RoomId>, limit: u32) -> Result<Vec<Room>> {
        let mut q = rooms::Entity::find().filter(rooms::Column::RetentionDays.is_not_null());
        if let Some(a) = after {
            q = q.filter(rooms::Column::Id.gt(a.0));
        }
        q.order_by_asc(rooms::Column::Id)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(crate::convert::room)
            .collect()
    }

    async fn purge_messages(&self, room: RoomId, before: Timestamp, limit: u32) -> Result<Purged> {
        let before = ts(before)?;
        self.write_txn(async move |txn| {
            let start: Option<i64> = rooms::Entity::find_by_id(room.0)
                .select_only()
                .column(rooms::Column::HistoryStartSeq)
                .into_tuple()
                .one(txn)
                .await
                .map_err(backend)?;
            let Some(start) = start else {
                return Err(Error::NotFound("room"));
            };
            // The oldest messages, through the `(room_id, seq)` index.
            let rows: Vec<(i64, i64, Option<String>)> = messages::Entity::find()
                .select_only()
                .column(messages::Column::Seq)
                .column(messages::Column::CreatedAt)
                .column(messages::Column::Attachment)
                .filter(messages::Column::RoomId.eq(room.0))
                .order_by_asc(messages::Column::Seq)
                .limit(u64::from(limit))
                .into_tuple()
                .all(txn)
                .await
                .map_err(backend)?;
            let mut out = Purged {
                history_start_seq: start,
                ..Purged::default()
            };
            let mut last = None;
            for (seq, created_at, attachment) in rows {
                if created_at >= before {
                    break;
                }
                last = Some(seq);
                out.deleted += 1;
                // An unreadable attachment must not stop retention: its file then
                // stays (and is logged).
                match attachment.map(|a| serde_json::from_str::<Attachment>(&a)) {
                    Some(Ok(a)) => out.files.extend(a.blob_id.parse::<FileId>().ok()),
                    Some(Err(e)) => {
                        tracing::warn!(room = %room, seq, error = %e, "unreadable attachment");
                    }
                    None => {}
                }
            }
            let Some(last) = last else {
                return Ok(out);
            };
            // Reactions, mentions and pins go with them (ON DELETE CASCADE).
            messages::Entity::delete_many()
                .filter(messages::Column::RoomId.eq(room.0))
                .filter(messages::Column::Seq.lte(last))
                .exec(txn)
                .await
                .map_err(backend)?;
            rooms::Entity::update_many()
                .col_expr(rooms::Column::HistoryStartSeq, Expr::value(last + 1))
                .filter(rooms::Column::Id.eq(room.0))
                .filter(rooms::Column::HistoryStartSeq.lt(last + 1))
                .exec(txn)
                .await
                .map_err(backend)?;
            out.history_start_seq = start.max(last + 1);
            Ok(out)
        })
        .await
    }
}
