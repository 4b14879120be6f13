//! The handle an application holds: configuration, commands, state, events.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chatcore::protocol::{ClientCommand, HistoryPage, ServerEvent};
use chatcore::{MessageId, RoomId, Seq};
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::Config;
use crate::driver::{Cmd, Driver};
use crate::error::{Error, Result};
use crate::events::{Event, State, StateChange};
use crate::outbox::{OutgoingMessage, Sent, new_nonce};
use crate::seqs::SeqTracker;

/// The application's end of the event stream.
pub struct Events {
    pub(crate) rx: mpsc::Receiver<Event>,
}

impl Events {
    /// The next event; None once the client stopped and everything was read.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }
}

/// A connected client: cheap to clone, usable from many tasks. The connection lives
/// in a background task until [`Client::close`] or until every clone is dropped.
#[derive(Clone)]
pub struct Client {
    cmds: mpsc::UnboundedSender<Cmd>,
    state: watch::Receiver<StateChange>,
    seqs: Arc<Mutex<SeqTracker>>,
    request_timeout: Duration,
    send_timeout: Option<Duration>,
}

impl Client {
    /// Start the connection (in a task of the current tokio runtime).
    pub fn connect(config: Config) -> (Client, Events) {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::channel(config.event_buffer);
        let (state_tx, state_rx) = watch::channel(StateChange {
            state: State::Connecting,
            code: None,
            reason: None,
            delay: None,
            reconnected: false,
        });
        let seqs = Arc::new(Mutex::new(SeqTracker::from_points(
            config.resume_from.clone(),
        )));
        let client = Client {
            cmds: cmd_tx,
            state: state_rx,
            seqs: seqs.clone(),
            request_timeout: config.request_timeout,
            send_timeout: config.send_timeout,
        };
        tokio::spawn(Driver::new(config, cmd_rx, ev_tx, state_tx, seqs).run());
        (client, Events { rx: ev_rx })
    }

    /// The current state.
    pub fn state(&self) -> StateChange {
        self.state.borrow().clone()
    }

    /// Wait until the connection is open; an error if the client closes first.
    pub async fn wait_open(&self) -> Result<()> {
        let mut rx = self.state.clone();
        loop {
            let now = rx.borrow_and_update().clone();
            match now.state {
                State::Open => return Ok(()),
                State::Closed => return Err(closed_error(&now)),
                _ => {}
            }
            if rx.changed().await.is_err() {
                return Err(self.closed_error());
            }
        }
    }

    /// Wait until the client stopped; why.
    pub async fn wait_closed(&self) -> StateChange {
        let mut rx = self.state.clone();
        loop {
            let now = rx.borrow_and_update().clone();
            if now.state == State::Closed || rx.changed().await.is_err() {
                return self.state();
            }
        }
    }

    /// Resume points per room: what to persist.
    pub fn seqs(&self) -> BTreeMap<RoomId, Seq> {
        self.seqs.lock().map(|s| s.points()).unwrap_or_default()
    }

    /// Close for good: pending commands and queued messages fail with `closed`.
    pub fn close(&self) {
        let _ = self.cmds.send(Cmd::Close);
    }

    /// Drop the connection and reconnect at once.
    pub fn reconnect(&self) {
        let _ = self.cmds.send(Cmd::Reconnect);
    }

    fn closed_error(&self) -> Error {
        closed_error(&self.state.borrow())
    }

    async fn call<T>(&self, cmd: Cmd, rx: oneshot::Receiver<Result<T>>) -> Result<T> {
        if self.cmds.send(cmd).is_err() {
            return Err(self.closed_error());
        }
        match tokio::time::timeout(self.request_timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => Err(Error::Timeout { written: true }),
        }
    }

    /// Send a text message; resolves once stored — exactly once, across reconnects.
    pub async fn send(&self, room: RoomId, body: impl Into<String>) -> Result<Sent> {
        self.send_message(OutgoingMessage {
            room,
            body: body.into(),
            reply_to: None,
            nonce: new_nonce(),
        })
        .await
    }

