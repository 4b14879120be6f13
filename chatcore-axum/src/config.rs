//! Settings of the HTTP and WebSocket layer.

use std::net::IpAddr;
use std::time::Duration;

use chatcore::rate::Rate;

/// Settings of the router. Start from [`ChatConfig::default`] and change fields:
///
/// ```
/// use std::time::Duration;
/// let mut config = chatcore_axum::ChatConfig::default();
/// config.allowed_origins = vec!["https://chat.example.com".into()];
/// config.cookie_secure = true;
/// config.ws.heartbeat = Duration::from_secs(20);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ChatConfig {
    /// Browser origins (`scheme://host[:port]`) allowed to open WebSockets and to send
    /// cookie-authenticated unsafe requests. See also [`ChatConfig::allow_same_origin`].
    pub allowed_origins: Vec<String>,
    /// Also allow an `Origin` whose host and port equal the request's `Host` header
    /// (the page was served by this server). Default `true`. Behind a proxy that
    /// rewrites `Host`, list the public origins in [`ChatConfig::allowed_origins`].
    pub allow_same_origin: bool,
    /// Name of the session cookie (default `chatcore_session`).
    pub cookie_name: String,
    /// Mark the session cookie `Secure` (set it when served over HTTPS).
    pub cookie_secure: bool,
    /// Whether `POST /auth/register` and `POST /auth/login` work. Turn it off when a
    /// host [`Authenticator`](crate::Authenticator) owns authentication; the routes
    /// then answer 403 `password_auth_disabled`.
    pub password_auth: bool,
    /// Largest accepted request body, in bytes (default 64 KiB); larger ones get 413.
    pub max_body_bytes: usize,
    /// Default page size of `GET /rooms` (default 50, at most 100).
    pub rooms_page_default: u32,
    /// Login attempts per client address (IPv6: per /64), on top of the per-account
    /// limits of [`chatcore::Limits::login_rate`] and `login_account_rate` (default: 30 at once, then one every
    /// 6 s). `None`: unlimited. Needs the client address (see [`crate::client_ip`]).
    pub login_rate_per_ip: Option<Rate>,
    /// Registrations per client address (default: 20 at once, then one every 3
    /// minutes). `None`: unlimited.
    pub register_rate_per_ip: Option<Rate>,
    /// Password checks per client address outside login (room passwords on joining,
    /// the current password of `POST /me/password`, the password of `DELETE /me`), on
    /// top of the per-user limit of [`chatcore::Limits::password_rate`] (default: 30
    /// at once, then one every 6 s). `None`: unlimited.
    pub password_rate_per_ip: Option<Rate>,
    /// Uploads (avatars, image and file messages) read at once (default 16); further
    /// ones get 503 `server_busy` with `Retry-After` before their body is read. Each
    /// holds at most its file limit in memory while it is read.
    pub max_concurrent_uploads: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed (default: none, the header
    /// is ignored). When the peer is one of these, the client address is the rightmost
    /// address of the header that is not one of these.
    pub trusted_proxies: Vec<IpAddr>,
    /// WebSocket settings.
    pub ws: WsConfig,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            allowed_origins: Vec::new(),
            allow_same_origin: true,
            cookie_name: "chatcore_session".to_owned(),
            cookie_secure: false,
            password_auth: true,
            max_body_bytes: 64 * 1024,
            rooms_page_default: 50,
            login_rate_per_ip: Some(Rate::new(30, Duration::from_secs(6))),
            register_rate_per_ip: Some(Rate::new(20, Duration::from_secs(180))),
            password_rate_per_ip: Some(Rate::new(30, Duration::from_secs(6))),
            max_concurrent_uploads: 16,
            trusted_proxies: Vec::new(),
            ws: WsConfig::default(),
        }
    }
}

/// WebSocket settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WsConfig {
    /// The server pings this often and closes with 4009 when nothing arrives for twice
    /// as long (default 25 s).
    pub heartbeat: Duration,
    /// How long a connection opened without credentials has to send its `auth` frame
    /// (default 5 s); then it is closed with 4001.
    pub auth_timeout: Duration,
    /// Largest accepted message (and frame) from a client, in bytes (default 16 KiB);
    /// larger ones close the connection with 1009.
    pub max_message_bytes: usize,
    /// After `hello`, live events are held until the client's first command (at most
    /// this long, default 500 ms), so that a `resume` sent first is answered before
    /// any live event and the client sees every room in order.
    pub resume_grace: Duration,
    /// Most live events held during [`WsConfig::resume_grace`]; one more closes the
    /// connection as a slow consumer (4008). Default 1,024.
    pub max_held_events: usize,
    /// Most hub events taken and written per flush (default 64). The writer writes
    /// whatever has queued when it wakes, up to this many in one `write()`: a lone
    /// event leaves at once, and a busy core makes larger batches by itself (see
    /// docs/BENCHMARKS.md, "Batched writes").
    pub batch: usize,
    /// Malformed frames tolerated per connection (each answered with a `bad_frame`
    /// error); one more closes it with 1008 (default 5).
    pub max_bad_frames: u32,
    /// Sustained commands per second per connection (default 20).
    pub commands_per_sec: u32,
    /// Burst of commands allowed above the sustained rate (default 40). Commands over
    /// the limit get a `rate_limited` error; as many again in a row close the
    /// connection with 4029.
    pub command_burst: u32,
    /// Most WebSockets open at once on this router (default 10,000); further upgrade
    /// requests get 503 `server_busy` with `Retry-After`. Per user, see
    /// [`chatcore::Limits::max_connections_per_user`]. Other transports count
    /// against the same cap ([`crate::ChatState::connection_slot`]: Socket.IO does).
    pub max_connections: usize,
    /// Most WebSockets open at once that have not authenticated yet (opened without
    /// credentials, waiting for their `auth` frame), counted apart from
    /// [`WsConfig::max_connections`] (default 1,000); further ones get 503
    /// `server_busy`. When more than half are taken, new ones get a fifth of
    /// [`WsConfig::auth_timeout`] to authenticate.
    pub max_unauthenticated: usize,
    /// Most unauthenticated WebSockets per client address (IPv6: per /64; default 8).
    pub max_unauthenticated_per_ip: usize,
    /// Most `send`s of one connection in flight at once (default 32; 1: each send
    /// waits for the one before). Consecutive sends are pipelined: each is admitted
    /// and queued for the store while the ones before it commit, stored in the
    /// order sent and answered in that order; any other command waits until the
    /// sends before it are answered. A connection with this many in flight is not
    /// read until the oldest is answered.
    pub max_pipelined_sends: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            heartbeat: Duration::from_secs(25),
            auth_timeout: Duration::from_secs(5),
            max_message_bytes: 16 * 1024,
            resume_grace: Duration::from_millis(500),
            max_held_events: 1024,
            batch: 64,
            max_bad_frames: 5,
            commands_per_sec: 20,
            command_burst: 40,
            max_connections: 10_000,
            max_unauthenticated: 1_000,
            max_unauthenticated_per_ip: 8,
            max_pipelined_sends: 32,
        }
    }
}
