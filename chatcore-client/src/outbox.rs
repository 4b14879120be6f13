//! The send queue. A message gets a nonce when it is queued and keeps it until the
//! server answers `sent`: written while online, written again with the same nonce
//! after a reconnect if the answer was lost, and the server stores a nonce once — so
//! it is delivered exactly once however often the connection drops.
//!
//! Up to `max_in_flight` sends are written before their answers (the server handles
//! a connection's commands in order, so order is kept); a rate-limited send goes back
//! to its place and the queue pauses for `retry_after_ms`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chatcore::protocol::ClientCommand;
use chatcore::{MessageId, RoomId, Seq};
use tokio::sync::oneshot;

use crate::error::Error;

/// The server's answer to a send: the stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The nonce of the send.
    pub nonce: String,
    /// Room.
    pub room: RoomId,
    /// The stored message.
    pub message_id: MessageId,
    /// Its sequence number.
    pub seq: Seq,
}

/// A new nonce: 128 random bits.
pub fn new_nonce() -> String {
    format!("c-{:032x}", rand::random::<u128>())
}

/// A message to send.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// Room.
    pub room: RoomId,
    /// Text.
    pub body: String,
    /// Message replied to.
    pub reply_to: Option<MessageId>,
    /// Idempotency nonce.
    pub nonce: String,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum EntryState {
    Queued,
    InFlight,
}

struct Entry {
    msg: OutgoingMessage,
    state: EntryState,
    written: bool,
    reply: oneshot::Sender<Result<Sent, Error>>,
}

/// Errors after which the same send is tried again.
fn retryable(err: &Error) -> bool {
    matches!(
        err.code(),
        "rate_limited" | "internal" | "concurrent_update"
    )
}

/// Messages not yet confirmed, in the order they were queued.
pub(crate) struct Outbox {
    entries: VecDeque<Entry>,
    max_in_flight: usize,
    paused_until: Option<Instant>,
}

