//! Pipelined sends: one live connection's `send`s in flight together.
//!
//! A connection's commands are answered in order. Sends that waited one after
//! another for each commit would bound one connection to one commit per round trip,
//! and give the store's group commit one append per connection to batch. Instead a
//! transport starts a send ([`Chat::start_send`]): the message is admitted (every
//! check of [`Chat::send_message`]: validation, membership, hooks, limits) and its
//! append queued in the store before `start_send` returns, so the transport can
//! read and start the next send while this one commits. It then awaits the
//! [`PendingSend`]s in the order it started them and writes their `sent` replies in
//! that order.
//!
//! Order is kept: sends start one after another, each queued in the store before
//! the next is admitted, and the store sequences a room's appends in the order they
//! are queued, so in a room a connection's messages get their `seq` in the order
//! sent (and `message_created` goes out in `seq` order, see `ordered.rs`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::messages::Admitted;
use super::{Chat, SendMessage};
use crate::error::{Error, Result};
use crate::ids::{RoomId, UserId};
use crate::protocol::ServerEvent;

/// A send started by [`Chat::start_send`]: resolves to its `sent` reply once the
/// message is committed (and broadcast), or to the append's error. Dropping it
/// does not stop the append.
pub struct PendingSend(Pin<Box<dyn Future<Output = Result<ServerEvent>> + Send + 'static>>);

impl std::fmt::Debug for PendingSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingSend")
    }
}

impl Future for PendingSend {
    type Output = Result<ServerEvent>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl Chat {
    /// Start the `send` command of a live connection (request id `id`): returns
    /// once the message is admitted and its append queued, so that a send started
    /// after this one returned is stored after it; an error is the send's refusal.
    /// Await the [`PendingSend`] for the `sent` reply.
    /// Counted as a `send` command in the metrics (as [`Chat::run_command`] counts
    /// the commands it runs).
    pub async fn start_send(
        &self,
        actor: UserId,
        id: Option<u64>,
        room: RoomId,
        input: SendMessage,
    ) -> Result<PendingSend> {
        let started = self.begin_send(actor, id, room, input).await;
        crate::metrics::command("send", started.as_ref().err());
        started
    }

    /// [`Chat::start_send`] without the metrics (for `run_command`, which counts).
    pub(super) async fn begin_send(
        &self,
        actor: UserId,
        id: Option<u64>,
        room: RoomId,
        input: SendMessage,
    ) -> Result<PendingSend> {
        self.require_verified(actor).await?;
        let nonce = input.nonce.clone().unwrap_or_default();
        let sent = move |message: &crate::model::Message| ServerEvent::Sent {
            id,
            nonce,
            room: message.room_id,
            message_id: message.id,
            seq: message.seq,
        };
        match self.admit_post(actor, room, input, None).await? {
            Admitted::Stored(first) => {
                let reply = sent(&first);
                Ok(PendingSend(Box::pin(async move { Ok(reply) })))
            }
            Admitted::New(new, kind) => {
                let task = self.queue_append(new, (kind, actor));
                Ok(PendingSend(Box::pin(async move {
                    let message = task.await.map_err(Error::backend)??;
                    Ok(sent(&message))
                })))
            }
        }
    }
}
