//! Run with `cargo run --release -p chat-server` and open <http://127.0.0.1:3000>.
//!
//! A complete chat server: the chatcore HTTP and WebSocket API under `/api`, the web
//! UI at `/` (embedded in the binary, no build step) and `GET /health`.
//!
//! - Storage: SQLite in `--data-dir` (default: the current directory, file
//!   `chatcore.db`, created on first run); PostgreSQL with `--database-url` or
//!   `DATABASE_URL`; `--memory` keeps everything in memory.
//! - Several nodes: `--broker redis://127.0.0.1:6379` (Redis pub/sub),
//!   `--broker nats://127.0.0.1:4222` (NATS, with JetStream for presence) or
//!   `--broker postgres` (LISTEN/NOTIFY on the `--database-url` database); each node
//!   serves the same rooms. Default: in-process (one node).
//! - Uploaded files (avatars, images, files): a `files` directory in `--data-dir`
//!   (`--files-dir` to move it; in memory with `--memory`); S3-compatible storage with
//!   `--s3-bucket` (cargo feature `s3`; credentials from the `AWS_*` variables).
//! - Email: verification and password reset links are logged (info level) unless
//!   `--smtp-url smtp://host:port` sends them; `--require-email-verification` (the
//!   production setting) refuses sending and uploads until the address is verified.
//! - Notifications of users who are not connected (DMs, mentions, or every message,
//!   as each member's setting says) are logged (target `chat_server::notify`);
//!   `--notify-email` also mails each user a digest through the mailer above, at most
//!   one per user per `--notify-email-interval-secs` (default 900), to verified
//!   addresses only.
//! - `chat-server admin grant|revoke <username>` and `chat-server admin list` manage
//!   the site administrators (with the same store flags, before `admin`).
//! - `--demo` seeds sample users (their passwords are printed) and rooms.
//! - Logs: `RUST_LOG` (default `info`); `--log-format json` for JSON lines.
//! - `--metrics-addr` serves Prometheus metrics; `--config chat.toml` reads the
//!   flags from a TOML file (see `chat.example.toml` and docs/OPERATIONS.md).
//! - `chat-server backup --to FILE` copies the SQLite database of a running server.
//! - Ctrl-C or SIGTERM stops accepting connections and lets in-flight requests finish
//!   (at most `--shutdown-grace-secs`).

mod admin_cli;
mod backup;
mod config;
mod demo;
mod metrics;
mod notify;
mod store;
mod ui;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use chatcore::{Chat, UserId};
use chatcore_axum::{ChatConfig, ChatState};
use chatcore_socketio::SocketIoOptions;
use clap::Parser;
use serde_json::json;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

