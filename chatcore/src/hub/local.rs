//! [`LocalHub`]: the in-process hub, holding this node's connections by user and by
//! room. Brokers wrap one and apply every dispatch they receive to it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use parking_lot::RwLock;

use super::{CloseReason, ConnId, ConnSender, Connection, Dispatch, Frame, Hub};
use crate::error::Result;
use crate::ids::{RoomId, SessionId, UserId};

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
    /// The user's connections on this node.
    fn user_conns(&self, user: UserId) -> Vec<ConnId> {
        self.by_user
            .get(&user)
            .map(|set| set.iter().copied().collect())
            .unwrap_or_default()
    }

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
    /// Moves on with every change to rooms or memberships ([`Hub::access_epoch`]).
    access_epoch: AtomicU64,
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
            access_epoch: AtomicU64::new(0),
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

    /// Move this node's access epoch on: every [`crate::Chat`] over this hub forgets
    /// what its send path cached (brokers call this for every access change they
    /// receive, and when they may have missed some).
    pub fn forget_access(&self) {
        self.access_epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The current access epoch (see [`Hub::access_epoch`]).
    pub fn current_access_epoch(&self) -> u64 {
        self.access_epoch.load(Ordering::Acquire)
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
                    crate::metrics::delivered(subs.len() - overflow.len());
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
            Dispatch::Everyone { event } => {
                let frame = Frame::encode(event);
                let overflow = {
                    let s = self.state.read();
                    Self::deliver(&s, s.conns.keys().copied(), &frame)
                };
                self.drop_slow(overflow);
            }
            Dispatch::Subscribe { user, room } => {
                let mut s = self.state.write();
                for id in s.user_conns(*user) {
                    s.subscribe(id, *room);
                }
            }
            Dispatch::Unsubscribe { user, room } => {
                let mut s = self.state.write();
                for id in s.user_conns(*user) {
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
                for id in s.user_conns(*user) {
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
        let (mut overflow, mut sent) = (Vec::new(), 0);
        for id in ids {
            if let Some(tx) = s.conns.get(&id).and_then(|e| e.tx.as_ref()) {
                if tx.try_send(frame.clone()) {
                    sent += 1;
                } else {
                    overflow.push(id);
                }
            }
        }
        crate::metrics::delivered(sent);
        overflow
    }

    fn drop_slow(&self, overflow: Vec<ConnId>) {
        if overflow.is_empty() {
            return;
        }
        crate::metrics::overflowed(overflow.len());
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

    /// The only node: every change is made through a `Chat` over this hub.
    fn access_epoch(&self) -> Option<u64> {
        Some(self.current_access_epoch())
    }

    async fn access_changed(&self) {
        self.forget_access();
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
