//! Search in a [`MemoryStore`]: a scan of the viewer's rooms.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::Result;
use crate::model::{Message, MessageKind, SearchQuery};
use crate::store::SearchStore;

#[async_trait]
impl SearchStore for MemoryStore {
    async fn search_messages(&self, q: &SearchQuery) -> Result<Vec<Message>> {
        let i = self.inner.lock();
        let mut hits: Vec<(usize, &Message)> = Vec::new();
        for (room, members) in &i.members {
            if !members.contains_key(&q.viewer) || q.room.is_some_and(|r| r != *room) {
                continue;
            }
            let Some(seqs) = i.by_seq.get(room) else {
                continue;
            };
            for m in seqs.values().filter_map(|id| i.messages.get(id)) {
                if m.deleted_at.is_some()
                    || m.kind == MessageKind::System
                    || q.author.is_some_and(|a| m.author_id != Some(a))
                    || q.since.is_some_and(|t| m.created_at < t)
                    || q.until.is_some_and(|t| m.created_at >= t)
                {
                    continue;
                }
                let words = crate::chat::search_words(&m.body);
                if q.words.iter().all(|w| words.contains(w)) {
                    let score = words.iter().filter(|w| q.words.contains(w)).count();
                    hits.push((score, m));
                }
            }
        }
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.created_at.cmp(&a.1.created_at)));
        Ok(hits
            .into_iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .map(|(_, m)| m.clone())
            .collect())
    }
}
