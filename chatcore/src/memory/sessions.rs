//! Sessions of a [`MemoryStore`], and the removal of expired records.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::{SessionId, UserId};
use crate::model::{Session, Timestamp};
use crate::store::{Maintenance, SessionStore};

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

    async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
        Ok(self.inner.lock().sessions.get(&id).cloned())
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
