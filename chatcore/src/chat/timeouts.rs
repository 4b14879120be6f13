//! Timeouts: a moderator mutes a member of a group room for a while.
//!
//! A timed-out member still reads the room but cannot send, react or type
//! ([`Error::TimedOut`], code `timed_out`, with the end time). The timeout is kept
//! per room and user, apart from the membership, so leaving and joining again does
//! not end it. It ends by itself: every check compares the end time with the clock,
//! so no timer runs. Setting or lifting one empties the send path's access cache on
//! every node ([`Chat::access_changed`]), so the next send anywhere sees it.

use std::time::Duration;

use super::{Chat, validate};
use crate::error::{Error, Result};
use crate::hub::Dispatch;
use crate::ids::{RoomId, UserId};
use crate::model::{ModAction, RoomKind, Timeout, Timestamp};
use crate::perm::Action;
use crate::protocol::ServerEvent;

impl Chat {
    /// Time a member out for `duration` (between [`crate::Limits::min_timeout`] and
    /// [`crate::Limits::max_timeout`]); a new timeout replaces the old one.
    pub async fn timeout_member(
        &self,
        actor: UserId,
        room: RoomId,
        user: UserId,
        duration: Duration,
        reason: &str,
    ) -> Result<Timeout> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("no moderation in direct rooms"));
        }
        if user == actor {
            return Err(Error::invalid("user", "you cannot time yourself out"));
        }
        let reason = validate::text("reason", reason, self.inner.limits.max_description_chars)?;
        let (min, max) = (self.inner.limits.min_timeout, self.inner.limits.max_timeout);
        if duration < min || duration > max {
            return Err(Error::invalid(
                "duration_secs",
                format!(
                    "must be {} to {} seconds",
                    min.as_secs_f64().ceil(),
                    max.as_secs()
                ),
            ));
        }
        let target = self
            .inner
            .store
            .get_member(room.id, user)
            .await?
            .ok_or(Error::NotFound("member"))?;
        self.require(
            me.role,
            Action::Timeout {
                target: target.role,
            },
        )?;
        let now = self.now();
        let until = now
            + chrono::Duration::from_std(duration)
                .map_err(|_| Error::invalid("duration_secs", "too long"))?;
        let timeout = Timeout {
            room_id: room.id,
            user_id: user,
            until,
            by: Some(actor),
            reason: reason.clone(),
            created_at: now,
        };
        let log = self
            .mod_log(room.id, actor, ModAction::Timeout)
            .user(user)
            .reason(format!("until {}: {reason}", rfc3339(until)))
            .entry();
        self.inner.store.set_timeout(timeout.clone(), log).await?;
        self.access_changed().await;
        self.publish_queued(Dispatch::Room {
            room: room.id,
            event: ServerEvent::TimedOut {
                room: room.id,
                user,
                until: Some(until),
                by: actor,
            },
        })
        .await;
        Ok(timeout)
    }

    /// Lift a timeout before its end (the same moderators who may set it).
    pub async fn clear_timeout(&self, actor: UserId, room: RoomId, user: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        let target_role = self
            .inner
            .store
            .get_member(room.id, user)
            .await?
            .map_or(crate::Role::Member, |m| m.role);
        self.require(
            me.role,
            Action::Timeout {
                target: target_role,
            },
        )?;
        let log = self
            .mod_log(room.id, actor, ModAction::ClearTimeout)
            .user(user)
            .entry();
        if !self.inner.store.clear_timeout(room.id, user, log).await? {
            return Err(Error::NotFound("timeout"));
        }
        self.access_changed().await;
        self.publish_queued(Dispatch::Room {
            room: room.id,
            event: ServerEvent::TimedOut {
                room: room.id,
                user,
                until: None,
                by: actor,
            },
        })
        .await;
        Ok(())
    }

    /// When the user's timeout in the room ends, if one holds now.
    pub async fn muted_until(&self, room: RoomId, user: UserId) -> Result<Option<Timestamp>> {
        let now = self.now();
        Ok(self
            .inner
            .store
            .get_timeout(room, user)
            .await?
            .filter(|t| t.is_active(now))
            .map(|t| t.until))
    }

    /// The rooms the user is timed out in now (for `hello`).
    pub async fn my_timeouts(&self, user: UserId) -> Result<Vec<crate::protocol::MyTimeout>> {
        let now = self.now();
        Ok(self
            .inner
            .store
            .user_timeouts(user)
            .await?
            .into_iter()
            .filter(|t| t.is_active(now))
            .map(|t| crate::protocol::MyTimeout {
                room: t.room_id,
                until: t.until,
            })
            .collect())
    }

    /// Refuse a user timed out in the room (reactions and typing; the send path
    /// checks through the access cache).
    pub(super) async fn check_not_timed_out(&self, room: RoomId, user: UserId) -> Result<()> {
        match self.muted_until(room, user).await? {
            Some(until) => Err(Error::TimedOut { until }),
            None => Ok(()),
        }
    }
}

fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
