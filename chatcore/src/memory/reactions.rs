//! Reactions of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::{MessageId, UserId};
use crate::model::{ReactionSummary, Timestamp};
use crate::store::ReactionStore;

#[async_trait]
impl ReactionStore for MemoryStore {
    async fn add_reaction(
        &self,
        message: MessageId,
        user: UserId,
        emoji: &str,
        at: Timestamp,
        max_distinct: usize,
    ) -> Result<bool> {
        let mut i = self.inner.lock();
        if i.messages
            .get(&message)
            .is_none_or(|m| m.deleted_at.is_some())
        {
            return Err(Error::NotFound("message"));
        }
        let given = i.reactions.entry(message).or_default();
        if given.iter().any(|(e, u, _)| e == emoji && *u == user) {
            return Ok(false);
        }
        if !given.iter().any(|(e, _, _)| e == emoji) {
            let mut distinct: Vec<&str> = given.iter().map(|(e, _, _)| e.as_str()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() >= max_distinct {
                return Err(Error::TooLarge {
                    field: "emoji",
                    limit: max_distinct,
                });
            }
        }
        given.push((emoji.to_owned(), user, at));
        Ok(true)
    }

    async fn remove_reaction(&self, message: MessageId, user: UserId, emoji: &str) -> Result<bool> {
        let mut i = self.inner.lock();
        let Some(given) = i.reactions.get_mut(&message) else {
            return Ok(false);
        };
        let before = given.len();
        given.retain(|(e, u, _)| !(e == emoji && *u == user));
        Ok(given.len() < before)
    }

    async fn reaction_summaries(
        &self,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<(MessageId, Vec<ReactionSummary>)>> {
        let i = self.inner.lock();
        let mut out = Vec::new();
        for id in messages {
            let Some(given) = i.reactions.get(id) else {
                continue;
            };
            let mut summaries: Vec<ReactionSummary> = Vec::new();
            // `given` is in the order given, so each emoji's first entry comes first.
            for (emoji, user, _) in given {
                match summaries.iter_mut().find(|s| &s.emoji == emoji) {
                    Some(s) => {
                        s.count += 1;
                        s.me |= *user == viewer;
                    }
                    None => summaries.push(ReactionSummary {
                        emoji: emoji.clone(),
                        count: 1,
                        me: *user == viewer,
                    }),
                }
            }
            if !summaries.is_empty() {
                out.push((*id, summaries));
            }
        }
        Ok(out)
    }
}
