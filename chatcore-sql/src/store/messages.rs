//! `MessageStore`.

use async_trait::async_trait;
use chatcore::model::{Message, NewMessage, PageRequest, Timestamp};
use chatcore::store::MessageStore;
use chatcore::{Error, MessageId, Result, RoomId, Seq, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::oneshot;

use super::SqlStore;
use super::append::Job;
use crate::convert::{self, ts};
use crate::entity::{messages, pins, reactions, rooms};
use crate::error::{SqlStoreError, backend};

#[async_trait]
impl MessageStore for SqlStore {
    async fn append_message(&self, new: NewMessage) -> Result<Message> {
        let (reply, answer) = oneshot::channel();
        self.appender(new.room_id)
            .send(Job { new, reply })
            .await
            .map_err(|_| SqlStoreError::WriterStopped)?;
        answer.await.map_err(|_| SqlStoreError::WriterStopped)?
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<Message>> {
        messages::Entity::find_by_id(id.0)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::message)
            .transpose()
    }

    async fn find_message_by_nonce(
        &self,
        room: RoomId,
        author: UserId,
        nonce: &str,
    ) -> Result<Option<Message>> {
        messages::Entity::find()
            .filter(messages::Column::RoomId.eq(room.0))
            .filter(messages::Column::AuthorId.eq(author.0))
            .filter(messages::Column::ClientNonce.eq(nonce))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::message)
            .transpose()
    }

    async fn edit_message(&self, id: MessageId, body: &str, at: Timestamp) -> Result<()> {
        // `deleted_at IS NULL` in the same statement: an edit racing a delete either
        // lands first (and the delete erases it) or changes nothing.
        let res = messages::Entity::update_many()
            .col_expr(messages::Column::Body, Expr::value(body))
            .col_expr(messages::Column::EditedAt, Expr::value(ts(at)?))
            .filter(messages::Column::Id.eq(id.0))
            .filter(messages::Column::DeletedAt.is_null())
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("message"));
        }
        Ok(())
    }

    async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<()> {
        let res = messages::Entity::update_many()
            .col_expr(messages::Column::Body, Expr::value(""))
            .col_expr(
                messages::Column::Attachment,
                Expr::value(Option::<String>::None),
            )
            .col_expr(messages::Column::DeletedAt, Expr::value(ts(at)?))
            .filter(messages::Column::Id.eq(id.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("message"));
        }
        // After the tombstone: a reaction added now finds the message deleted.
        reactions::Entity::delete_many()
            .filter(reactions::Column::MessageId.eq(id.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        pins::Entity::delete_by_id(id.0)
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_messages(&self, room: RoomId, page: PageRequest) -> Result<Vec<Message>> {
        let mut q = messages::Entity::find().filter(messages::Column::RoomId.eq(room.0));
        if let Some(before) = page.before {
            q = q.filter(messages::Column::Seq.lt(before));
        }
        let limit = u64::from(page.limit);
        let rows = if let Some(after) = page.after {
            // The first `limit` after the cursor.
            q.filter(messages::Column::Seq.gt(after))
                .order_by_asc(messages::Column::Seq)
                .limit(limit)
                .all(self.read())
                .await
                .map_err(backend)?
        } else {
            // The last `limit` before the cursor, returned ascending.
            let mut rows = q
                .order_by_desc(messages::Column::Seq)
                .limit(limit)
                .all(self.read())
                .await
                .map_err(backend)?;
            rows.reverse();
            rows
        };
        rows.into_iter().map(convert::message).collect()
    }

    async fn last_seq(&self, room: RoomId) -> Result<Seq> {
        let seq: Option<i64> = rooms::Entity::find_by_id(room.0)
            .select_only()
            .column(rooms::Column::LastSeq)
            .into_tuple()
            .one(self.read())
            .await
            .map_err(backend)?;
        Ok(seq.unwrap_or(0))
    }
}
