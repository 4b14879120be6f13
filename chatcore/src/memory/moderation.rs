//! `ModerationStore`.

use async_trait::async_trait;
use uuid::Uuid;

use super::{Inner, MemoryStore};
use crate::error::{Conflict, Error, Result};
use crate::ids::{RoomId, UserId};
use crate::model::{Ban, Block, ModLogEntry, Report, ReportResolution, Role, Timeout, Timestamp};
use crate::store::{ModeratedBy, ModerationStore, OWNER_STAYS, OWNERSHIP_MOVES};

/// What the memory store keeps for moderation (a part of its one locked state).
#[derive(Default)]
pub(super) struct ModInner {
    /// Reports, oldest first.
    reports: Vec<Report>,
    /// Moderation log entries, oldest first.
    log: Vec<ModLogEntry>,
    timeouts: std::collections::HashMap<(RoomId, UserId), Timeout>,
    /// (blocker, blocked) -> since
    blocks: std::collections::HashMap<(UserId, UserId), Timestamp>,
}

impl Inner {
    /// A room went: its reports, log and timeouts go with it.
    pub(super) fn forget_room_moderation(&mut self, room: RoomId) {
        let m = &mut self.moderation;
        m.reports.retain(|r| r.room_id != room);
        m.log.retain(|e| e.room_id != room);
        m.timeouts.retain(|(r, _), _| *r != room);
    }

    /// A user went: their blocks and timeouts go, their id is cleared elsewhere.
    pub(super) fn forget_user_moderation(&mut self, user: UserId) {
        let m = &mut self.moderation;
        m.blocks.retain(|(a, b), _| *a != user && *b != user);
        m.timeouts.retain(|(_, u), _| *u != user);
        for t in m.timeouts.values_mut() {
            if t.by == Some(user) {
                t.by = None;
            }
        }
        for r in &mut m.reports {
            for id in [&mut r.reporter, &mut r.author, &mut r.resolved_by] {
                if *id == Some(user) {
                    *id = None;
                }
            }
        }
        for e in &mut m.log {
            for id in [&mut e.actor, &mut e.target_user] {
                if *id == Some(user) {
                    *id = None;
                }
            }
        }
    }
}

