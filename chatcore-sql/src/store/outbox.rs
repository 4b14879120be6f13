//! `OutboxStore`.

use async_trait::async_trait;
use chatcore::model::Timestamp;
use chatcore::store::{OutboxEntry, OutboxRow, OutboxStore};
use chatcore::{Error, Result, RoomId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::SqlStore;
use crate::convert::{from_ts, ts};
use crate::entity::outbox;
use crate::error::backend;

fn entry(m: outbox::Model) -> OutboxEntry {
    OutboxEntry {
        id: m.id,
        position: m.position,
        room: RoomId(m.room_id),
        payload: m.payload,
        created_at: from_ts(m.created_at),
        attempts: u32::try_from(m.attempts).unwrap_or(u32::MAX),
        next_attempt_at: from_ts(m.next_attempt_at),
        delivered_at: m.delivered_at.map(from_ts),
        given_up_at: m.given_up_at.map(from_ts),
        last_error: m.last_error,
    }
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn enqueue_events(&self, events: &[(Uuid, RoomId, String, Timestamp)]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let rows = db_rows(events)?;
        self.write_txn(async move |txn| insert_rows(txn, rows).await.map_err(backend))
            .await
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::DeliveredAt.is_null())
            .filter(outbox::Column::GivenUpAt.is_null())
            .order_by_asc(outbox::Column::Position)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(entry).collect())
    }

    async fn mark_delivered(&self, id: Uuid, at: Timestamp) -> Result<()> {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::DeliveredAt, Expr::value(ts(at)?))
            .filter(outbox::Column::Id.eq(id))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("event"));
        }
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
        let next = ts(next_attempt_at)?;
        let mut q = outbox::Entity::update_many()
            .col_expr(outbox::Column::Attempts, Expr::value(i64::from(attempts)))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(next))
            .col_expr(outbox::Column::LastError, Expr::value(error.to_owned()));
        if give_up {
            q = q.col_expr(outbox::Column::GivenUpAt, Expr::value(next));
        }
        let res = q
            .filter(outbox::Column::Id.eq(id))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("event"));
        }
        Ok(())
    }

    async fn given_up_events(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::GivenUpAt.is_not_null())
            .order_by_desc(outbox::Column::Position)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(entry).collect())
    }

    async fn delete_delivered_events(&self, before: Timestamp, limit: u32) -> Result<u64> {
        if limit == 0 {
            return Ok(0);
        }
        let before = ts(before)?;
        // One bounded batch: the ids first (oldest first), then those rows.
        let ids: Vec<Uuid> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::DeliveredAt.lt(before))
            .filter(outbox::Column::GivenUpAt.is_null())
            .order_by_asc(outbox::Column::Position)
            .limit(u64::from(limit))
            .into_tuple()
            .all(self.write())
            .await
            .map_err(backend)?;
        if ids.is_empty() {
            return Ok(0);
        }
        let res = outbox::Entity::delete_many()
            .filter(outbox::Column::Id.is_in(ids))
            .filter(outbox::Column::DeliveredAt.is_not_null())
            .filter(outbox::Column::GivenUpAt.is_null())
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected)
    }
}

/// Outbox rows as stored: `(id, room, payload, created_at)`.
pub(crate) type DbRow = (Uuid, Uuid, String, i64);

/// The rows in their stored form.
pub(crate) fn db_rows(events: &[OutboxRow]) -> Result<Vec<DbRow>> {
    events
        .iter()
        .map(|(id, room, payload, at)| Ok((*id, room.0, payload.clone(), ts(*at)?)))
        .collect()
}

/// Insert outbox rows in `txn`, each at the next position (a repeated id is
/// ignored). Positions are handed out under the table's write lock (SQLite: the
/// transaction's; PostgreSQL: an explicit lock, held to the commit), so they
/// increase in commit order.
pub(crate) async fn insert_rows(
    txn: &DatabaseTransaction,
    rows: Vec<DbRow>,
) -> std::result::Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "LOCK TABLE outbox IN EXCLUSIVE MODE",
        ))
        .await?;
    }
    let max: Option<Option<i64>> = outbox::Entity::find()
        .select_only()
        .column_as(outbox::Column::Position.max(), "max")
        .into_tuple()
        .one(txn)
        .await?;
    let mut next = max.flatten().unwrap_or(0);
    for (id, room, payload, at) in rows {
        next += 1;
        outbox::Entity::insert(outbox::ActiveModel {
            id: Set(id),
            position: Set(next),
            room_id: Set(room),
            payload: Set(payload),
            created_at: Set(at),
            attempts: Set(0),
            next_attempt_at: Set(at),
            delivered_at: Set(None),
            given_up_at: Set(None),
            last_error: Set(None),
        })
        .on_conflict(
            OnConflict::column(outbox::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}
