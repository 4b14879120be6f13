//! The authorization matrix of the realtime commands, run over both transports: every
//! command, by a member, an outsider and a banned user, in a public and a private
//! room, gets the same answer over Socket.IO (through the ack) as over the native
//! WebSocket — the same refusals with the same codes, the same successes.
//!
//! The Socket.IO side speaks the Engine.IO v4 / Socket.IO v5 wire format directly
//! over a WebSocket (`0` open, `40` connect, `42id[…]` event, `43id[…]` ack), as
//! socket.io-client does; clients/socketio tests the real client.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use chatcore::{Chat, MemoryStore};
use chatcore_axum::{ChatConfig, ChatState};
use chatcore_socketio::SocketIoOptions;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve() -> SocketAddr {
    let chat = Chat::builder(Arc::new(MemoryStore::new())).build();
    let mut config = ChatConfig::default();
    config.register_rate_per_ip = None;
    let state = ChatState::builder(chat).config(config).build();
    let (socketio, _io) = chatcore_socketio::layer(state.clone(), SocketIoOptions::default());
    let app = axum::Router::new()
        .nest("/api", chatcore_axum::router(state))
        .layer(socketio);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn api(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = http
        .request(method.parse().unwrap(), format!("http://{addr}/api{path}"))
        .header("x-requested-with", "test")
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A realtime client of either transport: send a command, get its answer.
enum Client {
    Native(Ws, u64),
    SocketIo(Ws, u64),
}

impl Client {
    async fn native(addr: SocketAddr, token: &str) -> Client {
        let mut req = format!("ws://{addr}/api/ws").into_client_request().unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        Client::Native(ws, 0)
    }

    async fn socketio(addr: SocketAddr, token: &str) -> Client {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let open = text(&mut ws).await;
        assert!(open.starts_with('0'), "{open}");
        let connect = format!("40{}", json!({ "token": token }));
        ws.send(Message::text(connect)).await.unwrap();
        loop {
            let t = text(&mut ws).await;
            if t.starts_with("40") {
                break;
            }
            assert!(!t.starts_with("44"), "connect refused: {t}");
        }
        Client::SocketIo(ws, 0)
    }

    /// Run `command` (`type` and fields): the answer's `type` and error `code`.
    async fn run(&mut self, command: &Value) -> (String, Option<String>) {
        let answer = match self {
            Client::Native(ws, n) => {
                *n += 1;
                let mut frame = command.clone();
                frame["id"] = json!(*n);
                ws.send(Message::text(frame.to_string())).await.unwrap();
                loop {
                    let v: Value = serde_json::from_str(&text(ws).await).unwrap();
                    if v["id"] == json!(*n) {
                        break v;
                    }
                }
            }
            Client::SocketIo(ws, n) => {
                *n += 1;
                let mut data = command.clone();
                let name = data["type"].as_str().unwrap().to_owned();
                data.as_object_mut().unwrap().remove("type");
                let packet = format!("42{}{}", n, json!([name, data]));
                ws.send(Message::text(packet)).await.unwrap();
                let prefix = format!("43{n}[");
                loop {
                    let t = text(ws).await;
                    if let Some(rest) = t.strip_prefix(&prefix) {
                        let args: Value = serde_json::from_str(&format!("[{rest}")).unwrap();
                        break args[0].clone();
                    }
                }
            }
        };
        let kind = answer["type"].as_str().unwrap().to_owned();
        (kind, answer["code"].as_str().map(str::to_owned))
    }
}

/// The next text frame (answering Engine.IO pings).
async fn text(ws: &mut Ws) -> String {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
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

/// One server, its users and rooms, then every command by every user in every
/// room over `transport`: the answers, in order.
async fn matrix(socketio: bool) -> Vec<(String, String, String, (String, Option<String>))> {
    let addr = serve().await;
    let reg = |name: &str| {
        api(
            addr,
            "POST",
            "/auth/register",
            None,
            json!({ "username": name, "password": "correct horse battery" }),
        )
    };
    let owner = reg("owner").await;
    let member = reg("member").await;
    let outsider = reg("outsider").await;
    let banned = reg("banned").await;
    let tok = |u: &Value| u["token"].as_str().unwrap().to_owned();
    let id = |u: &Value| u["user"]["id"].clone();
    let public = api(
        addr,
        "POST",
        "/rooms",
        Some(&tok(&owner)),
        json!({ "kind": "public", "name": "public" }),
    )
    .await;
    let private = api(
        addr,
        "POST",
        "/rooms",
        Some(&tok(&owner)),
        json!({ "kind": "private", "name": "private" }),
    )
    .await;
    let (p, q) = (public["id"].clone(), private["id"].clone());
    for u in [&member, &banned] {
        api(
            addr,
            "POST",
            &format!("/rooms/{}/join", p.as_str().unwrap()),
            Some(&tok(u)),
            json!({}),
        )
        .await;
    }
    api(
        addr,
        "POST",
        &format!("/rooms/{}/bans", p.as_str().unwrap()),
        Some(&tok(&owner)),
        json!({ "user_id": id(&banned), "reason": "spam" }),
    )
    .await;
    let mut messages = Vec::new();
    for room in [&p, &q] {
        let m = api(
            addr,
            "POST",
            &format!("/rooms/{}/messages", room.as_str().unwrap()),
            Some(&tok(&owner)),
            json!({ "body": "owner's" }),
        )
        .await;
        messages.push(m["id"].clone());
    }
    let mut out = Vec::new();
    for (who, user) in [
        ("member", &member),
        ("outsider", &outsider),
        ("banned", &banned),
    ] {
        let mut client = if socketio {
            Client::socketio(addr, &tok(user)).await
        } else {
            Client::native(addr, &tok(user)).await
        };
        for (where_, room, message) in [("public", &p, &messages[0]), ("private", &q, &messages[1])]
        {
            let commands = [
                json!({ "type": "history", "room": room }),
                json!({ "type": "send", "room": room, "nonce": format!("{who}{where_}"), "body": "hi" }),
                json!({ "type": "typing_start", "room": room }),
                json!({ "type": "typing_stop", "room": room }),
                json!({ "type": "edit", "message": message, "body": "mine now" }),
                json!({ "type": "delete", "message": message }),
                json!({ "type": "send", "room": room, "nonce": "", "body": "" }),
                json!({ "type": "auth", "token": "x" }),
                json!({ "type": "join", "room": room }),
                json!({ "type": "send", "room": room, "nonce": format!("{who}{where_}2"), "body": "joined?" }),
                json!({ "type": "leave", "room": room }),
                json!({ "type": "ping" }),
            ];
            for c in commands {
                let answer = client.run(&c).await;
                out.push((
                    who.to_owned(),
                    where_.to_owned(),
                    c["type"].as_str().unwrap().to_owned(),
                    answer,
                ));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_command_is_refused_over_socketio_where_the_websocket_refuses_it() {
    let native = matrix(false).await;
    let socketio = matrix(true).await;
    assert_eq!(native.len(), socketio.len());
    for (n, s) in native.iter().zip(&socketio) {
        assert_eq!(n, s, "native WebSocket vs Socket.IO");
    }
    // The matrix holds refusals of several kinds and successes: it can fail.
    let codes: std::collections::BTreeSet<_> =
        native.iter().filter_map(|r| r.3.1.clone()).collect();
    assert!(codes.len() >= 3, "{codes:?}");
    assert!(native.iter().any(|r| r.3.0 == "sent"), "some sends succeed");
}
