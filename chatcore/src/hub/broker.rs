//! [`BrokerHub`]: a multi-node [`Hub`] over any message broker, given as an [`Engine`].
//!
//! The hub holds everything that does not depend on the broker: the wrapped
//! [`LocalHub`], this node's id, its connections (for presence leases), the batching
//! output channel, the loop that applies what the broker delivers, the heartbeats and
//! the access-change protocol ([`nodes`](super::nodes)). An engine only moves bytes and
//! keeps presence leases: `chatcore-redis`, `chatcore-postgres` (`PgEngine`) and
//! `chatcore-nats` each implement [`Engine`] with their own calls.
//!
//! Every dispatch is encoded once and published; every node, this one included,
//! applies what it receives with [`LocalHub::apply`], so that all nodes apply the same
//! dispatches in the broker's one order.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::nodes::{Control, Nodes};
use super::{ConnId, Connection, Dispatch, Hub, LocalHub};
use crate::error::Result;
use crate::ids::{RoomId, SessionId, UserId};

/// One item of an engine's incoming stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A payload some node published (this one included), in the broker's order.
    Payload(Vec<u8>),
    /// The engine lost its subscription and has it again: payloads published
    /// meanwhile are lost. The hub forgets all cached access.
    Gap,
}

/// An engine's incoming stream: what [`Engine::subscribe`] returns. The engine feeds
/// it from a task of its own, reconnecting as needed, until the receiver is dropped.
pub type Incoming = mpsc::Receiver<Inbound>;

/// One presence lease: a live connection of `user` on `node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease<'a> {
    /// The node's id ([`BrokerHub::node_id`]).
    pub node: &'a str,
    /// The connection, unique within the node.
    pub conn: ConnId,
    /// Its user.
    pub user: UserId,
}

