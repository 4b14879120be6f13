//! Baseline: the chat server a Rust developer writes by hand with axum and
//! `tokio::sync::broadcast` (the pattern of axum's own chat example): one broadcast
//! channel per room, one task per connection forwarding the channel to the socket.
//!
//! Run with `cargo run --release -p chatcore-benches --bin baseline-broadcast -- --port 3101`.
//!
//! Protocol: `GET /ws?room=<name>&user=<name>` upgrades; the server sends
//! `{"type":"welcome","room":…}` once subscribed. A client's text frame
//! `{"body":"…"}` is broadcast to the room as
//! `{"type":"message","id":…,"room":…,"user":…,"body":…,"ts":…}`. A receiver that lags
//! more than the channel capacity (1,024) loses messages, as with any broadcast
//! channel.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, broadcast};

#[derive(Debug, Parser)]
#[command(about = "axum + tokio::sync::broadcast chat server (benchmark baseline)")]
struct Cli {
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 3101)]
    port: u16,
    /// Capacity of each room's broadcast channel.
    #[arg(long, default_value_t = 1024)]
    capacity: usize,
}

struct AppState {
    rooms: Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>,
    next_id: AtomicU64,
    capacity: usize,
}

#[derive(Deserialize)]
struct JoinParams {
    room: String,
    user: String,
}

#[derive(Deserialize)]
struct Incoming {
    body: String,
}

#[derive(Serialize)]
struct Outgoing<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u64,
    room: &'a str,
    user: &'a str,
    body: &'a str,
    ts: u128,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let state = Arc::new(AppState {
        rooms: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        capacity: cli.capacity,
    });
    let app = Router::new()
        .route("/ws", get(ws_handler))
        .with_state(state);
    let addr = SocketAddr::from(([127, 0, 0, 1], cli.port));
    // TCP_NODELAY, as every latency-minded server sets it (no Nagle delays).
    let listener = tokio::net::TcpListener::bind(addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("baseline-broadcast listening on {addr}");
    axum::serve(listener, app).await
}

async fn ws_handler(
    ws: WebSocketUpgrade,
    Query(params): Query<JoinParams>,
    State(state): State<Arc<AppState>>,
) -> Response {
    ws.on_upgrade(move |socket| handle_socket(socket, params, state))
}

async fn handle_socket(socket: WebSocket, params: JoinParams, state: Arc<AppState>) {
    let tx = {
        let mut rooms = state.rooms.lock().await;
        rooms
            .entry(params.room.clone())
            .or_insert_with(|| broadcast::channel(state.capacity).0)
            .clone()
    };
    let mut rx = tx.subscribe();
    let (mut sender, mut receiver) = socket.split();
    let welcome = serde_json::json!({"type": "welcome", "room": params.room}).to_string();
    if sender.send(Message::Text(welcome.into())).await.is_err() {
        return;
    }

    let mut send_task = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    if sender.send(Message::Text(msg)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("a receiver lagged and lost {n} messages");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });

    let room = params.room;
    let user = params.user;
    let mut recv_task = tokio::spawn(async move {
        while let Some(Ok(msg)) = receiver.next().await {
            let Message::Text(text) = msg else {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
                continue;
            };
            let Ok(incoming) = serde_json::from_str::<Incoming>(&text) else {
                continue;
            };
            let out = Outgoing {
                kind: "message",
                id: state.next_id.fetch_add(1, Ordering::Relaxed),
                room: &room,
                user: &user,
                body: &incoming.body,
                ts: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis()),
            };
            if let Ok(json) = serde_json::to_string(&out) {
                // No receivers is not an error for a chat room.
                let _ = tx.send(json.into());
            }
        }
    });

    tokio::select! {
        _ = &mut send_task => recv_task.abort(),
        _ = &mut recv_task => send_task.abort(),
    }
}
