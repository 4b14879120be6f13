//! Helpers shared by the live-connection tests.

#![allow(unreachable_pub, clippy::unwrap_used)]

use chatcore::protocol::ServerEvent;
use chatcore::{ChatConnection, SendMessage};
use futures::FutureExt as _;

/// Everything queued on a connection right now, decoded.
pub fn drain(conn: &mut ChatConnection) -> Vec<ServerEvent> {
    let mut out = Vec::new();
    while let Some(Some(frame)) = conn.connection().recv().now_or_never() {
        out.push(serde_json::from_slice(&frame.json).unwrap());
    }
    out
}

/// The bodies of the user messages (not system messages) among `events`.
pub fn texts(events: &[ServerEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::MessageCreated { message } if message.author_id.is_some() => {
                Some(message.body.clone())
            }
            _ => None,
        })
        .collect()
}

/// A text message.
pub fn say(body: &str) -> SendMessage {
    SendMessage {
        body: body.into(),
        ..Default::default()
    }
}
