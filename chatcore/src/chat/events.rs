//! Domain events for the host application: [`Chat::events`].
//!
//! What happened, once, in the order this `Chat` did it: messages created, edited and
//! deleted; members joined, left, kicked and banned; rooms created, updated and
//! deleted; reports created and resolved, timeouts. Each event has a unique id (a
//! UUID v7, so ids sort by time) and its time.
//!
//! The stream is live and in process: it sees the changes made through this `Chat`
//! (not those of other nodes), from the moment it is opened, and a subscriber that
//! falls more than [`EVENT_BUFFER`] events behind loses the oldest (logged). For
//! delivery that survives restarts turn the outbox on ([`crate::ChatBuilder::outbox`]
//! or [`Chat::enable_outbox`]; the webhook deliverer does): the `Chat` then queues
//! every event in the store's outbox, under the same id as in this stream, before
//! it is published (message created, edited and deleted in the transaction of the
//! change itself).

use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::Chat;
use crate::error::{Error, Result};
use crate::hub::Dispatch;
use crate::ids::{MessageId, RoomId, Seq, UserId};
use crate::model::{Message, Role, RoomKind, Timestamp};
use crate::protocol::{RemovalReason, RoomView, ServerEvent};
use crate::store::{EventStamp, OutboxRow};

/// Attempts to queue an event after its change ([`Chat::publish_queued`]).
const QUEUE_TRIES: u32 = 3;

/// Events a slow subscriber may fall behind before it loses the oldest.
pub const EVENT_BUFFER: usize = 1024;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// Unique id (UUID v7).
    pub id: Uuid,
    /// When (the service's clock).
    pub at: Timestamp,
    /// What.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl DomainEvent {
    /// The room the event is about.
    pub fn room(&self) -> RoomId {
        use EventKind as K;
        match &self.kind {
            K::MessageCreated { message } | K::MessageEdited { message } => message.room_id,
            K::MessageDeleted { room, .. }
            | K::MemberJoined { room, .. }
            | K::MemberLeft { room, .. }
            | K::MemberKicked { room, .. }
            | K::MemberBanned { room, .. }
            | K::RoomCreated { room, .. }
            | K::RoomDeleted { room } => *room,
            K::RoomUpdated { room } => room.id,
            K::ReportCreated { room, .. }
            | K::ReportResolved { room, .. }
            | K::MemberTimedOut { room, .. } => *room,
        }
    }
}

impl DomainEvent {
    /// The event as an outbox row (JSON payload).
    pub fn to_row(&self) -> Result<OutboxRow> {
        let json = serde_json::to_string(self).map_err(Error::backend)?;
        Ok((self.id, self.room(), json, self.at))
    }
}

impl EventKind {
    /// Whether [`Chat`], with its outbox on, queues this kind in the store
    /// transaction of the change itself ([`crate::store::OutboxTxnStore`]): message
    /// created, edited and deleted. The other kinds are queued after the change by
    /// the webhook recorder.
    pub fn queued_with_change(&self) -> bool {
        matches!(
            self,
            EventKind::MessageCreated { .. }
                | EventKind::MessageEdited { .. }
                | EventKind::MessageDeleted { .. }
        )
    }
}

/// The outbox row of the `message_created` event `stamp` of a stored message (what
/// a store's [`crate::store::OutboxTxnStore::append_message_queued`] writes).
pub fn message_created_row(stamp: &EventStamp, message: &Message) -> Result<OutboxRow> {
    DomainEvent {
        id: stamp.id,
        at: stamp.at,
        kind: EventKind::MessageCreated {
            message: message.clone(),
        },
    }
    .to_row()
}

