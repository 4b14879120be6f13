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

#[derive(Debug, Default)]
pub(crate) struct Delivered {
    rooms: HashMap<RoomId, Vec<(Seq, Seq)>>,
}

impl Delivered {
    /// Record that `seq` is delivered now. False if it had been already (drop it).
    pub(crate) fn first_delivery(&mut self, room: RoomId, seq: Seq) -> bool {
        let ranges = self.rooms.entry(room).or_default();
        // Live delivery in order extends the last range: no search, no allocation.
        if let Some(last) = ranges.last_mut()
            && seq == last.1.saturating_add(1)
        {
            last.1 = seq;
            return true;
        }
        if contains(ranges, seq) {
            return false;
        }
        insert(ranges, seq, seq);
        true
    }

    /// Record that the client has everything up to `seq` (its `since`).
    pub(crate) fn mark_upto(&mut self, room: RoomId, seq: Seq) {
        if seq >= 1 {
            insert(self.rooms.entry(room).or_default(), 1, seq);
        }
    }

    /// Forget a room (the connection no longer receives it).
    #[cfg(test)]
    pub(crate) fn forget(&mut self, room: RoomId) {
        self.rooms.remove(&room);
    }
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
        assert_eq!(d.rooms[&room], vec![(1, 14)]);
    }

    #[test]
    fn out_of_order_live_delivery_is_kept_exactly() {
        let room = RoomId::new();
        let mut d = Delivered::default();
        assert!(d.first_delivery(room, 7));
        assert!(d.first_delivery(room, 5));
        assert!(d.first_delivery(room, 6));
        assert!(!d.first_delivery(room, 6));
        assert_eq!(d.rooms[&room], vec![(5, 7)]);
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
        assert!(d.rooms[&room].len() <= MAX_RANGES);
        assert!(!d.first_delivery(room, 990));
    }
}
