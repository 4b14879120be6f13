//! Fan-out: delivering events to live connections.
//!
//! The [`Hub`] trait is the seam between the chat service and the transport. Every
//! change the service makes is published as a [`Dispatch`]: a serializable
//! instruction ("deliver this event to room R", "subscribe user U's connections to
//! room R", "close user U's connections") that carries everything a remote node needs.
//! [`LocalHub`] applies dispatches to the connections of this process; a multi-node
//! broker publishes them to its engine (Redis, PostgreSQL…) and applies what it
//! receives with [`LocalHub::apply`], so that every node runs the same code.
//!
//! Each event is encoded to JSON once per dispatch; recipients share the bytes
//! ([`Frame`] is a reference-counted buffer). Every connection has a bounded queue:
//! a connection whose queue is full is closed with [`CloseReason::SlowConsumer`] and
//! resumes from its last sequence numbers (see `docs/PROTOCOL.md`). A slow consumer
//! never stalls the publisher or the other connections.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::{RoomId, Seq, SessionId, UserId};
use crate::protocol::ServerEvent;

/// Identifies a live connection within one node.
pub type ConnId = u64;

/// Why the server closes a connection. Each reason has a stable WebSocket close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The server is shutting down (1001).
    ServerShutdown,
    /// A frame could not be parsed or broke the protocol (1008).
    ProtocolError,
    /// A frame was larger than allowed (1009).
    FrameTooLarge,
    /// Unexpected server failure (1011).
    InternalError,
    /// No or invalid credentials (4001).
    Unauthenticated,
    /// The session was logged out or expired (4002).
    SessionRevoked,
    /// The account was deleted (4003).
    AccountDeleted,
    /// The connection could not keep up with its events (4008); resume to catch up.
    SlowConsumer,
    /// No heartbeat answer in time (4009).
    HeartbeatTimeout,
    /// Too many connections, or too many commands (4029).
    RateLimited,
}

impl CloseReason {
    /// The WebSocket close code.
    pub fn code(self) -> u16 {
        match self {
            CloseReason::ServerShutdown => 1001,
            CloseReason::ProtocolError => 1008,
            CloseReason::FrameTooLarge => 1009,
            CloseReason::InternalError => 1011,
            CloseReason::Unauthenticated => 4001,
            CloseReason::SessionRevoked => 4002,
            CloseReason::AccountDeleted => 4003,
            CloseReason::SlowConsumer => 4008,
            CloseReason::HeartbeatTimeout => 4009,
            CloseReason::RateLimited => 4029,
        }
    }

    /// A short text sent as the close reason.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::ServerShutdown => "server_shutdown",
            CloseReason::ProtocolError => "protocol_error",
            CloseReason::FrameTooLarge => "frame_too_large",
            CloseReason::InternalError => "internal_error",
            CloseReason::Unauthenticated => "unauthenticated",
            CloseReason::SessionRevoked => "session_revoked",
            CloseReason::AccountDeleted => "account_deleted",
            CloseReason::SlowConsumer => "slow_consumer",
            CloseReason::HeartbeatTimeout => "heartbeat_timeout",
            CloseReason::RateLimited => "rate_limited",
        }
    }
}

/// An instruction to the fan-out layer. Serializable, so brokers can carry it between
/// nodes; applied in publication order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Dispatch {
    /// Deliver to every connection subscribed to the room.
    Room {
        /// Room.
        room: RoomId,
        /// Event.
        event: ServerEvent,
    },
    /// Deliver to every connection of these users.
    Users {
        /// Users.
        users: Vec<UserId>,
        /// Event.
        event: ServerEvent,
    },
    /// Subscribe every connection of the user to the room.
    Subscribe {
        /// User.
        user: UserId,
        /// Room.
        room: RoomId,
    },
    /// Unsubscribe every connection of the user from the room.
    Unsubscribe {
        /// User.
        user: UserId,
        /// Room.
        room: RoomId,
    },
    /// Unsubscribe every connection from the room (room deleted).
    CloseRoom {
        /// Room.
        room: RoomId,
    },
    /// Close the user's connections: all of them, or those of one session.
    Disconnect {
        /// User.
        user: UserId,
        /// Only connections authenticated by this session.
        session: Option<SessionId>,
        /// Why.
        reason: CloseReason,
    },
}

