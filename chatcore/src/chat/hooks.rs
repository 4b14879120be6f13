//! Before-send hooks: filters that see every message before it is stored.
//!
//! A [`MessageFilter`] sees the actor, the room and the message (a new one, or the
//! new body of an edit) after validation and authorization and before the store. It
//! allows it, rejects it with a code and a message the sender sees
//! ([`crate::Error::Rejected`]), or rewrites its body. Filters run in order, each on
//! the body the previous one left; the first rejection ends the chain. A rejected
//! message is never stored and never broadcast.
//!
//! The chain is: the built-in [`Blocklist`] (the global entries from the
//! configuration plus the room's own, set by its admins), the built-in [`MaxLinks`]
//! when configured, then the application's filters in the order they were added
//! with [`crate::ChatBuilder::filter`]. A rewritten body is validated again against
//! the message limits.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use super::{Chat, validate};
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{MessageKind, Room, RoomKind};
use crate::perm::Action;

/// The codes of the built-in filters' rejections.
pub mod codes {
    /// The message contains an entry of the global or the room's blocklist.
    pub const BLOCKED_CONTENT: &str = "blocked_content";
    /// The message has more links than allowed.
    pub const TOO_MANY_LINKS: &str = "too_many_links";
}

/// Most entries of one room's blocklist.
pub const MAX_ROOM_BLOCKLIST: usize = 200;
/// Longest blocklist entry, in characters.
pub const MAX_BLOCKLIST_ENTRY_CHARS: usize = 64;

/// A room's own blocklist, as the REST API reads and writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomBlocklist {
    /// Entries: words or phrases, `*` for any letters within a word (at most 200,
    /// each 1 to 64 characters; stored trimmed and lower-cased).
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub entries: Vec<String>,
}

/// What a filter sees.
#[derive(Debug)]
#[non_exhaustive]
pub struct FilterInput<'a> {
    /// Who sends (or edits).
    pub actor: UserId,
    /// The room.
    pub room: &'a Room,
    /// The body as it stands (after the filters before this one).
    pub body: &'a str,
    /// The kind of message.
    pub kind: MessageKind,
    /// For an edit: the message edited.
    pub edit_of: Option<MessageId>,
    /// The room's own blocklist, as its admins set it.
    pub room_blocklist: &'a [String],
}

/// A filter's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let the message through as it is.
    Allow,
    /// Refuse it: the sender gets `code` and `message`; nothing is stored.
    Reject {
        /// A stable code of the application's choosing.
        code: &'static str,
        /// For the sender.
        message: String,
    },
    /// Store this body instead.
    Rewrite(String),
}

/// A before-send hook. Implementations must be quick: they run on the send path.
/// An error (for example a backend the filter asks failing) fails the send.
#[async_trait]
pub trait MessageFilter: Send + Sync + 'static {
    /// Decide on one message.
    async fn check(&self, input: &FilterInput<'_>) -> Result<Verdict>;
}

/// The built-in blocklist. An entry is one or more words, compared case-insensitively
/// with whole words of the message; `*` in an entry stands for any letters within a
/// word (`spam*` blocks `spammer`). Blocks the global entries and the room's.
#[derive(Debug, Clone, Default)]
pub struct Blocklist {
    global: Vec<Vec<String>>,
}

impl Blocklist {
    /// A blocklist of these global entries (empty ones are ignored).
    pub fn new(entries: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        Blocklist {
            global: entries
                .into_iter()
                .map(|e| words(e.as_ref()))
                .filter(|w| !w.is_empty())
                .collect(),
        }
    }

    /// The first entry (global, then the room's) found in `body`.
    pub fn find<'a>(&'a self, body: &str, room: &'a [String]) -> Option<String> {
        let text = words(body);
        let hit = |entry: &[String]| {
            !entry.is_empty() && text.windows(entry.len()).any(|w| phrase_matches(entry, w))
        };
        if let Some(e) = self.global.iter().find(|e| hit(e)) {
            return Some(e.join(" "));
        }
        room.iter()
            .map(|e| words(e))
            .find(|e| hit(e))
            .map(|e| e.join(" "))
    }
}

