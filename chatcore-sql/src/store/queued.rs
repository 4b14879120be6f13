//! `OutboxTxnStore`: message changes with their outbox rows in one transaction.

use async_trait::async_trait;
use chatcore::model::{Message, NewMessage, Timestamp};
use chatcore::store::{EventStamp, OutboxRow, OutboxTxnStore};
use chatcore::{MessageId, Result, UserId};
use tokio::sync::oneshot;

use super::SqlStore;
use super::append::Job;
use super::outbox::{db_rows, insert_rows};
use crate::convert::ts;
use crate::error::{SqlStoreError, backend};

#[async_trait]
impl OutboxTxnStore for SqlStore {
    async fn append_message_queued(&self, new: NewMessage, event: EventStamp) -> Result<Message> {
        // The group-commit writer inserts the row in the batch's transaction.
        let (reply, answer) = oneshot::channel();
        self.appender(new.room_id)
            .send(Job {
                new,
                event: Some(event),
                reply,
            })
            .await
            .map_err(|_| SqlStoreError::WriterStopped)?;
        answer.await.map_err(|_| SqlStoreError::WriterStopped)?
    }

    async fn edit_message_queued(
        &self,
        id: MessageId,
        body: &str,
        at: Timestamp,
        mentions: Option<&[UserId]>,
        outbox: &[OutboxRow],
    ) -> Result<()> {
        let at = ts(at)?;
        let rows = db_rows(outbox)?;
        let body = body.to_owned();
        let mentions = mentions.map(<[UserId]>::to_vec);
        self.write_txn(async move |txn| {
            match mentions {
                Some(m) => super::reads::edit_in(txn, id, body, at, &m).await?,
                None => super::messages::edit_in(txn, id, &body, at).await?,
            }
            insert_rows(txn, rows).await.map_err(backend)
        })
        .await
    }

    async fn delete_message_queued(
        &self,
        id: MessageId,
        at: Timestamp,
        outbox: &[OutboxRow],
    ) -> Result<()> {
        let at = ts(at)?;
        let rows = db_rows(outbox)?;
        self.write_txn(async move |txn| {
            super::messages::delete_in(txn, id, at).await?;
            insert_rows(txn, rows).await.map_err(backend)
        })
        .await?;
        self.deleted(id).await
    }
}