impl Outbox {
    pub(crate) fn new(max_in_flight: usize) -> Self {
        Outbox {
            entries: VecDeque::new(),
            max_in_flight: max_in_flight.max(1),
            paused_until: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Queue a message (a second send of a queued nonce joins the first: its answer
    /// goes to the later caller).
    pub(crate) fn add(
        &mut self,
        msg: OutgoingMessage,
        reply: oneshot::Sender<Result<Sent, Error>>,
    ) {
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.msg.nonce == msg.nonce && e.msg.room == msg.room)
        {
            e.reply = reply;
            return;
        }
        self.entries.push_back(Entry {
            msg,
            state: EntryState::Queued,
            written: false,
            reply,
        });
    }

    /// How long the queue is paused for.
    pub(crate) fn paused_for(&self, now: Instant) -> Option<Duration> {
        self.paused_until
            .filter(|&t| t > now)
            .map(|t| t.duration_since(now))
    }

    /// The `send` commands to write now, in order; marked in flight.
    pub(crate) fn take_ready(&mut self, now: Instant) -> Vec<ClientCommand> {
        if self.paused_for(now).is_some() {
            return Vec::new();
        }
        let mut in_flight = self
            .entries
            .iter()
            .filter(|e| e.state == EntryState::InFlight)
            .count();
        let mut out = Vec::new();
        for e in &mut self.entries {
            if in_flight >= self.max_in_flight {
                break;
            }
            if e.state != EntryState::Queued {
                continue;
            }
            e.state = EntryState::InFlight;
            e.written = true;
            in_flight += 1;
            out.push(ClientCommand::Send {
                room: e.msg.room,
                nonce: e.msg.nonce.clone(),
                body: e.msg.body.clone(),
                reply_to: e.msg.reply_to,
                thread_root: None,
                also_in_room: false,
                extra: None,
            });
        }
        out
    }

    fn position(&self, room: RoomId, nonce: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.msg.room == room && e.msg.nonce == nonce)
    }

    /// `sent` arrived.
    pub(crate) fn sent(&mut self, sent: Sent) {
        if let Some(i) = self.position(sent.room, &sent.nonce)
            && let Some(e) = self.entries.remove(i)
        {
            let _ = e.reply.send(Ok(sent));
        }
    }

    /// A send was refused: retryable errors put it back and pause the queue (false);
    /// others settle it (true, with what was refused).
    pub(crate) fn refused(
        &mut self,
        room: RoomId,
        nonce: &str,
        err: Error,
        now: Instant,
    ) -> Option<(OutgoingMessage, bool)> {
        let i = self.position(room, nonce)?;
        if retryable(&err) {
            let wait = match &err {
                Error::Server {
                    retry_after: Some(d),
                    ..
                } => *d,
                _ => Duration::from_secs(1),
            }
            .max(Duration::from_millis(100));
            let until = now + wait;
            self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
            let e = &mut self.entries[i];
            e.state = EntryState::Queued;
            return Some((e.msg.clone(), false));
        }
        let e = self.entries.remove(i)?;
        let _ = e.reply.send(Err(err));
        Some((e.msg, true))
    }

    /// The connection dropped: what was in flight is written again on the next one.
    pub(crate) fn requeue(&mut self) {
        for e in &mut self.entries {
            e.state = EntryState::Queued;
        }
    }

    /// Give up a message; whether it had been written. None if it is not queued.
    pub(crate) fn discard(&mut self, nonce: &str) -> Option<bool> {
        let i = self.entries.iter().position(|e| e.msg.nonce == nonce)?;
        self.entries.remove(i).map(|e| e.written)
    }

    /// Fail every message (the client stopped).
    pub(crate) fn fail_all(&mut self, err: &Error) {
        for e in self.entries.drain(..) {
            let _ = e.reply.send(Err(err.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(room: RoomId, body: &str) -> OutgoingMessage {
        OutgoingMessage {
            room,
            body: body.into(),
            reply_to: None,
            nonce: new_nonce(),
        }
    }

    fn nonce_of(c: &ClientCommand) -> String {
        match c {
            ClientCommand::Send { nonce, .. } => nonce.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn window_requeue_retry_and_final_errors() {
        let r = RoomId::new();
        let now = Instant::now();
        let mut o = Outbox::new(2);
        let (t1, r1) = oneshot::channel();
        let (t2, r2) = oneshot::channel();
        let (t3, r3) = oneshot::channel();
        o.add(msg(r, "1"), t1);
        o.add(msg(r, "2"), t2);
        o.add(msg(r, "3"), t3);
        let first: Vec<String> = o.take_ready(now).iter().map(nonce_of).collect();
        assert_eq!(first.len(), 2);
        assert!(o.take_ready(now).is_empty(), "window full");
        o.requeue();
        let again: Vec<String> = o.take_ready(now).iter().map(nonce_of).collect();
        assert_eq!(again, first, "same nonces, same order");
        o.sent(Sent {
            nonce: first[0].clone(),
            room: r,
            message_id: MessageId::new(),
            seq: 1,
        });
        assert_eq!(r1.await.unwrap().unwrap().seq, 1);
        let limited = Error::from_event("rate_limited", "slow", Some(500));
        assert_eq!(
            o.refused(r, &first[1], limited, now).map(|x| x.1),
            Some(false)
        );
        assert!(o.take_ready(now).is_empty(), "paused");
        let later = now + Duration::from_millis(600);
        let next: Vec<String> = o.take_ready(later).iter().map(nonce_of).collect();
        assert_eq!(next[0], first[1]);
        let refused = Error::from_event("forbidden", "no", None);
        assert_eq!(
            o.refused(r, &next[1], refused, later).map(|x| x.1),
            Some(true)
        );
        assert_eq!(r3.await.unwrap().unwrap_err().code(), "forbidden");
        assert_eq!(o.discard(&next[0]), Some(true));
        assert!(r2.await.is_err(), "discarded: the caller reports it");
        assert_eq!(o.len(), 0);
    }
}
