//! Domain events for the host application: [`Chat::events`].
//!
//! What happened, once, in the order this `Chat` did it: messages created, edited and
//! deleted; members joined, left, kicked and banned; rooms created, updated and
//! deleted. Each event has a unique id (a UUID v7, so ids sort by time) and its time.
//!
//! The stream is live and in process: it sees the changes made through this `Chat`
//! (not those of other nodes), from the moment it is opened, and a subscriber that
//! falls more than [`EVENT_BUFFER`] events behind loses the oldest (logged). For
//! delivery that survives restarts use the store's outbox and the webhook deliverer.

use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::Chat;
use crate::hub::Dispatch;
use crate::ids::{MessageId, RoomId, Seq, UserId};
use crate::model::{Message, Role, RoomKind, Timestamp};
use crate::protocol::{RemovalReason, RoomView, ServerEvent};

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
        }
    }
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
    /// hub, in the same order).
    pub(super) fn emit_dispatch(&self, dispatch: &Dispatch) {
        if self.inner.events.receiver_count() == 0 {
            return;
        }
        if let Some(kind) = kind_of(dispatch) {
            self.emit(kind);
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
}

/// A new sender for [`Chat::events`].
pub(super) fn channel() -> broadcast::Sender<DomainEvent> {
    broadcast::channel(EVENT_BUFFER).0
}
