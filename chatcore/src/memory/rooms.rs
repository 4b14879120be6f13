//! Rooms, memberships, bans and invitations of a [`MemoryStore`].

use async_trait::async_trait;

use super::{Inner, MemoryStore};
use crate::error::{Conflict, Error, Result};
use crate::ids::{RoomCode, RoomId, UserId};
use crate::model::{Ban, Invite, Membership, Role, Room};
use crate::store::{OWNER_STAYS, OWNERSHIP_MOVES, RoomStore};

impl Inner {
    fn remove_room(&mut self, id: RoomId) {
        self.forget_room_moderation(id);
        if let Some(room) = self.rooms.remove(&id) {
            if let Some(c) = &room.code {
                self.codes.remove(c.as_str());
            }
            if let Some(k) = &room.direct_key {
                self.direct_keys.remove(k);
            }
        }
        self.members.remove(&id);
        self.bans.retain(|(r, _), _| *r != id);
        self.invites.retain(|(r, _), _| *r != id);
        if let Some(seqs) = self.by_seq.remove(&id) {
            for mid in seqs.values() {
                self.messages.remove(mid);
                self.reactions.remove(mid);
            }
        }
        self.nonces.retain(|(r, _, _), _| *r != id);
        self.pins.remove(&id);
        self.blocklists.remove(&id);
    }
}

#[async_trait]
impl RoomStore for MemoryStore {
    async fn create_room(&self, room: Room, members: Vec<Membership>) -> Result<Room> {
        let mut i = self.inner.lock();
        if let Some(c) = &room.code
            && i.codes.contains_key(c.as_str())
        {
            return Err(Error::Conflict(Conflict::RoomCode));
        }
        if let Some(k) = &room.direct_key
            && i.direct_keys.contains_key(k)
        {
            return Err(Error::Conflict(Conflict::DirectRoomExists));
        }
        for m in &members {
            if !i.users.contains_key(&m.user_id) {
                return Err(Error::NotFound("user"));
            }
        }
        if let Some(c) = &room.code {
            i.codes.insert(c.as_str().to_owned(), room.id);
        }
        if let Some(k) = &room.direct_key {
            i.direct_keys.insert(k.clone(), room.id);
        }
        let ms = i.members.entry(room.id).or_default();
        for m in members {
            ms.insert(m.user_id, m);
        }
        i.rooms.insert(room.id, room.clone());
        Ok(room)
    }

    async fn get_room(&self, id: RoomId) -> Result<Option<Room>> {
        Ok(self.inner.lock().rooms.get(&id).cloned())
    }

    async fn find_room_by_code(&self, code: &RoomCode) -> Result<Option<Room>> {
        let i = self.inner.lock();
        Ok(i.codes
            .get(code.as_str())
            .and_then(|id| i.rooms.get(id))
            .cloned())
    }

    async fn find_direct_room(&self, direct_key: &str) -> Result<Option<Room>> {
        let i = self.inner.lock();
        Ok(i.direct_keys
            .get(direct_key)
            .and_then(|id| i.rooms.get(id))
            .cloned())
    }

    async fn list_public_rooms(
        &self,
        after: Option<(&str, RoomId)>,
        limit: u32,
    ) -> Result<Vec<Room>> {
        let i = self.inner.lock();
        let mut v: Vec<&Room> = i
            .rooms
            .values()
            .filter(|r| r.kind == crate::RoomKind::Public)
            .filter(|r| match after {
                None => true,
                Some((name, id)) => (r.name.as_str(), r.id) > (name, id),
            })
            .collect();
        v.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        Ok(v.into_iter().take(limit as usize).cloned().collect())
    }

    async fn list_user_rooms(&self, user: UserId) -> Result<Vec<(Room, Membership)>> {
        let i = self.inner.lock();
        let mut v: Vec<(Room, Membership)> = i
            .members
            .iter()
            .filter_map(|(rid, ms)| {
                let m = ms.get(&user)?;
                Some((i.rooms.get(rid)?.clone(), m.clone()))
            })
            .collect();
        v.sort_by_key(|(r, _)| r.id);
        Ok(v)
    }

    async fn update_room(&self, room: &Room) -> Result<()> {
        let mut i = self.inner.lock();
        let old = i
            .rooms
            .get(&room.id)
            .cloned()
            .ok_or(Error::NotFound("room"))?;
        if room.code != old.code {
            if let Some(c) = &room.code
                && i.codes.get(c.as_str()).is_some_and(|r| *r != room.id)
            {
                return Err(Error::Conflict(Conflict::RoomCode));
            }
            if let Some(c) = &old.code {
                i.codes.remove(c.as_str());
            }
            if let Some(c) = &room.code {
                i.codes.insert(c.as_str().to_owned(), room.id);
            }
        }
        let mut updated = room.clone();
        // Fields the settings update does not own.
        updated.last_seq = old.last_seq;
        updated.history_start_seq = old.history_start_seq;
        updated.kind = old.kind;
        updated.direct_key = old.direct_key;
        updated.created_at = old.created_at;
        updated.created_by = old.created_by;
        i.rooms.insert(room.id, updated);
        Ok(())
    }

