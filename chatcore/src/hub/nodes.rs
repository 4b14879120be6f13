//! What a [`BrokerHub`](super::BrokerHub) knows of the other nodes of its cluster, and
//! the access-change protocol built on it (`docs/ARCHITECTURE.md`, "Access cache with
//! several nodes").
//!
//! - Every node publishes a heartbeat ([`Control::Beat`]) every `heartbeat`; a node
//!   counts as alive for the others while its beats keep coming (`fence + heartbeat`).
//! - A node trusts its access cache only while it hears its **own** beats: until the
//!   time its last own beat heard back was sent, plus `fence` (both on its own clock),
//!   and not before it has been up for `fence + heartbeat`, so that every other node
//!   has heard of it first. A node whose stream stalls or is cut off stops serving
//!   cached answers within `fence`.
//! - An access change is a [`Control::Invalidate`] in the same stream as the
//!   dispatches. Every node that applies it moves its access epoch on and answers with
//!   a [`Control::Ack`]. The node that made the change waits for its own invalidation
//!   to come back through the broker, then for an ack from every node it heard within
//!   `fence + heartbeat` before that.
//! - A node that does not answer is waited for at most `fence + heartbeat` after the
//!   invalidation came back: any own beat it hears from then on was sent after the
//!   invalidation reached the broker, so it reaches that node after the invalidation
//!   (the broker hands a message to every subscriber within one heartbeat, and keeps
//!   each publisher's order), and the beats it heard before are older than `fence`: it
//!   trusts no answer cached before the change.
//!
//! The cost is one broker round trip per change (two hops and the acks), not per send.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::LocalHub;

/// A message between brokers, beside the dispatches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(super) enum Control {
    /// `node` is alive; `sent_ms` is when it sent this, on its own clock (only the
    /// sender reads it).
    Beat { node: String, sent_ms: u64 },
    /// Rooms or memberships changed on `node`: move the access epoch on, then
    /// acknowledge `token`.
    Invalidate { node: String, token: u64 },
    /// `node` applied the invalidation `token` of node `to`.
    Ack {
        node: String,
        to: String,
        token: u64,
    },
}

/// One access change waiting for its acknowledgements.
struct Pending {
    started: Instant,
    /// When the invalidation came back through the broker.
    back: Option<Instant>,
    /// The nodes to hear from (fixed when it came back).
    need: HashSet<String>,
    acked: HashSet<String>,
    wake: Arc<Notify>,
}

#[derive(Default)]
struct State {
    /// Other nodes, by when they were last heard.
    heard: HashMap<String, Instant>,
    pending: HashMap<u64, Pending>,
    next_token: u64,
}

/// Where an access change stands.
enum Progress {
    Done,
    WaitUntil(Instant),
}

