//! The shared harness: a real server on an ephemeral port, a real HTTP client and
//! real WebSocket clients.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chatcore::{Chat, Limits, LocalHub, MemoryStore};
use chatcore_axum::{ChatConfig, ChatState};
use futures::{SinkExt, StreamExt};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The routes the web UI and the docs rely on (docs/API.md).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/logout-all"),
    ("GET", "/auth/sessions"),
    ("DELETE", "/auth/sessions/{id}"),
    ("GET", "/me"),
    ("PATCH", "/me"),
    ("DELETE", "/me"),
    ("POST", "/me/password"),
    ("GET", "/users/{id}"),
    ("GET", "/users/by-name/{username}"),
    ("GET", "/rooms"),
    ("GET", "/me/rooms"),
    ("POST", "/rooms"),
    ("GET", "/rooms/{id}"),
    ("PATCH", "/rooms/{id}"),
    ("DELETE", "/rooms/{id}"),
    ("POST", "/rooms/{id}/join"),
    ("POST", "/rooms/join-by-code"),
    ("POST", "/rooms/{id}/leave"),
    ("GET", "/rooms/{id}/members"),
    ("GET", "/rooms/{id}/code"),
    ("POST", "/rooms/{id}/code/rotate"),
    ("POST", "/rooms/{id}/transfer"),
    ("POST", "/rooms/{id}/invites"),
    ("GET", "/me/invites"),
    ("DELETE", "/me/invites/{room_id}"),
    ("PUT", "/rooms/{id}/members/{user_id}/role"),
    ("POST", "/rooms/{id}/members/{user_id}/kick"),
    ("POST", "/rooms/{id}/bans"),
    ("GET", "/rooms/{id}/bans"),
    ("DELETE", "/rooms/{id}/bans/{user_id}"),
    ("GET", "/rooms/{id}/blocklist"),
    ("PUT", "/rooms/{id}/blocklist"),
    ("POST", "/messages/{id}/report"),
    ("GET", "/rooms/{id}/reports"),
    ("POST", "/reports/{id}/resolve"),
    ("GET", "/rooms/{id}/audit"),
    ("PUT", "/rooms/{id}/members/{user_id}/timeout"),
    ("DELETE", "/rooms/{id}/members/{user_id}/timeout"),
    ("GET", "/me/blocks"),
    ("POST", "/me/blocks/{user_id}"),
    ("DELETE", "/me/blocks/{user_id}"),
    ("GET", "/admin/reports"),
    ("GET", "/rooms/{id}/messages"),
    ("POST", "/rooms/{id}/messages"),
    ("PATCH", "/messages/{id}"),
    ("DELETE", "/messages/{id}"),
    ("PUT", "/messages/{id}/reactions/{emoji}"),
    ("DELETE", "/messages/{id}/reactions/{emoji}"),
    ("GET", "/rooms/{id}/pins"),
    ("PUT", "/messages/{id}/pin"),
    ("DELETE", "/messages/{id}/pin"),
    ("GET", "/search"),
    ("POST", "/direct"),
    ("GET", "/direct"),
    ("POST", "/rooms/{id}/read"),
    ("POST", "/rooms/{id}/unread"),
    ("GET", "/rooms/{id}/receipts"),
    ("GET", "/me/read-settings"),
    ("PUT", "/me/read-settings"),
    ("PUT", "/rooms/{id}/notifications"),
    ("POST", "/auth/verify-email"),
    ("POST", "/me/verify-email"),
    ("POST", "/auth/password-reset/request"),
    ("POST", "/auth/password-reset"),
    ("POST", "/me/avatar"),
    ("POST", "/rooms/{id}/avatar"),
    ("POST", "/rooms/{id}/files"),
    ("GET", "/files/{id}"),
    ("GET", "/ws"),
    ("GET", "/openapi.json"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users/{id}/suspend"),
    ("POST", "/admin/users/{id}/unsuspend"),
    ("GET", "/admin/rooms"),
    ("DELETE", "/admin/rooms/{id}"),
    ("GET", "/admin/rooms/{id}/members"),
    ("GET", "/admin/audit"),
    ("POST", "/auth/guest"),
    ("GET", "/auth/options"),
    ("GET", "/me/export"),
    ("GET", "/rooms/{id}/export"),
];

