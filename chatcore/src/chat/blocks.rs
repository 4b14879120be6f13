//! User blocking (see `docs/DOMAIN.md`, "Blocking").
//!
//! A block is one user's decision about another. While it stands (either way),
//! neither of the two can open their direct room or write in it; both keep reading
//! its history. Elsewhere nothing changes on the server: the blocker's client hides
//! the blocked user's messages in shared rooms, from `GET /me/blocks`. The blocked
//! user is not told.

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::model::{Block, Room, RoomKind};

/// Most users one user may block.
pub const MAX_BLOCKS: usize = 1000;

/// What the blocked user is told when a block stands between them.
pub(super) const BLOCKED: &str = "a block stands between you and this user";

impl Chat {
    /// Block a user; false if already blocked.
    pub async fn block_user(&self, actor: UserId, user: UserId) -> Result<bool> {
        if actor == user {
            return Err(Error::invalid("user", "you cannot block yourself"));
        }
        self.user(user).await?;
        if self.inner.store.list_blocks(actor).await?.len() >= MAX_BLOCKS {
            return Err(Error::TooLarge {
                field: "blocks",
                limit: MAX_BLOCKS,
            });
        }
        let added = self.inner.store.block_user(actor, user, self.now()).await?;
        // The send path caches whether a direct room is blocked.
        self.access_changed().await;
        Ok(added)
    }

    /// Lift a block; false if there was none.
    pub async fn unblock_user(&self, actor: UserId, user: UserId) -> Result<bool> {
        let removed = self.inner.store.unblock_user(actor, user).await?;
        self.access_changed().await;
        Ok(removed)
    }

    /// Whom the actor blocks, newest first.
    pub async fn list_blocks(&self, actor: UserId) -> Result<Vec<Block>> {
        self.inner.store.list_blocks(actor).await
    }

    /// Refuse a direct room between two users when a block stands either way.
    pub(super) async fn check_not_blocked(&self, a: UserId, b: UserId) -> Result<()> {
        if self.inner.store.blocked_between(a, b).await? {
            return Err(Error::Forbidden(BLOCKED));
        }
        Ok(())
    }

    /// Whether `actor` may not write in `room` because it is their direct room with
    /// someone a block stands with.
    pub(super) async fn direct_blocked(&self, room: &Room, actor: UserId) -> Result<bool> {
        if room.kind != RoomKind::Direct {
            return Ok(false);
        }
        let peer = room
            .direct_key
            .as_deref()
            .unwrap_or_default()
            .split(':')
            .filter_map(|s| s.parse::<UserId>().ok())
            .find(|u| *u != actor);
        match peer {
            Some(p) => self.inner.store.blocked_between(actor, p).await,
            None => Ok(false),
        }
    }
}
