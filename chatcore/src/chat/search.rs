//! Full-text search over the messages of the rooms the user is a member of.
//!
//! A query is split into words ([`search_words`]: runs of letters and digits,
//! lower-cased); a message matches when it has every word. Stores rank (SQLite FTS5
//! `bm25`, PostgreSQL `ts_rank` over a GIN-indexed `tsvector`, the memory store a
//! count) and see only the rooms the viewer is a member of at the time of the query,
//! so a non-member never finds a private room's message and a banned user (no longer
//! a member) no longer finds the room's. The snippet and its highlights are cut here,
//! the same for every store.

use serde::{Deserialize, Serialize};

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::{RoomId, UserId};
use crate::model::{Message, SearchQuery, Timestamp};

/// Longest query, in characters.
pub(crate) const MAX_QUERY_CHARS: usize = 200;
/// Most words in a query.
pub(crate) const MAX_QUERY_WORDS: usize = 10;
/// Largest page of hits.
pub(crate) const MAX_SEARCH_PAGE: u32 = 50;
/// Deepest offset.
pub(crate) const MAX_SEARCH_OFFSET: u32 = 1000;
/// Characters of context on each side of the first match in a snippet.
const CONTEXT_CHARS: usize = 60;

/// A search request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchRequest {
    /// The words to find (1 to 200 characters, at most 10 words).
    pub q: String,
    /// Only this room (one must be a member).
    #[serde(default)]
    pub room: Option<RoomId>,
    /// Only this author.
    #[serde(default)]
    pub author: Option<UserId>,
    /// Only messages created at or after.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub since: Option<Timestamp>,
    /// Only messages created before.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::DateTime<chrono::Utc>>))]
    pub until: Option<Timestamp>,
    /// Skip this many hits (at most 1,000).
    #[serde(default)]
    pub offset: Option<u32>,
    /// Page size (1 to 50, default 20).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One message found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// The message (load the history around its `seq` to show it in context).
    pub message: Message,
    /// Part of the body around the first match ("…" where cut).
    pub snippet: String,
    /// The matched words in `snippet`, as `[start, end)` character offsets: render
    /// them highlighted (the snippet is text, never HTML).
    pub highlights: Vec<[usize; 2]>,
}

/// A page of hits, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    /// The hits.
    pub hits: Vec<SearchHit>,
    /// Whether more hits follow (ask with `offset` + the number of hits).
    pub has_more: bool,
}

/// The words of `text` as search sees them: runs of letters and digits, lower-cased.
pub fn search_words(text: &str) -> Vec<String> {
    word_spans(text).into_iter().map(|(_, _, w)| w).collect()
}

/// `(start, end, word)` of each word, in character offsets.
fn word_spans(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut start = None;
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i, chars[s..i].iter().collect::<String>().to_lowercase()));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        let w = chars[s..].iter().collect::<String>().to_lowercase();
        out.push((s, chars.len(), w));
    }
    out
}

/// The snippet of `body` around the first word of `words`, and the highlights in it.
fn snippet(body: &str, words: &[String]) -> (String, Vec<[usize; 2]>) {
    let chars: Vec<char> = body.chars().collect();
    let spans: Vec<_> = word_spans(body)
        .into_iter()
        .filter(|(_, _, w)| words.contains(w))
        .collect();
    let first = spans.first().map_or(0, |s| s.0);
    let from = first.saturating_sub(CONTEXT_CHARS);
    let to = (first + CONTEXT_CHARS * 2).min(chars.len());
    let lead = usize::from(from > 0);
    let mut text: String = if from > 0 {
        "…".into()
    } else {
        String::new()
    };
    text.extend(&chars[from..to]);
    if to < chars.len() {
        text.push('…');
    }
    let highlights = spans
        .iter()
        .filter(|(s, e, _)| *s >= from && *e <= to)
        .map(|(s, e, _)| [s - from + lead, e - from + lead])
        .collect();
    (text, highlights)
}

impl Chat {
    /// Search the messages of the rooms the actor is a member of (see the module
    /// docs), best first.
    pub async fn search(&self, actor: UserId, req: SearchRequest) -> Result<SearchPage> {
        if req.q.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::TooLarge {
                field: "q",
                limit: MAX_QUERY_CHARS,
            });
        }
        let mut words = search_words(&req.q);
        words.dedup();
        if words.is_empty() {
            return Err(Error::invalid("q", "must contain a word"));
        }
        if words.len() > MAX_QUERY_WORDS {
            return Err(Error::invalid(
                "q",
                format!("at most {MAX_QUERY_WORDS} words"),
            ));
        }
        let limit = req.limit.unwrap_or(20);
        if !(1..=MAX_SEARCH_PAGE).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("must be 1 to {MAX_SEARCH_PAGE}"),
            ));
        }
        let offset = req.offset.unwrap_or(0);
        if offset > MAX_SEARCH_OFFSET {
            return Err(Error::invalid(
                "offset",
                format!("must be at most {MAX_SEARCH_OFFSET}"),
            ));
        }
        if let Some(room) = req.room {
            self.require_member(actor, room).await?;
        }
        let mut found = self
            .inner
            .store
            .search_messages(&SearchQuery {
                viewer: actor,
                words: words.clone(),
                room: req.room,
                author: req.author,
                since: req.since,
                until: req.until,
                offset,
                limit: limit + 1,
            })
            .await?;
        let has_more = found.len() > limit as usize;
        found.truncate(limit as usize);
        self.with_reactions(actor, &mut found).await?;
        let hits = found
            .into_iter()
            .map(|message| {
                let (snippet, highlights) = snippet(&message.body, &words);
                SearchHit {
                    message,
                    snippet,
                    highlights,
                }
            })
            .collect();
        Ok(SearchPage { hits, has_more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_snippets() {
        assert_eq!(search_words("Hello, wörld! 42x"), ["hello", "wörld", "42x"]);
        let (s, h) = snippet("say Hello there", &["hello".into()]);
        assert_eq!(s, "say Hello there");
        assert_eq!(h, [[4, 9]]);
        let long = format!("{} needle {}", "a ".repeat(100), "b ".repeat(100));
        let (s, h) = snippet(&long, &["needle".into()]);
        assert!(s.starts_with('…') && s.ends_with('…'));
        let [a, b] = h[0];
        assert_eq!(s.chars().skip(a).take(b - a).collect::<String>(), "needle");
    }
}
