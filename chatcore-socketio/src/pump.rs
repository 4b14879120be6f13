//! One socket's two tasks: the pump (the only code that emits to the socket: the
//! `hello`, replays and the hub's events, in one ordered stream, without
//! duplicates) and the command task ([`crate::command`]), which runs the client's
//! events one at a time, in the order sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use chatcore::hub::CloseReason;
use chatcore::protocol::ServerEvent;
use chatcore::rate::{Limiter, Rate};
use chatcore::{ChatConnection, Frame, RoomId, Seq, UserId};
use chatcore_axum::{Actor, ChatState, ConnectionSlot, Delivered};
use serde_json::Value;
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use socketioxide::{SendError, SocketError};
use tokio::sync::{Notify, mpsc, watch};

use crate::Translate;
use crate::command::{Command, Commands};
use crate::signal::{ToPump, gone_signal};

/// Commands queued for one socket at most (its burst, when smaller).
const MAX_QUEUED: usize = 256;

/// Put in a socket's extensions by the connect middleware; the connect handler,
/// which socketioxide runs once the client has its CONNECT packet, notifies it: the
/// pump emits nothing before (an event before the CONNECT is dropped by the client).
#[derive(Clone)]
pub(crate) struct Connected(Arc<Notify>);

/// The connect handler: let the socket's pump start.
pub(crate) fn connected(socket: &SocketRef) {
    if let Some(Connected(notify)) = socket.extensions.remove::<Connected>() {
        notify.notify_one();
    }
}

/// The socket went away (or cannot take more).
struct Gone;

/// Start the tasks of an authenticated, registered socket.
pub(crate) fn spawn(
    state: ChatState,
    names: Arc<dyn Translate>,
    socket: SocketRef,
    actor: Actor,
    (conn, slot): (ChatConnection, ConnectionSlot),
    hello: ServerEvent,
    resume: BTreeMap<RoomId, Seq>,
) {
    let ws = &state.config().ws;
    let burst = ws.command_burst.max(1);
    let depth = usize::try_from(burst).unwrap_or(1).min(MAX_QUEUED);
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(depth);
    let (pump_tx, pump_rx) = mpsc::channel::<ToPump>(4);
    let (gone_tx, gone_rx) = watch::channel(false);
    let gone_tx = Arc::new(gone_tx);
    // Every event is a command; the queue is as deep as the command burst, and a
    // command that finds it full is refused like one over the rate.
    socket.on_fallback(
        move |Event(name): Event, TryData(data): TryData<Value>, ack: AckSender| {
            let tx = cmd_tx.clone();
            async move {
                let data = data.unwrap_or(Value::Null);
                if let Err(mpsc::error::TrySendError::Full(cmd)) =
                    tx.try_send(Command { name, data, ack })
                {
                    cmd.refuse(&chatcore::Error::RateLimited {
                        retry_after: std::time::Duration::from_secs(1),
                    });
                }
            }
        },
    );
    socket.on_disconnect(move || {
        let gone = gone_tx.clone();
        async move {
            gone.send_replace(true);
        }
    });
    let per = std::time::Duration::from_secs(1) / ws.commands_per_sec.max(1);
    let commands = Commands {
        chat: state.chat().clone(),
        user: actor.user,
        conn: conn.id(),
        limiter: Limiter::new(Some(Rate::new(burst, per))),
        burst,
        refused: 0,
        bad: 0,
        max_bad: ws.max_bad_frames,
        pump: pump_tx,
        names: names.clone(),
    };
    tokio::spawn(commands.run(cmd_rx, gone_rx.clone()));
    let connected = Arc::new(Notify::new());
    socket.extensions.insert(Connected(connected.clone()));
    let pump = Pump {
        state: state.clone(),
        socket,
        user: actor.user,
        delivered: Delivered::default(),
        batch: ws.batch.max(1),
        names,
        _slot: slot,
    };
    tokio::spawn(pump.run(connected, conn, hello, resume, pump_rx, gone_rx));
}

struct Pump {
    state: ChatState,
    socket: SocketRef,
    user: UserId,
    delivered: Delivered,
    batch: usize,
    names: Arc<dyn Translate>,
    /// The socket's share of the server's connection cap, freed when the pump ends.
    _slot: ConnectionSlot,
}

