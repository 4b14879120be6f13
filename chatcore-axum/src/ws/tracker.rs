//! Which messages a connection has delivered, per room — so that a replay (resume,
//! `join` with `since`) and live delivery never both send the same message.
//!
//! Per room, a few disjoint, sorted, inclusive ranges of sequence numbers. Live
//! delivery after a subscription is one growing range (plus, briefly, a gap or two
//! when concurrent senders publish slightly out of order), so a room costs a few
//! dozen bytes and an idle connection nothing.

use std::collections::HashMap;

use chatcore::{RoomId, Seq};

/// Ranges kept per room before the two closest are merged.
const MAX_RANGES: usize = 16;

/// The messages a connection has delivered, per room: a replay and live delivery
/// never both send one.
#[derive(Debug, Default)]
pub struct Delivered {
    /// The last (highest) range of the room delivered to most recently, kept out of
    /// `rooms`: in-order live delivery in that room extends it without touching the
    /// map (a hash and two cache misses per delivery otherwise).
    hot: Option<Hot>,
    /// The other ranges, per room (a room's `hot` range is above all of these).
    rooms: HashMap<RoomId, Vec<(Seq, Seq)>>,
}

#[derive(Debug, Clone, Copy)]
struct Hot {
    room: RoomId,
    start: Seq,
    end: Seq,
}

impl Delivered {
    /// Record that `seq` is delivered now. False if it had been already (drop it).
    pub fn first_delivery(&mut self, room: RoomId, seq: Seq) -> bool {
        // Live delivery in order extends the last range: no search, no allocation.
        if let Some(hot) = &mut self.hot
            && hot.room == room
            && seq == hot.end.saturating_add(1)
        {
            hot.end = seq;
            return true;
        }
        let Delivered { hot, rooms } = self;
        let ranges = cool(hot, rooms, room);
        let first = if contains(ranges, seq) {
            false
        } else {
            insert(ranges, seq, seq);
            true
        };
        *hot = heat(ranges, room);
        first
    }

    /// Record that the client has everything up to `seq` (its `since`).
    pub fn mark_upto(&mut self, room: RoomId, seq: Seq) {
        if seq >= 1 {
            let Delivered { hot, rooms } = self;
            let ranges = cool(hot, rooms, room);
            insert(ranges, 1, seq);
            *hot = heat(ranges, room);
        }
    }

    /// Forget a room (the connection no longer receives it).
    #[cfg(test)]
    pub fn forget(&mut self, room: RoomId) {
        cool(&mut self.hot, &mut self.rooms, room);
        self.rooms.remove(&room);
    }

    /// A room's ranges, in order.
    #[cfg(test)]
    fn ranges(&mut self, room: RoomId) -> Vec<(Seq, Seq)> {
        let Delivered { hot, rooms } = self;
        let ranges = cool(hot, rooms, room);
        let all = ranges.clone();
        *hot = heat(ranges, room);
        all
    }
}

/// Put the hot range back among its room's ranges (it is its room's highest, so
/// pushing it keeps the order); returns `room`'s ranges, complete.
fn cool<'a>(
    hot: &mut Option<Hot>,
    rooms: &'a mut HashMap<RoomId, Vec<(Seq, Seq)>>,
    room: RoomId,
) -> &'a mut Vec<(Seq, Seq)> {
    match hot.take() {
        Some(h) if h.room == room => {
            let ranges = rooms.entry(room).or_default();
            ranges.push((h.start, h.end));
            ranges
        }
        Some(h) => {
            rooms.entry(h.room).or_default().push((h.start, h.end));
            rooms.entry(room).or_default()
        }
        None => rooms.entry(room).or_default(),
    }
}

/// Take `room`'s last range out of its list as the hot one.
fn heat(ranges: &mut Vec<(Seq, Seq)>, room: RoomId) -> Option<Hot> {
    ranges.pop().map(|(start, end)| Hot { room, start, end })
}

fn contains(ranges: &[(Seq, Seq)], seq: Seq) -> bool {
    // Ranges are sorted by start; find the last one starting at or before seq.
    let idx = ranges.partition_point(|&(start, _)| start <= seq);
    idx > 0 && ranges[idx - 1].1 >= seq
}

