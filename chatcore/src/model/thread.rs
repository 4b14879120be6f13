//! Threads: replies gathered under a root message (see `docs/DOMAIN.md`, "Threads").
//!
//! A thread reply is a message of the room like any other (it takes the room's next
//! `seq`) that names its root in [`Message::thread_root`](super::Message). The root
//! carries the [`ThreadSummary`], which the store maintains in the transaction that
//! appends or deletes a reply, so it is exact under concurrency.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::ids::{MessageId, UserId};

/// At most this many participants are kept in a [`ThreadSummary`].
pub const THREAD_PARTICIPANTS_MAX: usize = 10;

/// Why a reply's root is refused (`Error::Invalid` on `thread_root`, the same words
/// from every store).
pub const NOT_A_THREAD_ROOT: &str = "must be a message of this room that is not deleted, not a system message and not a thread reply";

/// What a thread's root shows of its replies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThreadSummary {
    /// Replies that are not deleted.
    pub reply_count: u64,
    /// When the newest reply that is not deleted was sent (None when none is left).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub last_reply_at: Option<Timestamp>,
    /// The distinct authors of the replies that are not deleted, in the order of
    /// their first reply, at most [`THREAD_PARTICIPANTS_MAX`].
    pub participants: Vec<UserId>,
}

impl ThreadSummary {
    /// The summary after one more reply by `author` at `at` (replies come in `seq`
    /// order, so the newest is the last).
    pub fn add_reply(&mut self, author: Option<UserId>, at: Timestamp) {
        self.reply_count += 1;
        self.last_reply_at = Some(self.last_reply_at.map_or(at, |t| t.max(at)));
        if let Some(a) = author
            && !self.participants.contains(&a)
            && self.participants.len() < THREAD_PARTICIPANTS_MAX
        {
            self.participants.push(a);
        }
    }

    /// The summary of these replies (author, sent), ascending by `seq`, none deleted.
    pub fn of_replies(replies: impl IntoIterator<Item = (Option<UserId>, Timestamp)>) -> Self {
        let mut s = ThreadSummary::default();
        for (author, at) in replies {
            s.add_reply(author, at);
        }
        s
    }
}

/// Which messages of a room a page holds
/// ([`ThreadStore::list_scoped`](crate::store::ThreadStore::list_scoped)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryScope {
    /// The room's timeline: every message but the thread replies that were not also
    /// sent to the room.
    Room,
    /// The replies of one thread (not its root).
    Thread(MessageId),
}
