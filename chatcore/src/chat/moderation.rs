//! Moderation: kicks and bans.

use super::{Chat, validate};
use crate::error::{Error, Result};
use crate::ids::{RoomId, UserId};
use crate::model::{Ban, ModAction, Role, RoomKind, Timestamp};
use crate::perm::Action;
use crate::protocol::RemovalReason;

impl Chat {
    /// Refuse a user who is banned (an expired ban no longer counts).
    pub(super) async fn check_not_banned(&self, room: RoomId, user: UserId) -> Result<()> {
        if let Some(ban) = self.inner.store.get_ban(room, user).await?
            && ban.is_active(self.now())
        {
            return Err(Error::Banned);
        }
        Ok(())
    }

    /// Remove a member without banning them.
    pub async fn kick(&self, actor: UserId, room: RoomId, user: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("no moderation in direct rooms"));
        }
        let target = self
            .inner
            .store
            .get_member(room.id, user)
            .await?
            .ok_or(Error::NotFound("member"))?;
        self.require(
            me.role,
            Action::Kick {
                target: target.role,
            },
        )?;
        // The removal, the re-check of both roles and the log entry are one store
        // transaction: a moderator demoted since the check above is refused.
        let log = self.mod_log(room.id, actor, ModAction::Kick).user(user);
        let by = log.by(me.role);
        if !self
            .inner
            .store
            .kick_logged(room.id, user, target.role, by)
            .await?
        {
            return Err(Error::NotFound("member"));
        }
        self.access_changed().await;
        self.announce_removal(room.id, user, RemovalReason::Kicked, Some(actor))
            .await
    }

    /// Ban a user (member or not) from a room, with a reason and optional expiry.
    /// A member is removed at once, including from their live connections.
    pub async fn ban(
        &self,
        actor: UserId,
        room: RoomId,
        user: UserId,
        reason: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<Ban> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("no moderation in direct rooms"));
        }
        if user == actor {
            return Err(Error::invalid("user", "you cannot ban yourself"));
        }
        let reason = validate::text("reason", reason, self.inner.limits.max_description_chars)?;
        let now = self.now();
        if expires_at.is_some_and(|e| e <= now) {
            return Err(Error::invalid("expires_at", "must be in the future"));
        }
        self.user(user).await?;
        let target = self.inner.store.get_member(room.id, user).await?;
        let target_role = target.as_ref().map_or(Role::Member, |m| m.role);
        self.require(
            me.role,
            Action::Ban {
                target: target_role,
            },
        )?;
        let ban = Ban {
            room_id: room.id,
            user_id: user,
            banned_by: Some(actor),
            reason,
            created_at: now,
            expires_at,
        };
        let until = expires_at.map_or_else(String::new, |e| {
            format!(
                " (until {})",
                e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        });
        let by = self
            .mod_log(room.id, actor, ModAction::Ban)
            .user(user)
            .reason(format!("{}{until}", ban.reason))
            .by(me.role);
        // One store transaction: the ban, the re-check of both roles, the log entry.
        // A user who joined since the check above is removed (and told) too.
        let removed = self
            .inner
            .store
            .ban_logged(ban.clone(), target_role, by)
            .await?;
        self.access_changed().await;
        if removed {
            self.announce_removal(room.id, user, RemovalReason::Banned, Some(actor))
                .await?;
        }
        Ok(ban)
    }

    /// Lift a ban.
    pub async fn unban(&self, actor: UserId, room: RoomId, user: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        self.require(
            me.role,
            Action::Ban {
                target: Role::Member,
            },
        )?;
        if !self.inner.store.unban(room.id, user).await? {
            return Err(Error::NotFound("ban"));
        }
        self.mod_log(room.id, actor, ModAction::Unban)
            .user(user)
            .write()
            .await?;
        Ok(())
    }

    /// A room's bans (moderators and up).
    pub async fn list_bans(&self, actor: UserId, room: RoomId) -> Result<Vec<Ban>> {
        let (room, me) = self.require_member(actor, room).await?;
        self.require(
            me.role,
            Action::Ban {
                target: Role::Member,
            },
        )?;
        self.inner.store.list_bans(room.id).await
    }
}
