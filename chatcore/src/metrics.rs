//! Operational metrics, through the [`metrics`](https://docs.rs/metrics) facade.
//!
//! chatcore records; the embedding program chooses where the numbers go by
//! installing a recorder (the example server installs `metrics-exporter-prometheus`
//! and serves `GET /metrics` on `--metrics-addr`). Without a recorder every call
//! here is a no-op.
//!
//! Every name is in [`NAMES`] and described by [`describe`]. The broadcast hot path
//! records per batch, never per frame: one update per dispatch in the hub (its
//! deliveries) and one per write in a WebSocket writer (its frames and bytes).
//! `docs/OPERATIONS.md` lists what each metric means.

use std::time::Duration;

use ::metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};

use crate::protocol::ClientCommand;

/// Live connections on this node (gauge).
pub const CONNECTIONS_OPEN: &str = "chatcore_connections_open";
/// Live connections registered (counter).
pub const CONNECTS: &str = "chatcore_connects_total";
/// WebSocket and Socket.IO connections closed, by close `code` (counter).
pub const CLOSES: &str = "chatcore_closes_total";
/// Live commands run, by `command` type (counter).
pub const COMMANDS: &str = "chatcore_commands_total";
/// Live commands refused, by `command` type and error `code` (counter).
pub const COMMAND_ERRORS: &str = "chatcore_command_errors_total";
/// Messages appended to the store (repeats of a nonce not counted) (counter).
pub const MESSAGES_STORED: &str = "chatcore_messages_stored_total";
/// Frames queued to connections by this node's hub (counter).
pub const DELIVERIES: &str = "chatcore_deliveries_total";
/// Frames written to WebSockets (counter).
pub const FRAMES_WRITTEN: &str = "chatcore_ws_frames_written_total";
/// Bytes of frame payloads written to WebSockets (counter).
pub const BYTES_WRITTEN: &str = "chatcore_ws_bytes_written_total";
/// Writes (one per batch of frames) to WebSockets (counter).
pub const WRITES: &str = "chatcore_ws_writes_total";
/// Frames dropped because a connection's queue was full (counter).
pub const QUEUE_DROPS: &str = "chatcore_queue_drops_total";
/// Connections the hub closed as slow consumers (counter).
pub const SLOW_CONSUMER_CLOSES: &str = "chatcore_slow_consumer_closes_total";
/// SQL statement latency, by `op` (histogram, seconds).
pub const STORE_QUERY_SECONDS: &str = "chatcore_store_query_seconds";
/// SQL statements that failed, by `op` (counter).
pub const STORE_QUERY_ERRORS: &str = "chatcore_store_query_errors_total";
/// Messages this node published to the broker (counter).
pub const BROKER_PUBLISHED: &str = "chatcore_broker_published_total";
/// Broker publishes that failed (batches) (counter).
pub const BROKER_PUBLISH_ERRORS: &str = "chatcore_broker_publish_errors_total";
/// Messages received from the broker (counter).
pub const BROKER_RECEIVED: &str = "chatcore_broker_received_total";
/// Received broker messages waiting to be applied: the receive lag (gauge).
pub const BROKER_RECEIVE_BACKLOG: &str = "chatcore_broker_receive_backlog";
/// Times the broker reported lost messages (counter).
pub const BROKER_GAPS: &str = "chatcore_broker_gaps_total";
/// Presence leases this node holds in the broker (gauge).
pub const PRESENCE_LEASES: &str = "chatcore_presence_leases";

/// Every metric chatcore records.
pub const NAMES: &[&str] = &[
    CONNECTIONS_OPEN,
    CONNECTS,
    CLOSES,
    COMMANDS,
    COMMAND_ERRORS,
    MESSAGES_STORED,
    DELIVERIES,
    FRAMES_WRITTEN,
    BYTES_WRITTEN,
    WRITES,
    QUEUE_DROPS,
    SLOW_CONSUMER_CLOSES,
    STORE_QUERY_SECONDS,
    STORE_QUERY_ERRORS,
    BROKER_PUBLISHED,
    BROKER_PUBLISH_ERRORS,
    BROKER_RECEIVED,
    BROKER_RECEIVE_BACKLOG,
    BROKER_GAPS,
    PRESENCE_LEASES,
];

