//! Threads in the storage contract (see [`crate::model::ThreadSummary`]).

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::RoomId;
use crate::model::{HistoryScope, Message, PageRequest};

/// Thread replies, their roots' summaries and the scoped pages of a room.
///
/// The rest of the contract lives with the messages, in the same transactions:
///
/// - [`MessageStore::append_message`](super::MessageStore::append_message) of a
///   message with [`NewMessage::thread_root`](crate::model::NewMessage) checks,
///   inside its transaction, that the root is a message of the same room that is
///   neither deleted, nor a system message, nor a thread reply itself
///   (`Error::Invalid` on `thread_root` otherwise; no `seq` is taken), and updates
///   the root's [`Message::thread`] ([`ThreadSummary::add_reply`](crate::model::ThreadSummary::add_reply))
///   before it commits, so concurrent replies each count once;
/// - [`MessageStore::delete_message`](super::MessageStore::delete_message) of a
///   reply recomputes its root's summary from the replies left
///   ([`ThreadSummary::of_replies`](crate::model::ThreadSummary::of_replies)), in
///   the same transaction as the tombstone;
/// - [`MessageStore::list_messages`](super::MessageStore::list_messages) returns
///   every message, thread replies included (what a resuming client replays).
#[async_trait]
pub trait ThreadStore: Send + Sync + 'static {
    /// A page of a room's messages in `scope`, ascending by `seq`, with the cursor
    /// rules of [`MessageStore::list_messages`](super::MessageStore::list_messages)
    /// (`limit` counts the messages of the scope).
    async fn list_scoped(
        &self,
        room: RoomId,
        scope: HistoryScope,
        page: PageRequest,
    ) -> Result<Vec<Message>>;
}
