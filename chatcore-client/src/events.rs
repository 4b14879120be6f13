//! What a client reports to the application: connection state and events.

use std::time::Duration;

use chatcore::RoomId;
use chatcore::protocol::ServerEvent;

use crate::error::Error;
use crate::outbox::OutgoingMessage;

/// The connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// First connection attempts, before any `hello`.
    Connecting,
    /// Connected: `hello` received.
    Open,
    /// Lost after having been open; trying again.
    Reconnecting,
    /// Stopped for good (see [`StateChange::reason`]).
    Closed,
}

/// A change of [`State`], with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The new state.
    pub state: State,
    /// The close code that caused it (reconnecting, closed).
    pub code: Option<u16>,
    /// The close reason (`session_revoked`, `server_shutdown`, `connection_lost`…).
    pub reason: Option<String>,
    /// For connecting/reconnecting after a failure: the wait before the next attempt.
    pub delay: Option<Duration>,
    /// For `Open`: whether it is a reconnection.
    pub reconnected: bool,
}

/// What the client reports to the application, in order.
// Not boxed: nearly every event is `Server`, and a box would keep applications from
// matching `Event::Server(ServerEvent::…)` directly.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Event {
    /// A server event (messages already delivered are dropped; replies to commands
    /// come back to their caller, `sent` also here).
    Server(ServerEvent),
    /// The connection state changed.
    State(StateChange),
    /// The `resume` after a (re)connect is done: missed messages were delivered.
    Synced {
        /// The rooms resumed.
        rooms: Vec<RoomId>,
        /// Rooms that could not be resumed (left, banned, deleted).
        errors: Vec<Error>,
    },
    /// A queued message was refused for now (rate limited, slow mode): it is sent
    /// again after the wait.
    SendRetry {
        /// The message.
        message: OutgoingMessage,
        /// Why.
        error: Error,
    },
    /// A queued message was refused for good (forbidden, too long…).
    SendFailed {
        /// The message.
        message: OutgoingMessage,
        /// Why.
        error: Error,
    },
}