/// One encoded event, shared by all its recipients.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The JSON text of the event.
    pub json: Bytes,
    /// For `message_created`: the room and sequence number, so that a connection can
    /// drop a message it already delivered (resume without duplicates).
    pub seq: Option<(RoomId, Seq)>,
}

impl Frame {
    /// Encode an event.
    pub fn encode(event: &ServerEvent) -> Self {
        let seq = match event {
            ServerEvent::MessageCreated { message } => Some((message.room_id, message.seq)),
            _ => None,
        };
        // Serializing our own types to a Vec cannot fail (no maps with non-string keys,
        // no failing Serialize impls); fall back to an error event rather than panic.
        let json = serde_json::to_vec(event).unwrap_or_else(|_| {
            br#"{"type":"error","id":null,"code":"internal","message":"encoding failed"}"#.to_vec()
        });
        Frame {
            json: Bytes::from(json),
            seq,
        }
    }
}

/// A connection's bounded queue, shared by the connection and the hub's senders.
///
/// Built for fan-out: a push takes an uncontended lock, moves the frame in and wakes
/// the connection only when the queue goes from empty to non-empty, so frames that
/// arrive while the transport is busy (or deliberately coalescing) cost no wake-up.
/// The transport takes the whole queue at once by swapping buffers, so a batch costs
/// no copy and, once the two buffers have grown to the usual batch, no allocation.
/// Nothing is allocated until the first frame arrives (an idle connection holds no
/// buffer); [`Connection::release_memory`] gives the buffers back after a burst.
#[derive(Debug)]
struct Queue {
    capacity: usize,
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    frames: VecDeque<Frame>,
    /// Live [`ConnSender`]s; the queue is closed once none is left.
    senders: usize,
    /// The receiver was dropped: pushes fail.
    receiver_gone: bool,
    /// Set only while the receiver waits on an empty queue.
    waker: Option<Waker>,
    /// Why the hub closed the connection.
    close: Option<CloseReason>,
}

impl Queue {
    /// Push without waiting; false when full or when the receiver is gone.
    fn push(&self, frame: Frame) -> bool {
        let waker = {
            let mut st = self.state.lock();
            if st.receiver_gone || st.frames.len() >= self.capacity {
                return false;
            }
            st.frames.push_back(frame);
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Take up to `limit` frames into `buf`, or register `cx` and wait.
    /// `Ready(0)` once the queue is empty and every sender is gone.
    fn poll_take(&self, cx: &mut Context<'_>, buf: &mut Vec<Frame>, limit: usize) -> Poll<usize> {
        let mut st = self.state.lock();
        let n = Self::take_locked(&mut st, buf, limit);
        if n > 0 || st.senders == 0 {
            return Poll::Ready(n);
        }
        match &mut st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    fn take_locked(st: &mut QueueState, buf: &mut Vec<Frame>, limit: usize) -> usize {
        let n = st.frames.len().min(limit);
        if n == 0 {
            return 0;
        }
        if buf.is_empty() && n == st.frames.len() {
            // Swap the buffers: the queue's frames become the batch, the caller's empty
            // buffer (with its capacity) becomes the queue's storage. O(1) unless the
            // ring wrapped after single-frame `recv`s.
            let spare = std::mem::take(buf);
            *buf = Vec::from(std::mem::replace(&mut st.frames, VecDeque::from(spare)));
        } else {
            buf.extend(st.frames.drain(..n));
        }
        n
    }
}

/// Future of [`Connection::recv_many`].
struct TakeMany<'a> {
    queue: &'a Queue,
    buf: &'a mut Vec<Frame>,
    limit: usize,
}

impl Future for TakeMany<'_> {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        this.queue.poll_take(cx, this.buf, this.limit)
    }
}

/// Future of [`Connection::recv`].
struct TakeOne<'a> {
    queue: &'a Queue,
}

impl Future for TakeOne<'_> {
    type Output = Option<Frame>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let mut st = self.queue.state.lock();
        if let Some(f) = st.frames.pop_front() {
            return Poll::Ready(Some(f));
        }
        if st.senders == 0 {
            return Poll::Ready(None);
        }
        match &mut st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// The receiving end of a live connection's queue, handed to the transport.
