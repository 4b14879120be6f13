//! The protocol's commands run against the service, once for every transport (the
//! WebSocket endpoint, Socket.IO): a transport parses frames, limits their rate and
//! writes what comes back; what each command does lives here.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::hub::ConnId;
use crate::ids::{RoomId, Seq, UserId};
use crate::model::PageRequest;
use crate::protocol::{ClientCommand, PROTOCOL_VERSION, ServerEvent};

use super::{Chat, SendMessage};

/// What a command asks of the transport.
#[derive(Debug)]
pub enum Outcome {
    /// Answer with this event (`ack`, `sent`, `history`, `pong`). An `ack` with no
    /// request id may be left unsent.
    Reply(Box<ServerEvent>),
    /// Replay the messages after these sequence numbers (`join` with `since`,
    /// `resume`) in order with the live events, then `ack`.
    Replay(Vec<(RoomId, Seq)>),
}

impl Chat {
    /// The `hello` a live connection of `user` starts with: the user, their rooms and
    /// their read state in each, and the heartbeat the transport keeps.
    pub async fn hello(&self, user: UserId, heartbeat: Duration) -> Result<ServerEvent> {
        Ok(ServerEvent::Hello {
            protocol: PROTOCOL_VERSION,
            user: self.get_user(user).await?,
            rooms: self.my_room_ids(user).await?,
            read_states: self.read_states(user).await?,
            timeouts: self.my_timeouts(user).await?,
            heartbeat_ms: u64::try_from(heartbeat.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Run one command of an authenticated live connection `conn` of `user`; `id` is
    /// the request id the reply carries. `auth` is refused (the connection is
    /// authenticated already).
    pub async fn run_command(
        &self,
        user: UserId,
        conn: ConnId,
        id: Option<u64>,
        command: ClientCommand,
    ) -> Result<Outcome> {
        let kind = crate::metrics::command_kind(&command);
        let result = Box::pin(self.dispatch_command(user, conn, id, command)).await;
        crate::metrics::command(kind, result.as_ref().err());
        result
    }

    /// [`Chat::run_command`], unmeasured.
    async fn dispatch_command(
        &self,
        user: UserId,
        conn: ConnId,
        id: Option<u64>,
        command: ClientCommand,
    ) -> Result<Outcome> {
        let ack = Outcome::Reply(Box::new(ServerEvent::Ack { id }));
        Ok(match command {
            ClientCommand::Auth { .. } => {
                return Err(Error::invalid(
                    "type",
                    "this connection is authenticated already",
                ));
            }
            ClientCommand::Join {
                room,
                since,
                password,
            } => {
                self.join_or_subscribe(user, conn, room, password.as_deref())
                    .await?;
                match since {
                    Some(since) => Outcome::Replay(vec![(room, since)]),
                    None => ack,
                }
            }
            ClientCommand::Leave { room } => {
                self.leave_room(user, room).await?;
                ack
            }
            ClientCommand::Resume { rooms } => Outcome::Replay(rooms.into_iter().collect()),
            ClientCommand::Send {
                room,
                nonce,
                body,
                reply_to,
                thread_root,
                also_in_room,
                extra,
            } => {
                // The same path as a pipelined send, awaited at once.
                let sent = self
                    .begin_send(
                        user,
                        id,
                        room,
                        SendMessage {
                            body,
                            reply_to,
                            nonce: Some(nonce),
                            thread_root,
                            also_in_room,
                            extra,
                        },
                    )
                    .await?
                    .await?;
                Outcome::Reply(Box::new(sent))
            }
            ClientCommand::Edit {
                message,
                body,
                extra,
            } => {
                self.edit_message_extra(user, message, &body, extra).await?;
                ack
            }
            ClientCommand::Delete { message } => {
                self.delete_message(user, message).await?;
                ack
            }
            ClientCommand::TypingStart { room } => {
                self.typing(user, room, true).await?;
                ack
            }
            ClientCommand::TypingStop { room } => {
                self.typing(user, room, false).await?;
                ack
            }
            ClientCommand::History {
                room,
                before,
                after,
                limit,
                thread,
            } => {
                let page = PageRequest {
                    before,
                    after,
                    limit: limit.unwrap_or(0),
                };
                let page = match thread {
                    None => self.history(user, room, page).await?,
                    Some(root) => self.thread_history(user, room, root, page).await?,
                };
                Outcome::Reply(Box::new(ServerEvent::History { id, page }))
            }
            ClientCommand::Ping => Outcome::Reply(Box::new(ServerEvent::Pong { id })),
            ClientCommand::React { message, emoji } => {
                self.add_reaction(user, message, &emoji).await?;
                ack
            }
            ClientCommand::Unreact { message, emoji } => {
                self.remove_reaction(user, message, &emoji).await?;
                ack
            }
            ClientCommand::Pin { message } => {
                self.pin_message(user, message).await?;
                ack
            }
            ClientCommand::Unpin { message } => {
                self.unpin_message(user, message).await?;
                ack
            }
            ClientCommand::MarkRead { room, seq } => {
                self.mark_read(user, room, seq).await?;
                ack
            }
            ClientCommand::SetNotifications { room, level } => {
                self.set_notifications(user, room, level).await?;
                ack
            }
        })
    }
}
