//! The WebSocket endpoint: upgrade checks, authentication, then one reader (this
//! task: parses and runs commands) and one writer task (see [`writer`]).

mod tracker;

pub use tracker::Delivered;
mod inflight;
mod transport;
mod writer;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use chatcore::hub::CloseReason;
use chatcore::protocol::{ClientCommand, ClientFrame, ServerEvent};
use chatcore::rate::{Limiter, Rate};
use chatcore::{Chat, Error, Frame, Outcome};
use serde::Deserialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::auth::{Actor, AuthMethod};
use crate::error::{ApiError, ErrorBody, codes};
use crate::extract::authenticate;
use crate::limits::{ConnectionSlot, PendingSlot, client_key};
use crate::state::ChatState;
use inflight::InFlight;
use transport::{FrameReader, FrameWriter, Incoming, ReadError, ReadIo, WriteIo};
use writer::{Out, ReplayRequest, Writer, close_frame};

/// Open the realtime connection.
///
/// Authenticated by `Authorization: Bearer`, the session cookie, or a first
/// `{"type":"auth","token":"…"}` frame within a few seconds. Browsers' `Origin` must
/// be allowed. The protocol is in docs/PROTOCOL.md.
#[utoipa::path(
    get,
    path = "/ws",
    tag = "realtime",
    params(
        ("Connection" = String, Header, description = "A list holding `upgrade` (any case)",
            pattern = "^(?:[^,]*,)*[ \t]*[Uu][Pp][Gg][Rr][Aa][Dd][Ee][ \t]*(?:,[^,]*)*$"),
        ("Upgrade" = String, Header, description = "A list holding `websocket` (any case)",
            pattern = "^(?:[^,]*,)*[ \t]*[Ww][Ee][Bb][Ss][Oo][Cc][Kk][Ee][Tt][ \t]*(?:,[^,]*)*$"),
        ("Sec-WebSocket-Version" = String, Header, description = "The WebSocket version: 13", pattern = "^13$"),
        ("Sec-WebSocket-Key" = String, Header, description = "The client's handshake nonce (RFC 6455)"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not an HTTP/1.1 WebSocket upgrade request (`upgrade_required`)", body = ErrorBody),
        (status = 401, description = "Credentials given but invalid (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Origin not allowed (`origin_rejected`)", body = ErrorBody),
        (status = 503, description = "The server holds its maximum of WebSockets (`server_busy`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn upgrade(
    State(state): State<ChatState>,
    req: Request,
) -> Result<Response, ApiError> {
    let (mut parts, _body) = req.into_parts();
    // Refuse foreign origins before anything else: a browser page from another site
    // must not ride the user's cookie into a socket. No Origin: not a browser.
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !state.origin_allowed(origin, &parts.headers) {
            return Err(ApiError::forbidden(
                codes::ORIGIN_REJECTED,
                "WebSocket connections from this origin are not allowed",
            ));
        }
    }
    let upgrade = transport::Upgrade::from_parts(&mut parts)
        .map_err(|why| ApiError::new(StatusCode::BAD_REQUEST, codes::UPGRADE_REQUIRED, why))?;
    let actor = authenticate(&state, &parts).await?;
    let busy = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::SERVER_BUSY,
            "too many connections; retry later",
        )
        .with_retry_after(Duration::from_secs(5))
    };
    // The slot is held until the connection ends (or the upgrade is abandoned). A
    // socket without credentials holds an unauthenticated slot (capped in all and
    // per address) until its `auth` frame, then a regular one.
    let slot = match actor {
        Some(actor) => Slot::Open(state.limits().connection_slot().ok_or_else(busy)?, actor),
        None => {
            let ip = client_key(state.config(), &parts.headers, &parts.extensions);
            Slot::Pending(state.limits().pending_slot(ip).ok_or_else(busy)?)
        }
    };
    let (response, on_upgrade) = upgrade.accept();
    tokio::spawn(async move {
        if let Ok(upgraded) = on_upgrade.await {
            let (mut stream, sink) =
                transport::split(upgraded, state.config().ws.max_message_bytes);
            // An async fn is as large as its largest await point, and what an idle
            // connection's task holds is that size: everything but the read loop
            // is boxed, so that it is freed once done (see docs/BENCHMARKS.md,
            // memory per idle connection).
            let Some((slot, actor, sink)) =
                Box::pin(authenticated(&state, slot, &mut stream, sink)).await
            else {
                return;
            };
            if let Some(reader) = Box::pin(start(&state, stream, sink, actor)).await {
                reader.run().await;
            }
            drop(slot);
        }
    });
    Ok(response)
}