/// What a broker must provide: ordered pub/sub of opaque payloads, and presence
/// leases that all nodes see and change atomically per user.
///
/// Errors are [`crate::Error::Backend`] with the engine's error as the source.
#[async_trait]
pub trait Engine: Send + Sync + Sized + 'static {
    /// The cluster [`BrokerHub::connect`] joins: the name that keeps clusters sharing
    /// one broker apart (a key prefix, a channel…).
    const DEFAULT_CLUSTER: &'static str;

    /// Reach the broker at `url`, for the cluster named `cluster` (checked with
    /// [`check_cluster_name`]).
    async fn connect(url: &str, cluster: &str) -> Result<Self>;

    /// Start receiving every payload published from now on, by any node of the
    /// cluster (this one included), in one order that every node sees alike. Returns
    /// once subscribed, so that nothing published afterwards is missed. Called once.
    async fn subscribe(&self) -> Result<Incoming>;

    /// Publish payloads, in this order, after everything published before.
    async fn publish(&self, batch: Vec<Vec<u8>>) -> Result<()>;

    /// Add a lease that lives `ttl` unless renewed; returns how many unexpired leases
    /// the user has now (1: this is their first connection anywhere). Atomic per user.
    async fn add_lease(&self, lease: Lease<'_>, ttl: Duration) -> Result<usize>;

    /// Remove a lease; returns how many unexpired leases the user has left (0: they
    /// went offline). Atomic per user.
    async fn remove_lease(&self, lease: Lease<'_>) -> Result<usize>;

    /// Extend these leases (all of one node) to `ttl` from now.
    async fn renew_leases(&self, leases: &[Lease<'_>], ttl: Duration) -> Result<()>;

    /// Remove expired leases (those of nodes that died); returns the users left with
    /// no unexpired lease, each once across the cluster.
    async fn expire_leases(&self) -> Result<Vec<UserId>>;

    /// Which of these users hold an unexpired lease.
    async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>>;
}

/// Check a cluster name (see [`Engine::connect`]): 1 to 63 ASCII letters, digits and
/// `_`, which every engine can use in its channel, subject or key names.
pub fn check_cluster_name(name: &str) -> Result<()> {
    let ok = (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(crate::Error::invalid(
            "cluster",
            "1 to 63 letters, digits and '_'",
        ))
    }
}

/// Options of a [`BrokerHub`], whatever the engine.
#[derive(Debug, Clone)]
pub struct BrokerOptions {
    /// How long a presence lease lives without renewal (default 30 s). A node renews
    /// its leases on every [`Hub::sweep`], so run `Chat::run_housekeeping` with a
    /// period well below this; a dead node's users go offline after at most this long.
    pub presence_lease: Duration,
    /// Per-connection queue length of the local hub.
    pub queue_capacity: usize,
    /// How often the node says it is alive through the broker (default 500 ms).
    pub heartbeat: Duration,
    /// How long a node trusts its access cache after the last of its own heartbeats it
    /// heard back was sent (default 2 s, at least twice `heartbeat`). An access change
    /// waits at most `access_fence + heartbeat` for a node that does not answer, and a
    /// new node caches nothing for its first `access_fence + heartbeat`.
    pub access_fence: Duration,
}

impl Default for BrokerOptions {
    fn default() -> Self {
        BrokerOptions {
            presence_lease: Duration::from_secs(30),
            queue_capacity: LocalHub::DEFAULT_QUEUE,
            heartbeat: Duration::from_millis(500),
            access_fence: Duration::from_secs(2),
        }
    }
}

/// What goes through the broker. Lives only while one message is encoded or decoded.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Wire<'a> {
    Dispatch(Cow<'a, Dispatch>),
    Control(Control),
}

/// Outgoing payloads, batched by the publish loop.
#[derive(Clone)]
struct Outbox(mpsc::UnboundedSender<Vec<u8>>);

impl Outbox {
    /// Queue a message; false once the publish loop is gone.
    fn send(&self, wire: &Wire<'_>) -> bool {
        match serde_json::to_vec(wire) {
            Ok(bytes) => self.0.send(bytes).is_ok(),
            Err(e) => {
                tracing::warn!(error = %e, "could not encode a broker message");
                true
            }
        }
    }
}

/// A [`Hub`] shared by several nodes through an [`Engine`]. See the module docs.
pub struct BrokerHub<E: Engine> {
    engine: Arc<E>,
    local: Arc<LocalHub>,
    nodes: Arc<Nodes>,
    lease_ttl: Duration,
    out: Outbox,
    /// This node's live connections, for lease renewal.
    mine: Mutex<HashMap<ConnId, UserId>>,
    tasks: Vec<JoinHandle<()>>,
}

impl<E: Engine> std::fmt::Debug for BrokerHub<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerHub")
            .field("node", &self.nodes.me())
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl<E: Engine> Drop for BrokerHub<E> {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl<E: Engine> BrokerHub<E> {
    /// Join the cluster [`Engine::DEFAULT_CLUSTER`] on the broker at `url`, with the
    /// default options.
    pub async fn connect(url: &str) -> Result<Arc<Self>> {
        Self::connect_with(url, E::DEFAULT_CLUSTER, BrokerOptions::default()).await
    }

    /// Join the cluster named `cluster` on the broker at `url`.
    pub async fn connect_with(
        url: &str,
        cluster: &str,
        options: BrokerOptions,
    ) -> Result<Arc<Self>> {
        Self::start(E::connect(url, cluster).await?, options).await
    }

    /// Join the cluster that `engine` reaches. Returns once subscribed, so that nothing
    /// published afterwards is missed.
    pub async fn start(engine: E, options: BrokerOptions) -> Result<Arc<Self>> {
        let engine = Arc::new(engine);
        let incoming = engine.subscribe().await?;
        let local = Arc::new(LocalHub::new(options.queue_capacity));
        let heartbeat = options.heartbeat.max(Duration::from_millis(10));
        let fence = options.access_fence.max(2 * heartbeat);
        let node = uuid::Uuid::new_v4().simple().to_string();
        let nodes = Arc::new(Nodes::new(node, heartbeat, fence));
        let (tx, rx) = mpsc::unbounded_channel();
        let out = Outbox(tx);
        let tasks = vec![
            tokio::spawn(apply_loop(
                incoming,
                local.clone(),
                nodes.clone(),
                out.clone(),
            )),
            tokio::spawn(publish_loop(engine.clone(), rx)),
            tokio::spawn(heartbeat_loop(nodes.clone(), out.clone(), heartbeat)),
        ];
        Ok(Arc::new(BrokerHub {
            engine,
            local,
            nodes,
            lease_ttl: options.presence_lease,
            out,
            mine: Mutex::new(HashMap::new()),
            tasks,
        }))
    }

    /// This node's hub (its local connections).
    pub fn local(&self) -> &Arc<LocalHub> {
        &self.local
    }

    /// This node's id, in presence leases and heartbeats.
    pub fn node_id(&self) -> &str {
        self.nodes.me()
    }

    /// The engine.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    fn lease(&self, conn: ConnId, user: UserId) -> Lease<'_> {
        Lease {
            node: self.nodes.me(),
            conn,
            user,
        }
    }
}

async fn apply_loop(mut incoming: Incoming, local: Arc<LocalHub>, nodes: Arc<Nodes>, out: Outbox) {
    while let Some(item) = incoming.recv().await {
        crate::metrics::broker_received(incoming.len());
        let bytes = match item {
            Inbound::Payload(bytes) => bytes,
            Inbound::Gap => {
                crate::metrics::broker_gap();
                // Access changes may have been lost with the rest.
                local.forget_access();
                continue;
            }
        };
        match serde_json::from_slice::<Wire<'_>>(&bytes) {
            Ok(Wire::Dispatch(d)) => local.apply(&d),
            Ok(Wire::Control(c)) => {
                if let Some(answer) = nodes.receive(c, &local) {
                    out.send(&Wire::Control(answer));
                }
            }
            Err(e) => tracing::warn!(error = %e, "ignoring a malformed broker message"),
        }
    }
    tracing::warn!("the broker's incoming stream ended");
}

async fn publish_loop<E: Engine>(engine: Arc<E>, mut rx: mpsc::UnboundedReceiver<Vec<u8>>) {
    let mut batch = Vec::new();
    while let n @ 1.. = rx.recv_many(&mut batch, 256).await {
        let published = engine.publish(std::mem::take(&mut batch)).await;
        crate::metrics::broker_published(n, published.is_ok());
        if let Err(e) = published {
            // Pub/sub is at most once: clients catch up by resuming from their last
            // sequence numbers, which live in the database.
            tracing::warn!(error = %e, "publishing to the broker failed");
        }
    }
}

async fn heartbeat_loop(nodes: Arc<Nodes>, out: Outbox, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !out.send(&Wire::Control(nodes.beat())) {
            return;
        }
    }
}

#[async_trait]
impl<E: Engine> Hub for BrokerHub<E> {
    fn publish(&self, dispatch: Dispatch) {
        if !self.out.send(&Wire::Dispatch(Cow::Borrowed(&dispatch))) {
            tracing::warn!("broker publisher stopped; applying locally only");
            self.local.apply(&dispatch);
        }
    }

    async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> Result<Connection> {
        let mut conn = self.local.connect_local(user, session, rooms);
        self.mine.lock().insert(conn.id, user);
        match self
            .engine
            .add_lease(self.lease(conn.id, user), self.lease_ttl)
            .await
        {
            Ok(count) => {
                crate::metrics::presence_leases(self.mine.lock().len());
                conn.first_for_user = count == 1;
                Ok(conn)
            }
            Err(e) => {
                self.mine.lock().remove(&conn.id);
                self.local.disconnect_local(conn.id);
                Err(e)
            }
        }
    }

    fn subscribe_connection(&self, conn: ConnId, room: RoomId) {
        self.local.subscribe_connection(conn, room);
    }

    async fn disconnect(&self, conn: ConnId) -> Result<bool> {
        self.local.disconnect_local(conn);
        let Some(user) = self.mine.lock().remove(&conn) else {
            return Ok(false);
        };
        crate::metrics::presence_leases(self.mine.lock().len());
        let left = self.engine.remove_lease(self.lease(conn, user)).await?;
        Ok(left == 0)
    }

    async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>> {
        if users.is_empty() {
            return Ok(HashSet::new());
        }
        self.engine.online(users).await
    }

    fn access_epoch(&self) -> Option<u64> {
        self.nodes
            .fresh()
            .then(|| self.local.current_access_epoch())
    }

    async fn access_changed(&self) {
        let (token, invalidate) = self.nodes.begin();
        if self.out.send(&Wire::Control(invalidate)) {
            self.nodes.settle(token).await;
        } else {
            self.nodes.forget(token);
            self.local.forget_access();
        }
    }

    async fn sweep(&self) -> Result<Vec<UserId>> {
        let mine: Vec<(ConnId, UserId)> = self.mine.lock().iter().map(|(c, u)| (*c, *u)).collect();
        crate::metrics::presence_leases(mine.len());
        if !mine.is_empty() {
            let leases: Vec<Lease<'_>> = mine.iter().map(|(c, u)| self.lease(*c, *u)).collect();
            self.engine.renew_leases(&leases, self.lease_ttl).await?;
        }
        self.engine.expire_leases().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// One node's loopback broker: what it publishes comes back to it.
    #[derive(Default)]
    struct Loopback {
        tx: Mutex<Option<mpsc::Sender<Inbound>>>,
        leases: Mutex<HashMap<UserId, HashSet<ConnId>>>,
        refuse_leases: AtomicBool,
    }

    impl Loopback {
        async fn inject(&self, item: Inbound) {
            let tx = self.tx.lock().clone();
            if let Some(tx) = tx {
                let _ = tx.send(item).await;
            }
        }
    }

    #[async_trait]
    impl Engine for Loopback {
        const DEFAULT_CLUSTER: &'static str = "loop";
        async fn connect(_url: &str, _cluster: &str) -> Result<Self> {
            Ok(Loopback::default())
        }
        async fn subscribe(&self) -> Result<Incoming> {
            let (tx, rx) = mpsc::channel(64);
            *self.tx.lock() = Some(tx);
            Ok(rx)
        }
        async fn publish(&self, batch: Vec<Vec<u8>>) -> Result<()> {
            for payload in batch {
                self.inject(Inbound::Payload(payload)).await;
            }
            Ok(())
        }
        async fn add_lease(&self, lease: Lease<'_>, _ttl: Duration) -> Result<usize> {
            if self.refuse_leases.load(Ordering::Relaxed) {
                return Err(crate::Error::backend(std::fmt::Error));
            }
            let mut leases = self.leases.lock();
            let set = leases.entry(lease.user).or_default();
            set.insert(lease.conn);
            Ok(set.len())
        }
        async fn remove_lease(&self, lease: Lease<'_>) -> Result<usize> {
            let mut leases = self.leases.lock();
            let set = leases.entry(lease.user).or_default();
            set.remove(&lease.conn);
            Ok(set.len())
        }
        async fn renew_leases(&self, _leases: &[Lease<'_>], _ttl: Duration) -> Result<()> {
            Ok(())
        }
        async fn expire_leases(&self) -> Result<Vec<UserId>> {
            Ok(Vec::new())
        }
        async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>> {
            let leases = self.leases.lock();
            Ok(users
                .iter()
                .filter(|u| leases.get(u).is_some_and(|s| !s.is_empty()))
                .copied()
                .collect())
        }
    }

    async fn lone_node() -> Arc<BrokerHub<Loopback>> {
        let options = BrokerOptions {
            heartbeat: Duration::from_millis(10),
            access_fence: Duration::from_millis(40),
            ..BrokerOptions::default()
        };
        let hub = BrokerHub::start(Loopback::default(), options)
            .await
            .expect("starts");
        for _ in 0..200 {
            if hub.access_epoch().is_some() {
                return hub;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("never trusted its cache");
    }

    #[tokio::test]
    async fn a_change_moves_the_epoch_on_before_it_returns() {
        let hub = lone_node().await;
        let before = hub.access_epoch();
        tokio::time::timeout(Duration::from_secs(1), hub.access_changed())
            .await
            .expect("alone: its own round trip is enough");
        assert_ne!(hub.access_epoch(), before);
    }

    #[tokio::test]
    async fn a_gap_in_the_stream_drops_cached_access() {
        let hub = lone_node().await;
        let before = hub.access_epoch();
        hub.engine().inject(Inbound::Gap).await;
        let mut moved = false;
        for _ in 0..100 {
            if hub.access_epoch().is_some_and(|e| Some(e) != before) {
                moved = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(moved, "the epoch moved on after the gap");
    }

    #[tokio::test]
    async fn a_connection_the_engine_refused_is_not_left_registered() {
        let hub = lone_node().await;
        let user = UserId::new();
        let first = hub.connect(user, None, &[]).await.expect("connects");
        assert!(first.first_for_user);
        hub.engine().refuse_leases.store(true, Ordering::Relaxed);
        assert!(hub.connect(user, None, &[]).await.is_err());
        assert_eq!(hub.local().user_connection_count(user), 1);
        assert!(hub.disconnect(first.id).await.expect("disconnects"));
        assert_eq!(hub.local().connection_count(), 0);
    }
}