impl Pump {
    async fn run(
        mut self,
        connected: Arc<Notify>,
        mut conn: ChatConnection,
        hello: ServerEvent,
        resume: BTreeMap<RoomId, Seq>,
        mut rx: mpsc::Receiver<ToPump>,
        mut gone: watch::Receiver<bool>,
    ) {
        let started = tokio::select! {
            () = connected.notified() => true,
            () = gone_signal(&mut gone) => false,
        };
        let reason = match started {
            true => {
                self.deliver(&mut conn, hello, resume, &mut rx, &mut gone)
                    .await
            }
            false => None,
        };
        // Counted like the WebSocket transport's closes: our reason's code, or 1000
        // when the client went away (or never finished connecting).
        chatcore::metrics::closed(reason.map_or(1000, CloseReason::code));
        if let Some(reason) = reason {
            let close = serde_json::json!({ "code": reason.code(), "reason": reason.as_str() });
            let _ = self.socket.emit("close", &close);
            let _ = self.socket.clone().disconnect();
        }
        conn.close().await;
    }

    /// Emit until the socket or the hub connection ends: the close reason to tell
    /// the client, or None when the socket is already gone.
    async fn deliver(
        &mut self,
        conn: &mut ChatConnection,
        hello: ServerEvent,
        resume: BTreeMap<RoomId, Seq>,
        rx: &mut mpsc::Receiver<ToPump>,
        gone: &mut watch::Receiver<bool>,
    ) -> Option<CloseReason> {
        if self.event(&hello).is_err() {
            return None;
        }
        // What the client missed, before any live event (those wait in the hub
        // queue, and the ones replayed here are dropped when they come).
        if self.replay(resume.into_iter().collect()).await.is_err() {
            return None;
        }
        let mut buf: Vec<Frame> = Vec::new();
        loop {
            tokio::select! {
                biased;
                () = gone_signal(gone) => return None,
                msg = rx.recv() => match msg {
                    None => return None,
                    Some(ToPump::Close(reason)) => return Some(reason),
                    Some(ToPump::Replay { rooms, ack }) => {
                        if self.replay(rooms).await.is_err() {
                            return None;
                        }
                        if let Some(ack) = ack {
                            let _ = ack.send(&ServerEvent::Ack { id: None });
                        }
                    }
                },
                n = conn.connection().recv_many(&mut buf, self.batch) => {
                    if n == 0 {
                        // The hub closed this connection (revoked session, ban from
                        // the site, deleted account, slow consumer…).
                        let reason = conn.connection().close_reason();
                        return Some(reason.unwrap_or(CloseReason::ServerShutdown));
                    }
                    for frame in buf.drain(..) {
                        if let Some((room, seq)) = frame.seq
                            && !self.delivered.first_delivery(room, seq)
                        {
                            continue;
                        }
                        match self.frame(&frame) {
                            Ok(()) => {}
                            Err(Gone) if self.socket.connected() => {
                                return Some(CloseReason::SlowConsumer);
                            }
                            Err(Gone) => return None,
                        }
                    }
                }
            }
        }
    }

    /// Emit a hub frame under its `type`.
    fn frame(&self, frame: &Frame) -> Result<(), Gone> {
        let Ok(value) = serde_json::from_slice::<Value>(&frame.json) else {
            return Ok(());
        };
        self.emit(value)
    }

    fn event(&self, event: &ServerEvent) -> Result<(), Gone> {
        match serde_json::to_value(event) {
            Ok(value) => self.emit(value),
            Err(_) => Ok(()),
        }
    }

    fn emit(&self, value: Value) -> Result<(), Gone> {
        for (name, value) in self.names.event(value) {
            match self.socket.emit(name, &value) {
                Ok(()) => {}
                Err(SendError::Socket(SocketError::Closed | SocketError::InternalChannelFull)) => {
                    return Err(Gone);
                }
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Emit, per room, every message after the client's `since`, page by page, in
    /// order, as `message_created` events; [`Delivered`] drops the live copies of
    /// replayed messages and the replayed copies of live ones.
    async fn replay(&mut self, rooms: Vec<(RoomId, Seq)>) -> Result<(), Gone> {
        let chat = self.state.chat().clone();
        for (room, since) in rooms {
            self.delivered.mark_upto(room, since);
            let mut cursor = since.max(0);
            loop {
                let page = match chat.missed(self.user, room, cursor).await {
                    Ok(page) => page,
                    Err(e) => {
                        self.event(&ServerEvent::error(None, &e))?;
                        break;
                    }
                };
                let last = page.messages.last().map(|m| m.seq);
                if let Some(start) = page.history_start_seq {
                    self.event(&ServerEvent::HistoryStart {
                        room,
                        history_start_seq: start,
                    })?;
                }
                for message in page.messages {
                    if self.delivered.first_delivery(room, message.seq) {
                        self.event(&ServerEvent::MessageCreated { message })?;
                    }
                }
                match last {
                    Some(seq) if page.has_more && seq > cursor => cursor = seq,
                    _ => break,
                }
            }
        }
        Ok(())
    }
}