/// Dropping it does not unregister the connection: call [`Hub::disconnect`]
/// (the [`crate::Chat`] connection guard does).
#[derive(Debug)]
pub struct Connection {
    /// Node-local id.
    pub id: ConnId,
    /// The authenticated user.
    pub user: UserId,
    /// The chatcore session that authenticated it (None for host-app users).
    pub session: Option<SessionId>,
    /// Whether this is the user's first live connection (they just came online).
    pub first_for_user: bool,
    queue: Arc<Queue>,
}

impl Connection {
    /// Create a connection and the sender that feeds it (for hub implementations).
    /// The queue holds at most `capacity` frames; it allocates nothing until used.
    pub fn new_pair(
        id: ConnId,
        user: UserId,
        session: Option<SessionId>,
        capacity: usize,
    ) -> (Connection, ConnSender) {
        let queue = Arc::new(Queue {
            capacity: capacity.max(1),
            state: Mutex::new(QueueState {
                senders: 1,
                ..QueueState::default()
            }),
        });
        (
            Connection {
                id,
                user,
                session,
                first_for_user: false,
                queue: queue.clone(),
            },
            ConnSender { queue },
        )
    }

    /// Next frame; `None` once the hub closed the connection (see
    /// [`Connection::close_reason`]).
    pub async fn recv(&mut self) -> Option<Frame> {
        TakeOne { queue: &self.queue }.await
    }

    /// Wait for at least one frame and take up to `limit` queued frames at once, so
    /// that the transport can write them together. Returns 0 once closed.
    ///
    /// Pass an empty `buf` (and reuse it) when you can: the whole queue is then
    /// handed over without copying.
    pub async fn recv_many(&mut self, buf: &mut Vec<Frame>, limit: usize) -> usize {
        TakeMany {
            queue: &self.queue,
            buf,
            limit: limit.max(1),
        }
        .await
    }

    /// Take up to `limit` queued frames without waiting: 0 when none are queued
    /// (also when closed; [`Connection::recv_many`] tells the two apart).
    pub fn try_recv_many(&mut self, buf: &mut Vec<Frame>, limit: usize) -> usize {
        let mut st = self.queue.state.lock();
        Queue::take_locked(&mut st, buf, limit.max(1))
    }

    /// Frames waiting in the queue.
    pub fn queued(&self) -> usize {
        self.queue.state.lock().frames.len()
    }

    /// Give back the queue's buffer if it is empty (after a burst, on an idle
    /// connection). The next frame allocates again.
    pub fn release_memory(&mut self) {
        let mut st = self.queue.state.lock();
        if st.frames.is_empty() {
            st.frames = VecDeque::new();
        }
    }

    /// Why the hub closed this connection, once [`Connection::recv`] returned `None`.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.queue.state.lock().close
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let mut st = self.queue.state.lock();
        st.receiver_gone = true;
        st.frames = VecDeque::new();
        st.waker = None;
    }
}

/// The hub's end of a connection's queue. Clones share the queue; the connection
/// ends (after its queued frames) once every clone is dropped.
#[derive(Debug)]
pub struct ConnSender {
    queue: Arc<Queue>,
}

impl Clone for ConnSender {
    fn clone(&self) -> Self {
        self.queue.state.lock().senders += 1;
        ConnSender {
            queue: self.queue.clone(),
        }
    }
}

