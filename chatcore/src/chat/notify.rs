//! The [`Notifier`] contract: the hook for push and email notifications of users
//! who are not connected, and the members' notification settings.
//!
//! **Settings.** Each member chooses, per room, what they are notified of
//! ([`NotifyLevel`]): `all`, `mentions` or `none` (muted; unread and mention counts
//! are kept all the same). A member who never chose gets the default: `all` in
//! direct rooms and in rooms of at most [`Limits::notify_all_max_members`](super::Limits) members
//! (default 50), `mentions` in larger ones, by the member count at the time of the
//! message (so the default follows the room as it grows). The setting lives with the
//! membership: leaving the room forgets it. It is set with
//! [`Chat::set_notifications`] and shown in every [`ReadState`].
//!
//! **Notifications.** After a message is stored, for each member of the room other
//! than the author who has **no live connection** (on any node, by
//! [`Hub::online`](crate::Hub::online)), the service calls the notifier when their
//! setting says so: `all` for any message, `mentions` for a message that mentions
//! them or any message in a direct room, `none` never. A user is notified **at most
//! once per room until they read it** (`mark_read` or `mark_unread` there re-arms
//! it). That state is kept per node, in memory: a restart, or another node, may
//! notify once more.
//!
//! Without a notifier ([`ChatBuilder::notifier`](super::ChatBuilder::notifier)) no
//! notification runs (the settings are kept all the same).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;

use super::Chat;
use crate::error::{Error, Result};
use crate::ids::{RoomId, UserId};
use crate::model::{Message, MessageKind, NotifyLevel, Room, RoomKind};
use crate::protocol::ReadState;

/// Why a user is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyReason {
    /// A message in a direct room.
    Direct,
    /// A message that mentions the user.
    Mention,
    /// Any message, for a member whose setting is `all`.
    All,
}

/// One notification: `user` should hear of `message` in `room`.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Who to notify.
    pub user: UserId,
    /// Where.
    pub room: RoomId,
    /// The message (the first one since the user last read the room).
    pub message: Message,
    /// Why.
    pub reason: NotifyReason,
}

/// Receives notifications for users who are not connected (push, email). Called
/// from a task of its own, never on the send path.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Deliver one notification (errors are the notifier's to log).
    async fn notify(&self, notification: Notification);
}

/// The default notifier: does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoNotifier;

#[async_trait]
impl Notifier for NoNotifier {
    async fn notify(&self, _notification: Notification) {}
}

/// What the notification task is told, in order.
pub(super) enum NotifyJob {
    /// A message was stored in a room of this kind.
    Message(RoomKind, Box<Message>),
    /// The user read (or marked unread) the room: they may be notified again.
    Read(RoomId, UserId),
}

/// The queue of the notification task (started with the service's notifier).
pub(super) struct NotifyQueue {
    tx: tokio::sync::mpsc::UnboundedSender<NotifyJob>,
}

impl NotifyQueue {
    /// Start the task (needs a Tokio runtime; started at the first job).
    fn start(chat: std::sync::Weak<super::Inner>, notifier: Arc<dyn Notifier>) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<NotifyJob>();
        tokio::spawn(async move {
            // Members notified since they last read the room. One task handles the
            // jobs in order, so a read re-arms exactly the messages after it.
            let mut notified: HashSet<(RoomId, UserId)> = HashSet::new();
            while let Some(job) = rx.recv().await {
                let Some(inner) = chat.upgrade() else { break };
                let chat = Chat { inner };
                match job {
                    NotifyJob::Read(room, user) => {
                        notified.remove(&(room, user));
                    }
                    NotifyJob::Message(kind, message) => {
                        if let Err(e) = chat
                            .notify_members(&*notifier, &mut notified, kind, *message)
                            .await
                        {
                            tracing::warn!(error = %e, "notifying offline members failed");
                        }
                    }
                }
            }
        });
        NotifyQueue { tx }
    }
}

impl Chat {
    fn notify_job(&self, job: NotifyJob) {
        let Some(notifier) = self.inner.notifier.clone() else {
            return;
        };
        let mut queue = self.inner.notify_queue.lock();
        let q = queue.get_or_insert_with(|| {
            NotifyQueue::start(std::sync::Arc::downgrade(&self.inner), notifier)
        });
        // The task ends only with the service.
        let _ = q.tx.send(job);
    }

