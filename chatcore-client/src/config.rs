//! How a client connects and behaves.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chatcore::{RoomId, Seq};

use crate::backoff::Backoff;

/// Called whenever a room's resume point moves: persist it there.
pub type SeqHook = Arc<dyn Fn(RoomId, Seq) + Send + Sync>;

/// How to connect and behave. Built with [`Config::new`] and its setters.
#[derive(Clone)]
pub struct Config {
    pub(crate) url: String,
    pub(crate) token: Option<String>,
    pub(crate) resume_from: BTreeMap<RoomId, Seq>,
    pub(crate) on_seq: Option<SeqHook>,
    pub(crate) backoff: Backoff,
    pub(crate) request_timeout: Duration,
    pub(crate) send_timeout: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) pong_timeout: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) max_frame_bytes: usize,
    pub(crate) track_new_rooms: bool,
    pub(crate) event_buffer: usize,
}

impl Config {
    /// Connect to `url` (`ws://host/api/ws`; see [`crate::rest::RestClient::ws_url`]).
    pub fn new(url: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            token: None,
            resume_from: BTreeMap::new(),
            on_seq: None,
            backoff: Backoff::default(),
            request_timeout: Duration::from_secs(15),
            send_timeout: None,
            connect_timeout: Duration::from_secs(10),
            ping_interval: None,
            pong_timeout: Duration::from_secs(10),
            max_in_flight: 16,
            max_frame_bytes: 16 * 1024,
            track_new_rooms: true,
            event_buffer: 1024,
        }
    }

    /// The session token (sent in an `auth` frame on every connection).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Resume points the application persisted (from [`crate::Client::seqs`] or the hook).
    pub fn resume_from(mut self, points: BTreeMap<RoomId, Seq>) -> Self {
        self.resume_from = points;
        self
    }

    /// Called whenever a room's resume point moves.
    pub fn on_seq(mut self, hook: impl Fn(RoomId, Seq) + Send + Sync + 'static) -> Self {
        self.on_seq = Some(Arc::new(hook));
        self
    }

    /// Reconnection delays (default: 0.5 s doubling to 30 s, half of each random).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Per command (default 15 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// Per message (default none: a queued message waits for the connection).
    pub fn send_timeout(mut self, d: Option<Duration>) -> Self {
        self.send_timeout = d;
        self
    }

    /// For the TCP/WebSocket handshake and then for `hello` (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Ping when nothing was written for this long (default: the server's `heartbeat_ms`).
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.ping_interval = Some(d);
        self
    }

    /// Sends written before their answers (default 16; 1 keeps strict order even when
    /// the server rate limits).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    /// Give rooms without a resume point one from their newest message, so that a
    /// reconnect resumes them (default true).
    pub fn track_new_rooms(mut self, on: bool) -> Self {
        self.track_new_rooms = on;
        self
    }

    /// Events buffered for the application (default 1,024). When the buffer is full
    /// the client drops its connection and resumes once the application caught up,
    /// as the server does with a slow connection: messages are not lost, typing and
    /// presence in between are.
    pub fn event_buffer(mut self, n: usize) -> Self {
        self.event_buffer = n.max(16);
        self
    }
}