pub(super) struct Nodes {
    me: String,
    started: Instant,
    fence: Duration,
    heartbeat: Duration,
    /// How long a node counts as alive after it was last heard.
    alive: Duration,
    /// This node trusts its access cache until then (ms since `started`).
    fresh_until_ms: AtomicU64,
    state: Mutex<State>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Nodes {
    pub(super) fn new(me: String, heartbeat: Duration, fence: Duration) -> Self {
        Nodes {
            me,
            started: Instant::now(),
            fence,
            heartbeat,
            alive: fence + heartbeat,
            fresh_until_ms: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        }
    }

    pub(super) fn me(&self) -> &str {
        &self.me
    }

    /// This node's next heartbeat.
    pub(super) fn beat(&self) -> Control {
        Control::Beat {
            node: self.me.clone(),
            sent_ms: ms(self.started.elapsed()),
        }
    }

    /// Whether this node heard its own beat recently enough to trust its cache.
    pub(super) fn fresh(&self) -> bool {
        let up = self.started.elapsed();
        up >= self.alive && ms(up) < self.fresh_until_ms.load(Ordering::Acquire)
    }

    /// Apply a message heard from the broker; returns the answer to publish, if any.
    pub(super) fn receive(&self, msg: Control, local: &LocalHub) -> Option<Control> {
        let now = Instant::now();
        match msg {
            Control::Beat { node, sent_ms } => {
                if node == self.me {
                    let until = sent_ms.saturating_add(ms(self.fence));
                    self.fresh_until_ms.fetch_max(until, Ordering::AcqRel);
                } else {
                    let mut st = self.state.lock();
                    let alive = self.alive;
                    st.heard.retain(|_, at| now.duration_since(*at) <= alive);
                    self.heard(&mut st, node, now);
                }
                None
            }
            Control::Invalidate { node, token } => {
                local.forget_access();
                if node != self.me {
                    self.heard(&mut self.state.lock(), node.clone(), now);
                    return Some(Control::Ack {
                        node: self.me.clone(),
                        to: node,
                        token,
                    });
                }
                let mut st = self.state.lock();
                let alive = self.alive;
                let need: HashSet<String> = st
                    .heard
                    .iter()
                    .filter(|(_, at)| now.duration_since(**at) <= alive)
                    .map(|(n, _)| n.clone())
                    .collect();
                if let Some(p) = st.pending.get_mut(&token) {
                    p.back = Some(now);
                    p.need = need;
                    p.wake.notify_one();
                }
                None
            }
            Control::Ack { node, to, token } => {
                let mut st = self.state.lock();
                self.heard(&mut st, node.clone(), now);
                if to == self.me
                    && let Some(p) = st.pending.get_mut(&token)
                {
                    p.acked.insert(node);
                    p.wake.notify_one();
                }
                None
            }
        }
    }

    /// Note that `node` spoke (this node's own messages, acks included, do not count).
    fn heard(&self, st: &mut State, node: String, now: Instant) {
        if node != self.me {
            st.heard.insert(node, now);
        }
    }

    /// Start an access change: the invalidation to publish, and its token.
    pub(super) fn begin(&self) -> (u64, Control) {
        let mut st = self.state.lock();
        st.next_token += 1;
        let token = st.next_token;
        st.pending.insert(
            token,
            Pending {
                started: Instant::now(),
                back: None,
                need: HashSet::new(),
                acked: HashSet::new(),
                wake: Arc::new(Notify::new()),
            },
        );
        let msg = Control::Invalidate {
            node: self.me.clone(),
            token,
        };
        (token, msg)
    }

    fn progress(&self, token: u64) -> (Progress, Option<Arc<Notify>>) {
        let st = self.state.lock();
        let Some(p) = st.pending.get(&token) else {
            return (Progress::Done, None);
        };
        let progress = match p.back {
            // Lost, or our own stream is stalled: nobody can be told.
            None => Progress::WaitUntil(p.started + 2 * self.fence),
            Some(_) if p.need.is_subset(&p.acked) => Progress::Done,
            Some(back) => Progress::WaitUntil(back + self.fence + self.heartbeat),
        };
        (progress, Some(p.wake.clone()))
    }

    /// Wait until the access change `token` is acknowledged by every node that needs
    /// to, or until no node can still trust an older answer (see the module docs).
    pub(super) async fn settle(&self, token: u64) {
        // Forget the change however this ends (also if the caller gives up waiting).
        struct Done<'a>(&'a Nodes, u64);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.forget(self.1);
            }
        }
        let _done = Done(self, token);
        while let (Progress::WaitUntil(deadline), Some(wake)) = self.progress(token) {
            if tokio::time::timeout_at(deadline, wake.notified())
                .await
                .is_err()
            {
                self.report_timeout(token);
                break;
            }
        }
    }

    /// Drop an access change (settled, given up, or not published).
    pub(super) fn forget(&self, token: u64) {
        self.state.lock().pending.remove(&token);
    }

    fn report_timeout(&self, token: u64) {
        let st = self.state.lock();
        let Some(p) = st.pending.get(&token) else {
            return;
        };
        if p.back.is_none() {
            tracing::warn!(
                "an access change did not come back through the broker; other nodes may \
                 not have seen it"
            );
        } else {
            let silent: Vec<&String> = p.need.difference(&p.acked).collect();
            if !silent.is_empty() {
                tracing::warn!(
                    nodes = ?silent,
                    "nodes did not acknowledge an access change in time (they no longer \
                     trust their cache)"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(node: &str, to: &str, token: u64) -> Control {
        Control::Ack {
            node: node.into(),
            to: to.into(),
            token,
        }
    }

    /// Node "a" (heartbeat 1 s, fence 3 s), which heard node "b".
    fn a_hearing_b() -> (LocalHub, Arc<Nodes>) {
        let local = LocalHub::default();
        let a = Nodes::new("a".into(), Duration::from_secs(1), Duration::from_secs(3));
        let beat_b = Control::Beat {
            node: "b".into(),
            sent_ms: 0,
        };
        assert!(a.receive(beat_b, &local).is_none());
        (local, Arc::new(a))
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_waits_for_every_node_heard_before_it_came_back() {
        let (local, a) = a_hearing_b();
        let (token, inv) = a.begin();
        let waiter = tokio::spawn({
            let a = a.clone();
            async move { a.settle(token).await }
        });
        tokio::task::yield_now().await;
        let epoch = local.current_access_epoch();
        assert!(a.receive(inv, &local).is_none(), "own: no answer");
        assert_eq!(local.current_access_epoch(), epoch + 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiter.is_finished(), "b has not answered");
        a.receive(ack("b", "a", token), &local);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(waiter.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_node_is_waited_for_at_most_the_fence() {
        let (local, a) = a_hearing_b();
        let (token, inv) = a.begin();
        a.receive(inv, &local);
        let t0 = Instant::now();
        a.settle(token).await;
        assert_eq!(t0.elapsed(), Duration::from_secs(4), "fence + heartbeat");
    }

    #[tokio::test(start_paused = true)]
    async fn a_node_trusts_its_cache_only_while_it_hears_its_own_beats() {
        let local = LocalHub::default();
        let a = Nodes::new("a".into(), Duration::from_secs(1), Duration::from_secs(3));
        assert!(!a.fresh(), "not before its first beat came back");
        let beat = a.beat();
        a.receive(beat, &local);
        assert!(!a.fresh(), "not before the others heard of it");
        tokio::time::sleep(Duration::from_secs(4)).await;
        let beat = a.beat();
        a.receive(beat, &local);
        assert!(a.fresh());
        tokio::time::sleep(Duration::from_millis(2900)).await;
        assert!(a.fresh());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!a.fresh(), "stalled: no own beat for longer than the fence");
        // An other node's invalidation is answered.
        let inv = Control::Invalidate {
            node: "b".into(),
            token: 7,
        };
        assert_eq!(a.receive(inv, &local), Some(ack("a", "b", 7)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_nodes_own_messages_do_not_make_it_wait_for_itself() {
        let local = LocalHub::default();
        let a = Nodes::new("a".into(), Duration::from_secs(1), Duration::from_secs(3));
        // Its own answer to b's change, heard back through the broker.
        a.receive(ack("a", "b", 1), &local);
        let (token, inv) = a.begin();
        a.receive(inv, &local);
        let t0 = Instant::now();
        a.settle(token).await;
        assert_eq!(t0.elapsed(), Duration::ZERO, "nobody else to wait for");
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_given_up_on_is_forgotten() {
        let (_local, a) = a_hearing_b();
        let (token, _inv) = a.begin();
        let waiting = a.settle(token);
        assert!(
            tokio::time::timeout(Duration::from_millis(10), waiting)
                .await
                .is_err()
        );
        assert!(a.state.lock().pending.is_empty());
    }
}