    /// Send with every option: a reply, a nonce of one's own (to retry a send whose
    /// outcome is unknown, or to make an answer idempotent).
    pub async fn send_message(&self, message: OutgoingMessage) -> Result<Sent> {
        let nonce = message.nonce.clone();
        let (tx, rx) = oneshot::channel();
        if self.cmds.send(Cmd::Send { message, reply: tx }).is_err() {
            return Err(self.closed_error());
        }
        let Some(limit) = self.send_timeout else {
            return rx.await.unwrap_or_else(|_| Err(self.closed_error()));
        };
        let mut rx = rx;
        match tokio::time::timeout(limit, &mut rx).await {
            Ok(r) => r.unwrap_or_else(|_| Err(self.closed_error())),
            Err(_) => {
                let (dtx, drx) = oneshot::channel();
                let _ = self.cmds.send(Cmd::Discard { nonce, reply: dtx });
                match drx.await.ok().flatten() {
                    Some(written) => Err(Error::Timeout { written }),
                    // Settled meanwhile.
                    None => rx.await.unwrap_or_else(|_| Err(self.closed_error())),
                }
            }
        }
    }

    /// Any command; its reply (`ack`, `history`, `pong`…) or the server's error.
    pub async fn request(&self, command: ClientCommand) -> Result<ServerEvent> {
        let (tx, rx) = oneshot::channel();
        self.call(Cmd::Request { command, reply: tx }, rx).await
    }

    /// Join a room (public, or invited), or make sure this connection receives it.
    pub async fn join(&self, room: RoomId, password: Option<String>) -> Result<()> {
        self.request(ClientCommand::Join {
            room,
            since: None,
            password,
        })
        .await
        .map(drop)
    }

    /// Leave a room.
    pub async fn leave(&self, room: RoomId) -> Result<()> {
        self.request(ClientCommand::Leave { room }).await.map(drop)
    }

    /// Edit one's message.
    pub async fn edit(&self, message: MessageId, body: impl Into<String>) -> Result<()> {
        let body = body.into();
        self.request(ClientCommand::Edit {
            message,
            body,
            extra: None,
        })
        .await
        .map(drop)
    }

    /// Delete a message.
    pub async fn delete(&self, message: MessageId) -> Result<()> {
        self.request(ClientCommand::Delete { message })
            .await
            .map(drop)
    }

    /// Application-level ping.
    pub async fn ping(&self) -> Result<()> {
        self.request(ClientCommand::Ping).await.map(drop)
    }

    /// A page of history, ascending by seq (`before`: page backwards, `after`:
    /// forwards, neither: the newest page).
    pub async fn history(
        &self,
        room: RoomId,
        before: Option<Seq>,
        after: Option<Seq>,
        limit: Option<u32>,
    ) -> Result<HistoryPage> {
        let reply = self
            .request(ClientCommand::History {
                room,
                before,
                after,
                limit,
                thread: None,
            })
            .await?;
        match reply {
            ServerEvent::History { page, .. } => Ok(page),
            other => Err(Error::Transport(format!("unexpected reply {other:?}"))),
        }
    }

    /// Every message after `after`, paging forward to the newest.
    pub async fn history_after(
        &self,
        room: RoomId,
        after: Seq,
    ) -> Result<Vec<chatcore::model::Message>> {
        crate::paging::forward(after, |cursor| {
            self.history(room, None, Some(cursor), Some(crate::paging::PAGE))
        })
        .await
    }

    /// The user types in `room`: call on every keystroke (throttled; dropped offline).
    pub fn typing(&self, room: RoomId) {
        let _ = self.cmds.send(Cmd::Typing { room, start: true });
    }

    /// The user stopped typing in `room`.
    pub fn stop_typing(&self, room: RoomId) {
        let _ = self.cmds.send(Cmd::Typing { room, start: false });
    }
}

fn closed_error(s: &StateChange) -> Error {
    Error::Closed {
        code: s.code.unwrap_or(1000),
        reason: s.reason.clone().unwrap_or_else(|| "closed".into()),
    }
}
