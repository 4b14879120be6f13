#![doc = include_str!("../README.md")]

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use chatcore::UserId;
use chatcore::hub::{BrokerHub, Engine, Inbound, Incoming, Lease};
use futures::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::mpsc;

/// Redis errors reach callers as [`chatcore::Error::Backend`], the Redis error as the
/// source.
fn err(e: redis::RedisError) -> chatcore::Error {
    chatcore::Error::backend(e)
}

/// A multi-node hub over Redis: a [`BrokerHub`] with the [`RedisEngine`].
pub type RedisHub = BrokerHub<RedisEngine>;

/// The Redis [`Engine`]: pub/sub on one channel, presence leases in sorted sets
/// changed by Lua scripts.
pub struct RedisEngine {
    client: redis::Client,
    conn: ConnectionManager,
    publisher: ConnectionManager,
    keys: Keys,
}

impl std::fmt::Debug for RedisEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEngine")
            .field("prefix", &self.keys.prefix)
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

/// A lease's member in the user's set, and in the set of all leases.
fn members(lease: &Lease<'_>) -> (String, String) {
    let member = format!("{}:{}", lease.node, lease.conn);
    let all = format!("{}|{member}", lease.user);
    (member, all)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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

/// Forward the subscription's messages until the hub drops its receiver; after a lost
/// subscription, reconnect with back-off and report the gap.
async fn forward(
    client: redis::Client,
    channel: String,
    mut pubsub: redis::aio::PubSub,
    tx: mpsc::Sender<Inbound>,
) {
    loop {
        {
            let mut stream = pubsub.on_message();
            loop {
                let msg = tokio::select! {
                    msg = stream.next() => msg,
                    () = tx.closed() => return,
                };
                let Some(msg) = msg else { break };
                let payload = msg.get_payload_bytes().to_vec();
                if tx.send(Inbound::Payload(payload)).await.is_err() {
                    return;
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
            if tx.is_closed() {
                return;
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        };
        if tx.send(Inbound::Gap).await.is_err() {
            return;
        }
    }
}

#[async_trait]
impl Engine for RedisEngine {
    /// The prefix of every key and channel.
    const DEFAULT_CLUSTER: &'static str = "chatcore";

    /// Connect to Redis at `url`, for the cluster whose keys and channel start with
    /// `prefix`.
    async fn connect(url: &str, prefix: &str) -> chatcore::Result<Self> {
        chatcore::hub::check_cluster_name(prefix)?;
        let client = redis::Client::open(url).map_err(err)?;
        let conn = ConnectionManager::new(client.clone()).await.map_err(err)?;
        let publisher = ConnectionManager::new(client.clone()).await.map_err(err)?;
        Ok(RedisEngine {
            client,
            conn,
            publisher,
            keys: Keys::new(prefix),
        })
    }

    async fn subscribe(&self) -> chatcore::Result<Incoming> {
        let mut pubsub = self.client.get_async_pubsub().await.map_err(err)?;
        pubsub.subscribe(&self.keys.channel).await.map_err(err)?;
        let (tx, rx) = mpsc::channel(1024);
        let channel = self.keys.channel.clone();
        tokio::spawn(forward(self.client.clone(), channel, pubsub, tx));
        Ok(rx)
    }

    /// One pipeline through one connection: Redis keeps the order of one publisher.
    async fn publish(&self, batch: Vec<Vec<u8>>) -> chatcore::Result<()> {
        let mut pipe = redis::pipe();
        for payload in batch {
            pipe.publish(&self.keys.channel, payload).ignore();
        }
        pipe.query_async::<()>(&mut self.publisher.clone())
            .await
            .map_err(err)
    }

    async fn add_lease(&self, lease: Lease<'_>, ttl: Duration) -> chatcore::Result<usize> {
        let (member, all) = members(&lease);
        let now = now_ms();
        let count: usize = redis::Script::new(CONNECT)
            .key(self.keys.user(lease.user))
            .key(&self.keys.all)
            .arg(&member)
            .arg(now + millis(ttl))
            .arg(now)
            .arg(all)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(err)?;
        Ok(count)
    }

    async fn remove_lease(&self, lease: Lease<'_>) -> chatcore::Result<usize> {
        let (member, all) = members(&lease);
        let left: usize = redis::Script::new(DISCONNECT)
            .key(self.keys.user(lease.user))
            .key(&self.keys.all)
            .arg(&member)
            .arg(now_ms())
            .arg(all)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(err)?;
        Ok(left)
    }

    async fn renew_leases(&self, leases: &[Lease<'_>], ttl: Duration) -> chatcore::Result<()> {
        let expiry = now_ms() + millis(ttl);
        let mut pipe = redis::pipe();
        for lease in leases {
            let (member, all) = members(lease);
            pipe.zadd(self.keys.user(lease.user), member, expiry)
                .ignore();
            pipe.zadd(&self.keys.all, all, expiry).ignore();
        }
        pipe.query_async::<()>(&mut self.conn.clone())
            .await
            .map_err(err)
    }

    async fn expire_leases(&self) -> chatcore::Result<Vec<UserId>> {
        let gone: Vec<String> = redis::Script::new(SWEEP)
            .key(&self.keys.all)
            .arg(now_ms())
            .arg(self.keys.user_prefix())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(err)?;
        Ok(gone.iter().filter_map(|s| s.parse().ok()).collect())
    }

    async fn online(&self, users: &[UserId]) -> chatcore::Result<HashSet<UserId>> {
        let now = now_ms();
        let mut pipe = redis::pipe();
        for u in users {
            pipe.zcount(self.keys.user(*u), format!("({now}"), "+inf");
        }
        let counts: Vec<i64> = pipe
            .query_async(&mut self.conn.clone())
            .await
            .map_err(err)?;
        Ok(users
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(u, _)| *u)
            .collect())
    }
}
