//! Presence leases in a JetStream key-value bucket: one record per user, holding that
//! user's leases (`"{node}:{conn}"` → expiry in ms since the Unix epoch), changed by
//! compare-and-set on the record's revision, so that "first connection" and "last
//! connection" are decided atomically across nodes.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::kv;
use chatcore::UserId;
use chatcore::hub::Lease;
use futures::{StreamExt, TryStreamExt};

use crate::err;

/// A user's leases: member → expiry.
type Leases = BTreeMap<String, u64>;

/// How often a compare-and-set is tried before giving up.
const CAS_TRIES: usize = 32;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn expiry(ttl: Duration) -> u64 {
    now_ms().saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

fn member(lease: &Lease<'_>) -> String {
    format!("{}:{}", lease.node, lease.conn)
}

/// What one change did to a user's record.
struct Changed {
    /// Unexpired leases left.
    left: usize,
    /// Whether it dropped expired leases (a dead node's).
    dropped_expired: bool,
}

pub(crate) struct Presence {
    kv: kv::Store,
}

impl Presence {
    pub(crate) fn new(kv: kv::Store) -> Self {
        Presence { kv }
    }

    /// The user's unexpired and expired leases, and the record's revision (0: none).
    async fn read(&self, key: &str) -> chatcore::Result<(Leases, u64)> {
        let Some(entry) = self.kv.entry(key).await.map_err(err)? else {
            return Ok((Leases::new(), 0));
        };
        if entry.operation != kv::Operation::Put {
            return Ok((Leases::new(), entry.revision));
        }
        let leases = serde_json::from_slice(&entry.value).unwrap_or_else(|e| {
            tracing::warn!(error = %e, key, "ignoring a malformed presence record");
            Leases::new()
        });
        Ok((leases, entry.revision))
    }

    /// Drop the user's expired leases, apply `f`, and write the record back if it
    /// changed, unless another node changed it meanwhile (then start again).
    async fn change(&self, user: UserId, f: impl Fn(&mut Leases)) -> chatcore::Result<Changed> {
        let key = user.to_string();
        let mut last_error = None;
        for _ in 0..CAS_TRIES {
            let (before, revision) = self.read(&key).await?;
            let now = now_ms();
            let mut leases = before.clone();
            leases.retain(|_, exp| *exp > now);
            let dropped_expired = leases.len() < before.len();
            f(&mut leases);
            let changed = Changed {
                left: leases.len(),
                dropped_expired,
            };
            if leases == before {
                return Ok(changed);
            }
            let written = if leases.is_empty() {
                self.kv
                    .delete_expect_revision(&key, Some(revision))
                    .await
                    .map_err(err)
            } else {
                let value = serde_json::to_vec(&leases).map_err(chatcore::Error::backend)?;
                self.kv
                    .update(&key, value.into(), revision)
                    .await
                    .map(drop)
                    .map_err(err)
            };
            match written {
                Ok(()) => return Ok(changed),
                // Most often a concurrent change: read again.
                Err(e) => last_error = Some(e),
            }
        }
        tracing::warn!(error = ?last_error, "giving up on a contended presence record");
        Err(crate::NatsHubError::Contended.into())
    }

    pub(crate) async fn add(&self, lease: Lease<'_>, ttl: Duration) -> chatcore::Result<usize> {
        let (m, until) = (member(&lease), expiry(ttl));
        let changed = self
            .change(lease.user, |l| {
                l.insert(m.clone(), until);
            })
            .await?;
        Ok(changed.left)
    }

    pub(crate) async fn remove(&self, lease: Lease<'_>) -> chatcore::Result<usize> {
        let m = member(&lease);
        let changed = self
            .change(lease.user, |l| {
                l.remove(&m);
            })
            .await?;
        Ok(changed.left)
    }

    /// Extend (or restore) the leases, one record change per user.
    pub(crate) async fn renew(&self, leases: &[Lease<'_>], ttl: Duration) -> chatcore::Result<()> {
        let until = expiry(ttl);
        let mut by_user: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
        for lease in leases {
            by_user.entry(lease.user).or_default().push(member(lease));
        }
        for (user, members) in by_user {
            self.change(user, |l| {
                for m in &members {
                    l.insert(m.clone(), until);
                }
            })
            .await?;
        }
        Ok(())
    }

    /// Drop expired leases from every record; the users left with none.
    pub(crate) async fn expire(&self) -> chatcore::Result<Vec<UserId>> {
        let keys: Vec<String> = self
            .kv
            .keys()
            .await
            .map_err(err)?
            .try_collect()
            .await
            .map_err(err)?;
        let mut gone = Vec::new();
        for key in keys {
            let Ok(user) = key.parse::<UserId>() else {
                continue;
            };
            let changed = self.change(user, |_| {}).await?;
            if changed.dropped_expired && changed.left == 0 {
                gone.push(user);
            }
        }
        Ok(gone)
    }

    pub(crate) async fn online(&self, users: &[UserId]) -> chatcore::Result<HashSet<UserId>> {
        let now = now_ms();
        let reads = futures::stream::iter(users.iter().copied())
            .map(|user| async move {
                let (leases, _) = self.read(&user.to_string()).await?;
                Ok::<_, chatcore::Error>(leases.values().any(|exp| *exp > now).then_some(user))
            })
            .buffer_unordered(16);
        let online: Vec<Option<UserId>> = reads.try_collect().await?;
        Ok(online.into_iter().flatten().collect())
    }
}
