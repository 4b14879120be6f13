//! Site administration of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::ids::{RoomId, UserId};
use crate::model::{Room, Timestamp, User};
use crate::site::{AuditEntry, SiteStatus};
use crate::store::SiteStore;

#[async_trait]
impl SiteStore for MemoryStore {
    async fn set_site_admin(&self, user: UserId, since: Option<Timestamp>) -> Result<bool> {
        let mut i = self.inner.lock();
        if !i.users.contains_key(&user) {
            return Err(Error::NotFound("user"));
        }
        let status = i.site.entry(user).or_default();
        let changed = status.admin_since.is_some() != since.is_some();
        if changed {
            status.admin_since = since;
        }
        Ok(changed)
    }

    async fn list_site_admins(&self) -> Result<Vec<User>> {
        let i = self.inner.lock();
        let mut v: Vec<User> = i
            .site
            .iter()
            .filter(|(_, s)| s.admin_since.is_some())
            .filter_map(|(id, _)| i.users.get(id).cloned())
            .collect();
        v.sort_by_key(|u| u.username.normalized());
        Ok(v)
    }

    async fn site_status(&self, user: UserId) -> Result<Option<SiteStatus>> {
        let i = self.inner.lock();
        if !i.users.contains_key(&user) {
            return Ok(None);
        }
        Ok(Some(i.site.get(&user).copied().unwrap_or_default()))
    }

    async fn suspend_user(&self, user: UserId, at: Timestamp) -> Result<u64> {
        // One lock: the flag and the deletion of the sessions are one step here.
        let mut i = self.inner.lock();
        if !i.users.contains_key(&user) {
            return Err(Error::NotFound("user"));
        }
        let status = i.site.entry(user).or_default();
        status.suspended_at.get_or_insert(at);
        let ids: Vec<_> = i
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

    async fn unsuspend_user(&self, user: UserId) -> Result<bool> {
        let mut i = self.inner.lock();
        if !i.users.contains_key(&user) {
            return Err(Error::NotFound("user"));
        }
        Ok(i.site
            .get_mut(&user)
            .and_then(|s| s.suspended_at.take())
            .is_some())
    }

    async fn list_all_users(
        &self,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<(User, SiteStatus)>> {
        let i = self.inner.lock();
        let mut v: Vec<&User> = i
            .users
            .values()
            .filter(|u| after.is_none_or(|a| u.id > a))
            .collect();
        v.sort_by_key(|u| u.id);
        Ok(v.into_iter()
            .take(limit as usize)
            .map(|u| (u.clone(), i.site.get(&u.id).copied().unwrap_or_default()))
            .collect())
    }

    async fn list_all_rooms(&self, after: Option<RoomId>, limit: u32) -> Result<Vec<Room>> {
        let i = self.inner.lock();
        let mut v: Vec<&Room> = i
            .rooms
            .values()
            .filter(|r| after.is_none_or(|a| r.id > a))
            .collect();
        v.sort_by_key(|r| r.id);
        Ok(v.into_iter().take(limit as usize).cloned().collect())
    }

    async fn append_audit(&self, entry: AuditEntry) -> Result<()> {
        self.audit.lock().push(entry);
        Ok(())
    }

    async fn list_audit(&self, before: Option<uuid::Uuid>, limit: u32) -> Result<Vec<AuditEntry>> {
        let a = self.audit.lock();
        let mut v: Vec<&AuditEntry> = a
            .iter()
            .filter(|e| before.is_none_or(|b| e.id < b))
            .collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.id));
        Ok(v.into_iter().take(limit as usize).cloned().collect())
    }
}
