//! `OutboxTxnStore`: the change and its outbox rows under one lock.

use async_trait::async_trait;

use super::MemoryStore;
use super::hooks::push_outbox;
use super::messages::{append, delete, edit};
use crate::error::Result;
use crate::ids::{MessageId, UserId};
use crate::model::{Message, NewMessage, Timestamp};
use crate::store::{EventStamp, OutboxRow, OutboxTxnStore};

#[async_trait]
impl OutboxTxnStore for MemoryStore {
    async fn append_message_queued(&self, new: NewMessage, event: EventStamp) -> Result<Message> {
        append(&mut self.inner.lock(), new, Some(&event))
    }

    async fn edit_message_queued(
        &self,
        id: MessageId,
        body: &str,
        at: Timestamp,
        mentions: Option<&[UserId]>,
        outbox: &[OutboxRow],
    ) -> Result<()> {
        let mut i = self.inner.lock();
        edit(&mut i, id, body, at, mentions)?;
        push_outbox(&mut i, outbox);
        Ok(())
    }

    async fn delete_message_queued(
        &self,
        id: MessageId,
        at: Timestamp,
        outbox: &[OutboxRow],
    ) -> Result<()> {
        let mut i = self.inner.lock();
        delete(&mut i, id, at)?;
        push_outbox(&mut i, outbox);
        Ok(())
    }
}