/// The WebSocket slot an upgrade holds.
enum Slot {
    /// Authenticated at the upgrade.
    Open(ConnectionSlot, Actor),
    /// Waiting for its `auth` frame.
    Pending(PendingSlot),
}

/// The connection's regular slot and actor: at once for an authenticated upgrade;
/// otherwise after a valid `auth` frame within the auth window (shorter under
/// pressure), trading the unauthenticated slot for a regular one. None: refused (and
/// closed: 4001 without a valid `auth` frame, 4029 when the server is full).
async fn authenticated(
    state: &ChatState,
    slot: Slot,
    stream: &mut Stream,
    sink: FrameWriter<WriteIo>,
) -> Option<(ConnectionSlot, Actor, FrameWriter<WriteIo>)> {
    let pending = match slot {
        Slot::Open(slot, actor) => return Some((slot, actor, sink)),
        Slot::Pending(p) => p,
    };
    let window = state.limits().auth_window(state.config().ws.auth_timeout);
    let Some(actor) = auth_frame(state, stream, window).await else {
        drop(pending);
        refuse(state, sink, CloseReason::Unauthenticated).await;
        return None;
    };
    drop(pending);
    match state.limits().connection_slot() {
        Some(slot) => Some((slot, actor, sink)),
        None => {
            refuse(state, sink, CloseReason::RateLimited).await;
            None
        }
    }
}

/// Close a connection that has no writer task yet.
async fn refuse(state: &ChatState, mut sink: FrameWriter<WriteIo>, reason: CloseReason) {
    close_frame(&mut sink, reason);
    let limit = state.config().ws.heartbeat.max(Duration::from_secs(1));
    let _ = tokio::time::timeout(limit, sink.shutdown()).await;
}

/// Authenticate, connect to the hub, start the writer: the reader, ready to run.
async fn start(
    state: &ChatState,
    stream: Stream,
    sink: FrameWriter<WriteIo>,
    actor: Actor,
) -> Option<Reader> {
    let chat = state.chat().clone();
    let conn = match chat.connect(actor.user, actor.session).await {
        Ok(c) => c,
        Err(e) => {
            let reason = match e {
                Error::NotFound(_) => CloseReason::AccountDeleted,
                // The session ended between the token check and the registration
                // (`Chat::connect` re-reads it after registering with the hub).
                Error::Unauthenticated(_) => CloseReason::SessionRevoked,
                // Too many connections of this user.
                Error::RateLimited { .. } => CloseReason::RateLimited,
                Error::Suspended => CloseReason::AccountSuspended,
                other => {
                    crate::error::log_backend(&other);
                    CloseReason::InternalError
                }
            };
            refuse(state, sink, reason).await;
            return None;
        }
    };
    // The connection is subscribed to every room of the user from here on; whatever
    // the client resumes is read after this point, so nothing falls in between.
    let hello = match hello(state, &actor).await {
        Ok(h) => h,
        Err(e) => {
            crate::error::log_backend(&e);
            refuse(state, sink, CloseReason::InternalError).await;
            conn.close().await;
            return None;
        }
    };
    let conn_id = conn.id();
    // flume rather than tokio's mpsc: it allocates slots as used, where tokio's
    // holds a 32-slot block and cache-padded fields (about 1 KB) per connection.
    let (tx, rx) = flume::bounded(32);
    let ws = &state.config().ws;
    let writer = Writer {
        state: state.clone(),
        user: actor.user,
        conn,
        sink,
        rx: rx.into_stream(),
        heartbeat: ws.heartbeat,
        resume_grace: ws.resume_grace,
        max_held: ws.max_held_events,
        batch: ws.batch.max(1),
    };
    let writer = spawn_writer(writer, hello);
    let reader = Reader {
        chat,
        actor,
        conn: conn_id,
        tx,
        limiter: command_limiter(ws.commands_per_sec, ws.command_burst),
        burst: ws.command_burst.max(1),
        refused: 0,
        bad_frames: 0,
        max_bad_frames: ws.max_bad_frames,
        released: false,
        stream,
        writer,
        shutdown: state.shutdown_signal(),
        idle_limit: ws.heartbeat.saturating_mul(2),
        inflight: InFlight::new(ws.max_pipelined_sends),
    };
    Some(reader)
}

/// Spawn the writer task (from a plain function, so that the writer's future is
/// never part of the reader's).
fn spawn_writer(writer: Writer, hello: ServerEvent) -> JoinHandle<()> {
    tokio::spawn(writer.run(Frame::encode(&hello).json))
}

async fn hello(state: &ChatState, actor: &Actor) -> chatcore::Result<ServerEvent> {
    state
        .chat()
        .hello(actor.user, state.config().ws.heartbeat)
        .await
}

