//! Users of a [`MemoryStore`].

use async_trait::async_trait;

use super::{Inner, MemoryStore};
use crate::error::{Conflict, Error, Result};
use crate::ids::{MessageId, SessionId, UserId};
use crate::model::{NewUser, Role, RoomKind, Timestamp, User};
use crate::store::UserStore;

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
        if !i.users.contains_key(&id) {
            return Err(Error::NotFound("user"));
        }
        let owns_a_group = i.members.iter().any(|(room, members)| {
            members.get(&id).is_some_and(|m| m.role == Role::Owner)
                && i.rooms
                    .get(room)
                    .is_some_and(|r| r.kind != RoomKind::Direct)
        });
        if owns_a_group {
            // Owned again since the caller handed it on: the caller retries.
            return Err(Error::Conflict(Conflict::Concurrent));
        }
        let user = i.users.remove(&id).ok_or(Error::NotFound("user"))?;
        i.unindex_user(&user);
        i.passwords.remove(&id);
        i.forget_user_moderation(id);
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
        for p in i.pins.values_mut().flatten() {
            if p.pinned_by == Some(id) {
                p.pinned_by = None;
            }
        }
        for given in i.reactions.values_mut() {
            given.retain(|(_, u, _)| *u != id);
        }
        // The threads their live replies are in, recounted once those are tombstones
        // (erased replies count no more, as deleted ones).
        let mut roots: Vec<MessageId> = i
            .messages
            .values()
            .filter(|m| m.author_id == Some(id) && m.deleted_at.is_none())
            .filter_map(|m| m.thread_root)
            .collect();
        roots.sort_unstable();
        roots.dedup();
        for m in i.messages.values_mut() {
            if m.author_id == Some(id) {
                m.author_id = None;
                m.body.clear();
                m.attachment = None;
                m.extra = None;
                if m.deleted_at.is_none() {
                    m.deleted_at = Some(at);
                }
            }
        }
        for root in roots {
            super::threads::recount(&mut i, root);
        }
        Ok(())
    }

    async fn list_expired_guests(
        &self,
        created_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<UserId>> {
        let i = self.inner.lock();
        let mut guests: Vec<&User> = i
            .users
            .values()
            .filter(|u| u.guest && u.created_at < created_before)
            .collect();
        guests.sort_by_key(|u| (u.created_at, u.id));
        Ok(guests
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|u| u.id)
            .collect())
    }
}
