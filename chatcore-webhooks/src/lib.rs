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

/// The running webhooks: a recorder that writes every domain event of the `Chat`
/// into the store's outbox, and a deliverer that sends the outbox. Stopped by
/// [`Webhooks::shutdown`] (or when dropped, without the final flush).
pub struct Webhooks {
    recorder: Option<JoinHandle<()>>,
    deliverer: JoinHandle<()>,
    stop: Arc<Notify>,
}

impl Webhooks {
    /// Start recording and delivering. Events queued in the outbox before (by an
    /// earlier run) are delivered too. Must be called inside a Tokio runtime.
    pub fn start(chat: &Chat, config: WebhookConfig) -> Webhooks {
        let store = chat.store().clone();
        let queued = Arc::new(Notify::new());
        let stop = Arc::new(Notify::new());
        let events = chat.events();
        let recorder = tokio::spawn(record(events, store.clone(), queued.clone(), stop.clone()));
        let deliverer = tokio::spawn(deliver(store, config, queued));
        Webhooks {
            recorder: Some(recorder),
            deliverer,
            stop,
        }
    }

    /// Stop: the events already emitted are written to the outbox first (they are
    /// delivered by the next run if not now).
    pub async fn shutdown(mut self) {
        self.stop.notify_one();
        if let Some(r) = self.recorder.take() {
            let _ = r.await;
        }
        self.deliverer.abort();
    }
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        if let Some(r) = &self.recorder {
            r.abort();
        }
        self.deliverer.abort();
    }
}

type Row = (uuid::Uuid, RoomId, String, chatcore::model::Timestamp);

fn row(e: &chatcore::events::DomainEvent) -> Option<Row> {
    match serde_json::to_string(e) {
        Ok(json) => Some((e.id, e.room(), json, e.at)),
        Err(err) => {
            tracing::error!(error = %err, "a domain event could not be encoded");
            None
        }
    }
}

async fn record(
    events: impl futures::Stream<Item = chatcore::events::DomainEvent> + Send + 'static,
    store: Arc<dyn Store>,
    queued: Arc<Notify>,
    stop: Arc<Notify>,
) {
    let mut events = Box::pin(events);
    loop {
        let first = tokio::select! {
            e = events.next() => e,
            () = stop.notified() => None,
        };
        let stopping = first.is_none();
        // Everything already waiting goes in the same write.
        let mut batch: Vec<Row> = first.iter().filter_map(row).collect();
        while batch.len() < 500 {
            match events.next().now_or_never() {
                Some(Some(e)) => batch.extend(row(&e)),
                _ => break,
            }
        }
        if !batch.is_empty() {
            let mut tries = 0u32;
            while let Err(err) = store.enqueue_events(&batch).await {
                tries += 1;
                tracing::warn!(error = %err, tries, "could not queue domain events");
                if tries >= 5 {
                    tracing::error!(lost = batch.len(), "domain events dropped");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(tries))).await;
            }
            queued.notify_one();
        }
        if stopping {
            return;
        }
    }
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