/// The kinds of [`DomainEvent`], tagged `type` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A message was stored (system messages too).
    MessageCreated {
        /// The message.
        message: Message,
    },
    /// A message was edited.
    MessageEdited {
        /// The message after the edit.
        message: Message,
    },
    /// A message was deleted.
    MessageDeleted {
        /// Room.
        room: RoomId,
        /// Message.
        message_id: MessageId,
        /// Its sequence number.
        seq: Seq,
        /// Who deleted it.
        by: UserId,
    },
    /// A user became a member.
    MemberJoined {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// Their role.
        role: Role,
    },
    /// A member left (or their account was deleted).
    MemberLeft {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
    },
    /// A member was kicked.
    MemberKicked {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// By whom.
        by: Option<UserId>,
    },
    /// A user was banned (and removed if a member).
    MemberBanned {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// By whom.
        by: Option<UserId>,
    },
    /// A room was created.
    RoomCreated {
        /// Room.
        room: RoomId,
        /// Its kind.
        kind: RoomKind,
        /// Its name.
        name: String,
        /// Its creator.
        by: UserId,
    },
    /// A room's settings changed.
    RoomUpdated {
        /// The room as a plain member sees it.
        room: RoomView,
    },
    /// A room was deleted.
    RoomDeleted {
        /// Room.
        room: RoomId,
    },
    /// A message was reported.
    ReportCreated {
        /// Room.
        room: RoomId,
        /// The report's id.
        report: Uuid,
        /// The reported message.
        message_id: MessageId,
        /// The reporter.
        by: UserId,
    },
    /// A report was resolved.
    ReportResolved {
        /// Room.
        room: RoomId,
        /// The report's id.
        report: Uuid,
        /// How.
        resolution: crate::model::ReportResolution,
        /// By whom.
        by: UserId,
    },
    /// A member was timed out (`until` set) or the timeout lifted (`until` None).
    MemberTimedOut {
        /// Room.
        room: RoomId,
        /// Who.
        user: UserId,
        /// When it ends.
        until: Option<Timestamp>,
        /// By whom.
        by: UserId,
    },
}

/// The domain event a dispatch stands for, if any.
fn kind_of(dispatch: &Dispatch) -> Option<EventKind> {
    let Dispatch::Room { event, .. } = dispatch else {
        return None;
    };
    Some(match event {
        ServerEvent::MessageCreated { message } => EventKind::MessageCreated {
            message: message.clone(),
        },
        ServerEvent::MessageEdited { message } => EventKind::MessageEdited {
            message: message.clone(),
        },
        ServerEvent::MessageDeleted {
            room,
            message_id,
            seq,
            by,
        } => EventKind::MessageDeleted {
            room: *room,
            message_id: *message_id,
            seq: *seq,
            by: *by,
        },
        ServerEvent::MemberJoined { room, member } => EventKind::MemberJoined {
            room: *room,
            user: member.user.id,
            role: member.role,
        },
        ServerEvent::MemberRemoved {
            room,
            user,
            reason,
            by,
        } => {
            let (room, user, by) = (*room, *user, *by);
            match reason {
                RemovalReason::Left | RemovalReason::AccountDeleted => {
                    EventKind::MemberLeft { room, user }
                }
                RemovalReason::Kicked => EventKind::MemberKicked { room, user, by },
                RemovalReason::Banned => EventKind::MemberBanned { room, user, by },
                // `room_deleted` says it once for everyone.
                RemovalReason::RoomDeleted => return None,
            }
        }
        ServerEvent::RoomUpdated { room } => EventKind::RoomUpdated { room: room.clone() },
        ServerEvent::RoomDeleted { room } => EventKind::RoomDeleted { room: *room },
        ServerEvent::TimedOut {
            room,
            user,
            until,
            by,
        } => EventKind::MemberTimedOut {
            room: *room,
            user: *user,
            until: *until,
            by: *by,
        },
        _ => return None,
    })
}