impl Drop for ConnSender {
    fn drop(&mut self) {
        let waker = {
            let mut st = self.queue.state.lock();
            st.senders -= 1;
            if st.senders == 0 {
                st.waker.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl ConnSender {
    /// Queue a frame without waiting. `false` if the queue is full or closed.
    pub fn try_send(&self, frame: Frame) -> bool {
        self.queue.push(frame)
    }
    /// Record why the connection is being closed (the caller then drops the sender).
    pub fn set_close_reason(&self, reason: CloseReason) {
        let mut st = self.queue.state.lock();
        if st.close.is_none() {
            st.close = Some(reason);
        }
    }
}

/// The fan-out contract. Dyn-compatible: held as `Arc<dyn Hub>`.
#[async_trait]
pub trait Hub: Send + Sync + 'static {
    /// Publish a dispatch to every node (for the in-process hub: apply it now).
    /// Never blocks on slow connections.
    fn publish(&self, dispatch: Dispatch);

    /// Register a live connection of `user`, subscribed to `rooms`.
    async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> Result<Connection>;

    /// Subscribe one connection to a room (after the service checked membership).
    fn subscribe_connection(&self, conn: ConnId, room: RoomId);

    /// Unregister a connection. Returns true if it was the user's last one
    /// (across all nodes), i.e. the user went offline.
    async fn disconnect(&self, conn: ConnId) -> Result<bool>;

    /// Which of these users have a live connection (on any node).
    async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>>;

    /// Whether this hub is the only node, so that nothing but this process's
    /// [`crate::Chat`] changes rooms and memberships: the service then caches what the
    /// send path reads (see `chatcore::chat` access cache). False by default; the
    /// in-process [`LocalHub`] says true. A hub shared by several nodes must say false.
    fn single_node(&self) -> bool {
        false
    }

    /// Periodic upkeep for multi-node hubs: refresh this node's presence leases and
    /// collect users whose last connection lived on a node that stopped renewing its
    /// leases (it died). Returns those users, now offline, so that the service can
    /// announce it. The in-process hub has nothing to do.
    async fn sweep(&self) -> Result<Vec<UserId>> {
        Ok(Vec::new())
    }
}

struct ConnEntry {
    user: UserId,
    session: Option<SessionId>,
    /// None once the hub closed the connection (the transport still has to call
    /// `disconnect`, which settles presence).
    tx: Option<ConnSender>,
    rooms: HashSet<RoomId>,
}

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, ConnEntry>,
    by_user: HashMap<UserId, HashSet<ConnId>>,
    /// Room subscribers with their senders, so a delivery is one pass over a vector.
    by_room: HashMap<RoomId, Vec<(ConnId, ConnSender)>>,
}

fn remove_subscriber(
    by_room: &mut HashMap<RoomId, Vec<(ConnId, ConnSender)>>,
    room: RoomId,
    conn: ConnId,
) {
    if let Some(subs) = by_room.get_mut(&room) {
        if let Some(pos) = subs.iter().position(|(id, _)| *id == conn) {
            subs.swap_remove(pos);
        }
        if subs.is_empty() {
            by_room.remove(&room);
        }
    }
}

impl State {
    fn subscribe(&mut self, conn: ConnId, room: RoomId) {
        if let Some(entry) = self.conns.get_mut(&conn)
            && let Some(tx) = &entry.tx
            && entry.rooms.insert(room)
        {
            self.by_room
                .entry(room)
                .or_default()
                .push((conn, tx.clone()));
        }
    }

    fn unsubscribe(&mut self, conn: ConnId, room: RoomId) {
        if let Some(entry) = self.conns.get_mut(&conn)
            && entry.rooms.remove(&room)
        {
            remove_subscriber(&mut self.by_room, room, conn);
        }
    }

    fn unsubscribe_all(&mut self, conn: ConnId) {
        let Some(entry) = self.conns.get_mut(&conn) else {
            return;
        };
        for room in std::mem::take(&mut entry.rooms) {
            remove_subscriber(&mut self.by_room, room, conn);
        }
    }

    /// Close a connection from the hub's side: it gets no more frames, and its
    /// receiver ends after the queued ones with `reason`.
    fn close(&mut self, conn: ConnId, reason: CloseReason) {
        self.unsubscribe_all(conn);
        if let Some(entry) = self.conns.get_mut(&conn)
            && let Some(tx) = entry.tx.take()
        {
            tx.set_close_reason(reason);
        }
    }

    /// Remove a connection; returns true if it was its user's last.
    fn remove(&mut self, conn: ConnId) -> bool {
        self.unsubscribe_all(conn);
        let Some(entry) = self.conns.remove(&conn) else {
            return false;
        };
        match self.by_user.get_mut(&entry.user) {
            Some(set) => {
                set.remove(&conn);
                if set.is_empty() {
                    self.by_user.remove(&entry.user);
                    true
                } else {
                    false
                }
            }
            None => true,
        }
    }
}

/// The in-process hub: fans dispatches out to this node's connections.
pub struct LocalHub {
    state: RwLock<State>,
    next_id: AtomicU64,
    queue_capacity: usize,
}

impl std::fmt::Debug for LocalHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.read();
        f.debug_struct("LocalHub")
            .field("connections", &s.conns.len())
            .field("rooms", &s.by_room.len())
            .finish()
    }
}