/// Command line, each flag also settable through the environment.
#[derive(Debug, Parser)]
#[command(name = "chat-server", version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "CHAT_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on.
    #[arg(long, short, env = "CHAT_PORT", default_value_t = 3000)]
    port: u16,
    /// Directory holding the SQLite database `chatcore.db` (created if missing).
    #[arg(long, env = "CHAT_DATA_DIR", default_value = ".")]
    data_dir: PathBuf,
    /// PostgreSQL URL (`postgres://user:password@host/db`); used instead of SQLite.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Keep everything in memory (lost on exit) instead of using a database.
    #[arg(long, conflicts_with = "database_url")]
    memory: bool,
    /// Seed demo users and rooms (prints the users' passwords).
    #[arg(long)]
    demo: bool,
    /// Coordinate several nodes: `redis://host:port`, `nats://host:port`, `postgres`
    /// (the `--database-url` database) or a `postgres://` URL. Default: this process only.
    #[arg(long, env = "CHAT_BROKER")]
    broker: Option<String>,
    /// Further origins allowed to open WebSockets (comma separated), e.g. the public
    /// `https://chat.example.com` behind a proxy. The server's own origin is always allowed.
    #[arg(
        long = "allowed-origin",
        env = "CHAT_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// Mark session cookies `Secure` (set when served over HTTPS).
    #[arg(long, env = "CHAT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Most WebSockets open at once; further ones get 503 `server_busy`.
    #[arg(long, env = "CHAT_MAX_CONNECTIONS", default_value_t = 10_000)]
    max_connections: usize,
    /// Reverse proxies (IP addresses, comma separated) whose `X-Forwarded-For` gives
    /// the client address for the per-address login and registration limits. Default:
    /// none; the header is ignored and the peer address counts.
    #[arg(
        long = "trusted-proxy",
        env = "CHAT_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<IpAddr>,
    /// Seconds a client has to send a request's headers; a connection idle this long
    /// (before or between requests) is closed.
    #[arg(long, env = "CHAT_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Seconds a request has from its headers to its response, body included (then
    /// 408); uploads must fit.
    #[arg(long, env = "CHAT_REQUEST_TIMEOUT_SECS", default_value_t = 60)]
    request_timeout_secs: u64,
    /// Open TCP connections per client address (IPv6: per /64); more are closed at
    /// once.
    #[arg(long, env = "CHAT_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    max_connections_per_ip: usize,
    /// Seconds given to in-flight requests after a shutdown signal.
    #[arg(long, env = "CHAT_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    shutdown_grace_secs: u64,
    /// Where uploaded files go (default: `files` in `--data-dir`).
    #[arg(long, env = "CHAT_FILES_DIR")]
    files_dir: Option<PathBuf>,
    /// Keep uploaded files in this S3-compatible bucket (credentials, region and
    /// endpoint from the `AWS_*` environment variables).
    #[cfg(feature = "s3")]
    #[arg(long, env = "CHAT_S3_BUCKET")]
    s3_bucket: Option<String>,
    /// Send verification and reset emails through this SMTP relay
    /// (`smtp://[user:password@]host[:port]`, plain SMTP). Default: log them.
    #[arg(long, env = "CHAT_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of the emails.
    #[arg(long, env = "CHAT_MAIL_FROM", default_value = "Chat <chat@localhost>")]
    mail_from: String,
    /// Mail users who are not connected a digest of their notifications (through
    /// `--smtp-url`, or the log without it), to verified addresses only.
    #[arg(long, env = "CHAT_NOTIFY_EMAIL")]
    notify_email: bool,
    /// At most one notification digest per user this often (seconds).
    #[arg(long, env = "CHAT_NOTIFY_EMAIL_INTERVAL_SECS", default_value_t = 900)]
    notify_email_interval_secs: u64,
    /// Require a verified email address to send messages and upload files (the
    /// production setting; registration then needs an email address to be useful).
    #[arg(long, env = "CHAT_REQUIRE_EMAIL_VERIFICATION")]
    require_email_verification: bool,
    /// Let visitors continue as guests (`POST /auth/guest`): temporary accounts with
    /// only a display name that may chat in public rooms, deleted after 24 h.
    #[arg(long, env = "CHAT_GUESTS")]
    guests: bool,
    /// The public address of the web UI, used in the links of emails (default: the
    /// address the server listens on).
    #[arg(long, env = "CHAT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Load testing only (benches/): lift the per-user message and login rate limits,
    /// the per-address login, registration and password limits, the per-connection
    /// command rate, the maximum of WebSockets (authenticated or not) and of TCP
    /// connections per address. Never use it in production.
    #[arg(long)]
    bench_limits: bool,
    /// Shortest timeout a moderator may give, in seconds (default 60; the browser
    /// tests use 1).
    #[arg(long, default_value_t = 60)]
    min_timeout_secs: u64,
    /// Retention: the longest any room keeps its messages, in days (off by default:
    /// rooms keep them unless their admins set `retention_days`, up to 36,500).
    /// Rooms may set less; housekeeping deletes older messages with their files.
    #[arg(long, env = "CHAT_MAX_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    max_retention_days: Option<u32>,
    /// Accept HTTP long-polling on the Socket.IO endpoint (`/socket.io/`, WebSocket
    /// only by default). Several nodes behind a load balancer then need sticky
    /// sessions (see chatcore-socketio's README).
    #[arg(long, env = "CHAT_SOCKETIO_POLLING")]
    socketio_polling: bool,
    /// Deliver the domain events (messages, members, rooms) to this URL as signed
    /// JSON webhooks, through the store's outbox (see chatcore-webhooks; `http://`
    /// only, put a TLS proxy in front for `https`).
    #[arg(long, env = "CHAT_WEBHOOK", requires = "webhook_secret")]
    webhook: Option<String>,
    /// The shared secret of the webhook signatures (HMAC-SHA256).
    #[arg(long, env = "CHAT_WEBHOOK_SECRET")]
    webhook_secret: Option<String>,
    /// Words refused in every message (comma-separated; `*` for any letters within a
    /// word), before each room's own blocklist.
    #[arg(long, env = "CHAT_BLOCKLIST", value_delimiter = ',')]
    blocklist: Vec<String>,
    /// Read further settings from this TOML file (keys are the flags' names; the
    /// command line and the environment win over it). See chat.example.toml.
    #[arg(long, env = "CHAT_CONFIG")]
    config: Option<PathBuf>,
    /// Serve Prometheus metrics at `GET /metrics` on this address (e.g.
    /// `127.0.0.1:9100`; keep it private). Default: off.
    #[arg(long, env = "CHAT_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Log lines as `text` or `json` (one JSON object a line).
    #[arg(long, env = "CHAT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Instead of serving: an operator's command (`admin grant <username>`…).
    #[command(subcommand)]
    command: Option<admin_cli::Command>,
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// A startup failure, printed as one readable line (plus its causes).
#[derive(Debug)]
struct Fatal {
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Fatal {
    fn new(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Fatal {
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = self.context.clone();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = match &self.source {
            Some(s) => Some(s.as_ref()),
            None => None,
        };
        // Many errors repeat their source in their own message: say each thing once.
        while let Some(c) = cause {
            let line = c.to_string();
            if !text.contains(&line) {
                text.push_str(": ");
                text.push_str(&line);
            }
            cause = c.source();
        }
        f.write_str(&text)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match config::args_with_file(std::env::args_os().collect()) {
        Ok(args) => Cli::parse_from(args),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sea_orm_migration=warn,sqlx=warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(never_log_frames(filter));
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The WebSocket library logs whole frames at TRACE level, and frames carry session
/// tokens (`auth`) and private messages: cap it at DEBUG whatever `RUST_LOG` says.
fn never_log_frames(filter: EnvFilter) -> EnvFilter {
    ["tungstenite=debug", "tokio_tungstenite=debug"]
        .iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, EnvFilter::add_directive)
}

/// Connect the multi-node broker named by `--broker`.
async fn open_broker(
    broker: &str,
    database_url: Option<&str>,
) -> Result<std::sync::Arc<dyn chatcore::Hub>, Fatal> {
    let scheme = broker
        .split_once("://")
        .map_or(broker, |(scheme, _)| scheme);
    let (what, hub) = match scheme {
        "redis" | "rediss" => (
            "Redis",
            chatcore_redis::RedisHub::connect(broker)
                .await
                .map(|hub| joined(hub, "redis")),
        ),
        "nats" | "tls" => (
            "NATS",
            chatcore_nats::NatsHub::connect(broker)
                .await
                .map(|hub| joined(hub, "nats")),
        ),
        "postgres" | "postgresql" => {
            let url = if broker.contains("://") {
                broker
            } else {
                database_url.ok_or_else(|| Fatal {
                    context: "--broker postgres needs --database-url (or DATABASE_URL)".into(),
                    source: None,
                })?
            };
            (
                "PostgreSQL",
                chatcore_postgres::PgHub::connect(url)
                    .await
                    .map(|hub| joined(hub, "postgres LISTEN/NOTIFY")),
            )
        }
        other => {
            return Err(Fatal {
                context: format!(
                    "unknown --broker {other:?}: use redis://host:port, nats://host:port, \
                     postgres or a postgres:// URL"
                ),
                source: None,
            });
        }
    };
    hub.map_err(|e| Fatal::new(format!("cannot join the {what} broker at {broker}"), e))
}

/// A broker hub this node joined, logged with its node id.
fn joined<E: chatcore::hub::Engine>(
    hub: std::sync::Arc<chatcore::hub::BrokerHub<E>>,
    engine: &str,
) -> std::sync::Arc<dyn chatcore::Hub> {
    tracing::info!(node = hub.node_id(), "broker: {engine}");
    hub
}

/// Where uploaded files go: S3 (`--s3-bucket`), memory (`--memory`), or a directory.
fn open_blobs(cli: &Cli) -> Result<std::sync::Arc<dyn chatcore::blob::BlobStore>, Fatal> {
    #[cfg(feature = "s3")]
    if let Some(bucket) = cli.s3_bucket.as_deref() {
        let s3 = chatcore_media::ObjectBlobStore::s3(bucket)
            .map_err(|e| Fatal::new(format!("cannot use the S3 bucket {bucket}"), e))?;
        tracing::info!(bucket, "files: S3");
        return Ok(std::sync::Arc::new(s3));
    }
    if cli.memory && cli.files_dir.is_none() {
        tracing::info!("files: in memory");
        return Ok(std::sync::Arc::new(chatcore::blob::MemoryBlobStore::new()));
    }
    let dir = cli
        .files_dir
        .clone()
        .unwrap_or_else(|| cli.data_dir.join("files"));
    let blobs = chatcore_media::ObjectBlobStore::local(&dir)
        .map_err(|e| Fatal::new(format!("cannot use {} for files", dir.display()), e))?;
    tracing::info!(dir = %dir.display(), "files: local directory");
    Ok(std::sync::Arc::new(blobs))
}

/// What the handlers of this binary share.
#[derive(Clone)]
struct AppState {
    chat: Chat,
    store_kind: &'static str,
    started: Instant,
}

async fn run(mut cli: Cli) -> Result<(), Fatal> {
    if let Some(command) = cli.command.take() {
        let config =
            store::StoreConfig::from_flags(cli.memory, cli.database_url.as_deref(), &cli.data_dir);
        return admin_cli::run(command, &config).await;
    }
    let addr = SocketAddr::new(cli.host, cli.port);
    // Bind first: a taken port is the most common mistake and needs no database.
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            " (another program uses this port; pick another with --port or CHAT_PORT)"
        } else {
            ""
        };
        Fatal::new(format!("cannot listen on {addr}{hint}"), e)
    })?;

    // With `--port 0` the system picks a free port: report the real one.
    let port = listener.local_addr().map_or(cli.port, |a| a.port());
    if let Some(addr) = cli.metrics_addr {
        let bound = metrics::serve(addr).await?;
        println!("metrics on http://{bound}/metrics");
    }

    let config =
        store::StoreConfig::from_flags(cli.memory, cli.database_url.as_deref(), &cli.data_dir);
    let opened = store::open(&config).await?;
    tracing::info!(store = opened.kind, location = %opened.location, "store ready");
    let own_origin = match cli.host {
        IpAddr::V4(ip) if ip.is_unspecified() => format!("http://127.0.0.1:{}", port),
        IpAddr::V6(ip) if ip.is_unspecified() => format!("http://[::1]:{}", port),
        IpAddr::V6(ip) => format!("http://[{ip}]:{}", port),
        IpAddr::V4(ip) => format!("http://{ip}:{}", port),
    };
    let notify_store = opened.store.clone();
    let mut builder = Chat::builder(opened.store)
        .blobs(open_blobs(&cli)?)
        .accounts(
            chatcore::AccountSettings::default()
                .require_email_verification(cli.require_email_verification)
                .public_url(cli.public_url.clone().unwrap_or_else(|| own_origin.clone())),
        );
    let mailer: std::sync::Arc<dyn chatcore::mail::Mailer> =
        if let Some(url) = cli.smtp_url.as_deref() {
            let mailer = chatcore_media::SmtpMailer::new(url, &cli.mail_from)
                .map_err(|e| Fatal::new("bad --smtp-url or --mail-from", e))?;
            tracing::info!("mail: SMTP");
            std::sync::Arc::new(mailer)
        } else {
            tracing::info!("mail: logged, not sent (set --smtp-url to send)");
            std::sync::Arc::new(chatcore::mail::LogMailer)
        };
    builder = builder.mailer(mailer.clone());
    let digest = cli.notify_email.then(|| notify::EmailDigest {
        mailer,
        interval: Duration::from_secs(cli.notify_email_interval_secs),
    });
    if cli.notify_email {
        tracing::info!(
            interval_secs = cli.notify_email_interval_secs,
            "notifications: logged and mailed as digests"
        );
    }
    builder = builder.notifier(std::sync::Arc::new(notify::NotifierHandle(
        notify::ServerNotifier::new(notify_store, digest),
    )));
    if cli.require_email_verification {
        tracing::info!("a verified email address is required to send and upload");
    }
    let mut limits = chatcore::Limits::default();
    if cli.bench_limits {
        tracing::warn!("--bench-limits: message, login and command rate limits are off");
        limits = chatcore::Limits::without_rate_limits();
    }
    limits.min_timeout = std::time::Duration::from_secs(cli.min_timeout_secs);
    limits.max_retention_days = cli.max_retention_days;
    limits.guests = cli.guests;
    if cli.guests {
        tracing::info!("guest accounts are on (POST /auth/guest)");
    }
    builder = builder.limits(limits);
    if let Some(broker) = cli.broker.as_deref() {
        builder = builder.hub(open_broker(broker, cli.database_url.as_deref()).await?);
    }
    if !cli.blocklist.is_empty() {
        builder = builder.blocklist(&cli.blocklist);
    }
    let chat = builder.build();
    let webhooks = match (&cli.webhook, &cli.webhook_secret) {
        (Some(url), Some(secret)) => {
            tracing::info!(%url, "webhooks on");
            let config = chatcore_webhooks::WebhookConfig::new(url.clone(), secret.as_bytes());
            Some(chatcore_webhooks::Webhooks::start(&chat, config))
        }
        _ => None,
    };
    // Presence leases of multi-node brokers, expired sessions and bans.
    tokio::spawn(chat.clone().run_housekeeping(Duration::from_secs(10)));

    if cli.demo {
        demo::seed(&chat)
            .await
            .map_err(|e| Fatal::new("could not seed the demo data", e))?;
    }

    let mut origins = vec![own_origin.clone()];
    if cli.host.is_loopback() || cli.host.is_unspecified() {
        origins.push(format!("http://localhost:{}", port));
    }
    origins.extend(cli.allowed_origins.iter().cloned());

    let state = AppState {
        chat: chat.clone(),
        store_kind: opened.kind,
        started: Instant::now(),
    };
    let mut config = ChatConfig::default();
    config.allowed_origins = origins.clone();
    config.cookie_secure = cli.secure_cookies;
    config.ws.max_connections = cli.max_connections;
    config.trusted_proxies = cli.trusted_proxies.clone();
    if cli.bench_limits {
        config.ws.max_connections = config.ws.max_connections.max(1_000_000);
        config.login_rate_per_ip = None;
        config.register_rate_per_ip = None;
        config.password_rate_per_ip = None;
        config.ws.max_unauthenticated = config.ws.max_unauthenticated.max(1_000_000);
        config.ws.max_unauthenticated_per_ip = usize::MAX;
        config.ws.commands_per_sec = 1_000_000;
        config.ws.command_burst = 1_000_000;
    }
    let chat_state = ChatState::builder(chat.clone()).config(config).build();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    // The chatcore protocol over Socket.IO too, at /socket.io/ (socket.io-client's
    // default path). At shutdown its sockets just drop with the process, so that
    // socket.io-client reconnects (and resumes) on its own, as after a network loss.
    let socketio_options = SocketIoOptions::default().polling(cli.socketio_polling);
    let app = Router::new()
        .route("/health", get(health))
        .with_state(state)
        .merge(ui::router())
        .nest("/api", chatcore_axum::router(chat_state.clone()));
    let (app, _socketio) = chatcore_socketio::mount(app, chat_state.clone(), socketio_options);

    println!(
        "chat-server listening on {own_origin} ({} store)",
        opened.kind
    );
    tracing::info!(%addr, origins = ?origins, "listening");

    let mut signal_rx = shutdown_rx.clone();
    // chatcore_axum::serve: header and request deadlines, a per-address connection
    // cap, back-off when accepting fails (descriptors exhausted), no Nagle delay;
    // requests carry the peer address for the per-address limits (`--trusted-proxy`).
    let mut serve_config = chatcore_axum::ServeConfig::default();
    serve_config.header_timeout = Duration::from_secs(cli.header_timeout_secs.max(1));
    serve_config.request_timeout = Duration::from_secs(cli.request_timeout_secs.max(1));
    serve_config.max_connections_per_ip = cli.max_connections_per_ip.max(1);
    if cli.bench_limits {
        serve_config.max_connections_per_ip = usize::MAX;
    }
    let server = chatcore_axum::serve(listener, app, serve_config, async move {
        let _ = signal_rx.wait_for(|stop| *stop).await;
    });
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested: no new connections, finishing in-flight requests");
        // WebSockets are not tracked by axum's graceful shutdown: close them (1001).
        chat_state.shutdown();
        let _ = shutdown_tx.send(true);
    });

    let grace = Duration::from_secs(cli.shutdown_grace_secs);
    let mut grace_rx = shutdown_rx;
    tokio::select! {
        () = server => {},
        () = async move {
            let _ = grace_rx.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!(secs = grace.as_secs(), "grace period over; dropping remaining connections"),
    }
    // Read positions are written every 2 s; write what is still pending.
    if let Err(e) = chat.flush_read_positions().await {
        tracing::warn!(error = %e, "writing the pending read positions failed");
    }
    if let Some(w) = webhooks {
        // What was emitted is in the outbox; the next run delivers what is left.
        w.shutdown().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// `GET /health`: 200 with `"status": "ok"` when the store answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let probe = state.chat.store().get_user(UserId(uuid::Uuid::nil()));
    let (status, store_status) = match tokio::time::timeout(Duration::from_secs(3), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok".to_owned()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: store failed");
            (StatusCode::SERVICE_UNAVAILABLE, "error".to_owned())
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout".to_owned()),
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "unavailable" },
        "store": { "kind": state.store_kind, "status": store_status },
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_secs": state.started.elapsed().as_secs(),
    });
    (status, [("cache-control", "no-store")], Json(body))
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
