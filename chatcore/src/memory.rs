//! [`MemoryStore`]: a complete in-memory store, for tests and for apps that embed
//! chat without a database. Nothing survives the process.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::error::{Conflict, Error, Result};
use crate::ids::FileId;
use crate::ids::{MessageId, RoomCode, RoomId, Seq, SessionId, UserId};
use crate::model::{AccountToken, FileKind, FileRecord, TokenPurpose};
use crate::model::{
    Ban, Invite, Membership, Message, NewMessage, NewUser, PageRequest, Role, Room, Session,
    Timestamp, User,
};
use crate::store::{
    AccountStore, FileScope, FileStore, Maintenance, MessageStore, RoomStore, SessionStore, Store,
    UserStore,
};

#[derive(Default)]
struct Inner {
    users: HashMap<UserId, User>,
    passwords: HashMap<UserId, String>,
    usernames: HashMap<String, UserId>,
    emails: HashMap<String, UserId>,
    externals: HashMap<String, UserId>,
    sessions: HashMap<SessionId, Session>,
    session_hashes: HashMap<[u8; 32], SessionId>,
    rooms: HashMap<RoomId, Room>,
    codes: HashMap<String, RoomId>,
    direct_keys: HashMap<String, RoomId>,
    /// room -> user -> membership
    members: HashMap<RoomId, HashMap<UserId, Membership>>,
    bans: HashMap<(RoomId, UserId), Ban>,
    invites: HashMap<(RoomId, UserId), Invite>,
    messages: HashMap<MessageId, Message>,
    /// room -> seq -> message id
    by_seq: HashMap<RoomId, BTreeMap<Seq, MessageId>>,
    nonces: HashMap<(RoomId, UserId, String), MessageId>,
}

/// An in-memory [`Store`]. Every operation takes one lock, so each is atomic.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    media: Mutex<MediaInner>,
}

