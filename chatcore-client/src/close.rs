//! What the client does when the connection closes (docs/PROTOCOL.md § 6).

use std::time::Duration;

/// The client's decision for a close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseAction {
    /// Reconnect (with backoff), or stop for good.
    pub reconnect: bool,
    /// The close reason's name (`session_revoked`…; `connection_lost` for the rest).
    pub reason: &'static str,
    /// The least wait before reconnecting.
    pub min_delay: Duration,
}

/// 4001/4002/4003/4004 (log in again, account gone or suspended) and 1008/1009 (a client bug that a
/// retry would repeat) stop; 1001, 1011, 4008, 4009, 4029 and network failures
/// reconnect — 4029 (too many commands or connections) no sooner than after 5 s.
pub fn close_action(code: u16) -> CloseAction {
    let stop = |reason| CloseAction {
        reconnect: false,
        reason,
        min_delay: Duration::ZERO,
    };
    let again = |reason, min_delay| CloseAction {
        reconnect: true,
        reason,
        min_delay,
    };
    match code {
        4001 => stop("unauthenticated"),
        4002 => stop("session_revoked"),
        4003 => stop("account_deleted"),
        4004 => stop("account_suspended"),
        1008 => stop("protocol_error"),
        1009 => stop("frame_too_large"),
        1001 => again("server_shutdown", Duration::ZERO),
        1011 => again("internal_error", Duration::ZERO),
        4008 => again("slow_consumer", Duration::ZERO),
        4009 => again("heartbeat_timeout", Duration::ZERO),
        4029 => again("rate_limited", Duration::from_secs(5)),
        _ => again("connection_lost", Duration::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_stop_the_rest_reconnect() {
        for code in [4001, 4002, 4003, 4004, 1008, 1009] {
            assert!(!close_action(code).reconnect, "{code}");
        }
        for code in [1000, 1001, 1006, 1011, 4008, 4009, 4029] {
            assert!(close_action(code).reconnect, "{code}");
        }
        assert_eq!(close_action(4002).reason, "session_revoked");
        assert!(close_action(4029).min_delay >= Duration::from_secs(5));
    }
}
