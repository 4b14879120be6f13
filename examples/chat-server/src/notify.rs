//! The server's [`Notifier`]: logs every notification and, with `--notify-email`,
//! mails each user a digest of them through the server's mailer (SMTP with
//! `--smtp-url`, else the log).
//!
//! **Rate limit.** At most one digest mail per user per `--notify-email-interval-secs`
//! (default 900 s = 15 minutes). A notification that arrives while a user's digest is
//! waiting joins it; the first one of a quiet user is mailed at once. Only verified
//! addresses get mail. A digest lists at most [`MAX_ITEMS`] notifications (it says how
//! many more there were).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chatcore::mail::{Email, Mailer};
use chatcore::store::Store;
use chatcore::{Notification, Notifier, UserId};
use parking_lot::Mutex;
use tokio::time::Instant;

/// Most notifications listed in one digest.
pub(crate) const MAX_ITEMS: usize = 20;

/// Characters of a message shown in a digest.
const EXCERPT_CHARS: usize = 140;

/// Digest mail settings.
pub(crate) struct EmailDigest {
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) interval: Duration,
}

/// Logs notifications; mails digests when configured.
pub(crate) struct ServerNotifier {
    store: Arc<dyn Store>,
    email: Option<EmailDigest>,
    users: Mutex<HashMap<UserId, Pending>>,
}

/// A user's digest state.
#[derive(Default)]
struct Pending {
    /// Waiting to be mailed.
    items: Vec<Notification>,
    /// More than [`MAX_ITEMS`] arrived: how many were left out.
    dropped: usize,
    /// A task will mail `items`.
    scheduled: bool,
    /// When the last digest went.
    last_sent: Option<Instant>,
}

impl ServerNotifier {
    pub(crate) fn new(store: Arc<dyn Store>, email: Option<EmailDigest>) -> Arc<Self> {
        Arc::new(ServerNotifier {
            store,
            email,
            users: Mutex::new(HashMap::new()),
        })
    }

    /// Queue `n` for the user's digest; returns when it should go, if a task must
    /// be started for it.
    fn queue(&self, n: Notification, interval: Duration) -> Option<Instant> {
        let mut users = self.users.lock();
        let p = users.entry(n.user).or_default();
        if p.items.len() < MAX_ITEMS {
            p.items.push(n);
        } else {
            p.dropped += 1;
        }
        if p.scheduled {
            return None;
        }
        p.scheduled = true;
        let now = Instant::now();
        Some(p.last_sent.map_or(now, |at| (at + interval).max(now)))
    }

    /// Mail what is pending for `user` (from the digest task).
    async fn send_digest(&self, user: UserId) {
        let (items, dropped) = {
            let mut users = self.users.lock();
            let Some(p) = users.get_mut(&user) else {
                return;
            };
            p.scheduled = false;
            p.last_sent = Some(Instant::now());
            (std::mem::take(&mut p.items), std::mem::take(&mut p.dropped))
        };
        let Some(email) = &self.email else { return };
        match self.digest(user, &items, dropped).await {
            Ok(Some(mail)) => {
                let to = mail.to.clone();
                match email.mailer.send(mail).await {
                    Ok(()) => {
                        tracing::info!(%user, %to, items = items.len(), "notification digest mailed")
                    }
                    Err(e) => tracing::warn!(%user, error = %e, "notification digest not sent"),
                }
            }
            Ok(None) => tracing::info!(%user, "no verified email address: digest not mailed"),
            Err(e) => tracing::warn!(%user, error = %e, "notification digest not built"),
        }
    }

    /// The digest mail, if the user has a verified address.
    async fn digest(
        &self,
        user: UserId,
        items: &[Notification],
        dropped: usize,
    ) -> chatcore::Result<Option<Email>> {
        let Some(u) = self.store.get_user(user).await? else {
            return Ok(None);
        };
        let (Some(to), Some(_)) = (u.email.clone(), self.store.email_verified_at(user).await?)
        else {
            return Ok(None);
        };
        let mut text = format!("Hello {},\n\nwhile you were away:\n\n", u.display_name);
        for n in items {
            let room = self.store.get_room(n.room).await?;
            let name = room.map_or_else(|| "a room".to_owned(), |r| r.name);
            let excerpt: String = n.message.body.chars().take(EXCERPT_CHARS).collect();
            text.push_str(&format!("- {name} ({:?}): {excerpt}\n", n.reason));
        }
        if dropped > 0 {
            text.push_str(&format!("… and {dropped} more.\n"));
        }
        Ok(Some(Email {
            to,
            subject: format!("{} new notification(s)", items.len() + dropped),
            text,
        }))
    }
}

/// The [`Notifier`] handed to the service: shares the [`ServerNotifier`] with its
/// digest tasks.
pub(crate) struct NotifierHandle(pub(crate) Arc<ServerNotifier>);

#[async_trait]
impl Notifier for NotifierHandle {
    async fn notify(&self, n: Notification) {
        tracing::info!(
            target: "chat_server::notify",
            user = %n.user,
            room = %n.room,
            message = %n.message.id,
            reason = ?n.reason,
            "notification"
        );
        let Some(email) = &self.0.email else { return };
        let Some(at) = self.0.queue(n.clone(), email.interval) else {
            tracing::info!(user = %n.user, "notification joins the pending digest");
            return;
        };
        let wait = at.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            tracing::info!(
                user = %n.user,
                in_secs = wait.as_secs(),
                "notification digest deferred (one per user per interval)"
            );
        }
        let this = self.0.clone();
        let user = n.user;
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            this.send_digest(user).await;
        });
    }
}