impl Default for LocalHub {
    fn default() -> Self {
        Self::new(Self::DEFAULT_QUEUE)
    }
}

impl LocalHub {
    /// Default per-connection queue length (frames).
    pub const DEFAULT_QUEUE: usize = 1024;

    /// A hub whose connections queue at most `queue_capacity` frames each.
    pub fn new(queue_capacity: usize) -> Self {
        LocalHub {
            state: RwLock::new(State::default()),
            next_id: AtomicU64::new(1),
            queue_capacity,
        }
    }

    /// Number of live connections on this node.
    pub fn connection_count(&self) -> usize {
        self.state.read().conns.len()
    }

    /// Number of live connections of one user on this node.
    pub fn user_connection_count(&self, user: UserId) -> usize {
        self.state.read().by_user.get(&user).map_or(0, HashSet::len)
    }

    /// Register a connection locally. Returns it, with `first_for_user` set when the
    /// user had no other connection on this node.
    pub fn connect_local(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> Connection {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (mut conn, tx) = Connection::new_pair(id, user, session, self.queue_capacity);
        let mut s = self.state.write();
        s.conns.insert(
            id,
            ConnEntry {
                user,
                session,
                tx: Some(tx),
                rooms: HashSet::new(),
            },
        );
        let set = s.by_user.entry(user).or_default();
        conn.first_for_user = set.is_empty();
        set.insert(id);
        for room in rooms {
            s.subscribe(id, *room);
        }
        conn
    }

    /// Unregister a connection locally; true if it was the user's last on this node.
    pub fn disconnect_local(&self, conn: ConnId) -> bool {
        self.state.write().remove(conn)
    }

    /// Whether the user has a connection on this node.
    pub fn is_online_local(&self, user: UserId) -> bool {
        self.state.read().by_user.contains_key(&user)
    }

    /// Apply a dispatch to this node's connections (brokers call this for every
    /// dispatch they receive, including their own).
    pub fn apply(&self, dispatch: &Dispatch) {
        match dispatch {
            Dispatch::Room { room, event } => {
                let frame = Frame::encode(event);
                let overflow = {
                    let s = self.state.read();
                    let Some(subs) = s.by_room.get(room) else {
                        return;
                    };
                    let mut overflow = Vec::new();
                    for (id, tx) in subs {
                        if !tx.try_send(frame.clone()) {
                            overflow.push(*id);
                        }
                    }
                    overflow
                };
                self.drop_slow(overflow);
            }
            Dispatch::Users { users, event } => {
                let frame = Frame::encode(event);
                let overflow = {
                    let s = self.state.read();
                    let ids = users
                        .iter()
                        .filter_map(|u| s.by_user.get(u))
                        .flat_map(|set| set.iter().copied());
                    Self::deliver(&s, ids, &frame)
                };
                self.drop_slow(overflow);
            }
            Dispatch::Subscribe { user, room } => {
                let mut s = self.state.write();
                let ids: Vec<ConnId> = s
                    .by_user
                    .get(user)
                    .map(|set| set.iter().copied().collect())
                    .unwrap_or_default();
                for id in ids {
                    s.subscribe(id, *room);
                }
            }
            Dispatch::Unsubscribe { user, room } => {
                let mut s = self.state.write();
                let ids: Vec<ConnId> = s
                    .by_user
                    .get(user)
                    .map(|set| set.iter().copied().collect())
                    .unwrap_or_default();
                for id in ids {
                    s.unsubscribe(id, *room);
                }
            }
            Dispatch::CloseRoom { room } => {
                let mut s = self.state.write();
                if let Some(subs) = s.by_room.remove(room) {
                    for (id, _) in subs {
                        if let Some(entry) = s.conns.get_mut(&id) {
                            entry.rooms.remove(room);
                        }
                    }
                }
            }
            Dispatch::Disconnect {
                user,
                session,
                reason,
            } => {
                let mut s = self.state.write();
                let ids: Vec<ConnId> = s
                    .by_user
                    .get(user)
                    .map(|set| set.iter().copied().collect())
                    .unwrap_or_default();
                for id in ids {
                    let matches = match session {
                        None => true,
                        Some(sess) => s.conns.get(&id).is_some_and(|e| e.session == Some(*sess)),
                    };
                    if matches {
                        s.close(id, *reason);
                    }
                }
            }
        }
    }

    fn deliver(s: &State, ids: impl Iterator<Item = ConnId>, frame: &Frame) -> Vec<ConnId> {
        let mut overflow = Vec::new();
        for id in ids {
            if let Some(tx) = s.conns.get(&id).and_then(|e| e.tx.as_ref())
                && !tx.try_send(frame.clone())
            {
                overflow.push(id);
            }
        }
        overflow
    }

    fn drop_slow(&self, overflow: Vec<ConnId>) {
        if overflow.is_empty() {
            return;
        }
        let mut s = self.state.write();
        for id in overflow {
            tracing::debug!(conn = id, "closing slow consumer");
            s.close(id, CloseReason::SlowConsumer);
        }
    }
}

#[async_trait]
impl Hub for LocalHub {
    fn publish(&self, dispatch: Dispatch) {
        self.apply(&dispatch);
    }

