//! The client's one error type.

use std::time::Duration;

/// What went wrong with a command, a send or a REST call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The server refused: a code of docs/PROTOCOL.md § 7 (WebSocket `error` event or
    /// REST error body; `status` is the HTTP status for REST).
    #[error("{code}: {message}")]
    Server {
        /// Stable code (`not_found`, `forbidden`, `rate_limited`…).
        code: String,
        /// Human-readable message.
        message: String,
        /// HTTP status (REST only).
        status: Option<u16>,
        /// For `rate_limited`: how long to wait.
        retry_after: Option<Duration>,
    },
    /// No answer in time. For a send, `written` tells whether it had been written to
    /// a connection (its outcome is then unknown: send again with the same nonce).
    #[error("no answer in time")]
    Timeout {
        /// Whether the command was written.
        written: bool,
    },
    /// The connection closed before the answer (the command may or may not have run).
    #[error("the connection closed before the answer")]
    Disconnected,
    /// The client stopped: `reason` is the close reason (`session_revoked`,
    /// `unauthenticated`, `account_deleted`…) or `closed` after [`crate::Client::close`].
    #[error("the client closed: {reason}")]
    Closed {
        /// The WebSocket close code.
        code: u16,
        /// The close reason's name.
        reason: String,
    },
    /// The command is larger than the server's frame limit.
    #[error("the command is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Its size on the wire.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A network or HTTP failure (REST), or an answer that could not be read.
    #[error("transport: {0}")]
    Transport(String),
}

impl Error {
    /// The stable code: the server's, or `timeout`, `disconnected`, the close reason,
    /// `too_large`, `network`.
    pub fn code(&self) -> &str {
        match self {
            Error::Server { code, .. } => code,
            Error::Timeout { .. } => "timeout",
            Error::Disconnected => "disconnected",
            Error::Closed { reason, .. } => reason,
            Error::TooLarge { .. } => "too_large",
            Error::Transport(_) => "network",
        }
    }

    /// The error of a server `error` event.
    pub(crate) fn from_event(code: &str, message: &str, retry_after_ms: Option<u64>) -> Self {
        Error::Server {
            code: code.to_owned(),
            message: message.to_owned(),
            status: None,
            retry_after: retry_after_ms.map(Duration::from_millis),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