    async fn delete_room(&self, id: RoomId) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&id) {
            return Err(Error::NotFound("room"));
        }
        i.remove_room(id);
        Ok(())
    }

    async fn add_member(&self, member: Membership, max_members: u32) -> Result<Membership> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&member.room_id) {
            return Err(Error::NotFound("room"));
        }
        if !i.users.contains_key(&member.user_id) {
            return Err(Error::NotFound("user"));
        }
        if i.bans
            .get(&(member.room_id, member.user_id))
            .is_some_and(|b| b.is_active(member.joined_at))
        {
            return Err(Error::Banned);
        }
        let ms = i.members.entry(member.room_id).or_default();
        if ms.contains_key(&member.user_id) {
            return Err(Error::Conflict(Conflict::AlreadyMember));
        }
        if ms.len() >= max_members as usize {
            return Err(Error::Conflict(Conflict::RoomFull));
        }
        ms.insert(member.user_id, member.clone());
        i.invites.remove(&(member.room_id, member.user_id));
        // A joining member has read what came before.
        let last = i.rooms.get(&member.room_id).map_or(0, |r| r.last_seq);
        i.read.insert((member.room_id, member.user_id), last);
        // A member who joins again starts without a notification setting.
        i.notify.remove(&(member.room_id, member.user_id));
        Ok(member)
    }

    async fn get_member(&self, room: RoomId, user: UserId) -> Result<Option<Membership>> {
        Ok(self
            .inner
            .lock()
            .members
            .get(&room)
            .and_then(|ms| ms.get(&user))
            .cloned())
    }

    async fn list_members(&self, room: RoomId) -> Result<Vec<Membership>> {
        let i = self.inner.lock();
        let mut v: Vec<Membership> = i
            .members
            .get(&room)
            .map(|ms| ms.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| {
            a.joined_at
                .cmp(&b.joined_at)
                .then(a.user_id.cmp(&b.user_id))
        });
        Ok(v)
    }

    async fn count_members(&self, room: RoomId) -> Result<u64> {
        Ok(self
            .inner
            .lock()
            .members
            .get(&room)
            .map_or(0, |m| m.len() as u64))
    }

    async fn set_role(&self, room: RoomId, user: UserId, expected: Role, role: Role) -> Result<()> {
        if expected == Role::Owner || role == Role::Owner {
            return Err(Error::Forbidden(OWNERSHIP_MOVES));
        }
        let mut i = self.inner.lock();
        let m = i
            .members
            .get_mut(&room)
            .and_then(|ms| ms.get_mut(&user))
            .ok_or(Error::NotFound("member"))?;
        if m.role != expected {
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        m.role = role;
        Ok(())
    }

    async fn transfer_ownership(&self, room: RoomId, from: UserId, to: UserId) -> Result<()> {
        let mut i = self.inner.lock();
        let ms = i.members.get_mut(&room).ok_or(Error::NotFound("member"))?;
        if !ms.contains_key(&from) || !ms.contains_key(&to) {
            return Err(Error::NotFound("member"));
        }
        if ms.get(&from).map(|m| m.role) != Some(Role::Owner) {
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        if let Some(m) = ms.get_mut(&from) {
            m.role = Role::Admin;
        }
        if let Some(m) = ms.get_mut(&to) {
            m.role = Role::Owner;
        }
        Ok(())
    }

    async fn remove_member(&self, room: RoomId, user: UserId) -> Result<bool> {
        let mut i = self.inner.lock();
        let Some(ms) = i.members.get_mut(&room) else {
            return Ok(false);
        };
        if ms.get(&user).is_some_and(|m| m.role == Role::Owner) {
            return Err(Error::Forbidden(OWNER_STAYS));
        }
        Ok(ms.remove(&user).is_some())
    }

    async fn ban(&self, ban: Ban) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&ban.room_id) {
            return Err(Error::NotFound("room"));
        }
        let key = (ban.room_id, ban.user_id);
        if let Some(ms) = i.members.get_mut(&ban.room_id) {
            if ms.get(&ban.user_id).is_some_and(|m| m.role == Role::Owner) {
                return Err(Error::Forbidden(OWNER_STAYS));
            }
            ms.remove(&ban.user_id);
        }
        i.invites.remove(&key);
        i.bans.insert(key, ban);
        Ok(())
    }

    async fn get_ban(&self, room: RoomId, user: UserId) -> Result<Option<Ban>> {
        Ok(self.inner.lock().bans.get(&(room, user)).cloned())
    }

    async fn unban(&self, room: RoomId, user: UserId) -> Result<bool> {
        Ok(self.inner.lock().bans.remove(&(room, user)).is_some())
    }

    async fn list_bans(&self, room: RoomId) -> Result<Vec<Ban>> {
        let i = self.inner.lock();
        let mut v: Vec<Ban> = i
            .bans
            .values()
            .filter(|b| b.room_id == room)
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(a.user_id.cmp(&b.user_id))
        });
        Ok(v)
    }

    async fn create_invite(&self, invite: Invite) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&invite.room_id) {
            return Err(Error::NotFound("room"));
        }
        i.invites
            .entry((invite.room_id, invite.user_id))
            .or_insert(invite);
        Ok(())
    }

    async fn get_invite(&self, room: RoomId, user: UserId) -> Result<Option<Invite>> {
        Ok(self.inner.lock().invites.get(&(room, user)).cloned())
    }

    async fn list_invites(&self, user: UserId) -> Result<Vec<Invite>> {
        let i = self.inner.lock();
        let mut v: Vec<Invite> = i
            .invites
            .values()
            .filter(|x| x.user_id == user)
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(a.room_id.cmp(&b.room_id))
        });
        Ok(v)
    }

    async fn delete_invite(&self, room: RoomId, user: UserId) -> Result<bool> {
        Ok(self.inner.lock().invites.remove(&(room, user)).is_some())
    }
}
