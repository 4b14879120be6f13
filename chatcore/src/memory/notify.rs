//! Notification settings of a [`MemoryStore`].

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::Result;
use crate::ids::{RoomId, UserId};
use crate::model::NotifyLevel;
use crate::store::NotifyStore;

#[async_trait]
impl NotifyStore for MemoryStore {
    async fn set_notify_level(
        &self,
        room: RoomId,
        user: UserId,
        level: NotifyLevel,
    ) -> Result<bool> {
        let mut i = self.inner.lock();
        if !i
            .members
            .get(&room)
            .is_some_and(|ms| ms.contains_key(&user))
        {
            return Ok(false);
        }
        i.notify.insert((room, user), level);
        Ok(true)
    }

    async fn notify_level(&self, room: RoomId, user: UserId) -> Result<Option<NotifyLevel>> {
        let i = self.inner.lock();
        let member = i
            .members
            .get(&room)
            .is_some_and(|ms| ms.contains_key(&user));
        Ok(member
            .then(|| i.notify.get(&(room, user)).copied())
            .flatten())
    }

    async fn notify_levels(&self, room: RoomId) -> Result<Vec<(UserId, NotifyLevel)>> {
        let i = self.inner.lock();
        let Some(ms) = i.members.get(&room) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<(UserId, NotifyLevel)> = ms
            .keys()
            .filter_map(|u| i.notify.get(&(room, *u)).map(|l| (*u, *l)))
            .collect();
        out.sort_by_key(|(u, _)| *u);
        Ok(out)
    }
}
