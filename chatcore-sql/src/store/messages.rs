//! `MessageStore`.

use async_trait::async_trait;
use chatcore::model::{Message, NewMessage, PageRequest, Timestamp};
use chatcore::store::MessageStore;
use chatcore::{Error, MessageId, Result, RoomId, Seq, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::oneshot;

use super::SqlStore;
use super::append::Job;
use crate::convert::{self, ts};
use crate::entity::{messages, pins, reactions, rooms};
use crate::error::{SqlStoreError, backend};
use uuid::Uuid;

#[async_trait]
impl MessageStore for SqlStore {
    async fn append_message(&self, new: NewMessage) -> Result<Message> {
        let (reply, answer) = oneshot::channel();
        self.appender(new.room_id)
            .send(Job {
                new,
                event: None,
                reply,
            })
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
        let at = ts(at)?;
        self.write_txn(async move |txn| delete_in(txn, id, at).await)
            .await?;
        self.deleted(id).await
    }

    async fn list_messages(&self, room: RoomId, page: PageRequest) -> Result<Vec<Message>> {
        let q = messages::Entity::find().filter(messages::Column::RoomId.eq(room.0));
        super::paging::page(self.read(), q, page).await
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

/// The tombstone of [`MessageStore::delete_message`] inside `txn` (`at` in stored
/// form).
pub(super) async fn delete_in(txn: &DatabaseTransaction, id: MessageId, at: i64) -> Result<()> {
    // Was it a reply not deleted yet? (Read before the tombstone, in the
    // transaction: its root's summary is recounted below.)
    let before: Option<(Option<Uuid>, Option<i64>)> = messages::Entity::find_by_id(id.0)
        .select_only()
        .column(messages::Column::ThreadRoot)
        .column(messages::Column::DeletedAt)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await
        .map_err(backend)?;
    let Some((root, deleted)) = before else {
        return Err(Error::NotFound("message"));
    };
    messages::Entity::update_many()
        .col_expr(messages::Column::Body, Expr::value(""))
        .col_expr(
            messages::Column::Attachment,
            Expr::value(Option::<String>::None),
        )
        .col_expr(messages::Column::Extra, Expr::value(Option::<String>::None))
        .col_expr(messages::Column::DeletedAt, Expr::value(at))
        .filter(messages::Column::Id.eq(id.0))
        .exec(txn)
        .await
        .map_err(backend)?;
    if let (Some(root), None) = (root, deleted) {
        super::threads::recount(txn, root).await?;
    }
    Ok(())
}

/// [`MessageStore::edit_message`] inside `txn` (`at` in stored form).
pub(super) async fn edit_in(
    txn: &DatabaseTransaction,
    id: MessageId,
    body: &str,
    at: i64,
) -> Result<()> {
    // `deleted_at IS NULL` in the same statement: an edit racing a delete either
    // lands first (and the delete erases it) or changes nothing.
    let res = messages::Entity::update_many()
        .col_expr(messages::Column::Body, Expr::value(body))
        .col_expr(messages::Column::EditedAt, Expr::value(at))
        .filter(messages::Column::Id.eq(id.0))
        .filter(messages::Column::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(backend)?;
    if res.rows_affected == 0 {
        return Err(Error::NotFound("message"));
    }
    Ok(())
}

impl SqlStore {
    /// After a message's tombstone committed: its reactions and pin go (a reaction
    /// added now finds the message deleted).
    pub(super) async fn deleted(&self, id: MessageId) -> Result<()> {
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
}
