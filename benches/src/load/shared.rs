//! The state one run's clients share (the generator is single-threaded: plain
//! `Cell`s, no locks): the phase, the per-publisher counters, the delivery and
//! latency accounting.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Instant;

use hdrhistogram::Histogram;
use tokio::sync::{Notify, Semaphore, watch};

use super::RunOptions;
use super::scenario::Target;
use super::setup::BenchUser;

/// Where the run is; every client watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Connecting,
    /// Publishing stage `n` (a run may have several, at different rates: each
    /// starts its publishers' schedules anew).
    Publishing(u32),
    Draining,
    Stop,
}

impl Phase {
    pub(super) fn publishing(self) -> bool {
        matches!(self, Phase::Publishing(_))
    }
}

/// Per publisher, shared by all clients (the generator is single-threaded).
#[derive(Debug, Default)]
pub(super) struct PubShared {
    pub(super) members: u32,
    pub(super) sent: Cell<u32>,
    pub(super) acked: Cell<u32>,
    pub(super) errors: Cell<u32>,
    /// Closed loop: messages that reached every member (or failed).
    pub(super) done: Cell<u32>,
    /// Closed loop: deliveries still missing per in-flight message (ring by counter).
    pub(super) remaining: RefCell<Vec<u32>>,
    pub(super) wake: Notify,
}

/// What all the clients of a run count together.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) t0: Instant,
    pub(super) target: Target,
    pub(super) rooms: usize,
    pub(super) closed_loop: bool,
    /// Open loop: messages a second in all, in the current stage.
    pub(super) rate: Cell<f64>,
    /// Measured window, µs since t0 (start, end); end = u64::MAX while open.
    pub(super) window: Cell<(u64, u64)>,
    pub(super) hist: RefCell<Histogram<u64>>,
    pub(super) delivered: Cell<u64>,
    pub(super) in_window: Cell<u64>,
    pub(super) dups: Cell<u64>,
    /// Deliveries of a message of another room.
    pub(super) misrouted: Cell<u64>,
    pub(super) disconnects: RefCell<BTreeMap<u16, u64>>,
    pub(super) ready: Cell<usize>,
    pub(super) ready_wake: Notify,
    /// Diagnostics: what clients that are not ready yet saw last.
    pub(super) not_ready: RefCell<String>,
    pub(super) pubs: Vec<PubShared>,
}

impl Shared {
    /// Microseconds since the run started (the clock of the bodies' send times).
    pub(super) fn now_us(&self) -> u64 {
        u64::try_from(self.t0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// A connection ended early, with this close code (0: none).
    pub(super) fn disconnect(&self, code: u16) {
        *self.disconnects.borrow_mut().entry(code).or_insert(0) += 1;
    }

    /// A first delivery of message `k` of publisher `j`, sent at `ts`.
    pub(super) fn delivered(&self, j: usize, k: u32, ts: u64) {
        let now = self.now_us();
        self.delivered.set(self.delivered.get() + 1);
        let (start, end) = self.window.get();
        if now >= start && now < end {
            self.in_window.set(self.in_window.get() + 1);
        }
        if ts >= start && ts < end {
            let _ = self.hist.borrow_mut().record(now.saturating_sub(ts).max(1));
        }
        if self.closed_loop
            && let Some(p) = self.pubs.get(j)
        {
            let mut ring = p.remaining.borrow_mut();
            let len = ring.len();
            if len > 0 {
                let slot = &mut ring[k as usize % len];
                if *slot > 0 {
                    *slot -= 1;
                    if *slot == 0 {
                        p.done.set(p.done.get() + 1);
                        p.wake.notify_one();
                    }
                }
            }
        }
    }
}

/// Everything a client task needs, shared by all of them.
pub(super) struct Ctx {
    pub(super) opts: RunOptions,
    /// The server addresses (`opts.addr` split at commas).
    pub(super) addrs: Vec<String>,
    pub(super) shared: Shared,
    pub(super) room_ids: Vec<String>,
    pub(super) users: Vec<BenchUser>,
    pub(super) marker: memchr::memmem::Finder<'static>,
    pub(super) connect_gate: Semaphore,
    pub(super) phase: watch::Receiver<Phase>,
    /// Random per run: part of every nonce, so that a run on rooms kept from an
    /// earlier one (`--prepared`) is not taken for a retry of its messages.
    pub(super) run_tag: u32,
}

impl Ctx {
    /// The address client `idx` connects to.
    pub(super) fn addr_of(&self, idx: usize) -> &str {
        self.addrs
            .get(idx % self.addrs.len().max(1))
            .map_or(self.opts.addr.as_str(), String::as_str)
    }
}
