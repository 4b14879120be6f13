//! Retention: housekeeping deletes the messages older than a room's retention, in
//! batches, and the room remembers where its history now starts (see
//! `docs/DOMAIN.md`, "Retention").

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::{RoomId, Seq};
use crate::model::Room;

/// Messages deleted per statement by [`Chat::apply_retention`].
const RETENTION_BATCH: u32 = 500;
/// Delete statements per [`Chat::apply_retention`] call (the rest waits for the
/// next run).
const RETENTION_MAX_BATCHES: usize = 20;
/// Rooms looked at per [`Chat::apply_retention`] call (the next run goes on from
/// there).
const RETENTION_ROOMS_PER_RUN: usize = 500;
/// Rooms read per listing.
const RETENTION_ROOMS_PAGE: u32 = 100;

impl super::Limits {
    /// The longest retention a room may set, in days, whatever the site maximum
    /// (100 years).
    pub const MAX_RETENTION_DAYS: u32 = 36_500;
}

/// Where a history page says history starts: when messages were deleted by
/// retention and the page reaches back to them (a `resume` or forward page from
/// before the start, or a backward page that found no more).
pub(super) fn page_start(room: &Room, after: Option<Seq>, has_more: bool) -> Option<Seq> {
    let start = room.history_start_seq;
    if start <= 1 {
        return None;
    }
    match after {
        Some(a) => (a.saturating_add(1) < start).then_some(start),
        None => (!has_more).then_some(start),
    }
}

impl Chat {
    /// The retention in force for a room, in days (None: messages are kept): its
    /// own setting or the site default, at most the site maximum.
    pub fn effective_retention_days(&self, room: &Room) -> Option<u32> {
        let l = &self.inner.limits;
        match (
            room.retention_days.or(l.default_retention_days),
            l.max_retention_days,
        ) {
            (Some(d), Some(m)) => Some(d.min(m)),
            (d, m) => d.or(m),
        }
    }

    /// Check a room's new retention setting (0 clears it): at least 1 day, at most
    /// the site maximum.
    pub(super) fn check_retention_days(&self, days: u32) -> Result<Option<u32>> {
        let max = self
            .inner
            .limits
            .max_retention_days
            .unwrap_or(super::Limits::MAX_RETENTION_DAYS)
            .min(super::Limits::MAX_RETENTION_DAYS);
        match days {
            0 => Ok(None),
            d if d > max => Err(Error::invalid(
                "retention_days",
                format!("must be at most {max} (the site maximum)"),
            )),
            d => Ok(Some(d)),
        }
    }

    /// Delete the messages older than their room's retention, with their files:
    /// at most 20 statements of 500 messages and 500 rooms per call, going on from
    /// where the previous call stopped (run by [`Chat::housekeeping`]). Returns how
    /// many messages went.
    pub async fn apply_retention(&self) -> Result<u64> {
        let l = &self.inner.limits;
        let every_room = l.default_retention_days.is_some() || l.max_retention_days.is_some();
        let store = &self.inner.store;
        let mut after = *self.inner.retention_cursor.lock();
        let (mut total, mut batches, mut seen) = (0u64, 0usize, 0usize);
        'rooms: loop {
            let rooms = if every_room {
                store.list_all_rooms(after, RETENTION_ROOMS_PAGE).await?
            } else {
                store
                    .list_retention_rooms(after, RETENTION_ROOMS_PAGE)
                    .await?
            };
            if rooms.is_empty() {
                after = None;
                break;
            }
            for room in rooms {
                if seen >= RETENTION_ROOMS_PER_RUN || batches >= RETENTION_MAX_BATCHES {
                    break 'rooms;
                }
                seen += 1;
                let (n, used, done) = self
                    .purge_room(&room, RETENTION_MAX_BATCHES - batches)
                    .await?;
                total += n;
                batches += used;
                if !done {
                    break 'rooms; // the next run starts with this room again
                }
                after = Some(room.id);
            }
        }
        *self.inner.retention_cursor.lock() = after;
        Ok(total)
    }

    /// Purge one room with at most `budget` statements; returns the messages
    /// deleted, the statements that deleted some, and whether the room is done.
    async fn purge_room(&self, room: &Room, budget: usize) -> Result<(u64, usize, bool)> {
        let Some(days) = self.effective_retention_days(room) else {
            return Ok((0, 0, true));
        };
        let Some(before) = self
            .now()
            .checked_sub_signed(chrono::Duration::days(i64::from(days)))
        else {
            return Ok((0, 0, true));
        };
        let (mut total, mut used) = (0u64, 0usize);
        while used < budget {
            let purged = match self
                .inner
                .store
                .purge_messages(room.id, before, RETENTION_BATCH)
                .await
            {
                Ok(p) => p,
                Err(Error::NotFound(_)) => return Ok((total, used, true)), // room gone
                Err(e) => return Err(e),
            };
            if purged.deleted == 0 {
                return Ok((total, used, true));
            }
            used += 1;
            total += purged.deleted;
            for file in purged.files {
                self.discard_file(file).await;
            }
            if purged.deleted < u64::from(RETENTION_BATCH) {
                return Ok((total, used, true));
            }
            tokio::task::yield_now().await;
        }
        Ok((total, used, false))
    }

    /// The room a retention run goes on from (for tests and diagnostics).
    pub fn retention_cursor(&self) -> Option<RoomId> {
        *self.inner.retention_cursor.lock()
    }
}
