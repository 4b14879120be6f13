//! Threads: replies under a root message, paged apart from the room's timeline.
//!
//! The rules a reply's root must meet are checked here (a clear error before the
//! send limits are spent) and again by the store inside the append transaction
//! (a root deleted in between is refused there). The root's summary is kept by the
//! store in the transactions that append and delete replies; this file publishes it
//! (`thread_updated`) after each change, under the root's lock ([`super::ordered`]):
//! each publication reads the summary after the change it follows, so the last
//! event a client receives carries the latest summary.

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{HistoryScope, MessageKind, NOT_A_THREAD_ROOT, PageRequest};
use crate::protocol::{HistoryPage, ServerEvent};

impl Chat {
    /// A page of the replies of the thread under `root` (members of the room only),
    /// ascending by sequence number, with the cursor rules of [`Chat::history`].
    /// `Invalid` on `thread` if `root` is not a root message of `room`.
    pub async fn thread_history(
        &self,
        actor: UserId,
        room: RoomId,
        root: MessageId,
        page: PageRequest,
    ) -> Result<HistoryPage> {
        self.page_of(actor, room, Some(HistoryScope::Thread(root)), page)
            .await
    }

    /// Whether `root` may take a reply in `room`.
    pub(super) async fn check_thread_root(&self, room: RoomId, root: MessageId) -> Result<()> {
        let ok = self.inner.store.get_message(root).await?.is_some_and(|m| {
            m.room_id == room
                && m.deleted_at.is_none()
                && m.kind != MessageKind::System
                && m.thread_root.is_none()
        });
        if ok {
            Ok(())
        } else {
            Err(Error::invalid("thread_root", NOT_A_THREAD_ROOT))
        }
    }

    /// Publish the root's summary as it is now (after a reply was added or deleted).
    pub(super) async fn publish_thread(&self, room: RoomId, root: MessageId) -> Result<()> {
        let _order = self.inner.message_order.lock(root).await;
        let Some(m) = self.inner.store.get_message(root).await? else {
            return Ok(());
        };
        self.publish_room(
            room,
            ServerEvent::ThreadUpdated {
                room,
                root,
                root_seq: m.seq,
                thread: m.thread.unwrap_or_default(),
            },
        );
        Ok(())
    }
}