fn insert(ranges: &mut Vec<(Seq, Seq)>, lo: Seq, hi: Seq) {
    let idx = ranges.partition_point(|&(start, _)| start < lo);
    ranges.insert(idx, (lo, hi));
    // Merge overlapping or adjacent neighbours, in place.
    let mut w = 0;
    for r in 1..ranges.len() {
        let (s, e) = ranges[r];
        if s <= ranges[w].1.saturating_add(1) {
            ranges[w].1 = ranges[w].1.max(e);
        } else {
            w += 1;
            ranges[w] = (s, e);
        }
    }
    ranges.truncate(w + 1);
    while ranges.len() > MAX_RANGES {
        // Close the smallest gap. A message in that gap that was never delivered
        // would then be skipped by a later replay; gaps come from reordered
        // publication and fill within milliseconds, so this is a bound on memory
        // that practice never reaches.
        let mut best = 1;
        for i in 1..ranges.len() {
            if ranges[i].0 - ranges[i - 1].1 < ranges[best].0 - ranges[best - 1].1 {
                best = i;
            }
        }
        let (_, end) = ranges.remove(best);
        ranges[best - 1].1 = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_then_replay_without_duplicates() {
        let room = RoomId::new();
        let mut d = Delivered::default();
        // Live messages 11 and 12 arrive before the client's resume from 5.
        assert!(d.first_delivery(room, 11));
        assert!(d.first_delivery(room, 12));
        d.mark_upto(room, 5);
        let replayed: Vec<Seq> = (6..=13).filter(|s| d.first_delivery(room, *s)).collect();
        assert_eq!(replayed, vec![6, 7, 8, 9, 10, 13]);
        // Live copies of replayed messages are dropped; new ones pass.
        assert!(!d.first_delivery(room, 13));
        assert!(d.first_delivery(room, 14));
        assert!(!d.first_delivery(room, 3));
        assert_eq!(d.ranges(room), vec![(1, 14)]);
    }

    #[test]
    fn out_of_order_live_delivery_is_kept_exactly() {
        let room = RoomId::new();
        let mut d = Delivered::default();
        assert!(d.first_delivery(room, 7));
        assert!(d.first_delivery(room, 5));
        assert!(d.first_delivery(room, 6));
        assert!(!d.first_delivery(room, 6));
        assert_eq!(d.ranges(room), vec![(5, 7)]);
        d.forget(room);
        assert!(d.first_delivery(room, 6));
    }

    #[test]
    fn ranges_are_bounded() {
        let room = RoomId::new();
        let mut d = Delivered::default();
        for i in 0..100 {
            d.first_delivery(room, i * 10);
        }
        assert!(d.ranges(room).len() <= MAX_RANGES);
        assert!(!d.first_delivery(room, 990));
    }

    #[test]
    fn interleaved_rooms_match_a_set_of_everything_delivered() {
        // Three rooms delivered interleaved, each slightly out of order (swaps within
        // a window of 3), with repeats of recent messages, checked against a plain
        // set: the hot range must move between rooms without losing anything.
        let rooms = [RoomId::new(), RoomId::new(), RoomId::new()];
        let mut next = [1 as Seq; 3];
        let mut model = std::collections::HashSet::new();
        let mut d = Delivered::default();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..5000 {
            let r = usize::try_from(rnd(3)).unwrap();
            let seq = match rnd(10) {
                // A repeat of a recent message (a replayed copy of a live one).
                0 => (next[r] - 1 - Seq::try_from(rnd(5)).unwrap()).max(1),
                // Slightly ahead: published concurrently, delivered out of order.
                1 => next[r] + Seq::try_from(rnd(3)).unwrap(),
                _ => next[r],
            };
            let expected = model.insert((r, seq));
            assert_eq!(
                d.first_delivery(rooms[r], seq),
                expected,
                "room {r} seq {seq}"
            );
            while model.contains(&(r, next[r])) {
                next[r] += 1;
            }
        }
        for (r, room) in rooms.iter().enumerate() {
            assert!(
                d.ranges(*room).len() <= 2,
                "room {r}: {:?}",
                d.ranges(*room)
            );
        }
    }
}
