#![doc = include_str!("../README.md")]

mod presence;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::{self, kv, stream::StorageType};
use async_trait::async_trait;
use chatcore::UserId;
use chatcore::hub::{BrokerHub, Engine, Inbound, Incoming, Lease};
use futures::StreamExt;
use tokio::sync::mpsc;

use presence::Presence;

/// Errors of the NATS broker; the client's error is kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum NatsHubError {
    /// The NATS client or server failed.
    #[error("nats: {0}")]
    Nats(Box<dyn std::error::Error + Send + Sync>),
    /// A presence record kept changing under this node's compare-and-set.
    #[error("nats: presence record too contended")]
    Contended,
}

impl From<NatsHubError> for chatcore::Error {
    fn from(e: NatsHubError) -> Self {
        chatcore::Error::backend(e)
    }
}

fn err(e: impl std::error::Error + Send + Sync + 'static) -> chatcore::Error {
    NatsHubError::Nats(Box::new(e)).into()
}

/// A multi-node hub over NATS: a [`BrokerHub`] with the [`NatsEngine`].
pub type NatsHub = BrokerHub<NatsEngine>;

/// The NATS [`Engine`]: core NATS publish/subscribe on one subject, presence leases in
/// a JetStream key-value bucket.
pub struct NatsEngine {
    client: async_nats::Client,
    subject: String,
    presence: Presence,
}

impl std::fmt::Debug for NatsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsEngine")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// The presence bucket: in memory (leases are ephemeral), one value per key; records
/// untouched for a day (no renewal, no sweep) go by themselves.
///
/// The bucket's stream is created with the key-value layout (`KV_{bucket}` on
/// `$KV.{bucket}.>`, what `create_key_value` would make) rather than with
/// `create_key_value`, which first reads the account's limits in a form that servers
/// before 2.10 (Debian's `nats-server` 2.9) do not answer.
async fn presence_bucket(js: &jetstream::Context, prefix: &str) -> chatcore::Result<kv::Store> {
    let bucket = format!("{prefix}_presence");
    if let Ok(store) = js.get_key_value(&bucket).await {
        return Ok(store);
    }
    let config = jetstream::stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age: Duration::from_secs(24 * 3600),
        storage: StorageType::Memory,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        num_replicas: 1,
        discard: jetstream::stream::DiscardPolicy::New,
        ..jetstream::stream::Config::default()
    };
    // Another node may create it at the same moment: then it is there to open.
    let created = js.create_stream(config).await.map(drop).map_err(err);
    js.get_key_value(&bucket)
        .await
        .map_err(|e| created.err().unwrap_or_else(|| err(e)))
}

/// Forward the subscription's messages until the hub drops its receiver. The client
/// reconnects and resubscribes by itself; messages published meanwhile are lost, so a
/// reconnection (the client's connect count moved) is reported as a gap first.
async fn forward(
    client: async_nats::Client,
    mut sub: async_nats::Subscriber,
    tx: mpsc::Sender<Inbound>,
) {
    let stats = client.statistics();
    let mut connects = stats.connects.load(Ordering::Acquire);
    loop {
        let msg = tokio::select! {
            msg = sub.next() => msg,
            () = tx.closed() => return,
        };
        let Some(msg) = msg else {
            tracing::warn!("nats subscription closed");
            return;
        };
        let now = stats.connects.load(Ordering::Acquire);
        if now != connects {
            connects = now;
            if tx.send(Inbound::Gap).await.is_err() {
                return;
            }
        }
        if tx
            .send(Inbound::Payload(msg.payload.to_vec()))
            .await
            .is_err()
        {
            return;
        }
    }
}

#[async_trait]
impl Engine for NatsEngine {
    /// The prefix of the subject and of the presence bucket.
    const DEFAULT_CLUSTER: &'static str = "chatcore";

    /// Connect to NATS at `url`, for the cluster named by `prefix` (the subject
    /// `{prefix}.dispatch` and the bucket `{prefix}_presence`), creating the presence
    /// bucket if needed.
    async fn connect(url: &str, prefix: &str) -> chatcore::Result<Self> {
        chatcore::hub::check_cluster_name(prefix)?;
        let client = async_nats::connect(url).await.map_err(err)?;
        let js = jetstream::new(client.clone());
        let presence = Presence::new(presence_bucket(&js, prefix).await?);
        Ok(NatsEngine {
            client,
            subject: format!("{prefix}.dispatch"),
            presence,
        })
    }

    async fn subscribe(&self) -> chatcore::Result<Incoming> {
        let sub = self
            .client
            .subscribe(self.subject.clone())
            .await
            .map_err(err)?;
        // The server registers the subscription in order with what this client sends
        // next; a flush makes sure it has before this returns.
        self.client.flush().await.map_err(err)?;
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(forward(self.client.clone(), sub, tx));
        Ok(rx)
    }

    /// Through one connection, in order; the flush returns once the server has them.
    async fn publish(&self, batch: Vec<Vec<u8>>) -> chatcore::Result<()> {
        for payload in batch {
            self.client
                .publish(self.subject.clone(), payload.into())
                .await
                .map_err(err)?;
        }
        self.client.flush().await.map_err(err)
    }

    async fn add_lease(&self, lease: Lease<'_>, ttl: Duration) -> chatcore::Result<usize> {
        self.presence.add(lease, ttl).await
    }

    async fn remove_lease(&self, lease: Lease<'_>) -> chatcore::Result<usize> {
        self.presence.remove(lease).await
    }

    async fn renew_leases(&self, leases: &[Lease<'_>], ttl: Duration) -> chatcore::Result<()> {
        self.presence.renew(leases, ttl).await
    }

    async fn expire_leases(&self) -> chatcore::Result<Vec<UserId>> {
        self.presence.expire().await
    }

    async fn online(&self, users: &[UserId]) -> chatcore::Result<HashSet<UserId>> {
        self.presence.online(users).await
    }
}