/// Describe every metric to the installed recorder (their `# HELP` lines). Call once
/// after installing it.
pub fn describe() {
    describe_gauge!(CONNECTIONS_OPEN, "Live connections on this node");
    describe_counter!(CONNECTS, "Live connections registered");
    describe_counter!(CLOSES, "WebSocket connections closed, by close code");
    describe_counter!(COMMANDS, "Live commands run, by type");
    describe_counter!(
        COMMAND_ERRORS,
        "Live commands refused, by type and error code"
    );
    describe_counter!(MESSAGES_STORED, "Messages appended to the store");
    describe_counter!(DELIVERIES, "Frames queued to connections by the hub");
    describe_counter!(FRAMES_WRITTEN, "Frames written to WebSockets");
    describe_counter!(BYTES_WRITTEN, "Payload bytes written to WebSockets");
    describe_counter!(WRITES, "Socket writes (one per batch of frames)");
    describe_counter!(QUEUE_DROPS, "Frames dropped on a full connection queue");
    describe_counter!(SLOW_CONSUMER_CLOSES, "Connections closed as slow consumers");
    describe_histogram!(
        STORE_QUERY_SECONDS,
        ::metrics::Unit::Seconds,
        "SQL statement latency"
    );
    describe_counter!(STORE_QUERY_ERRORS, "SQL statements that failed");
    describe_counter!(BROKER_PUBLISHED, "Messages published to the broker");
    describe_counter!(BROKER_PUBLISH_ERRORS, "Failed broker publishes (batches)");
    describe_counter!(BROKER_RECEIVED, "Messages received from the broker");
    describe_gauge!(
        BROKER_RECEIVE_BACKLOG,
        "Received broker messages not applied yet"
    );
    describe_counter!(BROKER_GAPS, "Times the broker reported lost messages");
    describe_gauge!(PRESENCE_LEASES, "Presence leases this node holds");
}

/// A live connection was registered.
pub(crate) fn connected() {
    counter!(CONNECTS).increment(1);
    gauge!(CONNECTIONS_OPEN).increment(1.0);
}

/// A live connection ended.
pub(crate) fn disconnected() {
    gauge!(CONNECTIONS_OPEN).decrement(1.0);
}

/// A transport closed a WebSocket with `code`.
pub fn closed(code: u16) {
    counter!(CLOSES, "code" => code.to_string()).increment(1);
}

/// A command of `kind` ran; `error` is its error code if it was refused.
pub(crate) fn command(kind: &'static str, error: Option<&crate::Error>) {
    counter!(COMMANDS, "command" => kind).increment(1);
    if let Some(e) = error {
        counter!(COMMAND_ERRORS, "command" => kind, "code" => e.code()).increment(1);
    }
}

/// A message was appended.
pub(crate) fn message_stored() {
    counter!(MESSAGES_STORED).increment(1);
}

/// One dispatch queued `n` frames.
pub(crate) fn delivered(n: usize) {
    counter!(DELIVERIES).increment(n as u64);
}

/// One dispatch overflowed `n` connections' queues (each loses the frame and is
/// closed as a slow consumer).
pub(crate) fn overflowed(n: usize) {
    counter!(QUEUE_DROPS).increment(n as u64);
    counter!(SLOW_CONSUMER_CLOSES).increment(n as u64);
}

/// A transport wrote `frames` frames of `bytes` payload bytes in one write.
pub fn written(frames: usize, bytes: usize) {
    counter!(WRITES).increment(1);
    counter!(FRAMES_WRITTEN).increment(frames as u64);
    counter!(BYTES_WRITTEN).increment(bytes as u64);
}

