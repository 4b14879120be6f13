//! `ReadStore`: read positions on `memberships.last_read_seq`, counts by index.

use async_trait::async_trait;
use chatcore::model::ReadCounts;
use chatcore::store::ReadStore;
use chatcore::{Error, MessageId, Result, RoomId, Seq, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::SqlStore;
use crate::convert;
use crate::entity::{memberships, message_mentions, messages, read_settings, rooms};
use crate::error::backend;

/// The room's `last_seq` (0 if absent), inside a transaction.
pub(super) async fn room_last_seq(txn: &DatabaseTransaction, room: Uuid) -> Result<i64> {
    let seq: Option<i64> = rooms::Entity::find_by_id(room)
        .select_only()
        .column(rooms::Column::LastSeq)
        .into_tuple()
        .one(txn)
        .await
        .map_err(backend)?;
    Ok(seq.unwrap_or(0))
}

/// The rows of `message_mentions` for a message.
pub(super) fn mention_rows(
    message: Uuid,
    room: Uuid,
    seq: i64,
    users: &[UserId],
) -> Vec<message_mentions::ActiveModel> {
    let mut seen = std::collections::HashSet::new();
    users
        .iter()
        .filter(|u| seen.insert(**u))
        .map(|u| message_mentions::ActiveModel {
            message_id: Set(message),
            user_id: Set(u.0),
            room_id: Set(room),
            seq: Set(seq),
        })
        .collect()
}

/// One statement, four indexed look-ups: the room's last seq (primary key), the
/// user's own messages after the position (`ix_messages_room_id_author_id_seq`),
/// the system and deleted ones of others (`ix_messages_uncounted`, whose predicate
/// is repeated literally) and the not deleted mentions
/// (`ix_message_mentions_user_id_room_id_seq`).
const COUNTS_SQL: &str = "SELECT \
    (SELECT last_seq FROM rooms WHERE id = $1) AS last_seq, \
    (SELECT history_start_seq FROM rooms WHERE id = $1) AS history_start, \
    (SELECT COUNT(*) FROM messages WHERE room_id = $1 AND author_id = $2 AND seq > $3) AS own, \
    (SELECT COUNT(*) FROM messages WHERE room_id = $1 AND seq > $3 \
        AND (kind = 'system' OR deleted_at IS NOT NULL) \
        AND (author_id IS NULL OR author_id <> $2)) AS uncounted, \
    (SELECT COUNT(*) FROM message_mentions mm JOIN messages m ON m.id = mm.message_id \
        WHERE mm.user_id = $2 AND mm.room_id = $1 AND mm.seq > $3 \
        AND m.deleted_at IS NULL) AS mentions";

#[async_trait]
impl ReadStore for SqlStore {
    async fn read_position(&self, room: RoomId, user: UserId) -> Result<Option<Seq>> {
        memberships::Entity::find_by_id((room.0, user.0))
            .select_only()
            .column(memberships::Column::LastReadSeq)
            .into_tuple()
            .one(self.read())
            .await
            .map_err(backend)
    }

    async fn advance_read_positions(&self, positions: &[(RoomId, UserId, Seq)]) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let positions = positions.to_vec();
        self.write_txn(async move |txn| {
            for (room, user, seq) in positions {
                // Compare and set in one statement: concurrent writers end at the
                // greatest value, whatever their order.
                memberships::Entity::update_many()
                    .col_expr(memberships::Column::LastReadSeq, Expr::value(seq))
                    .filter(memberships::Column::RoomId.eq(room.0))
                    .filter(memberships::Column::UserId.eq(user.0))
                    .filter(memberships::Column::LastReadSeq.lt(seq))
                    .exec(txn)
                    .await
                    .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn set_read_position(&self, room: RoomId, user: UserId, seq: Seq) -> Result<bool> {
        let res = memberships::Entity::update_many()
            .col_expr(memberships::Column::LastReadSeq, Expr::value(seq))
            .filter(memberships::Column::RoomId.eq(room.0))
            .filter(memberships::Column::UserId.eq(user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn read_counts(&self, room: RoomId, user: UserId, after: Seq) -> Result<ReadCounts> {
        let backend_kind = self.backend();
        let sql = match backend_kind {
            DbBackend::Sqlite => COUNTS_SQL.replace('$', "?"),
            _ => COUNTS_SQL.to_owned(),
        };
        let row = self
            .read()
            .query_one_raw(Statement::from_sql_and_values(
                backend_kind,
                sql,
                [room.0.into(), user.0.into(), after.into()],
            ))
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(ReadCounts::default());
        };
        let get = |col: &str| -> Result<i64> {
            row.try_get::<Option<i64>>("", col)
                .map(Option::unwrap_or_default)
                .map_err(backend)
        };
        let last_seq = get("last_seq")?;
        let own = get("own")?;
        let uncounted = get("uncounted")?;
        let mentions = get("mentions")?;
        // Messages deleted by retention are not unread.
        let after = after.max(get("history_start")? - 1);
        let span = (last_seq - after.clamp(0, last_seq)).max(0);
        Ok(ReadCounts {
            last_seq,
            unread: u64::try_from(span - own - uncounted).unwrap_or(0),
            mentions: u64::try_from(mentions).unwrap_or(0),
        })
    }

    async fn set_mentions(&self, message: MessageId, mentions: &[UserId]) -> Result<()> {
        let mentions = mentions.to_vec();
        self.write_txn(async move |txn| {
            let found: Option<(Uuid, i64)> = messages::Entity::find_by_id(message.0)
                .select_only()
                .column(messages::Column::RoomId)
                .column(messages::Column::Seq)
                .into_tuple()
                .one(txn)
                .await
                .map_err(backend)?;
            let (room, seq) = found.ok_or(Error::NotFound("message"))?;
            let json = if mentions.is_empty() {
                None
            } else {
                Some(convert::json(&mentions)?)
            };
            messages::Entity::update_many()
                .col_expr(messages::Column::Mentions, Expr::value(json))
                .filter(messages::Column::Id.eq(message.0))
                .exec(txn)
                .await
                .map_err(backend)?;
            message_mentions::Entity::delete_many()
                .filter(message_mentions::Column::MessageId.eq(message.0))
                .exec(txn)
                .await
                .map_err(backend)?;
            let rows = mention_rows(message.0, room, seq, &mentions);
            if !rows.is_empty() {
                message_mentions::Entity::insert_many(rows)
                    .exec_without_returning(txn)
                    .await
                    .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn edit_with_mentions(
        &self,
        message: MessageId,
        body: &str,
        at: chatcore::model::Timestamp,
        mentions: &[UserId],
    ) -> Result<()> {
        let mentions = mentions.to_vec();
        let body = body.to_owned();
        let at = crate::convert::ts(at)?;
        self.write_txn(async move |txn| edit_in(txn, message, body, at, &mentions).await)
            .await
    }

    async fn set_private_receipts(&self, user: UserId, private: bool) -> Result<()> {
        use sea_orm::sea_query::OnConflict;
        read_settings::Entity::insert(read_settings::ActiveModel {
            user_id: Set(user.0),
            private_receipts: Set(private),
        })
        .on_conflict(
            OnConflict::column(read_settings::Column::UserId)
                .update_column(read_settings::Column::PrivateReceipts)
                .to_owned(),
        )
        .exec_without_returning(self.write())
        .await
        .map_err(|e| crate::error::write_err(e, "user"))?;
        Ok(())
    }

    async fn private_receipts(&self, user: UserId) -> Result<bool> {
        let row = read_settings::Entity::find_by_id(user.0)
            .one(self.read())
            .await
            .map_err(backend)?;
        Ok(row.is_some_and(|r| r.private_receipts))
    }

    async fn list_receipts(&self, room: RoomId) -> Result<Vec<(UserId, Seq)>> {
        let rows: Vec<(Uuid, i64)> = memberships::Entity::find()
            .select_only()
            .column(memberships::Column::UserId)
            .column(memberships::Column::LastReadSeq)
            .filter(memberships::Column::RoomId.eq(room.0))
            .into_tuple()
            .all(self.read())
            .await
            .map_err(backend)?;
        let mut private = std::collections::HashSet::new();
        let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
        for chunk in ids.chunks(super::IN_CHUNK) {
            let found: Vec<Uuid> = read_settings::Entity::find()
                .select_only()
                .column(read_settings::Column::UserId)
                .filter(read_settings::Column::UserId.is_in(chunk.iter().copied()))
                .filter(read_settings::Column::PrivateReceipts.eq(true))
                .into_tuple()
                .all(self.read())
                .await
                .map_err(backend)?;
            private.extend(found);
        }
        let mut out: Vec<(UserId, Seq)> = rows
            .into_iter()
            .filter(|(u, _)| !private.contains(u))
            .map(|(u, s)| (UserId(u), s))
            .collect();
        out.sort();
        Ok(out)
    }
}

/// [`ReadStore::edit_with_mentions`] inside `txn` (`at` in stored form).
pub(super) async fn edit_in(
    txn: &DatabaseTransaction,
    message: MessageId,
    body: String,
    at: i64,
    mentions: &[UserId],
) -> Result<()> {
    let found: Option<(Uuid, i64)> = messages::Entity::find_by_id(message.0)
        .select_only()
        .column(messages::Column::RoomId)
        .column(messages::Column::Seq)
        .into_tuple()
        .one(txn)
        .await
        .map_err(backend)?;
    let (room, seq) = found.ok_or(Error::NotFound("message"))?;
    let json = if mentions.is_empty() {
        None
    } else {
        Some(convert::json(&mentions)?)
    };
    // `deleted_at IS NULL` in the same statement: an edit racing a delete
    // either lands first (and the delete erases it) or changes nothing.
    let res = messages::Entity::update_many()
        .col_expr(messages::Column::Body, Expr::value(body))
        .col_expr(messages::Column::EditedAt, Expr::value(at))
        .col_expr(messages::Column::Mentions, Expr::value(json))
        .filter(messages::Column::Id.eq(message.0))
        .filter(messages::Column::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(backend)?;
    if res.rows_affected == 0 {
        return Err(Error::NotFound("message"));
    }
    message_mentions::Entity::delete_many()
        .filter(message_mentions::Column::MessageId.eq(message.0))
        .exec(txn)
        .await
        .map_err(backend)?;
    let rows = mention_rows(message.0, room, seq, mentions);
    if !rows.is_empty() {
        message_mentions::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .map_err(backend)?;
    }
    Ok(())
}