/// Account tokens, verification times and file records.
#[derive(Default)]
struct MediaInner {
    verified: HashMap<UserId, Timestamp>,
    tokens: HashMap<[u8; 32], AccountToken>,
    files: HashMap<FileId, FileRecord>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = self.inner.lock();
        f.debug_struct("MemoryStore")
            .field("users", &i.users.len())
            .field("rooms", &i.rooms.len())
            .field("messages", &i.messages.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Inner {
    fn check_user_unique(&self, user: &User, except: Option<UserId>) -> Result<()> {
        let taken = |owner: Option<&UserId>| owner.is_some_and(|o| Some(*o) != except);
        if taken(self.usernames.get(&user.username.normalized())) {
            return Err(Error::Conflict(Conflict::Username));
        }
        if let Some(e) = &user.email
            && taken(self.emails.get(e))
        {
            return Err(Error::Conflict(Conflict::Email));
        }
        if let Some(x) = &user.external_id
            && taken(self.externals.get(x))
        {
            return Err(Error::Conflict(Conflict::ExternalIdentity));
        }
        Ok(())
    }

    fn index_user(&mut self, user: &User) {
        self.usernames.insert(user.username.normalized(), user.id);
        if let Some(e) = &user.email {
            self.emails.insert(e.clone(), user.id);
        }
        if let Some(x) = &user.external_id {
            self.externals.insert(x.clone(), user.id);
        }
    }

    fn unindex_user(&mut self, user: &User) {
        self.usernames.remove(&user.username.normalized());
        if let Some(e) = &user.email {
            self.emails.remove(e);
        }
        if let Some(x) = &user.external_id {
            self.externals.remove(x);
        }
    }

    fn remove_room(&mut self, id: RoomId) {
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
            }
        }
        self.nonces.retain(|(r, _, _), _| *r != id);
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, new: NewUser) -> Result<User> {
        let mut i = self.inner.lock();
        i.check_user_unique(&new.user, None)?;
        i.index_user(&new.user);
        if let Some(h) = new.password_hash {
            i.passwords.insert(new.user.id, h);
        }
        i.users.insert(new.user.id, new.user.clone());
        Ok(new.user)
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.inner.lock().users.get(&id).cloned())
    }

    async fn get_users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let i = self.inner.lock();
        Ok(ids
            .iter()
            .filter_map(|id| i.users.get(id).cloned())
            .collect())
    }

    async fn find_user_by_username(&self, normalized: &str) -> Result<Option<User>> {
        let i = self.inner.lock();
        Ok(i.usernames
            .get(normalized)
            .and_then(|id| i.users.get(id))
            .cloned())
    }

    async fn find_user_by_external_id(&self, external_id: &str) -> Result<Option<User>> {
        let i = self.inner.lock();
        Ok(i.externals
            .get(external_id)
            .and_then(|id| i.users.get(id))
            .cloned())
    }

    async fn update_user(&self, user: &User) -> Result<()> {
        let mut i = self.inner.lock();
        let old = i
            .users
            .get(&user.id)
            .cloned()
            .ok_or(Error::NotFound("user"))?;
        i.check_user_unique(user, Some(user.id))?;
        i.unindex_user(&old);
        i.index_user(user);
        let mut updated = user.clone();
        updated.created_at = old.created_at;
        updated.last_seen_at = old.last_seen_at;
        updated.external_id = old.external_id;
        i.users.insert(user.id, updated);
        Ok(())
    }

    async fn get_password_hash(&self, id: UserId) -> Result<Option<String>> {
        Ok(self.inner.lock().passwords.get(&id).cloned())
    }

    async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.users.contains_key(&id) {
            return Err(Error::NotFound("user"));
        }
        i.passwords.insert(id, hash.to_owned());
        Ok(())
    }

    async fn set_last_seen(&self, id: UserId, at: Timestamp) -> Result<()> {
        if let Some(u) = self.inner.lock().users.get_mut(&id) {
            u.last_seen_at = Some(at);
        }
        Ok(())
    }

    async fn delete_user(&self, id: UserId, at: Timestamp) -> Result<()> {
        let mut i = self.inner.lock();
        let user = i.users.remove(&id).ok_or(Error::NotFound("user"))?;
        i.unindex_user(&user);
        i.passwords.remove(&id);
        let sessions: Vec<SessionId> = i
            .sessions
            .values()
            .filter(|s| s.user_id == id)
            .map(|s| s.id)
            .collect();
        for s in sessions {
            if let Some(s) = i.sessions.remove(&s) {
                i.session_hashes.remove(&s.token_hash);
            }
        }
        for members in i.members.values_mut() {
            members.remove(&id);
        }
        i.invites.retain(|(_, u), _| *u != id);
        i.bans.retain(|(_, u), _| *u != id);
        for b in i.bans.values_mut() {
            if b.banned_by == Some(id) {
                b.banned_by = None;
            }
        }
        i.nonces.retain(|(_, u, _), _| *u != id);
        for m in i.messages.values_mut() {
            if m.author_id == Some(id) {
                m.author_id = None;
                m.body.clear();
                m.attachment = None;
                if m.deleted_at.is_none() {
                    m.deleted_at = Some(at);
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: Session) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.users.contains_key(&session.user_id) {
            return Err(Error::NotFound("user"));
        }
        i.session_hashes.insert(session.token_hash, session.id);
        i.sessions.insert(session.id, session);
        Ok(())
    }

    async fn find_session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        let i = self.inner.lock();
        Ok(i.session_hashes
            .get(token_hash)
            .and_then(|id| i.sessions.get(id))
            .cloned())
    }

    async fn touch_session(
        &self,
        id: SessionId,
        last_used_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        if let Some(s) = self.inner.lock().sessions.get_mut(&id) {
            s.last_used_at = last_used_at;
            s.expires_at = expires_at;
        }
        Ok(())
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>> {
        let i = self.inner.lock();
        let mut v: Vec<Session> = i
            .sessions
            .values()
            .filter(|s| s.user_id == user)
            .cloned()
            .collect();
        v.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    async fn delete_session(&self, user: UserId, id: SessionId) -> Result<bool> {
        let mut i = self.inner.lock();
        match i.sessions.get(&id) {
            Some(s) if s.user_id == user => {
                let hash = s.token_hash;
                i.sessions.remove(&id);
                i.session_hashes.remove(&hash);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete_user_sessions(&self, user: UserId) -> Result<u64> {
        let mut i = self.inner.lock();
        let ids: Vec<(SessionId, [u8; 32])> = i
            .sessions
            .values()
            .filter(|s| s.user_id == user)
            .map(|s| (s.id, s.token_hash))
            .collect();
        for (id, hash) in &ids {
            i.sessions.remove(id);
            i.session_hashes.remove(hash);
        }
        Ok(ids.len() as u64)
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
        let ms = i.members.entry(member.room_id).or_default();
        if ms.contains_key(&member.user_id) {
            return Err(Error::Conflict(Conflict::AlreadyMember));
        }
        if ms.len() >= max_members as usize {
            return Err(Error::Conflict(Conflict::RoomFull));
        }
        ms.insert(member.user_id, member.clone());
        i.invites.remove(&(member.room_id, member.user_id));
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

    async fn set_role(&self, room: RoomId, user: UserId, role: Role) -> Result<()> {
        let mut i = self.inner.lock();
        let m = i
            .members
            .get_mut(&room)
            .and_then(|ms| ms.get_mut(&user))
            .ok_or(Error::NotFound("member"))?;
        m.role = role;
        Ok(())
    }

    async fn transfer_ownership(&self, room: RoomId, from: UserId, to: UserId) -> Result<()> {
        let mut i = self.inner.lock();
        let ms = i.members.get_mut(&room).ok_or(Error::NotFound("member"))?;
        if !ms.contains_key(&from) || !ms.contains_key(&to) {
            return Err(Error::NotFound("member"));
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
        Ok(self
            .inner
            .lock()
            .members
            .get_mut(&room)
            .and_then(|ms| ms.remove(&user))
            .is_some())
    }

    async fn ban(&self, ban: Ban) -> Result<()> {
        let mut i = self.inner.lock();
        if !i.rooms.contains_key(&ban.room_id) {
            return Err(Error::NotFound("room"));
        }
        let key = (ban.room_id, ban.user_id);
        if let Some(ms) = i.members.get_mut(&ban.room_id) {
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

#[async_trait]
impl MessageStore for MemoryStore {
    async fn append_message(&self, new: NewMessage) -> Result<Message> {
        let mut i = self.inner.lock();
        if let (Some(author), Some(nonce)) = (new.author_id, &new.client_nonce)
            && let Some(existing) = i
                .nonces
                .get(&(new.room_id, author, nonce.clone()))
                .and_then(|id| i.messages.get(id))
        {
            return Ok(existing.clone());
        }
        let room = i
            .rooms
            .get_mut(&new.room_id)
            .ok_or(Error::NotFound("room"))?;
        room.last_seq += 1;
        let seq = room.last_seq;
        let msg = Message {
            id: new.id,
            room_id: new.room_id,
            seq,
            author_id: new.author_id,
            kind: new.kind,
            body: new.body,
            system: new.system,
            attachment: new.attachment,
            reply_to: new.reply_to,
            client_nonce: new.client_nonce,
            created_at: new.created_at,
            edited_at: None,
            deleted_at: None,
        };
        if let (Some(author), Some(nonce)) = (msg.author_id, &msg.client_nonce) {
            i.nonces
                .insert((msg.room_id, author, nonce.clone()), msg.id);
        }
        i.by_seq.entry(msg.room_id).or_default().insert(seq, msg.id);
        i.messages.insert(msg.id, msg.clone());
        Ok(msg)
    }

    async fn get_message(&self, id: MessageId) -> Result<Option<Message>> {
        Ok(self.inner.lock().messages.get(&id).cloned())
    }

    async fn edit_message(&self, id: MessageId, body: &str, at: Timestamp) -> Result<()> {
        let mut i = self.inner.lock();
        let m = i.messages.get_mut(&id).ok_or(Error::NotFound("message"))?;
        m.body = body.to_owned();
        m.edited_at = Some(at);
        Ok(())
    }

    async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<()> {
        let mut i = self.inner.lock();
        let m = i.messages.get_mut(&id).ok_or(Error::NotFound("message"))?;
        m.body.clear();
        m.attachment = None;
        m.deleted_at = Some(at);
        Ok(())
    }

    async fn list_messages(&self, room: RoomId, page: PageRequest) -> Result<Vec<Message>> {
        let i = self.inner.lock();
        let Some(seqs) = i.by_seq.get(&room) else {
            return Ok(Vec::new());
        };
        let lo = page
            .after
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let hi = page
            .before
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let range = seqs.range((lo, hi));
        let limit = page.limit as usize;
        let ids: Vec<MessageId> = if page.after.is_some() {
            range.take(limit).map(|(_, id)| *id).collect()
        } else {
            let mut v: Vec<MessageId> = range.rev().take(limit).map(|(_, id)| *id).collect();
            v.reverse();
            v
        };
        Ok(ids
            .iter()
            .filter_map(|id| i.messages.get(id).cloned())
            .collect())
    }

    async fn last_seq(&self, room: RoomId) -> Result<Seq> {
        Ok(self.inner.lock().rooms.get(&room).map_or(0, |r| r.last_seq))
    }
}

#[async_trait]
impl Maintenance for MemoryStore {
    async fn delete_expired(&self, now: Timestamp) -> Result<u64> {
        let mut i = self.inner.lock();
        let before = i.sessions.len() + i.bans.len();
        let expired: Vec<(SessionId, [u8; 32])> = i
            .sessions
            .values()
            .filter(|s| s.expires_at <= now)
            .map(|s| (s.id, s.token_hash))
            .collect();
        for (id, hash) in expired {
            i.sessions.remove(&id);
            i.session_hashes.remove(&hash);
        }
        i.bans.retain(|_, b| b.is_active(now));
        let mut m = self.media.lock();
        let tokens = m.tokens.len();
        m.tokens.retain(|_, t| t.expires_at > now);
        Ok((before - i.sessions.len() - i.bans.len() + tokens - m.tokens.len()) as u64)
    }
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let i = self.inner.lock();
        Ok(i.emails.get(email).and_then(|id| i.users.get(id)).cloned())
    }
    async fn email_verified_at(&self, user: UserId) -> Result<Option<Timestamp>> {
        Ok(self.media.lock().verified.get(&user).copied())
    }
    async fn set_email_verified(&self, user: UserId, at: Option<Timestamp>) -> Result<()> {
        if !self.inner.lock().users.contains_key(&user) {
            return Err(Error::NotFound("user"));
        }
        let mut m = self.media.lock();
        match at {
            Some(t) => m.verified.insert(user, t),
            None => m.verified.remove(&user),
        };
        Ok(())
    }
    async fn create_account_token(&self, token: AccountToken) -> Result<()> {
        if !self.inner.lock().users.contains_key(&token.user_id) {
            return Err(Error::NotFound("user"));
        }
        self.media.lock().tokens.insert(token.token_hash, token);
        Ok(())
    }
    async fn take_account_token(
        &self,
        token_hash: &[u8; 32],
        purpose: TokenPurpose,
    ) -> Result<Option<AccountToken>> {
        let mut m = self.media.lock();
        if m.tokens
            .get(token_hash)
            .is_some_and(|t| t.purpose == purpose)
        {
            return Ok(m.tokens.remove(token_hash));
        }
        Ok(None)
    }
    async fn delete_account_tokens(&self, user: UserId, purpose: TokenPurpose) -> Result<u64> {
        let mut m = self.media.lock();
        let before = m.tokens.len();
        m.tokens
            .retain(|_, t| !(t.user_id == user && t.purpose == purpose));
        Ok((before - m.tokens.len()) as u64)
    }
}

#[async_trait]
impl FileStore for MemoryStore {
    async fn create_file(&self, file: FileRecord) -> Result<()> {
        let mut m = self.media.lock();
        if m.files.contains_key(&file.id) {
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        m.files.insert(file.id, file);
        Ok(())
    }
    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>> {
        Ok(self.media.lock().files.get(&id).cloned())
    }
    async fn attach_file(&self, id: FileId, message: MessageId) -> Result<bool> {
        let mut m = self.media.lock();
        match m.files.get_mut(&id) {
            Some(f) if f.deleted_at.is_none() && f.message_id.is_none() => {
                f.message_id = Some(message);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_file(&self, id: FileId, at: Timestamp) -> Result<bool> {
        let mut m = self.media.lock();
        match m.files.get_mut(&id) {
            Some(f) if f.deleted_at.is_none() => {
                f.deleted_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_files(&self, scope: FileScope, at: Timestamp) -> Result<Vec<String>> {
        let mut m = self.media.lock();
        let in_scope = |f: &FileRecord| match scope {
            FileScope::Room(room) => f.room_id == Some(room),
            FileScope::Uploader(user) => {
                f.uploader_id == Some(user) && f.kind != FileKind::RoomAvatar
            }
        };
        Ok(m.files
            .values_mut()
            .filter(|f| f.deleted_at.is_none() && in_scope(f))
            .map(|f| {
                f.deleted_at = Some(at);
                f.blob_key.clone()
            })
            .collect())
    }
}

impl Store for MemoryStore {
    fn maintenance(&self) -> Option<&dyn Maintenance> {
        Some(self)
    }
}
