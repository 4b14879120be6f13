//! The connection task: one WebSocket at a time, reconnected with backoff; `resume`
//! first after each `hello`; replies matched to commands by id; the send queue.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chatcore::protocol::{ClientCommand, ClientFrame, ServerEvent};
use chatcore::{RoomId, UserId};
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::backoff::Backoff;
use crate::close::close_action;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::{Event, State, StateChange};
use crate::outbox::{Outbox, OutgoingMessage, Sent};
use crate::seqs::SeqTracker;
use crate::typing::TypingThrottle;

mod inbound;

/// What a [`crate::Client`] asks of the task.
pub(crate) enum Cmd {
    Request {
        command: ClientCommand,
        reply: oneshot::Sender<Result<ServerEvent>>,
    },
    Send {
        message: OutgoingMessage,
        reply: oneshot::Sender<Result<Sent>>,
    },
    /// Give up a queued message; answers whether it had been written.
    Discard {
        nonce: String,
        reply: oneshot::Sender<Option<bool>>,
    },
    Typing {
        room: RoomId,
        start: bool,
    },
    Reconnect,
    Close,
}

/// A command written, waiting for the reply with its id.
enum Pending {
    Request {
        reply: oneshot::Sender<Result<ServerEvent>>,
        /// A page that reaches the newest messages extends what the client has.
        observe: Option<RoomId>,
    },
    Send {
        room: RoomId,
        nonce: String,
    },
    Resume {
        rooms: Vec<RoomId>,
        errors: Vec<Error>,
    },
    Baseline(RoomId),
    Ping,
}

/// How a connection ended.
enum End {
    /// The application closed the client (or dropped every handle).
    Quit,
    /// A close code that means stop.
    Stop { code: u16, reason: String },
    /// Reconnect, no sooner than `min_delay`.
    Lost {
        code: u16,
        reason: String,
        min_delay: Duration,
    },
}

fn lost(code: u16, reason: &str) -> End {
    End::Lost {
        code,
        reason: reason.to_owned(),
        min_delay: Duration::ZERO,
    }
}

/// Why the connection closed with `code`, per the protocol.
fn end_for(code: u16, reason: &str) -> End {
    let action = close_action(code);
    let reason = if reason.is_empty() {
        action.reason.to_owned()
    } else {
        reason.to_owned()
    };
    if action.reconnect {
        End::Lost {
            code,
            reason,
            min_delay: action.min_delay,
        }
    } else {
        End::Stop { code, reason }
    }
}

pub(crate) struct Driver {
    cfg: Config,
    cmds: mpsc::UnboundedReceiver<Cmd>,
    events: mpsc::Sender<Event>,
    state: watch::Sender<StateChange>,
    seqs: Arc<Mutex<SeqTracker>>,
    outbox: Outbox,
    typing: TypingThrottle,
    backoff: Backoff,
    /// Requests made while not open.
    waiting: Vec<(ClientCommand, oneshot::Sender<Result<ServerEvent>>)>,
    pending: HashMap<u64, Pending>,
    next_id: u64,
    /// Frames to write (handlers are synchronous; the session loop writes them).
    out: Vec<String>,
    ever_open: bool,
    open: bool,
    rooms: HashSet<RoomId>,
    me: Option<UserId>,
    heartbeat: Duration,
    last_write: Instant,
    ping_sent: Option<Instant>,
    baseline_retry: Vec<(RoomId, Instant)>,
    /// The application does not keep up with its events.
    events_full: bool,
    skip_delay: bool,
}

impl Driver {
    pub(crate) fn new(
        cfg: Config,
        cmds: mpsc::UnboundedReceiver<Cmd>,
        events: mpsc::Sender<Event>,
        state: watch::Sender<StateChange>,
        seqs: Arc<Mutex<SeqTracker>>,
    ) -> Self {
        Driver {
            outbox: Outbox::new(cfg.max_in_flight),
            backoff: cfg.backoff.clone(),
            cfg,
            cmds,
            events,
            state,
            seqs,
            typing: TypingThrottle::default(),
            waiting: Vec::new(),
            pending: HashMap::new(),
            next_id: 1,
            out: Vec::new(),
            ever_open: false,
            open: false,
            rooms: HashSet::new(),
            me: None,
            heartbeat: Duration::from_secs(25),
            last_write: Instant::now(),
            ping_sent: None,
            baseline_retry: Vec::new(),
            events_full: false,
            skip_delay: false,
        }
    }

    pub(crate) async fn run(mut self) {
        let (code, reason) = loop {
            match self.session().await {
                End::Quit => break (1000, "closed".to_owned()),
                End::Stop { code, reason } => break (code, reason),
                End::Lost {
                    code,
                    reason,
                    min_delay,
                } => {
                    let delay = if std::mem::take(&mut self.skip_delay) {
                        Duration::ZERO
                    } else {
                        self.backoff.next_delay().max(min_delay)
                    };
                    self.set_state(self.retry_state(), Some(code), Some(reason), Some(delay));
                    if !self.pause(delay).await {
                        break (1000, "closed".to_owned());
                    }
                }
            }
        };
        self.finish(code, reason);
    }

