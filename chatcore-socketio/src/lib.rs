#![doc = include_str!("../README.md")]

mod command;
mod connect;
mod pump;
mod signal;
mod translate;

use std::sync::Arc;

use axum::Router;
use chatcore_axum::ChatState;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler as _;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{SocketIo, TransportType};

pub use translate::{ChatcoreNames, Translate};

/// Where and how the Socket.IO endpoint is served.
#[derive(Clone)]
#[non_exhaustive]
pub struct SocketIoOptions {
    /// The request path of the endpoint (socket.io-client's `path`), `/socket.io` by
    /// default.
    pub path: String,
    /// Accept HTTP long-polling as well as WebSocket. Off by default: a polling
    /// session lives in the memory of the node that opened it, so behind a load
    /// balancer with several nodes polling needs sticky sessions (every request of a
    /// session routed to the same node, e.g. by the `sid` query parameter or a
    /// cookie). WebSocket-only clients need nothing of the kind.
    pub polling: bool,
    /// The event names the clients use ([`ChatcoreNames`] by default).
    pub names: Arc<dyn Translate>,
}

impl std::fmt::Debug for SocketIoOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoOptions")
            .field("path", &self.path)
            .field("polling", &self.polling)
            .finish_non_exhaustive()
    }
}

impl Default for SocketIoOptions {
    fn default() -> Self {
        SocketIoOptions {
            path: "/socket.io".to_owned(),
            polling: false,
            names: Arc::new(ChatcoreNames),
        }
    }
}

impl SocketIoOptions {
    /// Serve at `path` instead of `/socket.io`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Accept other event names (see [`Translate`]).
    pub fn names(mut self, names: impl Translate) -> Self {
        self.names = Arc::new(names);
        self
    }

    /// Accept HTTP long-polling (see [`SocketIoOptions::polling`] for sticky sessions).
    pub fn polling(mut self, polling: bool) -> Self {
        self.polling = polling;
        self
    }
}

/// The Socket.IO endpoint of `state`'s [`chatcore::Chat`] in front of `app` (for
/// example the router that nests [`chatcore_axum::router`]): requests to the
/// endpoint's path are Socket.IO's, the others go to `app`.
///
/// Prefer this to [`layer`] with HTTP long-polling: [`axum::Router::layer`] wraps
/// every route separately, and a polling session's requests must all reach one
/// endpoint. Its limits are the WebSocket's ([`chatcore_axum::WsConfig`]): message
/// size, heartbeat, command rate, authentication timeout, events queued per socket.
/// The [`SocketIo`] handle is returned too, but nothing needs it: events reach
/// sockets from chatcore's hub, never through a Socket.IO adapter.
pub fn mount(app: Router, state: ChatState, options: SocketIoOptions) -> (Router, SocketIo) {
    let names = options.names.clone();
    let (svc, io) = builder(&state, options).build_with_inner_svc(app);
    register(&io, state, names);
    (Router::new().fallback_service(svc), io)
}

/// The Socket.IO endpoint as a tower layer (WebSocket only: see [`mount`] for
/// long-polling).
pub fn layer(state: ChatState, options: SocketIoOptions) -> (SocketIoLayer, SocketIo) {
    let names = options.names.clone();
    let (layer, io) = builder(&state, options).build_layer();
    register(&io, state, names);
    (layer, io)
}

fn builder(state: &ChatState, options: SocketIoOptions) -> socketioxide::SocketIoBuilder {
    let ws = &state.config().ws;
    let max = ws.max_message_bytes;
    let builder = SocketIo::builder()
        .req_path(options.path)
        .ping_interval(ws.heartbeat)
        .ping_timeout(ws.heartbeat)
        .connect_timeout(ws.auth_timeout)
        .max_payload(u64::try_from(max).unwrap_or(u64::MAX))
        .ws_max_message_size(max)
        .ws_max_frame_size(max)
        // Packets queued for one socket: past this the socket is a slow consumer.
        .max_buffer_size(ws.max_held_events.max(64));
    if options.polling {
        builder.transports([TransportType::Polling, TransportType::Websocket])
    } else {
        builder.transports([TransportType::Websocket])
    }
}

fn register(io: &SocketIo, state: ChatState, names: Arc<dyn Translate>) {
    let middleware = move |socket: SocketRef, TryData(auth): TryData<serde_json::Value>| {
        let state = state.clone();
        let names = names.clone();
        async move { connect::start(state, names, socket, auth.ok()).await }
    };
    let connected = async |socket: SocketRef| pump::connected(&socket);
    io.ns("/", connected.with(middleware));
}
