//! [`PgHub`]: a multi-node hub over PostgreSQL `LISTEN`/`NOTIFY`, the
//! [`chatcore::hub::BrokerHub`] over [`PgEngine`].
//!
//! Every payload is sent with `pg_notify` on one channel; every node (the sender
//! included) receives it, in commit order, so all nodes apply the same dispatches in
//! the same order. `NOTIFY` payloads are limited to 8,000 bytes: larger ones are
//! stored in an unlogged table and the notification carries a reference, which
//! receivers resolve in order before taking the next notification.
//!
//! Presence uses leases in an unlogged table (`chatcore_presence`), with a per-user
//! advisory lock so that "first connection" and "last connection" are decided
//! atomically across nodes.
//!
//! The broker's two tables are ephemeral state, not chat data: the engine creates them
//! (`CREATE UNLOGGED TABLE IF NOT EXISTS`) when it starts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chatcore::UserId;
use chatcore::hub::{BrokerHub, Engine, Inbound, Incoming, Lease};
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Largest payload sent inline (PostgreSQL's limit is 8,000 bytes; keep a margin for
/// the sender prefix).
const INLINE_MAX: usize = 7_900;

/// Database errors reach callers as [`chatcore::Error::Backend`], the driver's error
/// as the source.
fn err(e: sqlx::Error) -> chatcore::Error {
    chatcore::Error::backend(e)
}

/// A multi-node hub over PostgreSQL: a [`BrokerHub`] with the [`PgEngine`].
pub type PgHub = BrokerHub<PgEngine>;

/// The PostgreSQL [`Engine`]: `LISTEN`/`NOTIFY` on one channel, presence leases in an
/// unlogged table.
pub struct PgEngine {
    pool: PgPool,
    channel: String,
    /// Prefixes every notification with a counter: PostgreSQL folds identical
    /// notifications within a transaction, and two payloads may well be identical.
    sender: String,
    counter: AtomicU64,
    cleanup: JoinHandle<()>,
}

impl std::fmt::Debug for PgEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEngine")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl Drop for PgEngine {
    fn drop(&mut self) {
        self.cleanup.abort();
    }
}

const SCHEMA: &[&str] = &[
    "CREATE UNLOGGED TABLE IF NOT EXISTS chatcore_broker_payloads (
        id BIGSERIAL PRIMARY KEY,
        payload BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    "CREATE UNLOGGED TABLE IF NOT EXISTS chatcore_presence (
        node TEXT NOT NULL,
        conn BIGINT NOT NULL,
        user_id UUID NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (node, conn))",
    "CREATE INDEX IF NOT EXISTS chatcore_presence_user ON chatcore_presence (user_id, expires_at)",
];

const LIVE_LEASES: &str =
    "SELECT count(*) FROM chatcore_presence WHERE user_id = $1 AND expires_at > now()";

fn conn_id(conn: u64) -> i64 {
    i64::try_from(conn).unwrap_or(i64::MAX)
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

impl PgEngine {
    /// Run `change` on a lease in a transaction holding the user's advisory lock;
    /// returns the user's unexpired leases afterwards.
    async fn locked_count(
        &self,
        lease: Lease<'_>,
        change: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> chatcore::Result<usize> {
        let n: i64 = async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1::text))")
                .bind(lease.user.as_uuid())
                .execute(&mut *tx)
                .await?;
            change.execute(&mut *tx).await?;
            let n: i64 = sqlx::query_scalar(LIVE_LEASES)
                .bind(lease.user.as_uuid())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }
        .await
        .map_err(err)?;
        Ok(count(n))
    }
}

/// Large payloads are read within milliseconds; drop them after a minute.
async fn cleanup_loop(pool: PgPool) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        let _ = sqlx::query(
            "DELETE FROM chatcore_broker_payloads WHERE created_at < now() - interval '1 minute'",
        )
        .execute(&pool)
        .await;
    }
}

/// The payload a notification carries, fetching a large one by its reference.
async fn resolve(pool: &PgPool, text: &str) -> Option<Vec<u8>> {
    let (_, body) = text.split_once('|')?;
    let Some(id) = body.strip_prefix('@') else {
        return Some(body.as_bytes().to_vec());
    };
    let id = id.parse::<i64>().ok()?;
    match sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT payload FROM chatcore_broker_payloads WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "could not fetch a large broker payload");
            None
        }
    }
}

