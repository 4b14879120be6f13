//! [`PgHub`]: a multi-node [`Hub`] over PostgreSQL `LISTEN`/`NOTIFY`.
//!
//! Every dispatch is sent with `pg_notify` on one channel; every node (the sender
//! included) applies what it receives to its own connections, so all nodes apply the
//! same dispatches in the same order (PostgreSQL delivers notifications in commit
//! order). `NOTIFY` payloads are limited to 8,000 bytes: larger dispatches are stored
//! in an unlogged table and the notification carries a reference, which receivers
//! resolve in order before applying the next notification.
//!
//! Presence uses leases in an unlogged table (`chatcore_presence`), with a per-user
//! advisory lock so that "first connection" and "last connection" are decided
//! atomically across nodes. `Hub::sweep` (run by `Chat::housekeeping`) renews this
//! node's leases and removes those of dead nodes.
//!
//! The broker's two tables are ephemeral state, not chat data: the broker creates them
//! (`CREATE UNLOGGED TABLE IF NOT EXISTS`) when it starts.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chatcore::hub::{ConnId, Connection, Dispatch, Hub, LocalHub};
use chatcore::{RoomId, SessionId, UserId};
use parking_lot::Mutex;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Largest payload sent inline (PostgreSQL's limit is 8,000 bytes; keep a margin for
/// the sequence prefix).
const INLINE_MAX: usize = 7_900;

/// Errors of the PostgreSQL broker; the driver's error is kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum PgHubError {
    /// The database refused or failed.
    #[error("postgres broker: {0}")]
    Sql(#[from] sqlx::Error),
}

impl From<PgHubError> for chatcore::Error {
    fn from(e: PgHubError) -> Self {
        chatcore::Error::backend(e)
    }
}

/// Options of a [`PgHub`].
#[derive(Debug, Clone)]
pub struct PgHubOptions {
    /// Channel name (default `"chatcore_dispatch"`); nodes on the same channel form
    /// one cluster. Letters, digits and `_` only.
    pub channel: String,
    /// How long a presence lease lives without renewal (default 30 s).
    pub presence_lease: Duration,
    /// Per-connection queue length of the local hub.
    pub queue_capacity: usize,
}

impl Default for PgHubOptions {
    fn default() -> Self {
        PgHubOptions {
            channel: "chatcore_dispatch".into(),
            presence_lease: Duration::from_secs(30),
            queue_capacity: LocalHub::DEFAULT_QUEUE,
        }
    }
}

/// A [`Hub`] over PostgreSQL `LISTEN`/`NOTIFY`. See the module documentation.
pub struct PgHub {
    local: Arc<LocalHub>,
    pool: PgPool,
    node: String,
    lease: Duration,
    out: mpsc::UnboundedSender<Vec<u8>>,
    mine: Mutex<HashMap<ConnId, UserId>>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for PgHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgHub")
            .field("node", &self.node)
            .field("local", &self.local)
            .finish_non_exhaustive()
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

fn valid_channel(c: &str) -> bool {
    !c.is_empty() && c.len() <= 63 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl PgHub {
    /// Connect to the database at `url` and join the cluster on `options.channel`.
    /// Returns once this node listens, so nothing sent afterwards is missed.
    pub async fn connect(url: &str, options: PgHubOptions) -> Result<Arc<Self>, PgHubError> {
        if !valid_channel(&options.channel) {
            return Err(PgHubError::Sql(sqlx::Error::Configuration(
                "channel: letters, digits and '_' only".into(),
            )));
        }
        let pool = PgPoolOptions::new().max_connections(4).connect(url).await?;
        for stmt in SCHEMA {
            // Concurrent first starts may race on CREATE ... IF NOT EXISTS; a retry settles it.
            if sqlx::query(*stmt).execute(&pool).await.is_err() {
                sqlx::query(*stmt).execute(&pool).await?;
            }
        }
        let local = Arc::new(LocalHub::new(options.queue_capacity));
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(&options.channel).await?;
        let listen_task = tokio::spawn(listen_loop(listener, pool.clone(), local.clone()));
        let (out, rx) = mpsc::unbounded_channel();
        let node = uuid::Uuid::new_v4().simple().to_string();
        let notify_task = tokio::spawn(notify_loop(
            pool.clone(),
            options.channel.clone(),
            node.clone(),
            rx,
        ));
        let cleanup_task = tokio::spawn(cleanup_loop(pool.clone()));
        Ok(Arc::new(PgHub {
            local,
            pool,
            node,
            lease: options.presence_lease,
            out,
            mine: Mutex::new(HashMap::new()),
            tasks: vec![listen_task, notify_task, cleanup_task],
        }))
    }

    /// This node's hub (its local connections).
    pub fn local(&self) -> &Arc<LocalHub> {
        &self.local
    }

    fn lease_secs(&self) -> f64 {
        self.lease.as_secs_f64()
    }
}

impl Drop for PgHub {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Send queued dispatches, in order, a batch per transaction. Each payload is prefixed
/// with this node's id and a counter: PostgreSQL folds identical notifications within
/// a transaction, and two dispatches may well be identical.
async fn notify_loop(
    pool: PgPool,
    channel: String,
    node: String,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let counter = AtomicU64::new(0);
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 256).await > 0 {
        let result: Result<(), sqlx::Error> = async {
            let mut tx = pool.begin().await?;
            for payload in batch.drain(..) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let text = if payload.len() <= INLINE_MAX {
                    match String::from_utf8(payload) {
                        Ok(json) => format!("{node}:{n}|{json}"),
                        Err(_) => continue,
                    }
                } else {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO chatcore_broker_payloads (payload) VALUES ($1) RETURNING id",
                    )
                    .bind(payload)
                    .fetch_one(&mut *tx)
                    .await?;
                    format!("{node}:{n}|@{id}")
                };
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(&channel)
                    .bind(text)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await;
        if let Err(e) = result {
            // At most once, like any pub/sub: clients catch up by resuming.
            tracing::warn!(error = %e, "sending dispatches through postgres failed");
            batch.clear();
        }
    }
}

async fn listen_loop(mut listener: PgListener, pool: PgPool, local: Arc<LocalHub>) {
    loop {
        // `recv` reconnects by itself after a lost connection (notifications sent
        // meanwhile are lost; clients resume).
        let note = match listener.recv().await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "postgres listener failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Some((_, body)) = note.payload().split_once('|') else {
            continue;
        };
        let bytes: Vec<u8> = match body.strip_prefix('@') {
            None => body.as_bytes().to_vec(),
            Some(id) => {
                let Ok(id) = id.parse::<i64>() else { continue };
                match sqlx::query_scalar::<_, Vec<u8>>(
                    "SELECT payload FROM chatcore_broker_payloads WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&pool)
                .await
                {
                    Ok(Some(p)) => p,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not fetch a large dispatch");
                        continue;
                    }
                }
            }
        };
        match serde_json::from_slice::<Dispatch>(&bytes) {
            Ok(d) => local.apply(&d),
            Err(e) => tracing::warn!(error = %e, "ignoring a malformed dispatch"),
        }
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

#[async_trait]
impl Hub for PgHub {
    fn publish(&self, dispatch: Dispatch) {
        match serde_json::to_vec(&dispatch) {
            Ok(bytes) => {
                if self.out.send(bytes).is_err() {
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
        let count: i64 = async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1::text))")
                .bind(user.as_uuid())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO chatcore_presence (node, conn, user_id, expires_at)
                 VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
            )
            .bind(&self.node)
            .bind(i64::try_from(conn.id).unwrap_or(i64::MAX))
            .bind(user.as_uuid())
            .bind(self.lease_secs())
            .execute(&mut *tx)
            .await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM chatcore_presence WHERE user_id = $1 AND expires_at > now()",
            )
            .bind(user.as_uuid())
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }
        .await
        .map_err(PgHubError::from)?;
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
        let left: i64 = async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1::text))")
                .bind(user.as_uuid())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM chatcore_presence WHERE node = $1 AND conn = $2")
                .bind(&self.node)
                .bind(i64::try_from(conn).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM chatcore_presence WHERE user_id = $1 AND expires_at > now()",
            )
            .bind(user.as_uuid())
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }
        .await
        .map_err(PgHubError::from)?;
        Ok(left == 0)
    }

    async fn online(&self, users: &[UserId]) -> chatcore::Result<HashSet<UserId>> {
        if users.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<uuid::Uuid> = users.iter().map(UserId::as_uuid).collect();
        let rows: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM chatcore_presence WHERE user_id = ANY($1) AND expires_at > now()",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(PgHubError::from)?;
        Ok(rows.into_iter().map(UserId::from).collect())
    }

    async fn sweep(&self) -> chatcore::Result<Vec<UserId>> {
        let gone: Vec<uuid::Uuid> = async {
            sqlx::query("UPDATE chatcore_presence SET expires_at = now() + make_interval(secs => $2) WHERE node = $1")
                .bind(&self.node)
                .bind(self.lease_secs())
                .execute(&self.pool)
                .await?;
            let expired: Vec<uuid::Uuid> =
                sqlx::query_scalar("DELETE FROM chatcore_presence WHERE expires_at <= now() RETURNING user_id")
                    .fetch_all(&self.pool)
                    .await?;
            let expired: Vec<uuid::Uuid> = expired.into_iter().collect::<HashSet<_>>().into_iter().collect();
            if expired.is_empty() {
                return Ok(Vec::new());
            }
            let still: Vec<uuid::Uuid> = sqlx::query_scalar(
                "SELECT DISTINCT user_id FROM chatcore_presence WHERE user_id = ANY($1) AND expires_at > now()",
            )
            .bind(&expired)
            .fetch_all(&self.pool)
            .await?;
            let still: HashSet<uuid::Uuid> = still.into_iter().collect();
            Ok::<_, sqlx::Error>(expired.into_iter().filter(|u| !still.contains(u)).collect())
        }
        .await
        .map_err(PgHubError::from)?;
        Ok(gone.into_iter().map(UserId::from).collect())
    }
}
