//! Fan-out: delivering events to live connections.
//!
//! The [`Hub`] trait is the seam between the chat service and the transport. Every
//! change the service makes is published as a [`Dispatch`]: a serializable
//! instruction ("deliver this event to room R", "subscribe user U's connections to
//! room R", "close user U's connections") that carries everything a remote node needs.
//! [`LocalHub`] applies dispatches to the connections of this process. With several
//! nodes, a [`BrokerHub`] publishes them through an [`Engine`] (Redis, PostgreSQL,
//! NATS: each engine crate implements the trait with its own calls and nothing else)
//! and applies what it receives with [`LocalHub::apply`], so that every node runs the
//! same code.
//!
//! Each event is encoded to JSON once per dispatch; recipients share the bytes
//! ([`Frame`] is a reference-counted buffer). Every connection has a bounded queue:
//! a connection whose queue is full is closed with [`CloseReason::SlowConsumer`] and
//! resumes from its last sequence numbers (see `docs/PROTOCOL.md`). A slow consumer
//! never stalls the publisher or the other connections.

mod broker;
mod local;
mod nodes;
mod queue;

use std::collections::HashSet;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::{RoomId, Seq, SessionId, UserId};
use crate::protocol::ServerEvent;

pub use broker::{BrokerHub, BrokerOptions, Engine, Inbound, Incoming, Lease, check_cluster_name};
pub use local::LocalHub;
pub use queue::{ConnSender, Connection};

/// Identifies a live connection within one node.
pub type ConnId = u64;

/// Why the server closes a connection. Each reason has a stable WebSocket close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The server is shutting down (1001).
    ServerShutdown,
    /// A frame could not be parsed or broke the protocol (1008).
    ProtocolError,
    /// A frame was larger than allowed (1009).
    FrameTooLarge,
    /// Unexpected server failure (1011).
    InternalError,
    /// No or invalid credentials (4001).
    Unauthenticated,
    /// The session was logged out or expired (4002).
    SessionRevoked,
    /// The account was deleted (4003).
    AccountDeleted,
    /// The connection could not keep up with its events (4008); resume to catch up.
    SlowConsumer,
    /// No heartbeat answer in time (4009).
    HeartbeatTimeout,
    /// Too many connections, or too many commands (4029).
    RateLimited,
    /// A site administrator suspended the account (4004).
    AccountSuspended,
}

impl CloseReason {
    /// The WebSocket close code.
    pub fn code(self) -> u16 {
        match self {
            CloseReason::ServerShutdown => 1001,
            CloseReason::ProtocolError => 1008,
            CloseReason::FrameTooLarge => 1009,
            CloseReason::InternalError => 1011,
            CloseReason::Unauthenticated => 4001,
            CloseReason::SessionRevoked => 4002,
            CloseReason::AccountDeleted => 4003,
            CloseReason::SlowConsumer => 4008,
            CloseReason::HeartbeatTimeout => 4009,
            CloseReason::RateLimited => 4029,
            CloseReason::AccountSuspended => 4004,
        }
    }

    /// A short text sent as the close reason.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::ServerShutdown => "server_shutdown",
            CloseReason::ProtocolError => "protocol_error",
            CloseReason::FrameTooLarge => "frame_too_large",
            CloseReason::InternalError => "internal_error",
            CloseReason::Unauthenticated => "unauthenticated",
            CloseReason::SessionRevoked => "session_revoked",
            CloseReason::AccountDeleted => "account_deleted",
            CloseReason::SlowConsumer => "slow_consumer",
            CloseReason::HeartbeatTimeout => "heartbeat_timeout",
            CloseReason::RateLimited => "rate_limited",
            CloseReason::AccountSuspended => "account_suspended",
        }
    }
}

