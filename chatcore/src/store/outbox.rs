//! Outbox rows written in the change's own transaction (see [`OutboxTxnStore`]).

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{Message, NewMessage, Timestamp};

/// One row for the outbox: `(event id, room, payload JSON, time)`, as
/// [`super::OutboxStore::enqueue_events`] takes them.
pub type OutboxRow = (uuid::Uuid, RoomId, String, Timestamp);

/// The id and time of the `message_created` event of an append: the store
/// completes it with the stored message (its `seq` is assigned in the transaction)
/// through [`crate::events::message_created_row`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventStamp {
    /// The event's id.
    pub id: uuid::Uuid,
    /// The event's time.
    pub at: Timestamp,
}

/// The message changes with their outbox rows, each in **one** transaction: the
/// change and its rows commit together or not at all (a failed change leaves no
/// row; a committed one always has its rows). [`crate::Chat`] uses these instead of
/// the plain [`super::MessageStore`] calls when its outbox is on
/// ([`crate::ChatBuilder::outbox`]). Rows get outbox positions in commit order, and
/// a repeated event id is ignored, as in [`super::OutboxStore::enqueue_events`].
#[async_trait]
pub trait OutboxTxnStore: Send + Sync + 'static {
    /// [`super::MessageStore::append_message`] that also queues, in the append's
    /// transaction, the `message_created` event `event` of the stored message. A
    /// repeated nonce (the first message returned, nothing assigned) queues nothing.
    async fn append_message_queued(&self, new: NewMessage, event: EventStamp) -> Result<Message>;
    /// [`super::MessageStore::edit_message`] (`mentions` None) or
    /// [`super::ReadStore::edit_with_mentions`] (`mentions` set) that also queues
    /// `outbox`, in the same transaction; `NotFound` (and no row) if the message is
    /// missing or deleted.
    async fn edit_message_queued(
        &self,
        id: MessageId,
        body: &str,
        at: Timestamp,
        mentions: Option<&[UserId]>,
        outbox: &[OutboxRow],
    ) -> Result<()>;
    /// [`super::MessageStore::delete_message`] that also queues `outbox` in the
    /// transaction of the tombstone; `NotFound` (and no row) if the message is
    /// missing.
    async fn delete_message_queued(
        &self,
        id: MessageId,
        at: Timestamp,
        outbox: &[OutboxRow],
    ) -> Result<()>;
}