#[async_trait]
impl MessageFilter for Blocklist {
    async fn check(&self, input: &FilterInput<'_>) -> Result<Verdict> {
        Ok(match self.find(input.body, input.room_blocklist) {
            Some(_) => Verdict::Reject {
                code: codes::BLOCKED_CONTENT,
                message: "the message contains a blocked word".to_owned(),
            },
            None => Verdict::Allow,
        })
    }
}

/// Lower-cased words (runs of letters, digits, `*` and `'`).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '*' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn phrase_matches(entry: &[String], text: &[String]) -> bool {
    entry.iter().zip(text).all(|(p, w)| glob(p, w))
}

/// `*` matches any run of characters; everything else itself.
fn glob(pattern: &str, word: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = word.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The built-in limit on links: more than `max` words that start with `http://`,
/// `https://` or `www.` are refused.
#[derive(Debug, Clone, Copy)]
pub struct MaxLinks(pub usize);

#[async_trait]
impl MessageFilter for MaxLinks {
    async fn check(&self, input: &FilterInput<'_>) -> Result<Verdict> {
        let links = input
            .body
            .split_whitespace()
            .filter(|w| {
                let w = w.to_ascii_lowercase();
                w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.")
            })
            .count();
        Ok(if links > self.0 {
            Verdict::Reject {
                code: codes::TOO_MANY_LINKS,
                message: format!("at most {} links per message", self.0),
            }
        } else {
            Verdict::Allow
        })
    }
}

type BlocklistCache = std::collections::HashMap<RoomId, Arc<Vec<String>>>;

/// The chain the service runs, and the room blocklists it caches.
pub(super) struct Hooks {
    blocklist: Blocklist,
    filters: Vec<Arc<dyn MessageFilter>>,
    /// Room blocklists by room, valid while the hub's access epoch is the one kept
    /// (a change on any node moves the epoch, see [`Chat::access_changed`]).
    cache: Mutex<(u64, BlocklistCache)>,
}

impl Hooks {
    pub(super) fn new(
        blocklist: Blocklist,
        max_links: Option<usize>,
        app: Vec<Arc<dyn MessageFilter>>,
    ) -> Self {
        let mut filters: Vec<Arc<dyn MessageFilter>> = Vec::new();
        if let Some(n) = max_links {
            filters.push(Arc::new(MaxLinks(n)));
        }
        filters.extend(app);
        Hooks {
            blocklist,
            filters,
            cache: Mutex::new((u64::MAX, std::collections::HashMap::new())),
        }
    }
}

impl Chat {
    /// Run the before-send chain on a body: the body to store, or the rejection.
    pub(super) async fn filter_body(
        &self,
        actor: UserId,
        room: &Room,
        kind: MessageKind,
        edit_of: Option<MessageId>,
        body: String,
    ) -> Result<String> {
        let hooks = &self.inner.hooks;
        let room_list = self.cached_blocklist(room.id).await?;
        let mut body = body;
        let chain = std::iter::once(&hooks.blocklist as &dyn MessageFilter)
            .chain(hooks.filters.iter().map(|f| f.as_ref()));
        for filter in chain {
            let verdict = filter
                .check(&FilterInput {
                    actor,
                    room,
                    body: &body,
                    kind,
                    edit_of,
                    room_blocklist: &room_list,
                })
                .await?;
            match verdict {
                Verdict::Allow => {}
                Verdict::Reject { code, message } => return Err(Error::Rejected { code, message }),
                Verdict::Rewrite(new) => {
                    let l = self.inner.limits.max_message_chars;
                    body = if kind == MessageKind::Text {
                        validate::body(&new, l)?
                    } else {
                        validate::text("body", &new, l)?
                    };
                }
            }
        }
        Ok(body)
    }

    async fn cached_blocklist(&self, room: RoomId) -> Result<Arc<Vec<String>>> {
        // Without an epoch (a broker hub that lost its broker) every send reads.
        let Some(epoch) = self.inner.hub.access_epoch() else {
            return Ok(Arc::new(self.inner.store.room_blocklist(room).await?));
        };
        {
            let mut c = self.inner.hooks.cache.lock();
            if c.0 != epoch {
                *c = (epoch, std::collections::HashMap::new());
            }
            if let Some(hit) = c.1.get(&room) {
                return Ok(hit.clone());
            }
        }
        let list = Arc::new(self.inner.store.room_blocklist(room).await?);
        let mut c = self.inner.hooks.cache.lock();
        // Kept only if nothing changed meanwhile (else the next send reads again).
        if c.0 == epoch && self.inner.hub.access_epoch() == Some(epoch) && c.1.len() < 100_000 {
            c.1.insert(room, list.clone());
        }
        Ok(list)
    }

    /// A room's own blocklist (admins and the owner; not in direct rooms).
    pub async fn room_blocklist(&self, actor: UserId, room: RoomId) -> Result<Vec<String>> {
        let (room, me) = self.require_member(actor, room).await?;
        self.require_blocklist(&room, me.role)?;
        self.inner.store.room_blocklist(room.id).await
    }

    /// Replace a room's own blocklist (admins and the owner; not in direct rooms):
    /// at most [`MAX_ROOM_BLOCKLIST`] entries of 1 to [`MAX_BLOCKLIST_ENTRY_CHARS`]
    /// characters, trimmed, duplicates dropped. Returns the list as stored.
    pub async fn set_room_blocklist(
        &self,
        actor: UserId,
        room: RoomId,
        entries: Vec<String>,
    ) -> Result<Vec<String>> {
        let (room, me) = self.require_member(actor, room).await?;
        self.require_blocklist(&room, me.role)?;
        if entries.len() > MAX_ROOM_BLOCKLIST {
            return Err(Error::TooLarge {
                field: "entries",
                limit: MAX_ROOM_BLOCKLIST,
            });
        }
        let mut clean: Vec<String> = Vec::with_capacity(entries.len());
        for e in entries {
            let e = e.trim().to_lowercase();
            if e.is_empty() || !validate::fits(&e, MAX_BLOCKLIST_ENTRY_CHARS) {
                return Err(Error::invalid(
                    "entries",
                    format!("each entry must be 1 to {MAX_BLOCKLIST_ENTRY_CHARS} characters"),
                ));
            }
            if !e.chars().any(char::is_alphanumeric) {
                return Err(Error::invalid(
                    "entries",
                    "an entry needs a letter or digit",
                ));
            }
            if !clean.contains(&e) {
                clean.push(e);
            }
        }
        self.inner.store.set_room_blocklist(room.id, &clean).await?;
        self.inner.hooks.cache.lock().1.clear();
        self.access_changed().await;
        self.mod_log(room.id, actor, crate::model::ModAction::SetBlocklist)
            .reason(format!("{} entries", clean.len()))
            .write()
            .await?;
        Ok(clean)
    }

    fn require_blocklist(&self, room: &Room, role: crate::Role) -> Result<()> {
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms have no blocklist"));
        }
        self.require(role, Action::ManageBlocklist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_whole_words_and_globs() {
        let b = Blocklist::new(["darn", "spam*", "buy now", "a*c"]);
        assert!(b.find("well DARN it", &[]).is_some());
        assert!(b.find("darned", &[]).is_none(), "whole words only");
        assert!(b.find("a spammer!", &[]).is_some());
        assert!(b.find("buy   now!", &[]).is_some());
        assert!(b.find("buy it now", &[]).is_none());
        assert!(b.find("abbc", &[]).is_some());
        assert!(b.find("abbd", &[]).is_none());
        assert!(b.find("fine words", &["words".to_owned()]).is_some());
        assert!(b.find("fine", &["words".to_owned()]).is_none());
    }

    #[test]
    fn glob_edges() {
        assert!(glob("*", ""));
        assert!(glob("a*", "a"));
        assert!(!glob("ab*ba", "aba"), "parts may not overlap");
        assert!(glob("ab*ba", "abba"));
        assert!(!glob("abc", "abcd"));
    }
}