#[async_trait]
impl ModerationStore for MemoryStore {
    async fn create_report(&self, report: Report) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&report.room_id) {
            return Err(Error::NotFound("room"));
        }
        let dup = i.moderation.reports.iter().any(|r| {
            r.is_open()
                && r.message_id == report.message_id
                && r.reporter.is_some()
                && r.reporter == report.reporter
        });
        if dup {
            return Err(Error::Conflict(Conflict::ReportOpen));
        }
        i.moderation.reports.push(report);
        Ok(())
    }

    async fn get_report(&self, id: Uuid) -> Result<Option<Report>> {
        let i = self.inner.lock();
        Ok(i.moderation.reports.iter().find(|r| r.id == id).cloned())
    }

    async fn list_reports(
        &self,
        room: Option<RoomId>,
        open_only: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Report>> {
        let i = self.inner.lock();
        let mut out: Vec<Report> = i
            .moderation
            .reports
            .iter()
            .filter(|r| room.is_none_or(|room| r.room_id == room))
            .filter(|r| !open_only || r.is_open())
            .filter(|r| before.is_none_or(|b| r.id < b))
            .cloned()
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn resolve_report(
        &self,
        id: Uuid,
        resolution: ReportResolution,
        by: UserId,
        at: Timestamp,
        log: ModLogEntry,
    ) -> Result<bool> {
        let mut i = self.inner.lock();
        let Some(r) = i
            .moderation
            .reports
            .iter_mut()
            .find(|r| r.id == id && r.is_open())
        else {
            return Ok(false);
        };
        r.resolution = Some(resolution);
        r.resolved_by = Some(by);
        r.resolved_at = Some(at);
        i.moderation.log.push(log);
        Ok(true)
    }

    async fn reopen_report(&self, id: Uuid, log: Uuid) -> Result<()> {
        let mut i = self.inner.lock();
        if let Some(r) = i.moderation.reports.iter_mut().find(|r| r.id == id) {
            r.resolution = None;
            r.resolved_by = None;
            r.resolved_at = None;
        }
        i.moderation.log.retain(|e| e.id != log);
        Ok(())
    }

    async fn append_mod_log(&self, entry: ModLogEntry) -> Result<()> {
        self.inner.lock().moderation.log.push(entry);
        Ok(())
    }

    async fn kick_logged(
        &self,
        room: RoomId,
        user: UserId,
        expected: Role,
        by: ModeratedBy,
    ) -> Result<bool> {
        let mut i = self.inner.lock();
        check_actor(&i, room, &by)?;
        let Some(target) = role_of(&i, room, user) else {
            return Ok(false);
        };
        if target == Role::Owner {
            return Err(Error::Forbidden(OWNER_STAYS));
        }
        if target != expected {
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        if let Some(ms) = i.members.get_mut(&room) {
            ms.remove(&user);
        }
        i.moderation.log.push(by.log);
        Ok(true)
    }

    async fn ban_logged(&self, ban: Ban, expected: Role, by: ModeratedBy) -> Result<bool> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&ban.room_id) {
            return Err(Error::NotFound("room"));
        }
        check_actor(&i, ban.room_id, &by)?;
        let target = role_of(&i, ban.room_id, ban.user_id);
        if target == Some(Role::Owner) {
            return Err(Error::Forbidden(OWNER_STAYS));
        }
        if target.unwrap_or(Role::Member) != expected {
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        let key = (ban.room_id, ban.user_id);
        if let Some(ms) = i.members.get_mut(&ban.room_id) {
            ms.remove(&ban.user_id);
        }
        i.invites.remove(&key);
        i.bans.insert(key, ban);
        i.moderation.log.push(by.log);
        Ok(target.is_some())
    }

    async fn set_role_logged(
        &self,
        room: RoomId,
        user: UserId,
        expected: Role,
        role: Role,
        by: ModeratedBy,
    ) -> Result<()> {
        if expected == Role::Owner || role == Role::Owner {
            return Err(Error::Forbidden(OWNERSHIP_MOVES));
        }
        let mut i = self.inner.lock();
        check_actor(&i, room, &by)?;
        let m = i
            .members
            .get_mut(&room)
            .and_then(|ms| ms.get_mut(&user))
            .ok_or(Error::NotFound("member"))?;
        if m.role != expected {
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        m.role = role;
        i.moderation.log.push(by.log);
        Ok(())
    }

    async fn list_mod_log(
        &self,
        room: RoomId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<ModLogEntry>> {
        let i = self.inner.lock();
        let mut out: Vec<ModLogEntry> = i
            .moderation
            .log
            .iter()
            .filter(|e| e.room_id == room && before.is_none_or(|b| e.id < b))
            .cloned()
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn set_timeout(&self, timeout: Timeout, log: ModLogEntry) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&timeout.room_id) {
            return Err(Error::NotFound("room"));
        }
        i.moderation
            .timeouts
            .insert((timeout.room_id, timeout.user_id), timeout);
        i.moderation.log.push(log);
        Ok(())
    }

    async fn clear_timeout(&self, room: RoomId, user: UserId, log: ModLogEntry) -> Result<bool> {
        let mut i = self.inner.lock();
        if i.moderation.timeouts.remove(&(room, user)).is_none() {
            return Ok(false);
        }
        i.moderation.log.push(log);
        Ok(true)
    }

    async fn get_timeout(&self, room: RoomId, user: UserId) -> Result<Option<Timeout>> {
        Ok(self
            .inner
            .lock()
            .moderation
            .timeouts
            .get(&(room, user))
            .cloned())
    }

    async fn user_timeouts(&self, user: UserId) -> Result<Vec<Timeout>> {
        let i = self.inner.lock();
        Ok(i.moderation
            .timeouts
            .values()
            .filter(|t| t.user_id == user)
            .cloned()
            .collect())
    }

    async fn block_user(&self, blocker: UserId, blocked: UserId, at: Timestamp) -> Result<bool> {
        let mut i = self.inner.lock();
        if !i.users.contains_key(&blocker) || !i.users.contains_key(&blocked) {
            return Err(Error::NotFound("user"));
        }
        if i.moderation.blocks.contains_key(&(blocker, blocked)) {
            return Ok(false);
        }
        i.moderation.blocks.insert((blocker, blocked), at);
        Ok(true)
    }

    async fn unblock_user(&self, blocker: UserId, blocked: UserId) -> Result<bool> {
        let mut i = self.inner.lock();
        Ok(i.moderation.blocks.remove(&(blocker, blocked)).is_some())
    }

    async fn list_blocks(&self, blocker: UserId) -> Result<Vec<Block>> {
        let i = self.inner.lock();
        let mut out: Vec<Block> = i
            .moderation
            .blocks
            .iter()
            .filter(|((a, _), _)| *a == blocker)
            .map(|((_, b), at)| Block {
                user_id: *b,
                created_at: *at,
            })
            .collect();
        out.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(a.user_id.cmp(&b.user_id))
        });
        Ok(out)
    }

    async fn blocked_between(&self, a: UserId, b: UserId) -> Result<bool> {
        let i = self.inner.lock();
        Ok(i.moderation.blocks.contains_key(&(a, b)) || i.moderation.blocks.contains_key(&(b, a)))
    }
}

fn role_of(i: &Inner, room: RoomId, user: UserId) -> Option<Role> {
    i.members.get(&room)?.get(&user).map(|m| m.role)
}

/// The actor of a moderated action still holds the role it was authorized with.
fn check_actor(i: &Inner, room: RoomId, by: &ModeratedBy) -> Result<()> {
    if role_of(i, room, by.actor) == Some(by.role) {
        Ok(())
    } else {
        Err(Error::Conflict(Conflict::Concurrent))
    }
}