/// A SQL statement took `elapsed` (stores call this from their connection's
/// metric callback).
pub fn store_query(sql: &str, elapsed: Duration, failed: bool) {
    let op = query_kind(sql);
    histogram!(STORE_QUERY_SECONDS, "op" => op).record(elapsed.as_secs_f64());
    if failed {
        counter!(STORE_QUERY_ERRORS, "op" => op).increment(1);
    }
}

/// The statement's verb, as a bounded label.
fn query_kind(sql: &str) -> &'static str {
    let verb = sql.trim_start().split(|c: char| !c.is_ascii_alphabetic());
    match verb.into_iter().next().unwrap_or("") {
        v if v.eq_ignore_ascii_case("select") => "select",
        v if v.eq_ignore_ascii_case("insert") => "insert",
        v if v.eq_ignore_ascii_case("update") => "update",
        v if v.eq_ignore_ascii_case("delete") => "delete",
        v if v.eq_ignore_ascii_case("with") => "with",
        _ => "other",
    }
}

/// A broker publish of `n` messages; `ok` if it went through.
pub(crate) fn broker_published(n: usize, ok: bool) {
    if ok {
        counter!(BROKER_PUBLISHED).increment(n as u64);
    } else {
        counter!(BROKER_PUBLISH_ERRORS).increment(1);
    }
}

/// A broker message was received, with `backlog` more waiting.
pub(crate) fn broker_received(backlog: usize) {
    counter!(BROKER_RECEIVED).increment(1);
    gauge!(BROKER_RECEIVE_BACKLOG).set(backlog as f64);
}

/// The broker reported lost messages.
pub(crate) fn broker_gap() {
    counter!(BROKER_GAPS).increment(1);
}

/// This node now holds `n` presence leases.
pub(crate) fn presence_leases(n: usize) {
    gauge!(PRESENCE_LEASES).set(n as f64);
}

/// The label of a command (its `type` on the wire). A new command must be named
/// here: the match is exhaustive.
pub(crate) fn command_kind(command: &ClientCommand) -> &'static str {
    match command {
        ClientCommand::Auth { .. } => "auth",
        ClientCommand::Join { .. } => "join",
        ClientCommand::Leave { .. } => "leave",
        ClientCommand::Resume { .. } => "resume",
        ClientCommand::Send { .. } => "send",
        ClientCommand::Edit { .. } => "edit",
        ClientCommand::Delete { .. } => "delete",
        ClientCommand::TypingStart { .. } => "typing_start",
        ClientCommand::TypingStop { .. } => "typing_stop",
        ClientCommand::History { .. } => "history",
        ClientCommand::Ping => "ping",
        ClientCommand::React { .. } => "react",
        ClientCommand::Unreact { .. } => "unreact",
        ClientCommand::Pin { .. } => "pin",
        ClientCommand::Unpin { .. } => "unpin",
        ClientCommand::MarkRead { .. } => "mark_read",
        ClientCommand::SetNotifications { .. } => "set_notifications",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_labels_are_the_wire_types() {
        let samples = [
            r#"{"type":"ping"}"#,
            r#"{"type":"typing_start","room":"00000000-0000-0000-0000-000000000000"}"#,
            r#"{"type":"resume","rooms":{}}"#,
        ];
        for text in samples {
            let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let command: ClientCommand = serde_json::from_value(v.clone()).expect(text);
            assert_eq!(Some(command_kind(&command)), v["type"].as_str());
        }
    }

    #[test]
    fn statements_are_labelled_by_verb() {
        assert_eq!(query_kind("  SELECT * FROM x"), "select");
        assert_eq!(query_kind("insert into x"), "insert");
        assert_eq!(query_kind("UPDATE x"), "update");
        assert_eq!(query_kind("delete from x"), "delete");
        assert_eq!(query_kind("PRAGMA x"), "other");
        assert_eq!(query_kind(""), "other");
    }
}
