//! One connection cap for both transports: `WsConfig::max_connections` bounds the
//! native WebSockets and the Socket.IO sockets together. A socket over the cap is
//! refused with `connect_error` `server_busy` (a WebSocket with HTTP 503
//! `server_busy`), and a closed socket gives its slot back.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chatcore::{Chat, MemoryStore};
use chatcore_axum::{ChatConfig, ChatState};
use chatcore_socketio::SocketIoOptions;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(max_connections: usize) -> (SocketAddr, ChatState) {
    let chat = Chat::builder(Arc::new(MemoryStore::new())).build();
    let mut config = ChatConfig::default();
    config.register_rate_per_ip = None;
    config.ws.max_connections = max_connections;
    let state = ChatState::builder(chat).config(config).build();
    let (socketio, _io) = chatcore_socketio::layer(state.clone(), SocketIoOptions::default());
    let app = axum::Router::new()
        .nest("/api", chatcore_axum::router(state.clone()))
        .layer(socketio);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, state)
}

async fn register(addr: SocketAddr, name: &str) -> String {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = http
        .post(format!("http://{addr}/api/auth/register"))
        .header("x-requested-with", "test")
        .json(&json!({ "username": name, "password": "correct horse battery staple 9" }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "register: {}", r.status());
    let v: Value = r.json().await.unwrap();
    v["token"].as_str().unwrap().to_owned()
}

async fn text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an answer in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            if t.as_str() == "2" {
                ws.send(Message::text("3")).await.unwrap();
                continue;
            }
            return t.as_str().to_owned();
        }
    }
}

/// A native WebSocket: Ok once upgraded, Err(HTTP status) when refused.
async fn native(addr: SocketAddr, token: &str) -> Result<Ws, u16> {
    let mut req = format!("ws://{addr}/api/ws").into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("native connect: {e}"),
    }
}

/// A Socket.IO socket: Ok once connected (its `hello` received), Err(the
/// `connect_error` message) when refused.
async fn socketio(addr: SocketAddr, token: &str) -> Result<Ws, String> {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = text(&mut ws).await;
    assert!(open.starts_with('0'), "{open}");
    let connect = format!("40{}", json!({ "token": token }));
    ws.send(Message::text(connect)).await.unwrap();
    loop {
        let t = text(&mut ws).await;
        if let Some(err) = t.strip_prefix("44") {
            let v: Value = serde_json::from_str(err).unwrap();
            return Err(v["message"].as_str().unwrap().to_owned());
        }
        if t.starts_with(r#"42["hello""#) {
            return Ok(ws);
        }
    }
}

/// Wait until the server counts `n` live connections (a closed socket's slot is
/// given back by its task, just after the close).
async fn until_open(state: &ChatState, n: usize) {
    for _ in 0..500 {
        if state.open_connections() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state.open_connections(), n);
}

#[tokio::test]
async fn socketio_sockets_count_against_the_server_wide_connection_cap() {
    let (addr, state) = serve(2).await;
    let token = register(addr, "capped").await;

    // One of each transport fills the cap of two.
    let _ws = native(addr, &token).await.unwrap();
    let sio = socketio(addr, &token).await.unwrap();
    assert_eq!(state.open_connections(), 2);

    // A third is refused on either transport.
    assert_eq!(
        socketio(addr, &token).await.err().as_deref(),
        Some("server_busy")
    );
    assert_eq!(native(addr, &token).await.err(), Some(503));
    assert_eq!(state.open_connections(), 2);

    // Closing the socket frees its slot, for either transport.
    drop(sio);
    until_open(&state, 1).await;
    let _ws2 = native(addr, &token).await.unwrap();
    assert_eq!(state.open_connections(), 2);
    assert_eq!(
        socketio(addr, &token).await.err().as_deref(),
        Some("server_busy")
    );
}

#[tokio::test]
async fn websockets_at_the_cap_leave_no_room_for_a_socket() {
    let (addr, state) = serve(2).await;
    let token = register(addr, "full").await;
    let a = native(addr, &token).await.unwrap();
    let _b = native(addr, &token).await.unwrap();
    assert_eq!(
        socketio(addr, &token).await.err().as_deref(),
        Some("server_busy")
    );
    drop(a);
    until_open(&state, 1).await;
    let _sio = socketio(addr, &token).await.unwrap();
    assert_eq!(state.open_connections(), 2);
}