/// Forward notifications until the hub drops its receiver. A lost connection is
/// reconnected by the listener (notifications sent meanwhile are lost) and reported
/// as a gap.
async fn listen_loop(mut listener: PgListener, pool: PgPool, tx: mpsc::Sender<Inbound>) {
    loop {
        let next = tokio::select! {
            next = listener.try_recv() => next,
            () = tx.closed() => return,
        };
        let item = match next {
            Ok(Some(note)) => match resolve(&pool, note.payload()).await {
                Some(payload) => Inbound::Payload(payload),
                None => continue,
            },
            Ok(None) => Inbound::Gap,
            Err(e) => {
                tracing::warn!(error = %e, "postgres listener failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                Inbound::Gap
            }
        };
        if tx.send(item).await.is_err() {
            return;
        }
    }
}

#[async_trait]
impl Engine for PgEngine {
    /// The `LISTEN`/`NOTIFY` channel.
    const DEFAULT_CLUSTER: &'static str = "chatcore_dispatch";

    /// Connect to the database at `url`, for the cluster on `channel`, and create the
    /// broker's tables if needed.
    async fn connect(url: &str, channel: &str) -> chatcore::Result<Self> {
        chatcore::hub::check_cluster_name(channel)?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(url)
            .await
            .map_err(err)?;
        for stmt in SCHEMA {
            // Concurrent first starts may race on CREATE ... IF NOT EXISTS; a retry settles it.
            if sqlx::query(*stmt).execute(&pool).await.is_err() {
                sqlx::query(*stmt).execute(&pool).await.map_err(err)?;
            }
        }
        Ok(PgEngine {
            cleanup: tokio::spawn(cleanup_loop(pool.clone())),
            pool,
            channel: channel.to_owned(),
            sender: uuid::Uuid::new_v4().simple().to_string(),
            counter: AtomicU64::new(0),
        })
    }

    async fn subscribe(&self) -> chatcore::Result<Incoming> {
        let mut listener = PgListener::connect_with(&self.pool).await.map_err(err)?;
        listener.listen(&self.channel).await.map_err(err)?;
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(listen_loop(listener, self.pool.clone(), tx));
        Ok(rx)
    }

    /// One transaction per batch: its notifications are delivered together, in order.
    async fn publish(&self, batch: Vec<Vec<u8>>) -> chatcore::Result<()> {
        async {
            let mut tx = self.pool.begin().await?;
            for payload in batch {
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                let sender = &self.sender;
                let text = if payload.len() <= INLINE_MAX {
                    match String::from_utf8(payload) {
                        Ok(json) => format!("{sender}:{n}|{json}"),
                        Err(_) => continue,
                    }
                } else {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO chatcore_broker_payloads (payload) VALUES ($1) RETURNING id",
                    )
                    .bind(payload)
                    .fetch_one(&mut *tx)
                    .await?;
                    format!("{sender}:{n}|@{id}")
                };
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(&self.channel)
                    .bind(text)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await
        .map_err(err)
    }

    async fn add_lease(&self, lease: Lease<'_>, ttl: Duration) -> chatcore::Result<usize> {
        let insert = sqlx::query(
            "INSERT INTO chatcore_presence (node, conn, user_id, expires_at)
             VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        )
        .bind(lease.node)
        .bind(conn_id(lease.conn))
        .bind(lease.user.as_uuid())
        .bind(ttl.as_secs_f64());
        self.locked_count(lease, insert).await
    }

    async fn remove_lease(&self, lease: Lease<'_>) -> chatcore::Result<usize> {
        let delete = sqlx::query("DELETE FROM chatcore_presence WHERE node = $1 AND conn = $2")
            .bind(lease.node)
            .bind(conn_id(lease.conn));
        self.locked_count(lease, delete).await
    }

    async fn renew_leases(&self, leases: &[Lease<'_>], ttl: Duration) -> chatcore::Result<()> {
        let Some(first) = leases.first() else {
            return Ok(());
        };
        let conns: Vec<i64> = leases.iter().map(|l| conn_id(l.conn)).collect();
        sqlx::query(
            "UPDATE chatcore_presence SET expires_at = now() + make_interval(secs => $3)
             WHERE node = $1 AND conn = ANY($2)",
        )
        .bind(first.node)
        .bind(&conns)
        .bind(ttl.as_secs_f64())
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn expire_leases(&self) -> chatcore::Result<Vec<UserId>> {
        let gone: Vec<uuid::Uuid> = async {
            let expired: Vec<uuid::Uuid> = sqlx::query_scalar(
                "DELETE FROM chatcore_presence WHERE expires_at <= now() RETURNING user_id",
            )
            .fetch_all(&self.pool)
            .await?;
            let expired: Vec<uuid::Uuid> = expired
                .into_iter()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            if expired.is_empty() {
                return Ok(Vec::new());
            }
            let still: HashSet<uuid::Uuid> = sqlx::query_scalar(
                "SELECT DISTINCT user_id FROM chatcore_presence WHERE user_id = ANY($1) AND expires_at > now()",
            )
            .bind(&expired)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect();
            Ok::<_, sqlx::Error>(expired.into_iter().filter(|u| !still.contains(u)).collect())
        }
        .await
        .map_err(err)?;
        Ok(gone.into_iter().map(UserId::from).collect())
    }

    async fn online(&self, users: &[UserId]) -> chatcore::Result<HashSet<UserId>> {
        let ids: Vec<uuid::Uuid> = users.iter().map(UserId::as_uuid).collect();
        let rows: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM chatcore_presence WHERE user_id = ANY($1) AND expires_at > now()",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(rows.into_iter().map(UserId::from).collect())
    }
}
