//! Threads of a [`MemoryStore`].

use async_trait::async_trait;

use super::{Inner, MemoryStore};
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId};
use crate::model::{HistoryScope, Message, MessageKind, PageRequest, ThreadSummary};
use crate::store::ThreadStore;

/// Check a reply's root (under the store's lock, before a `seq` is taken).
pub(super) fn check_root(i: &Inner, room: RoomId, root: MessageId) -> Result<()> {
    let ok = i.messages.get(&root).is_some_and(|m| {
        m.room_id == room
            && m.deleted_at.is_none()
            && m.kind != MessageKind::System
            && m.thread_root.is_none()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "thread_root",
            crate::model::NOT_A_THREAD_ROOT,
        ))
    }
}

/// Recompute a root's summary from its replies that are left.
pub(super) fn recount(i: &mut Inner, root: MessageId) {
    let Some(room) = i.messages.get(&root).map(|m| m.room_id) else {
        return;
    };
    let summary = {
        let seqs = i.by_seq.get(&room);
        let replies = seqs
            .into_iter()
            .flat_map(|s| s.values())
            .filter_map(|id| i.messages.get(id))
            .filter(|m| m.thread_root == Some(root) && m.deleted_at.is_none())
            .map(|m| (m.author_id, m.created_at));
        ThreadSummary::of_replies(replies)
    };
    if let Some(m) = i.messages.get_mut(&root) {
        m.thread = Some(summary);
    }
}

fn in_scope(m: &Message, scope: HistoryScope) -> bool {
    match scope {
        HistoryScope::Room => m.thread_root.is_none() || m.also_in_room,
        HistoryScope::Thread(root) => m.thread_root == Some(root),
    }
}

#[async_trait]
impl ThreadStore for MemoryStore {
    async fn list_scoped(
        &self,
        room: RoomId,
        scope: HistoryScope,
        page: PageRequest,
    ) -> Result<Vec<Message>> {
        let i = self.inner.lock();
        let Some(seqs) = i.by_seq.get(&room) else {
            return Ok(Vec::new());
        };
        let lo = page
            .after
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let hi = page
            .before
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let limit = page.limit as usize;
        let scoped = |id: &MessageId| i.messages.get(id).filter(|m| in_scope(m, scope)).cloned();
        let range = seqs.range((lo, hi)).map(|(_, id)| id);
        Ok(if page.after.is_some() {
            range.filter_map(scoped).take(limit).collect()
        } else {
            let mut v: Vec<Message> = range.rev().filter_map(scoped).take(limit).collect();
            v.reverse();
            v
        })
    }
}