impl Chat {
    /// The live stream of domain events (see [`crate::events`] and
    /// [`DomainEvent`]), from now on.
    pub fn events(&self) -> impl Stream<Item = DomainEvent> + Send + 'static {
        let rx = self.inner.events.subscribe();
        futures::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => return Some((ev, rx)),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(lost = n, "a domain event subscriber fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// Tell the subscribers of [`Chat::events`] about a dispatch (before it goes to the
    /// hub, in the same order); `stamp`: the id and time of the event as queued in
    /// the outbox with the change (None: new ones).
    pub(super) fn emit_dispatch(&self, dispatch: &Dispatch, stamp: Option<EventStamp>) {
        if self.inner.events.receiver_count() == 0 {
            return;
        }
        if let Some(kind) = kind_of(dispatch) {
            let stamp = stamp.unwrap_or_else(|| self.stamp());
            let _ = self.inner.events.send(DomainEvent {
                id: stamp.id,
                at: stamp.at,
                kind,
            });
        }
    }

    /// Tell the subscribers of [`Chat::events`].
    pub(super) fn emit(&self, kind: EventKind) {
        if self.inner.events.receiver_count() == 0 {
            return;
        }
        let _ = self.inner.events.send(DomainEvent {
            id: Uuid::now_v7(),
            at: self.now(),
            kind,
        });
    }

    /// [`Chat::publish`] of a dispatch whose event is not queued in its change's
    /// transaction: with the outbox on, its row is queued first, right after the
    /// change and before anyone is told (see [`Chat::queue_after`]).
    pub(super) async fn publish_queued(&self, dispatch: Dispatch) {
        let stamp = match kind_of(&dispatch) {
            Some(kind) if self.outbox_enabled() => Some(self.queue_after(kind).await),
            _ => None,
        };
        self.publish_stamped(dispatch, stamp);
    }

    /// [`Chat::publish_queued`] of a room event.
    pub(super) async fn publish_room_queued(&self, room: RoomId, event: ServerEvent) {
        self.publish_queued(Dispatch::Room { room, event }).await;
    }

    /// [`Chat::emit`] of an event with no dispatch, queued first with the outbox on
    /// (see [`Chat::queue_after`]).
    pub(super) async fn emit_queued(&self, kind: EventKind) {
        if !self.outbox_enabled() {
            return self.emit(kind);
        }
        let stamp = self.queue_after(kind.clone()).await;
        if self.inner.events.receiver_count() > 0 {
            let _ = self.inner.events.send(DomainEvent {
                id: stamp.id,
                at: stamp.at,
                kind,
            });
        }
    }

    /// Queue the event of a change that is committed already, in a transaction of
    /// its own (the kinds that are not [`EventKind::queued_with_change`]). The change
    /// stands whatever happens here: a failure is logged (after a few retries) and
    /// the event is then only in the live stream.
    async fn queue_after(&self, kind: EventKind) -> EventStamp {
        let stamp = self.stamp();
        let event = DomainEvent {
            id: stamp.id,
            at: stamp.at,
            kind,
        };
        let row = match event.to_row() {
            Ok(row) => row,
            Err(err) => {
                tracing::error!(error = %err, "a domain event could not be encoded");
                return stamp;
            }
        };
        for tries in 1..=QUEUE_TRIES {
            match self
                .inner
                .store
                .enqueue_events(std::slice::from_ref(&row))
                .await
            {
                Ok(()) => return stamp,
                Err(err) if tries < QUEUE_TRIES => {
                    tracing::warn!(error = %err, tries, "could not queue a domain event");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(tries)))
                        .await;
                }
                Err(err) => {
                    tracing::error!(error = %err, event = %stamp.id, "domain event not queued");
                }
            }
        }
        stamp
    }

    /// A new event id and time.
    pub(super) fn stamp(&self) -> EventStamp {
        EventStamp {
            id: Uuid::now_v7(),
            at: self.now(),
        }
    }

    /// The stamp and outbox row of an event queued with its change, if the outbox
    /// is on (see [`Chat::outbox_enabled`]).
    pub(super) fn outbox_row(&self, kind: EventKind) -> Result<Option<(EventStamp, OutboxRow)>> {
        if !self.outbox_enabled() {
            return Ok(None);
        }
        let stamp = self.stamp();
        let row = DomainEvent {
            id: stamp.id,
            at: stamp.at,
            kind,
        }
        .to_row()?;
        Ok(Some((stamp, row)))
    }

    /// Whether the durable outbox is on: every domain event is then queued in the
    /// store's outbox by this `Chat`, the message events in the store transaction
    /// of their change, the others right after it (see
    /// [`EventKind::queued_with_change`]).
    pub fn outbox_enabled(&self) -> bool {
        self.inner.outbox.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Turn the durable outbox on (as [`crate::ChatBuilder::outbox`]), from the next
    /// change on. The webhook deliverer does this when it starts.
    pub fn enable_outbox(&self) {
        self.inner
            .outbox
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

/// A new sender for [`Chat::events`].
pub(super) fn channel() -> broadcast::Sender<DomainEvent> {
    broadcast::channel(EVENT_BUFFER).0
}