    fn single_node(&self) -> bool {
        true
    }

    async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> Result<Connection> {
        Ok(self.connect_local(user, session, rooms))
    }

    fn subscribe_connection(&self, conn: ConnId, room: RoomId) {
        self.state.write().subscribe(conn, room);
    }

    async fn disconnect(&self, conn: ConnId) -> Result<bool> {
        Ok(self.disconnect_local(conn))
    }

    async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>> {
        let s = self.state.read();
        Ok(users
            .iter()
            .copied()
            .filter(|u| s.by_user.contains_key(u))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt as _;

    fn frame(n: u8) -> Frame {
        Frame {
            json: Bytes::from(vec![n]),
            seq: None,
        }
    }

    #[test]
    fn queue_is_bounded_and_hands_batches_over_in_order() {
        let (mut conn, tx) = Connection::new_pair(1, UserId::new(), None, 3);
        assert!(tx.try_send(frame(1)));
        assert!(tx.try_send(frame(2)));
        assert!(tx.try_send(frame(3)));
        assert!(!tx.try_send(frame(4)), "full");
        let mut buf = Vec::new();
        assert_eq!(conn.recv_many(&mut buf, 2).now_or_never(), Some(2));
        assert_eq!(conn.queued(), 1);
        assert_eq!(conn.recv_many(&mut buf, 64).now_or_never(), Some(1));
        let got: Vec<u8> = buf.iter().map(|f| f.json[0]).collect();
        assert_eq!(got, vec![1, 2, 3]);
        buf.clear();
        // Whole-queue hand-over (the swap path), then a single receive.
        assert!(tx.try_send(frame(5)));
        assert!(tx.try_send(frame(6)));
        assert_eq!(conn.try_recv_many(&mut buf, 64), 2);
        assert_eq!(buf[1].json[0], 6);
        assert!(tx.try_send(frame(7)));
        assert_eq!(
            conn.recv().now_or_never().flatten().map(|f| f.json[0]),
            Some(7)
        );
        assert!(conn.recv().now_or_never().is_none(), "empty: waits");
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_and_sees_the_close() {
        let (mut conn, tx) = Connection::new_pair(1, UserId::new(), None, 8);
        let tx2 = tx.clone();
        let waiter = tokio::spawn(async move {
            let mut buf = Vec::new();
            let n = conn.recv_many(&mut buf, 8).await;
            let closed = conn.recv_many(&mut buf, 8).await;
            (n, closed, conn.close_reason())
        });
        tokio::task::yield_now().await;
        assert!(tx.try_send(frame(1)));
        tx.set_close_reason(CloseReason::SlowConsumer);
        drop(tx);
        tokio::task::yield_now().await;
        drop(tx2);
        let (n, closed, reason) = waiter.await.unwrap_or_default();
        assert_eq!((n, closed, reason), (1, 0, Some(CloseReason::SlowConsumer)));
    }

    #[test]
    fn pushing_to_a_dropped_connection_fails() {
        let (conn, tx) = Connection::new_pair(1, UserId::new(), None, 8);
        drop(conn);
        assert!(!tx.try_send(frame(1)));
    }
}