    fn retry_state(&self) -> State {
        if self.ever_open {
            State::Reconnecting
        } else {
            State::Connecting
        }
    }

    fn set_state(
        &mut self,
        state: State,
        code: Option<u16>,
        reason: Option<String>,
        delay: Option<Duration>,
    ) {
        let change = StateChange {
            state,
            code,
            reason,
            delay,
            reconnected: state == State::Open && self.ever_open,
        };
        self.state.send_replace(change.clone());
        // State changes are also in the watch: never worth dropping a connection for.
        let _ = self.events.try_send(Event::State(change));
    }

    /// Wait out a reconnection delay, queueing what the application asks meanwhile.
    /// False when the client was closed.
    async fn pause(&mut self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        loop {
            // Reconnect only once the application has room for events again.
            let caught_up =
                self.events.capacity() * 2 >= self.events.max_capacity() || self.events.is_closed();
            if Instant::now() >= deadline && caught_up {
                self.events_full = false;
                return true;
            }
            let wake = deadline.max(Instant::now() + Duration::from_millis(50));
            tokio::select! {
                cmd = self.cmds.recv() => match cmd {
                    None | Some(Cmd::Close) => return false,
                    Some(Cmd::Reconnect) => {
                        self.backoff.reset();
                        return true;
                    }
                    Some(other) => self.on_cmd(other),
                },
                () = tokio::time::sleep_until(if caught_up { deadline } else { wake }) => {}
            }
        }
    }

    /// Stopped for good: everything still waiting fails with the reason.
    fn finish(&mut self, code: u16, reason: String) {
        let err = Error::Closed {
            code,
            reason: reason.clone(),
        };
        for (_, reply) in self.waiting.drain(..) {
            let _ = reply.send(Err(err.clone()));
        }
        for (_, p) in self.pending.drain() {
            if let Pending::Request { reply, .. } = p {
                let _ = reply.send(Err(err.clone()));
            }
        }
        self.outbox.fail_all(&err);
        self.set_state(State::Closed, Some(code), Some(reason), None);
    }