/// Wait for the first frame to be `auth` with a valid token.
async fn auth_frame(
    state: &ChatState,
    stream: &mut FrameReader<ReadIo>,
    window: Duration,
) -> Option<Actor> {
    let deadline = Instant::now() + window;
    loop {
        let msg = tokio::time::timeout_at(deadline, stream.next())
            .await
            .ok()?
            .ok()?;
        let text = match msg {
            Incoming::Text(t) => t,
            Incoming::Ping(_) | Incoming::Pong => continue,
            Incoming::Binary | Incoming::Close => return None,
        };
        let frame: ClientFrame = serde_json::from_str(&text).ok()?;
        let ClientCommand::Auth { token } = frame.command else {
            return None;
        };
        let session = state.chat().authenticate(&token).await.ok()?;
        return Some(Actor {
            user: session.user_id,
            session: Some(session.id),
            method: AuthMethod::AuthFrame,
        });
    }
}

/// The command rate of one connection: `per_sec` commands a second, `burst` at once.
fn command_limiter(per_sec: u32, burst: u32) -> Limiter {
    let per = Duration::from_secs(1) / per_sec.max(1);
    Limiter::new(Some(Rate::new(burst.max(1), per)))
}

/// The id of a frame that failed to parse, if it has a readable one.
#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<u64>,
}

struct Reader {
    chat: Chat,
    actor: Actor,
    conn: chatcore::hub::ConnId,
    tx: flume::Sender<Out>,
    limiter: Limiter,
    /// The limiter's burst: as many refusals in a row close the connection.
    burst: u32,
    /// Commands refused in a row.
    refused: u32,
    bad_frames: u32,
    max_bad_frames: u32,
    /// Whether the writer was told to stop holding live events.
    released: bool,
    stream: Stream,
    /// The writer task.
    writer: JoinHandle<()>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    /// A connection silent this long is closed.
    idle_limit: Duration,
    /// Sends started and not yet answered, oldest first.
    inflight: InFlight,
}

/// What a command asks the writer to do (None: nothing).
type Reply = Option<Out>;

/// Encode a reply once, here in the reader, so the writer only writes bytes.
fn reply(event: ServerEvent) -> Reply {
    Some(Out::event(&event))
}

/// Replay these rooms (`room`, last seq the client has), then `ack` `id`.
fn replay(rooms: Vec<(chatcore::RoomId, chatcore::Seq)>, id: Option<u64>) -> Reply {
    Some(Out::Replay(Box::new(ReplayRequest { rooms, id })))
}

type Stream = FrameReader<ReadIo>;