/// An instruction to the fan-out layer. Serializable, so brokers can carry it between
/// nodes; applied in publication order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Dispatch {
    /// Deliver to every connection subscribed to the room.
    Room {
        /// Room.
        room: RoomId,
        /// Event.
        event: ServerEvent,
    },
    /// Deliver to every connection of these users.
    Users {
        /// Users.
        users: Vec<UserId>,
        /// Event.
        event: ServerEvent,
    },
    /// Subscribe every connection of the user to the room.
    Subscribe {
        /// User.
        user: UserId,
        /// Room.
        room: RoomId,
    },
    /// Unsubscribe every connection of the user from the room.
    Unsubscribe {
        /// User.
        user: UserId,
        /// Room.
        room: RoomId,
    },
    /// Unsubscribe every connection from the room (room deleted).
    CloseRoom {
        /// Room.
        room: RoomId,
    },
    /// Deliver to every connection of every user (public room announcements).
    Everyone {
        /// Event.
        event: ServerEvent,
    },
    /// Close the user's connections: all of them, or those of one session.
    Disconnect {
        /// User.
        user: UserId,
        /// Only connections authenticated by this session.
        session: Option<SessionId>,
        /// Why.
        reason: CloseReason,
    },
}

/// One encoded event, shared by all its recipients.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The JSON text of the event.
    pub json: Bytes,
    /// For `message_created`: the room and sequence number, so that a connection can
    /// drop a message it already delivered (resume without duplicates).
    pub seq: Option<(RoomId, Seq)>,
}

impl Frame {
    /// Encode an event.
    pub fn encode(event: &ServerEvent) -> Self {
        let seq = match event {
            ServerEvent::MessageCreated { message } => Some((message.room_id, message.seq)),
            _ => None,
        };
        // Serializing our own types to a Vec cannot fail (no maps with non-string keys,
        // no failing Serialize impls); fall back to an error event rather than panic.
        let json = serde_json::to_vec(event).unwrap_or_else(|_| {
            br#"{"type":"error","id":null,"code":"internal","message":"encoding failed"}"#.to_vec()
        });
        Frame {
            json: Bytes::from(json),
            seq,
        }
    }
}

/// The fan-out contract. Dyn-compatible: held as `Arc<dyn Hub>`.
#[async_trait]
pub trait Hub: Send + Sync + 'static {
    /// Publish a dispatch to every node (for the in-process hub: apply it now).
    /// Never blocks on slow connections.
    fn publish(&self, dispatch: Dispatch);

    /// Register a live connection of `user`, subscribed to `rooms`.
    async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> Result<Connection>;

    /// Subscribe one connection to a room (after the service checked membership).
    fn subscribe_connection(&self, conn: ConnId, room: RoomId);

    /// Unregister a connection. Returns true if it was the user's last one
    /// (across all nodes), i.e. the user went offline.
    async fn disconnect(&self, conn: ConnId) -> Result<bool>;

    /// Which of these users have a live connection (on any node).
    async fn online(&self, users: &[UserId]) -> Result<HashSet<UserId>>;

    /// This node's access epoch, if the service may cache what its send path reads of
    /// rooms and memberships (the access cache in `chatcore::chat`): the epoch moves on
    /// whenever any node of the cluster reports a change with [`Hub::access_changed`],
    /// and the service drops what it cached under an older one. `None` turns the cache
    /// off; that is the default, right for a hub that cannot carry other nodes' changes.
    /// [`LocalHub`] always answers; a [`BrokerHub`] answers while it hears the broker
    /// (see `docs/ARCHITECTURE.md`, "Access cache with several nodes").
    fn access_epoch(&self) -> Option<u64> {
        None
    }

    /// Rooms or memberships changed (the store write is done): move the access epoch
    /// on, on every node. Returns once every node that might still serve an older
    /// answer has moved on, so that the next send on any node sees the change. The
    /// default does nothing (its [`Hub::access_epoch`] is `None`).
    async fn access_changed(&self) {}

    /// Periodic upkeep for multi-node hubs: refresh this node's presence leases and
    /// collect users whose last connection lived on a node that stopped renewing its
    /// leases (it died). Returns those users, now offline, so that the service can
    /// announce it. The in-process hub has nothing to do.
    async fn sweep(&self) -> Result<Vec<UserId>> {
        Ok(Vec::new())
    }
}
