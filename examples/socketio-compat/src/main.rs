//! Run with `cargo run -p socketio-compat` (then `io("http://127.0.0.1:3000", { auth: { token } })`).
//!
//! chatcore's Socket.IO transport under the event names of the Flask-SocketIO chat
//! apps chatcore replaces (docs/SOCKETIO.md has the whole table): their
//! socket.io-client front ends keep their `emit`s and `on`s. Only names and shapes
//! change here; authorization, limits, resume and errors are chatcore's.

use std::sync::Arc;

use chatcore::{Chat, MemoryStore};
use chatcore_axum::ChatState;
use chatcore_socketio::{SocketIoOptions, Translate};
use serde_json::{Value, json};

/// The seeds' names, both ways.
struct SeedNames;

impl Translate for SeedNames {
    fn command(&self, name: String, data: Value) -> (String, Value) {
        let room = data.get("room").cloned().unwrap_or(Value::Null);
        match name.as_str() {
            "join_room" => ("join".into(), json!({ "room": room })),
            "leave_room" => ("leave".into(), json!({ "room": room })),
            // The seeds send no nonce: each emit is a new message.
            "send_message" => {
                let body = data.get("message").cloned().unwrap_or(Value::Null);
                let nonce = data
                    .get("client_id")
                    .cloned()
                    .unwrap_or_else(|| json!(uuid::Uuid::new_v4().to_string()));
                (
                    "send".into(),
                    json!({ "room": room, "body": body, "nonce": nonce }),
                )
            }
            "typing" => {
                let on = data.get("typing").and_then(Value::as_bool).unwrap_or(true);
                let name = if on { "typing_start" } else { "typing_stop" };
                (name.into(), json!({ "room": room }))
            }
            _ => (name, data),
        }
    }

    fn event(&self, event: Value) -> Vec<(String, Value)> {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let seed = match kind {
            "message_created" => {
                let m = &event["message"];
                Some((
                    "message",
                    json!({
                        "room": m["room_id"], "id": m["id"], "user_id": m["author_id"],
                        "message": m["body"], "seq": m["seq"], "timestamp": m["created_at"],
                    }),
                ))
            }
            "member_joined" => Some((
                "user_joined",
                json!({ "room": event["room"], "user_id": event["member"]["user"]["id"],
                        "username": event["member"]["user"]["username"] }),
            )),
            "member_removed" => Some((
                "user_left",
                json!({ "room": event["room"], "user_id": event["user"] }),
            )),
            "presence" => Some((
                "online_users",
                json!({ "room": event["room"], "user_id": event["user"], "online": event["online"] }),
            )),
            _ => None,
        };
        let name = kind.to_owned();
        match seed {
            // `typing` keeps its name; the rest also goes out under chatcore's
            // names, for clients that move over one handler at a time.
            Some((seed, data)) => vec![(seed.to_owned(), data), (name, event)],
            None => vec![(name, event)],
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let chat = Chat::builder(Arc::new(MemoryStore::new())).build();
    let state = ChatState::new(chat);
    let options = SocketIoOptions::default().names(SeedNames);
    let (socketio, _io) = chatcore_socketio::layer(state.clone(), options);
    let app = axum::Router::new()
        .nest("/api", chatcore_axum::router(state))
        .layer(socketio);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!(
        "socketio-compat listening on http://127.0.0.1:3000 (API at /api, Socket.IO at /socket.io/)"
    );
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn seed_commands_become_chatcore_commands() {
        let (name, data) = SeedNames.command(
            "send_message".into(),
            json!({ "room": "r", "message": "hi" }),
        );
        assert_eq!(name, "send");
        assert_eq!(data["body"], "hi");
        assert!(data["nonce"].is_string());
        let (name, _) = SeedNames.command("typing".into(), json!({ "room": "r", "typing": false }));
        assert_eq!(name, "typing_stop");
        let (name, data) = SeedNames.command("join_room".into(), json!({ "room": "r" }));
        assert_eq!((name.as_str(), data), ("join", json!({ "room": "r" })));
        // chatcore's own names pass through.
        assert_eq!(SeedNames.command("history".into(), json!({})).0, "history");
    }

    #[test]
    fn chatcore_events_go_out_under_the_seed_names_too() {
        let created = json!({ "type": "message_created", "message": { "room_id": "r", "body": "hi", "seq": 4 } });
        let out = SeedNames.event(created);
        assert_eq!(out[0].0, "message");
        assert_eq!(out[0].1["message"], "hi");
        assert_eq!(out[1].0, "message_created");
        let typing = SeedNames.event(json!({ "type": "typing", "room": "r" }));
        assert_eq!(typing.len(), 1);
        assert_eq!(typing[0].0, "typing");
    }
}