impl Reader {
    async fn run(mut self) {
        let close: Option<CloseReason> = loop {
            let next = tokio::select! {
                biased;
                _ = &mut self.writer => {
                    // The writer ended (hub closed the connection, or the peer is gone);
                    // it already sent the close frame. Let the client answer it, briefly.
                    let _ = tokio::time::timeout(Duration::from_secs(2), Box::pin(drain(&mut self.stream))).await;
                    return;
                }
                () = stopped(&mut self.shutdown) => break Some(CloseReason::ServerShutdown),
                // The oldest send in flight is answered: its reply, in order.
                Some(out) = self.inflight.next_reply(), if !self.inflight.is_empty() => {
                    if let Err(reason) = self.send(out).await {
                        break reason;
                    }
                    continue;
                }
                // Not read while the window of sends in flight is full.
                next = tokio::time::timeout(self.idle_limit, self.stream.next()),
                    if self.inflight.has_room() => next,
            };
            let msg = match next {
                Err(_elapsed) => break Some(CloseReason::HeartbeatTimeout),
                Ok(Err(ReadError::Gone)) => break None,
                Ok(Err(ReadError::TooLarge)) => break Some(CloseReason::FrameTooLarge),
                Ok(Err(ReadError::Protocol(_) | ReadError::NotUtf8)) => {
                    break Some(CloseReason::ProtocolError);
                }
                Ok(Ok(msg)) => msg,
            };
            let outcome = match msg {
                Incoming::Text(text) => {
                    // Boxed: see `upgrade`.
                    let res = Box::pin(self.on_text(&text)).await;
                    if res.is_ok() && !self.released {
                        self.released = true;
                        self.send(Out::Release).await
                    } else {
                        res
                    }
                }
                Incoming::Binary => {
                    Box::pin(self.on_bad_frame(None, "binary frames are not part of the protocol"))
                        .await
                }
                Incoming::Ping(payload) => self.send(Out::Pong(payload.into_boxed_slice())).await,
                Incoming::Pong => Ok(()),
                Incoming::Close => break None,
            };
            if let Err(reason) = outcome {
                break reason;
            }
        };
        match close {
            Some(reason) => {
                // The sends in flight are stored anyway: answer them first.
                if self.answer_sends().await.is_ok() && self.send(Out::Close(reason)).await.is_ok()
                {
                    // Let the client answer the close frame, briefly.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(2),
                        Box::pin(drain(&mut self.stream)),
                    )
                    .await;
                }
            }
            None => drop(self.tx),
        }
        let _ = self.writer.await;
    }

    async fn send(&mut self, out: Out) -> Result<(), Option<CloseReason>> {
        // Boxed: see `upgrade`.
        Box::pin(self.tx.send_async(out)).await.map_err(|_| None)
    }

    /// Wait for every send in flight and pass its reply on, in order: what any
    /// other reply does first, so that replies keep the order of the commands.
    async fn answer_sends(&mut self) -> Result<(), Option<CloseReason>> {
        while let Some(out) = Box::pin(self.inflight.next_reply()).await {
            self.send(out).await?;
        }
        Ok(())
    }

    /// Reply `out`, after the replies of the sends in flight.
    async fn reply_in_order(&mut self, out: Out) -> Result<(), Option<CloseReason>> {
        self.answer_sends().await?;
        self.send(out).await
    }

    async fn on_bad_frame(
        &mut self,
        id: Option<u64>,
        message: &str,
    ) -> Result<(), Option<CloseReason>> {
        self.bad_frames += 1;
        if self.bad_frames > self.max_bad_frames {
            return Err(Some(CloseReason::ProtocolError));
        }
        let mut message = message.to_owned();
        if message.len() > 200 {
            let mut cut = 200;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        self.reply_in_order(Out::event(&ServerEvent::Error {
            id,
            code: codes::BAD_FRAME.to_owned(),
            message,
            field: None,
            retry_after_ms: None,
        }))
        .await
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Option<CloseReason>> {
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                let id = serde_json::from_str::<IdOnly>(text).ok().and_then(|f| f.id);
                return self
                    .on_bad_frame(id, &format!("not a valid command: {e}"))
                    .await;
            }
        };
        let id = frame.id;
        if let Err(err) = self.limiter.check() {
            // More refusals in a row than the burst: the client ignores the errors.
            self.refused = self.refused.saturating_add(1);
            if self.refused > self.burst {
                return Err(Some(CloseReason::RateLimited));
            }
            return self
                .reply_in_order(Out::event(&ServerEvent::error(id, &err)))
                .await;
        }
        self.refused = 0;
        if self.inflight.pipelined()
            && let ClientCommand::Send {
                room,
                nonce,
                body,
                reply_to,
                thread_root,
                also_in_room,
                extra,
            } = frame.command
        {
            // Admitted and queued for the store here; answered in order, later.
            let input = chatcore::SendMessage {
                body,
                reply_to,
                nonce: Some(nonce),
                thread_root,
                also_in_room,
                extra,
            };
            return match self.chat.start_send(self.actor.user, id, room, input).await {
                Ok(pending) => {
                    self.inflight.push(id, pending);
                    Ok(())
                }
                Err(e) => {
                    if let Error::Backend(_) = &e {
                        crate::error::log_backend(&e);
                    }
                    self.reply_in_order(Out::event(&ServerEvent::error(id, &e)))
                        .await
                }
            };
        }
        // Any other command runs once the sends before it are answered.
        self.answer_sends().await?;
        let reply = match self.command(frame).await {
            Ok(r) => r,
            Err(e) => {
                if let Error::Backend(_) = &e {
                    crate::error::log_backend(&e);
                }
                reply(ServerEvent::error(id, &e))
            }
        };
        match reply {
            Some(out) => self.send(out).await,
            None => Ok(()),
        }
    }

    async fn command(&mut self, frame: ClientFrame) -> chatcore::Result<Reply> {
        let id = frame.id;
        Ok(
            match self
                .chat
                .run_command(self.actor.user, self.conn, id, frame.command)
                .await?
            {
                // An ack nobody asked for (no request id) is not sent.
                Outcome::Reply(event) if matches!(*event, ServerEvent::Ack { id: None }) => None,
                Outcome::Reply(event) => reply(*event),
                Outcome::Replay(rooms) => replay(rooms, id),
            },
        )
    }
}

/// Resolves once the router is shut down.
async fn stopped(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        // The state is gone; never resolve.
        std::future::pending::<()>().await;
    }
}

/// Read and discard until the peer closes.
async fn drain(stream: &mut Stream) {
    while let Ok(msg) = stream.next().await {
        if msg == Incoming::Close {
            return;
        }
    }
}