    /// One connection, from the handshake to its end.
    async fn session(&mut self) -> End {
        if self.state.borrow().state != self.retry_state() {
            self.set_state(self.retry_state(), None, None, None);
        }
        let request = match self.cfg.url.as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => {
                return End::Stop {
                    code: 1008,
                    reason: format!("invalid url: {e}"),
                };
            }
        };
        let connect = tokio_tungstenite::connect_async(request);
        let ws = match tokio::time::timeout(self.cfg.connect_timeout, connect).await {
            Err(_) => return lost(1006, "connect timeout"),
            Ok(Err(tungstenite::Error::Http(resp))) => return refused(resp.status().as_u16()),
            Ok(Err(_)) => return lost(1006, "connection_lost"),
            Ok(Ok((ws, _))) => ws,
        };
        let (mut sink, mut stream) = ws.split();
        if let Some(token) = &self.cfg.token {
            let auth = ClientFrame {
                id: None,
                command: ClientCommand::Auth {
                    token: token.clone(),
                },
            };
            self.out.push(to_json(&auth));
        }
        let hello_deadline = Instant::now() + self.cfg.connect_timeout;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        let end = loop {
            if !self.flush(&mut sink).await {
                break lost(1006, "connection_lost");
            }
            if self.events_full {
                break lost(4008, "slow_consumer");
            }
            tokio::select! {
                msg = stream.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        self.ping_sent = None;
                        self.on_text(text.as_str());
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame
                            .map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((1005, String::new()));
                        break end_for(code, &reason);
                    }
                    Some(Ok(_)) => self.ping_sent = None,
                    Some(Err(_)) | None => break lost(1006, "connection_lost"),
                },
                cmd = self.cmds.recv() => match cmd {
                    None => break End::Quit,
                    Some(Cmd::Close) => {
                        let _ = sink.send(Message::Close(None)).await;
                        break End::Quit;
                    }
                    Some(Cmd::Reconnect) => {
                        self.backoff.reset();
                        self.skip_delay = true;
                        break lost(4000, "reconnect");
                    }
                    Some(other) => self.on_cmd(other),
                },
                _ = tick.tick() => {
                    if let Some(end) = self.on_tick(hello_deadline) {
                        break end;
                    }
                }
            }
        };
        let _ = sink.close().await;
        self.connection_ended();
        end
    }

    /// Write what the handlers queued. False when the socket failed.
    async fn flush<S>(&mut self, sink: &mut S) -> bool
    where
        S: futures::Sink<Message> + Unpin,
    {
        if self.out.is_empty() {
            return true;
        }
        for text in self.out.drain(..) {
            if sink.feed(Message::text(text)).await.is_err() {
                return false;
            }
        }
        self.last_write = Instant::now();
        sink.flush().await.is_ok()
    }

    /// Timers: the `hello` deadline, the heartbeat, the paused send queue, baselines.
    fn on_tick(&mut self, hello_deadline: Instant) -> Option<End> {
        let now = Instant::now();
        if !self.open {
            return (now >= hello_deadline).then(|| lost(1006, "no hello in time"));
        }
        if let Some(at) = self.ping_sent
            && now.duration_since(at) >= self.cfg.pong_timeout
        {
            // A silent network shows only as an unanswered ping.
            return Some(lost(4009, "heartbeat_timeout"));
        }
        let every = self.cfg.ping_interval.unwrap_or(self.heartbeat);
        if self.ping_sent.is_none() && now.duration_since(self.last_write) >= every {
            self.ping_sent = Some(now);
            self.write(ClientCommand::Ping, Pending::Ping);
        }
        let due: Vec<RoomId> = self
            .baseline_retry
            .iter()
            .filter(|(_, at)| *at <= now)
            .map(|(r, _)| *r)
            .collect();
        self.baseline_retry.retain(|(_, at)| *at > now);
        for room in due {
            self.baseline(room);
        }
        self.pump();
        None
    }

    /// The socket is gone: fail or keep what was pending.
    fn connection_ended(&mut self) {
        self.open = false;
        self.out.clear();
        self.ping_sent = None;
        self.typing.reset();
        self.outbox.requeue();
        self.baseline_retry.clear();
        for (_, p) in self.pending.drain() {
            if let Pending::Request { reply, .. } = p {
                let _ = reply.send(Err(Error::Disconnected));
            }
        }
    }

    fn on_cmd(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Request { command, reply } => {
                if self.open {
                    self.write_request(command, reply);
                } else {
                    self.waiting.push((command, reply));
                }
            }
            Cmd::Send { message, reply } => {
                let probe = ClientFrame {
                    id: Some(u64::MAX),
                    command: ClientCommand::Send {
                        room: message.room,
                        nonce: message.nonce.clone(),
                        body: message.body.clone(),
                        reply_to: message.reply_to,
                        thread_root: None,
                        also_in_room: false,
                        extra: None,
                    },
                };
                let size = to_json(&probe).len();
                if size > self.cfg.max_frame_bytes {
                    let limit = self.cfg.max_frame_bytes;
                    let _ = reply.send(Err(Error::TooLarge { size, limit }));
                    return;
                }
                self.typing.sent(message.room);
                self.outbox.add(message, reply);
                self.pump();
            }
            Cmd::Discard { nonce, reply } => {
                let _ = reply.send(self.outbox.discard(&nonce));
            }
            Cmd::Typing { room, start } => {
                let now = std::time::Instant::now();
                if !self.open {
                    return;
                }
                let command = if start && self.typing.start(room, now) {
                    ClientCommand::TypingStart { room }
                } else if !start && self.typing.stop(room, now) {
                    ClientCommand::TypingStop { room }
                } else {
                    return;
                };
                self.out.push(to_json(&ClientFrame { id: None, command }));
            }
            Cmd::Reconnect | Cmd::Close => {}
        }
    }

    fn write(&mut self, command: ClientCommand, pending: Pending) {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, pending);
        self.out.push(to_json(&ClientFrame {
            id: Some(id),
            command,
        }));
    }

    fn write_request(
        &mut self,
        command: ClientCommand,
        reply: oneshot::Sender<Result<ServerEvent>>,
    ) {
        let size = to_json(&ClientFrame {
            id: Some(u64::MAX),
            command: command.clone(),
        })
        .len();
        if size > self.cfg.max_frame_bytes {
            let limit = self.cfg.max_frame_bytes;
            let _ = reply.send(Err(Error::TooLarge { size, limit }));
            return;
        }
        let observe = match &command {
            ClientCommand::History {
                room,
                before: None,
                thread: None,
                ..
            } => Some(*room),
            _ => None,
        };
        self.write(command, Pending::Request { reply, observe });
    }

    /// Write what the send queue has ready.
    fn pump(&mut self) {
        if !self.open {
            return;
        }
        for command in self.outbox.take_ready(std::time::Instant::now()) {
            let ClientCommand::Send { room, nonce, .. } = &command else {
                continue;
            };
            let pending = Pending::Send {
                room: *room,
                nonce: nonce.clone(),
            };
            self.write(command, pending);
        }
    }
}

/// An upgrade refused with an HTTP status.
fn refused(status: u16) -> End {
    match status {
        401 => End::Stop {
            code: 4001,
            reason: "unauthenticated".into(),
        },
        403 => End::Stop {
            code: 1008,
            reason: "origin_rejected".into(),
        },
        503 => End::Lost {
            code: 1013,
            reason: "server_busy".into(),
            min_delay: Duration::from_secs(5),
        },
        _ => lost(1006, "upgrade refused"),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