    /// After `message` was stored in a room of `kind`: notify the members who should
    /// hear of it and are offline (in the notification task; see the module docs).
    pub(super) fn notify_offline(&self, kind: RoomKind, message: &Message) {
        if message.kind == MessageKind::System {
            return;
        }
        self.notify_job(NotifyJob::Message(kind, Box::new(message.clone())));
    }

    async fn notify_members(
        &self,
        notifier: &dyn Notifier,
        notified: &mut HashSet<(RoomId, UserId)>,
        kind: RoomKind,
        message: Message,
    ) -> Result<()> {
        let room = message.room_id;
        let store = &self.inner.store;
        let members = store.list_members(room).await?;
        let default = NotifyLevel::default_for(
            kind,
            members.len() as u64,
            self.inner.limits.notify_all_max_members,
        );
        let chosen: HashMap<UserId, NotifyLevel> =
            store.notify_levels(room).await?.into_iter().collect();
        let others: Vec<UserId> = members
            .iter()
            .map(|m| m.user_id)
            .filter(|u| Some(*u) != message.author_id)
            .collect();
        let online = self.inner.hub.online(&others).await?;
        for user in others.into_iter().filter(|u| !online.contains(u)) {
            let level = chosen.get(&user).copied().unwrap_or(default);
            let Some(reason) = reason(level, kind, message.mentions.contains(&user)) else {
                continue;
            };
            // Once per room until read.
            if !notified.insert((room, user)) {
                continue;
            }
            notifier
                .notify(Notification {
                    user,
                    room,
                    message: message.clone(),
                    reason,
                })
                .await;
        }
        Ok(())
    }

    /// The actor's notification level in `room`: the one they chose, or the default
    /// (see the module docs).
    pub(super) async fn notify_level_of(&self, room: &Room, actor: UserId) -> Result<NotifyLevel> {
        if let Some(level) = self.inner.store.notify_level(room.id, actor).await? {
            return Ok(level);
        }
        if room.kind == RoomKind::Direct {
            return Ok(NotifyLevel::All);
        }
        let members = self.inner.store.count_members(room.id).await?;
        Ok(NotifyLevel::default_for(
            room.kind,
            members,
            self.inner.limits.notify_all_max_members,
        ))
    }

    /// Choose what `actor` is notified of in `room` (members only; see the module
    /// docs). Every connection of the actor, on every node, gets a `read_state`
    /// event with the new setting; returns that read state.
    pub async fn set_notifications(
        &self,
        actor: UserId,
        room: RoomId,
        level: NotifyLevel,
    ) -> Result<ReadState> {
        let (room, _) = self.require_member(actor, room).await?;
        if !self
            .inner
            .store
            .set_notify_level(room.id, actor, level)
            .await?
        {
            return Err(Error::Forbidden("not a member of this room"));
        }
        let state = self.read_state(actor, room.id).await?;
        self.publish_read_state(actor, state);
        Ok(state)
    }

    /// The user read (or marked unread) the room: they may be notified again.
    pub(super) fn rearm_notifications(&self, user: UserId, room: RoomId) {
        self.notify_job(NotifyJob::Read(room, user));
    }
}

/// Why a member with `level` is notified of a message in a room of `kind`, if at
/// all (`mentioned`: the message mentions them).
fn reason(level: NotifyLevel, kind: RoomKind, mentioned: bool) -> Option<NotifyReason> {
    match level {
        NotifyLevel::None => None,
        _ if kind == RoomKind::Direct => Some(NotifyReason::Direct),
        _ if mentioned => Some(NotifyReason::Mention),
        NotifyLevel::All => Some(NotifyReason::All),
        NotifyLevel::Mentions => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{NotifyReason, reason};
    use crate::model::{NotifyLevel, RoomKind};

    #[test]
    fn the_level_decides() {
        use NotifyLevel::{All, Mentions, None};
        let public = RoomKind::Public;
        assert_eq!(reason(All, public, false), Some(NotifyReason::All));
        assert_eq!(reason(All, public, true), Some(NotifyReason::Mention));
        assert_eq!(reason(Mentions, public, false), Option::None);
        assert_eq!(reason(Mentions, public, true), Some(NotifyReason::Mention));
        assert_eq!(reason(None, public, true), Option::None);
        let dm = RoomKind::Direct;
        assert_eq!(reason(Mentions, dm, false), Some(NotifyReason::Direct));
        assert_eq!(reason(None, dm, true), Option::None);
    }
}
