//! Which messages the client has, per room, by sequence number: what `resume` sends
//! after a reconnect, and what drops a message delivered twice.
//!
//! Per room: the ranges of `seq` delivered on this client (merged as they touch, at
//! most 64) and a floor, "everything up to here is had" (the app's
//! persisted state, or a baseline). The floor moves the resume point but never drops
//! a message, so one published late still gets through. The resume point is the end
//! of the first contiguous run: a gap (messages of another node arriving out of
//! order) is replayed, and what was delivered already is dropped here.

use std::collections::{BTreeMap, HashMap};

use chatcore::{RoomId, Seq};

/// Most runs kept per room; past it the two oldest become one.
pub(crate) const MAX_RANGES: usize = 64;

#[derive(Debug, Default, Clone)]
struct RoomSeqs {
    floor: Option<Seq>,
    ranges: Vec<(Seq, Seq)>,
}

/// Delivered sequence numbers per room.
#[derive(Debug, Default, Clone)]
pub struct SeqTracker {
    rooms: HashMap<RoomId, RoomSeqs>,
}

impl SeqTracker {
    /// Start from the resume points an app persisted.
    pub fn from_points(points: impl IntoIterator<Item = (RoomId, Seq)>) -> Self {
        let mut t = SeqTracker::default();
        for (room, seq) in points {
            t.set_floor(room, seq);
        }
        t
    }

    /// The `seq` to resume `room` from (None: untracked).
    pub fn resume_point(&self, room: RoomId) -> Option<Seq> {
        let st = self.rooms.get(&room)?;
        let mut point = st.floor;
        for &(lo, hi) in &st.ranges {
            point = match point {
                None => Some(hi),
                Some(p) if lo <= p.saturating_add(1) => Some(p.max(hi)),
                Some(_) => break,
            };
        }
        point
    }

    /// Whether the client has a resume point for `room`.
    pub fn has(&self, room: RoomId) -> bool {
        self.resume_point(room).is_some()
    }

    /// Whether message `seq` of `room` was delivered.
    pub fn delivered(&self, room: RoomId, seq: Seq) -> bool {
        self.rooms
            .get(&room)
            .is_some_and(|st| st.ranges.iter().any(|&(lo, hi)| lo <= seq && seq <= hi))
    }

    /// Record message `seq` as delivered; false if it was before (drop it).
    pub fn observe(&mut self, room: RoomId, seq: Seq) -> bool {
        if self.delivered(room, seq) {
            return false;
        }
        let st = self.rooms.entry(room).or_default();
        st.ranges.push((seq, seq));
        st.ranges.sort_unstable();
        let mut merged: Vec<(Seq, Seq)> = Vec::with_capacity(st.ranges.len());
        for &(lo, hi) in &st.ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        while merged.len() > MAX_RANGES {
            let b = merged.remove(1);
            merged[0].1 = b.1;
        }
        st.ranges = merged;
        true
    }

    /// Everything up to `seq` is had (a baseline); only ever raises the floor.
    pub fn set_floor(&mut self, room: RoomId, seq: Seq) {
        if seq < 0 {
            return;
        }
        let st = self.rooms.entry(room).or_default();
        st.floor = Some(st.floor.map_or(seq, |f| f.max(seq)));
    }

    /// Stop tracking a room (left, removed, deleted).
    pub fn forget(&mut self, room: RoomId) {
        self.rooms.remove(&room);
    }

    /// `{room: resume point}` for every tracked room: what an app persists.
    pub fn points(&self) -> BTreeMap<RoomId, Seq> {
        self.rooms
            .keys()
            .filter_map(|&r| Some((r, self.resume_point(r)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_dropped_and_gaps_are_resumed() {
        let r = RoomId::new();
        let mut t = SeqTracker::default();
        assert_eq!(t.resume_point(r), None);
        assert!(t.observe(r, 5));
        assert!(!t.observe(r, 5));
        assert!(t.observe(r, 6));
        assert!(t.observe(r, 8));
        assert_eq!(t.resume_point(r), Some(6));
        assert!(t.observe(r, 7));
        assert_eq!(t.resume_point(r), Some(8));
        assert!(!t.observe(r, 7));
    }

    #[test]
    fn a_floor_moves_the_resume_point_but_drops_nothing() {
        let r = RoomId::new();
        let mut t = SeqTracker::from_points([(r, 41)]);
        assert_eq!(t.resume_point(r), Some(41));
        assert!(t.observe(r, 41));
        assert!(t.observe(r, 42));
        t.set_floor(r, 3);
        assert_eq!(t.points(), BTreeMap::from([(r, 42)]));
        t.forget(r);
        assert!(!t.has(r));
    }

    #[test]
    fn many_gaps_stay_bounded() {
        let r = RoomId::new();
        let mut t = SeqTracker::default();
        for s in (1..2000).step_by(2) {
            t.observe(r, s);
        }
        assert!(t.rooms[&r].ranges.len() <= MAX_RANGES);
        assert!(!t.observe(r, 1999));
    }
}
