//! The command task: each Socket.IO event is a chatcore [`ClientCommand`] (the event
//! name is its `type`, the data its fields), run by [`chatcore::Chat`] and answered
//! through the Socket.IO ack with the event the WebSocket would send (`ack`, `sent`,
//! `history`, `pong` or `error`).

use std::sync::Arc;

use chatcore::hub::{CloseReason, ConnId};
use chatcore::protocol::{ClientCommand, ServerEvent};
use chatcore::rate::Limiter;
use chatcore::{Chat, Error, Outcome, UserId};
use serde_json::Value;
use socketioxide::extract::AckSender;
use tokio::sync::{mpsc, watch};

use crate::Translate;
use crate::signal::{ToPump, gone_signal};

/// An event from the client.
pub(crate) struct Command {
    pub(crate) name: String,
    pub(crate) data: Value,
    pub(crate) ack: AckSender,
}

impl Command {
    /// Answer with an error.
    pub(crate) fn refuse(self, err: &Error) {
        let _ = self.ack.send(&ServerEvent::error(None, err));
    }
}

/// What a command answers.
enum Answer {
    /// This event, now.
    Now(Box<ServerEvent>),
    /// `ack`, once the pump has replayed these rooms.
    Replay(Vec<(chatcore::RoomId, chatcore::Seq)>),
}

pub(crate) struct Commands {
    pub(crate) chat: Chat,
    pub(crate) user: UserId,
    pub(crate) conn: ConnId,
    pub(crate) limiter: Limiter,
    /// The limiter's burst: as many refusals in a row disconnect the socket.
    pub(crate) burst: u32,
    /// Commands refused in a row.
    pub(crate) refused: u32,
    /// Unreadable commands so far, and how many disconnect the socket.
    pub(crate) bad: u32,
    pub(crate) max_bad: u32,
    pub(crate) pump: mpsc::Sender<ToPump>,
    pub(crate) names: Arc<dyn Translate>,
}

/// A bad command's error.
fn bad_frame(message: String) -> ServerEvent {
    ServerEvent::Error {
        id: None,
        code: chatcore_axum::error::codes::BAD_FRAME.to_owned(),
        message,
        field: None,
        retry_after_ms: None,
    }
}

/// Read a command: the event name is its `type`, the data (an object, or nothing)
/// its fields.
fn parse(name: &str, data: Value) -> Result<ClientCommand, String> {
    let mut fields = match data {
        Value::Null => serde_json::Map::new(),
        Value::Object(map) => map,
        _ => return Err("a command's data must be an object".to_owned()),
    };
    fields.insert("type".to_owned(), Value::String(name.to_owned()));
    serde_json::from_value(Value::Object(fields)).map_err(|e| {
        let mut message = format!("not a valid command: {e}");
        let mut cut = message.len().min(200);
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message
    })
}

impl Commands {
    /// Run commands one at a time, in order, until the socket goes.
    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::Receiver<Command>,
        mut gone: watch::Receiver<bool>,
    ) {
        loop {
            let cmd = tokio::select! {
                biased;
                () = gone_signal(&mut gone) => return,
                cmd = rx.recv() => cmd,
            };
            let Some(cmd) = cmd else { return };
            if let Some(reason) = self.one(cmd).await {
                let _ = self.pump.send(ToPump::Close(reason)).await;
                return;
            }
        }
    }

    /// Run one command; a close reason when the socket must go.
    async fn one(&mut self, cmd: Command) -> Option<CloseReason> {
        if let Err(err) = self.limiter.check() {
            // More refusals in a row than the burst: the client ignores the errors.
            self.refused = self.refused.saturating_add(1);
            if self.refused > self.burst {
                return Some(CloseReason::RateLimited);
            }
            cmd.refuse(&err);
            return None;
        }
        self.refused = 0;
        let Command { name, data, ack } = cmd;
        let (name, data) = self.names.command(name, data);
        let command = match parse(&name, data) {
            Ok(c) => c,
            Err(message) => {
                self.bad = self.bad.saturating_add(1);
                if self.bad > self.max_bad {
                    return Some(CloseReason::ProtocolError);
                }
                let _ = ack.send(&bad_frame(message));
                return None;
            }
        };
        match self.command(command).await {
            Ok(Answer::Now(event)) => {
                let _ = ack.send(&event);
            }
            Ok(Answer::Replay(rooms)) => {
                let replay = ToPump::Replay {
                    rooms,
                    ack: Some(ack),
                };
                if self.pump.send(replay).await.is_err() {
                    return None;
                }
            }
            Err(e) => {
                if let Error::Backend(_) = &e {
                    tracing::error!(error = %e, "socket.io command failed");
                }
                let _ = ack.send(&ServerEvent::error(None, &e));
            }
        }
        None
    }

    async fn command(&mut self, command: ClientCommand) -> chatcore::Result<Answer> {
        Ok(
            match self
                .chat
                .run_command(self.user, self.conn, None, command)
                .await?
            {
                Outcome::Reply(event) => Answer::Now(event),
                Outcome::Replay(rooms) => Answer::Replay(rooms),
            },
        )
    }
}
