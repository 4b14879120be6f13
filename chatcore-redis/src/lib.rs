#![doc = include_str!("../README.md")]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use chatcore::hub::{ConnId, Connection, Dispatch, Hub, LocalHub};
use chatcore::{RoomId, SessionId, UserId};
use futures::StreamExt;
use parking_lot::Mutex;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Errors of the Redis broker. The Redis error is kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum RedisHubError {
    /// Redis refused or failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

impl From<RedisHubError> for chatcore::Error {
    fn from(e: RedisHubError) -> Self {
        chatcore::Error::backend(e)
    }
}

/// Options of a [`RedisHub`].
#[derive(Debug, Clone)]
pub struct RedisHubOptions {
    /// Prefix of every key and channel (default `"chatcore"`): nodes with the same
    /// prefix form one cluster.
    pub prefix: String,
    /// How long a presence lease lives without renewal (default 30 s). A node renews
    /// its leases on every [`Hub::sweep`], so run `Chat::run_housekeeping` with a
    /// period well below this; a dead node's users go offline after at most this long.
    pub presence_lease: Duration,
    /// Per-connection queue length of the local hub.
    pub queue_capacity: usize,
}

impl Default for RedisHubOptions {
    fn default() -> Self {
        RedisHubOptions {
            prefix: "chatcore".into(),
            presence_lease: Duration::from_secs(30),
            queue_capacity: LocalHub::DEFAULT_QUEUE,
        }
    }
}

/// A [`Hub`] over Redis pub/sub: every dispatch is published on one channel and every
/// node (this one included) applies what it receives to its own connections, in
/// publication order. Presence is kept in Redis sorted sets with leases.
pub struct RedisHub {
    local: Arc<LocalHub>,
    node: String,
    keys: Keys,
    lease: Duration,
    conn: ConnectionManager,
    out: mpsc::UnboundedSender<Vec<u8>>,
    /// This node's live connections, for lease renewal.
    mine: Mutex<HashMap<ConnId, UserId>>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for RedisHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHub")
            .field("node", &self.node)
            .field("prefix", &self.keys.prefix)
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct Keys {
    prefix: String,
    channel: String,
    all: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        Keys {
            prefix: prefix.to_owned(),
            channel: format!("{prefix}:dispatch"),
            all: format!("{prefix}:presence:all"),
        }
    }
    fn user(&self, user: UserId) -> String {
        format!("{}:presence:user:{user}", self.prefix)
    }
    fn user_prefix(&self) -> String {
        format!("{}:presence:user:", self.prefix)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

const CONNECT: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return redis.call('ZCARD', KEYS[1])
";

const DISCONNECT: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
return redis.call('ZCARD', KEYS[1])
";

/// Collect expired leases (of dead nodes); return users left with no live lease.
const SWEEP: &str = r"
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
local gone = {}
for _, m in ipairs(expired) do
  redis.call('ZREM', KEYS[1], m)
  local user, conn = string.match(m, '^([^|]+)|(.+)$')
  if user then
    local ukey = ARGV[2] .. user
    redis.call('ZREM', ukey, conn)
    redis.call('ZREMRANGEBYSCORE', ukey, '-inf', ARGV[1])
    if redis.call('ZCARD', ukey) == 0 then
      redis.call('DEL', ukey)
      table.insert(gone, user)
    end
  end
end
return gone
";

impl RedisHub {
    /// Connect to Redis at `url` (e.g. `redis://127.0.0.1:6379`) and join the cluster
    /// named by `options.prefix`. Returns once this node is subscribed, so nothing
    /// published afterwards is missed.
    pub async fn connect(url: &str, options: RedisHubOptions) -> Result<Arc<Self>, RedisHubError> {
        let client = redis::Client::open(url)?;
        let keys = Keys::new(&options.prefix);
        let local = Arc::new(LocalHub::new(options.queue_capacity));
        let conn = ConnectionManager::new(client.clone()).await?;
        let publisher = client.get_multiplexed_async_connection().await?;

        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(&keys.channel).await?;
        let subscriber = tokio::spawn(subscribe_loop(
            client,
            keys.channel.clone(),
            pubsub,
            local.clone(),
        ));

        let (out, rx) = mpsc::unbounded_channel();
        let publisher = tokio::spawn(publish_loop(publisher, keys.channel.clone(), rx));

        Ok(Arc::new(RedisHub {
            local,
            node: uuid::Uuid::new_v4().simple().to_string(),
            keys,
            lease: options.presence_lease,
            conn,
            out,
            mine: Mutex::new(HashMap::new()),
            tasks: vec![subscriber, publisher],
        }))
    }

    /// This node's hub (its local connections).
    pub fn local(&self) -> &Arc<LocalHub> {
        &self.local
    }

    /// This node's id in presence leases.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    fn lease_member(&self, conn: ConnId) -> String {
        format!("{}:{conn}", self.node)
    }

    async fn renew_leases(&self) -> Result<(), RedisHubError> {
        let mine: Vec<(ConnId, UserId)> = self.mine.lock().iter().map(|(c, u)| (*c, *u)).collect();
        if mine.is_empty() {
            return Ok(());
        }
        let expiry = now_ms() + millis(self.lease);
        let mut pipe = redis::pipe();
        for (conn, user) in &mine {
            let member = self.lease_member(*conn);
            pipe.zadd(self.keys.user(*user), &member, expiry).ignore();
            pipe.zadd(&self.keys.all, format!("{user}|{member}"), expiry)
                .ignore();
        }
        let mut c = self.conn.clone();
        pipe.query_async::<()>(&mut c).await?;
        Ok(())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Drop for RedisHub {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn publish_loop(
    mut conn: MultiplexedConnection,
    channel: String,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 256).await > 0 {
        let mut pipe = redis::pipe();
        for payload in batch.drain(..) {
            pipe.publish(&channel, payload).ignore();
        }
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            // Pub/sub is at-most-once: clients catch up by resuming from their last
            // sequence numbers, which live in the database.
            tracing::warn!(error = %e, "publishing dispatches to redis failed");
        }
    }
}

async fn subscribe_loop(
    client: redis::Client,
    channel: String,
    mut pubsub: redis::aio::PubSub,
    local: Arc<LocalHub>,
) {
    loop {
        {
            let mut stream = pubsub.on_message();
            while let Some(msg) = stream.next().await {
                let payload: &[u8] = msg.get_payload_bytes();
                match serde_json::from_slice::<Dispatch>(payload) {
                    Ok(d) => local.apply(&d),
                    Err(e) => tracing::warn!(error = %e, "ignoring a malformed dispatch"),
                }
            }
        }
        tracing::warn!("redis subscription lost; reconnecting");
        let mut delay = Duration::from_millis(100);
        pubsub = loop {
            tokio::time::sleep(delay).await;
            match client.get_async_pubsub().await {
                Ok(mut p) => match p.subscribe(&channel).await {
                    Ok(()) => break p,
                    Err(e) => tracing::warn!(error = %e, "resubscribe failed"),
                },
                Err(e) => tracing::warn!(error = %e, "redis reconnect failed"),
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        };
    }
}

#[async_trait]
impl Hub for RedisHub {
    fn publish(&self, dispatch: Dispatch) {
        match serde_json::to_vec(&dispatch) {
            Ok(bytes) => {
                if self.out.send(bytes).is_err() {
                    tracing::warn!("redis publisher stopped; applying locally only");
                    self.local.apply(&dispatch);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not encode a dispatch"),
        }
    }

    async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> chatcore::Result<Connection> {
        let mut conn = self.local.connect_local(user, session, rooms);
        self.mine.lock().insert(conn.id, user);
        let now = now_ms();
        let member = self.lease_member(conn.id);
        let count: i64 = redis::Script::new(CONNECT)
            .key(self.keys.user(user))
            .key(&self.keys.all)
            .arg(&member)
            .arg(now + millis(self.lease))
            .arg(now)
            .arg(format!("{user}|{member}"))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(RedisHubError::from)?;
        conn.first_for_user = count == 1;
        Ok(conn)
    }

    fn subscribe_connection(&self, conn: ConnId, room: RoomId) {
        self.local.subscribe_connection(conn, room);
    }

    async fn disconnect(&self, conn: ConnId) -> chatcore::Result<bool> {
        self.local.disconnect_local(conn);
        let Some(user) = self.mine.lock().remove(&conn) else {
            return Ok(false);
        };
        let member = self.lease_member(conn);
        let left: i64 = redis::Script::new(DISCONNECT)
            .key(self.keys.user(user))
            .key(&self.keys.all)
            .arg(&member)
            .arg(now_ms())
            .arg(format!("{user}|{member}"))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(RedisHubError::from)?;
        Ok(left == 0)
    }

    async fn online(&self, users: &[UserId]) -> chatcore::Result<HashSet<UserId>> {
        if users.is_empty() {
            return Ok(HashSet::new());
        }
        let now = now_ms();
        let mut pipe = redis::pipe();
        for u in users {
            pipe.zcount(self.keys.user(*u), format!("({now}"), "+inf");
        }
        let counts: Vec<i64> = pipe
            .query_async(&mut self.conn.clone())
            .await
            .map_err(RedisHubError::from)?;
        Ok(users
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(u, _)| *u)
            .collect())
    }

    async fn sweep(&self) -> chatcore::Result<Vec<UserId>> {
        self.renew_leases().await?;
        let gone: Vec<String> = redis::Script::new(SWEEP)
            .key(&self.keys.all)
            .arg(now_ms())
            .arg(self.keys.user_prefix())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(RedisHubError::from)?;
        Ok(gone.iter().filter_map(|s| s.parse().ok()).collect())
    }
}
