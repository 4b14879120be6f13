//! Emoji reactions on messages.
//!
//! A member reacts to a message of their room with an emoji: one reaction per user
//! and emoji, at most [`Limits::max_reactions_per_message`](super::Limits) distinct
//! emoji per message (checked atomically by the store). An emoji is a single Unicode
//! emoji grapheme ([`is_emoji`]) or one of the configured shortcodes
//! ([`Limits::reaction_shortcodes`](super::Limits)).
//!
//! History carries each message's summary (`reactions: [{emoji, count, me}]`, for
//! the viewer); live changes are `reaction_added` / `reaction_removed` events with
//! the emoji's new count. Resume replays messages, not reaction changes: a client
//! that reconnects re-fetches the history window it shows, whose summaries are
//! current (`docs/PROTOCOL.md`, "Reactions").

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::{MessageId, UserId};
use crate::model::{Message, MessageKind};
use crate::perm::Action;
use crate::protocol::ServerEvent;

/// Longest accepted emoji or shortcode, in bytes (a family emoji with skin tones
/// is about 35).
pub const MAX_EMOJI_BYTES: usize = 64;

impl Chat {
    /// Add the actor's reaction `emoji` to a message of a room they are a member of.
    /// Adding it twice changes nothing (and publishes nothing).
    pub async fn add_reaction(&self, actor: UserId, message: MessageId, emoji: &str) -> Result<()> {
        self.react(actor, message, emoji, true).await
    }

    /// Remove the actor's reaction `emoji` from a message (nothing if there was none).
    pub async fn remove_reaction(
        &self,
        actor: UserId,
        message: MessageId,
        emoji: &str,
    ) -> Result<()> {
        self.react(actor, message, emoji, false).await
    }

    async fn react(&self, actor: UserId, id: MessageId, emoji: &str, on: bool) -> Result<()> {
        let l = &self.inner.limits;
        if !(is_emoji(emoji) || l.reaction_shortcodes.iter().any(|s| s == emoji)) {
            return Err(Error::invalid(
                "emoji",
                "must be a single emoji (or a configured shortcode)",
            ));
        }
        let (msg, role) = self.member_message(actor, id).await?;
        self.require(role, Action::React)?;
        self.check_not_timed_out(msg.room_id, actor).await?;
        if msg.deleted_at.is_some() || msg.kind == MessageKind::System {
            return Err(Error::NotFound("message"));
        }
        // Change and publication under the message's lock: the counts of one
        // message's events leave in the order the store applied the changes.
        let _order = self.inner.message_order.lock(id).await;
        let store = &self.inner.store;
        let changed = if on {
            store
                .add_reaction(id, actor, emoji, self.now(), l.max_reactions_per_message)
                .await?
        } else {
            store.remove_reaction(id, actor, emoji).await?
        };
        if !changed {
            return Ok(());
        }
        let count = store
            .reaction_summaries(&[id], actor)
            .await?
            .into_iter()
            .flat_map(|(_, s)| s)
            .find(|s| s.emoji == emoji)
            .map_or(0, |s| s.count);
        let (room, message_id, seq, emoji, user) =
            (msg.room_id, msg.id, msg.seq, emoji.to_owned(), actor);
        self.publish_room(
            room,
            if on {
                ServerEvent::ReactionAdded {
                    room,
                    message_id,
                    seq,
                    emoji,
                    user,
                    count,
                }
            } else {
                ServerEvent::ReactionRemoved {
                    room,
                    message_id,
                    seq,
                    emoji,
                    user,
                    count,
                }
            },
        );
        Ok(())
    }

    /// Fill in the reaction summaries of `messages` as `viewer` sees them (deleted
    /// messages have none).
    pub(super) async fn with_reactions(
        &self,
        viewer: UserId,
        messages: &mut [Message],
    ) -> Result<()> {
        let ids: Vec<MessageId> = messages
            .iter()
            .filter(|m| m.deleted_at.is_none())
            .map(|m| m.id)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut found: std::collections::HashMap<_, _> = self
            .inner
            .store
            .reaction_summaries(&ids, viewer)
            .await?
            .into_iter()
            .collect();
        for m in messages.iter_mut().filter(|m| m.deleted_at.is_none()) {
            if let Some(s) = found.remove(&m.id) {
                m.reactions = s;
            }
        }
        Ok(())
    }
}

/// Whether `s` is exactly one emoji grapheme: a pictographic character with its
/// optional variation selector, skin tone and tag characters, several of them joined
/// by zero-width joiners, a flag (two regional indicators) or a keycap.
pub fn is_emoji(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_EMOJI_BYTES {
        return false;
    }
    let cs: Vec<char> = s.chars().collect();
    // A flag: exactly two regional indicators.
    if cs.iter().all(|c| is_regional(*c)) {
        return cs.len() == 2;
    }
    // A keycap: 0-9, # or *, an optional VS16, then U+20E3.
    if matches!(cs[0], '0'..='9' | '#' | '*') {
        return matches!(cs[1..], ['\u{20E3}'] | ['\u{FE0F}', '\u{20E3}']);
    }
    // Pictographs joined by ZWJ, each with its modifiers.
    let mut expect_base = true;
    for c in cs {
        if expect_base {
            if !is_pictographic(c) {
                return false;
            }
            expect_base = false;
        } else if c == '\u{200D}' {
            expect_base = true;
        } else if !is_modifier(c) {
            return false;
        }
    }
    !expect_base
}

fn is_regional(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_modifier(c: char) -> bool {
    matches!(c,
        '\u{FE0E}' | '\u{FE0F}'           // variation selectors
        | '\u{1F3FB}'..='\u{1F3FF}'       // skin tones
        | '\u{E0020}'..='\u{E007F}'       // tags (subdivision flags)
        | '\u{20E3}')
}

fn is_pictographic(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{2194}'..='\u{21AA}'
        | '\u{231A}'..='\u{23FF}'
        | '\u{24C2}'
        | '\u{25AA}'..='\u{25FE}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2934}' | '\u{2935}'
        | '\u{2B05}'..='\u{2B55}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F000}'..='\u{1F1E5}'
        | '\u{1F200}'..='\u{1F3FA}'
        | '\u{1F400}'..='\u{1FAFF}')
}

#[cfg(test)]
mod tests {
    use super::is_emoji;

    #[test]
    fn single_emoji_graphemes_only() {
        for ok in [
            "👍",
            "❤️",
            "🎉",
            "👍🏽",
            "👩‍💻",
            "👨‍👩‍👧‍👦",
            "🇫🇷",
            "1️⃣",
            "#⃣",
            "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
            "☕",
        ] {
            assert!(is_emoji(ok), "{ok} is one emoji");
        }
        for bad in [
            "",
            "a",
            "👍👍",
            "👍 ",
            ":+1:",
            "🇫",
            "🇫🇷🇩🇪",
            "👩‍",
            "\u{200D}👍",
            "1",
            "a\u{FE0F}",
            "<b>",
        ] {
            assert!(!is_emoji(bad), "{bad:?} is not one emoji");
        }
    }
}
