#![doc = include_str!("../README.md")]

mod sign;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chatcore::store::{OutboxEntry, Store};
use chatcore::{Chat, RoomId};
use futures::{FutureExt, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use sign::{EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify};

/// Where and how to deliver.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// The endpoint (`http://…`; this build has no TLS, put a proxy in front for
    /// `https`).
    pub url: String,
    /// The shared secret of the signatures.
    pub secret: Vec<u8>,
    /// Attempts before an event is given up (default 10).
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one (default 1 s).
    pub backoff: Duration,
    /// Longest wait between two attempts (default 5 min).
    pub max_backoff: Duration,
    /// Time allowed for one request (default 10 s).
    pub timeout: Duration,
    /// How often the outbox is looked at when nothing new was queued (default 1 s).
    pub poll: Duration,
}

impl WebhookConfig {
    /// Deliver to `url`, signed with `secret`, with the default settings.
    pub fn new(url: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        WebhookConfig {
            url: url.into(),
            secret: secret.into(),
            max_attempts: 10,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
        }
    }
    /// Set [`WebhookConfig::max_attempts`] (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
    /// Set [`WebhookConfig::backoff`] and [`WebhookConfig::max_backoff`].
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = first;
        self.max_backoff = max.max(first);
        self
    }
    /// Set [`WebhookConfig::poll`].
    pub fn poll(mut self, every: Duration) -> Self {
        self.poll = every;
        self
    }

    /// The wait after the `attempts`-th failure.
    fn wait_after(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// The running webhooks: a deliverer that sends the store's outbox. The `Chat`
/// itself queues every domain event in the outbox ([`Chat::enable_outbox`], turned
/// on by [`Webhooks::start`]; the message events in the store transaction of their
/// change), so nothing is lost when this task stops or the process dies: whatever
/// is queued is delivered by the next run. Stopped by [`Webhooks::shutdown`] (or
/// when dropped).
pub struct Webhooks {
    deliverer: JoinHandle<()>,
}

impl Webhooks {
    /// Turn the `Chat`'s outbox on and start delivering. Events queued in the
    /// outbox before (by an earlier run) are delivered too. Must be called inside a
    /// Tokio runtime.
    pub fn start(chat: &Chat, config: WebhookConfig) -> Webhooks {
        chat.enable_outbox();
        let store = chat.store().clone();
        let queued = Arc::new(Notify::new());
        // Wake the deliverer when something was queued (the outbox is polled too,
        // for what other nodes queue).
        let events = chat.events();
        let waker = queued.clone();
        let deliverer = tokio::spawn(async move {
            let watch = watch(events, waker);
            tokio::select! {
                () = deliver(store, config, queued) => {}
                () = watch => {}
            }
        });
        Webhooks { deliverer }
    }

    /// Stop delivering (what is left in the outbox waits for the next run).
    pub async fn shutdown(self) {
        self.deliverer.abort();
    }
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        self.deliverer.abort();
    }
}

/// Wake the deliverer after each batch of domain events (they are in the outbox
/// by the time they are in the stream). Ends when the `Chat` is gone.
async fn watch(
    events: impl futures::Stream<Item = chatcore::events::DomainEvent> + Send + 'static,
    queued: Arc<Notify>,
) {
    let mut events = Box::pin(events);
    while events.next().await.is_some() {
        while let Some(Some(_)) = events.next().now_or_never() {}
        queued.notify_one();
    }
    // No more events from this `Chat`: keep delivering what is queued.
    std::future::pending::<()>().await;
}

async fn deliver(store: Arc<dyn Store>, config: WebhookConfig, queued: Arc<Notify>) {
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .no_proxy()
        .build()
    {
        Ok(c) => c,
        Err(err) => {
            tracing::error!(error = %err, "webhooks: no HTTP client");
            return;
        }
    };
    loop {
        let wait = match pass(&store, &config, &client).await {
            Ok(Some(soonest)) => soonest.min(config.poll),
            Ok(None) | Err(_) => config.poll,
        };
        tokio::select! {
            () = queued.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One pass over the pending events: each room's events in order, a room stopping
/// at its first event that is not due or fails. The shortest wait until a room is
/// due again, if any is waiting.
async fn pass(
    store: &Arc<dyn Store>,
    config: &WebhookConfig,
    client: &reqwest::Client,
) -> chatcore::Result<Option<Duration>> {
    let pending = store.pending_events(500).await?;
    let mut held: HashSet<RoomId> = HashSet::new();
    let mut soonest: Option<Duration> = None;
    for e in pending {
        if held.contains(&e.room) {
            continue;
        }
        let now = chrono::Utc::now();
        if e.next_attempt_at > now {
            held.insert(e.room);
            let w = (e.next_attempt_at - now).to_std().unwrap_or_default();
            soonest = Some(soonest.map_or(w, |s| s.min(w)));
            continue;
        }
        match post(client, config, &e).await {
            Ok(()) => store.mark_delivered(e.id, chrono::Utc::now()).await?,
            Err(why) => {
                let attempts = e.attempts.saturating_add(1);
                let give_up = attempts >= config.max_attempts;
                let wait = config.wait_after(attempts);
                let next = chrono::Utc::now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                store
                    .mark_failed(e.id, attempts, next, &why, give_up)
                    .await?;
                if give_up {
                    tracing::warn!(event = %e.id, attempts, error = %why, "webhook given up");
                } else {
                    held.insert(e.room);
                    soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
                }
            }
        }
    }
    Ok(soonest)
}

async fn post(
    client: &reqwest::Client,
    config: &WebhookConfig,
    e: &OutboxEntry,
) -> Result<(), String> {
    let ts = chrono::Utc::now().timestamp();
    let signature = sign(&config.secret, ts, e.payload.as_bytes());
    let res = client
        .post(&config.url)
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_ID_HEADER, e.id.to_string())
        .body(e.payload.clone())
        .send()
        .await
        .map_err(|err| format!("request failed: {err}"))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("status {}", res.status().as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = WebhookConfig::new("http://x", "s")
            .backoff(Duration::from_secs(1), Duration::from_secs(10));
        let waits: Vec<u64> = (1..=6).map(|n| c.wait_after(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 10, 10]);
        assert_eq!(c.wait_after(u32::MAX), Duration::from_secs(10));
    }
}