/// How long any single wait may take before the test fails (a guard against hangs,
/// not a performance assertion).
pub const WAIT: Duration = Duration::from_secs(10);

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    /// Where the router is mounted, e.g. `http://127.0.0.1:1234/chat`.
    pub base: String,
    pub mount: &'static str,
    pub chat: Chat,
    pub state: ChatState,
    pub http: reqwest::Client,
}

/// What a test may change about the server.
pub struct Setup {
    pub limits: Limits,
    pub config: ChatConfig,
    /// Mount point inside the host app.
    pub mount: &'static str,
    pub authenticator: Option<Arc<dyn chatcore_axum::Authenticator>>,
    /// Per-connection hub queue (default: the hub's default).
    pub hub_queue: Option<usize>,
    /// Serve this service instead of one over a `MemoryStore` (`limits` and
    /// `hub_queue` are then ignored).
    pub chat: Option<Chat>,
}

impl Default for Setup {
    fn default() -> Self {
        let mut config = ChatConfig::default();
        // Every test client comes from 127.0.0.1; tests of these limits turn them on.
        config.login_rate_per_ip = None;
        config.password_rate_per_ip = None;
        config.register_rate_per_ip = None;
        Setup {
            limits: Limits::without_rate_limits(),
            config,
            mount: "/chat",
            authenticator: None,
            hub_queue: None,
            chat: None,
        }
    }
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(Setup::default()).await
    }

    pub async fn start_with(setup: Setup) -> Server {
        let chat = match setup.chat {
            Some(chat) => chat,
            None => {
                let mut chat = Chat::builder(Arc::new(MemoryStore::new())).limits(setup.limits);
                if let Some(n) = setup.hub_queue {
                    chat = chat.hub(Arc::new(LocalHub::new(n)));
                }
                chat.build()
            }
        };
        let mut builder = ChatState::builder(chat.clone()).config(setup.config);
        if let Some(a) = setup.authenticator {
            builder = builder.authenticator_arc(a);
        }
        let state = builder.build();
        // A host app with a route of its own, the chat API nested under it.
        let app = axum::Router::new()
            .route("/", axum::routing::get(|| async { "host app" }))
            .nest(setup.mount, chatcore_axum::router(state.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Server {
            addr,
            base: format!("http://{addr}{}", setup.mount),
            mount: setup.mount,
            chat,
            state,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}{}/ws", self.addr, self.mount)
    }

    /// A request builder; unsafe methods get the CSRF header (as the web UI sends it).
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let unsafe_method = !matches!(method, Method::GET | Method::HEAD);
        let mut r = self.http.request(method, self.url(path));
        if unsafe_method {
            r = r.header("x-requested-with", "test");
        }
        r
    }

    /// Call as `user` (bearer token) with an optional JSON body.
    pub async fn call(
        &self,
        user: Option<&User>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Resp {
        let mut r = self.req(method, path);
        if let Some(u) = user {
            r = r.bearer_auth(&u.token);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        Resp::from(r.send().await.unwrap()).await
    }

    pub async fn get(&self, user: &User, path: &str) -> Resp {
        self.call(Some(user), Method::GET, path, None).await
    }

    pub async fn post(&self, user: &User, path: &str, body: Value) -> Resp {
        self.call(Some(user), Method::POST, path, Some(body)).await
    }

    /// Register a user (password `tulip radar canyon`).
    pub async fn register(&self, name: &str) -> User {
        let r = self
            .call(
                None,
                Method::POST,
                "/auth/register",
                Some(json!({"username": name, "password": "tulip radar canyon"})),
            )
            .await;
        assert_eq!(r.status, 201, "register {name}: {}", r.body);
        User {
            id: r.body["user"]["id"].as_str().unwrap().to_owned(),
            name: name.to_owned(),
            token: r.body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// Create a room owned by `owner`; returns its id.
    pub async fn room(&self, owner: &User, kind: &str, name: &str) -> String {
        let r = self
            .post(owner, "/rooms", json!({"kind": kind, "name": name}))
            .await;
        assert_eq!(r.status, 201, "create room: {}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Join a public room over REST.
    pub async fn join(&self, user: &User, room: &str) {
        let r = self
            .post(user, &format!("/rooms/{room}/join"), json!({}))
            .await;
        assert_eq!(r.status, 200, "join: {}", r.body);
    }

    /// Send a message over REST; returns it.
    pub async fn send(&self, user: &User, room: &str, body: &str) -> Value {
        let r = self
            .post(
                user,
                &format!("/rooms/{room}/messages"),
                json!({"body": body}),
            )
            .await;
        assert_eq!(r.status, 201, "send: {}", r.body);
        r.body
    }

    /// Open a WebSocket authenticated with the user's bearer token; reads `hello`.
    pub async fn ws(&self, user: &User) -> Ws {
        let mut ws = Ws::connect(
            self,
            &[("authorization", &format!("Bearer {}", user.token))],
        )
        .await
        .expect("websocket handshake");
        let hello = ws.next().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        ws.hello = hello;
        ws
    }
}

/// A registered user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub token: String,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub async fn from(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    /// The error code of an error response.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Assert an error status and code, and the one error shape.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert!(
            self.body["error"]["message"].is_string(),
            "body: {}",
            self.body
        );
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
    }
}

/// A WebSocket client.
pub struct Ws {
    pub inner: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub hello: Value,
}

/// How a connection attempt ended before the upgrade.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: Value,
}

impl Ws {
    /// Handshake with extra headers; `Err` with the HTTP status when refused.
    pub async fn connect(server: &Server, headers: &[(&str, &str)]) -> Result<Ws, Refused> {
        let mut req = server.ws_url().into_client_request().unwrap();
        for (k, v) in headers {
            req.headers_mut().insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((inner, _)) => Ok(Ws {
                inner,
                hello: Value::Null,
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                let status = res.status().as_u16();
                let body = res
                    .body()
                    .as_ref()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or(Value::Null);
                Err(Refused { status, body })
            }
            Err(e) => panic!("websocket connect failed: {e}"),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.inner.send(Message::text(v.to_string())).await.unwrap();
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.inner.send(m).await.unwrap();
    }

    /// The next event (pings are answered by the client library and skipped).
    pub async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.inner.next())
                .await
                .expect("timed out waiting for an event")
                .expect("socket ended")
                .expect("socket error");
            match msg {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Close(c) => panic!("closed while waiting for an event: {c:?}"),
                _ => continue,
            }
        }
    }

    /// The next event of one of these types, skipping others.
    pub async fn next_of(&mut self, types: &[&str]) -> Value {
        loop {
            let ev = self.next().await;
            if types.iter().any(|t| ev["type"] == *t) {
                return ev;
            }
        }
    }

    /// Events until (and including) the first that matches, in order.
    pub async fn until(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let ev = self.next().await;
            let done = pred(&ev);
            seen.push(ev);
            if done {
                return seen;
            }
        }
    }

    /// Read until the server closes; the close code (None if the TCP stream just ended).
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.inner.next())
                .await
                .expect("timed out waiting for the close");
            match msg {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Send a command with a request id and wait for the reply that echoes it.
    pub async fn request(&mut self, id: u64, mut cmd: Value) -> Value {
        cmd["id"] = json!(id);
        self.send(cmd).await;
        loop {
            let ev = self.next().await;
            if ev["id"] == json!(id) {
                return ev;
            }
        }
    }
}

/// The sequence numbers of `message_created` events of a room, in arrival order.
pub fn seqs_of(events: &[Value], room: &str) -> Vec<i64> {
    events
        .iter()
        .filter(|e| e["type"] == "message_created" && e["message"]["room_id"] == room)
        .map(|e| e["message"]["seq"].as_i64().unwrap())
        .collect()
}
