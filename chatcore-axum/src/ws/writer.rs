//! The writer task: the only code that writes to a socket.
//!
//! It merges three sources in one ordered stream: replies from the reader (through a
//! small channel), replays of missed messages (read here, so that nothing published
//! after the read can overtake them), and the hub queue (taken up to `batch` frames
//! at a time, framed into one buffer and written with one `write()`, see
//! [`super::transport`]). It also sends the heartbeat pings.
//!
//! ## Batching (the write policy)
//!
//! A `write()` to a socket costs several microseconds whatever it carries, so under
//! fan-out load the number of writes, not the bytes, bounds throughput. The writer
//! writes what has queued when it wakes, all of it (up to `batch` frames), in one
//! `write()`, with no timer and no rate threshold:
//!
//! - a lone event leaves at once: the hub wakes the writer, which runs as soon as the
//!   core is free and finds that one frame;
//! - on a busy core the writer runs later, after the tasks that were ready before it
//!   (other connections' writers, the readers and fan-out producing more events), and
//!   finds everything that arrived meanwhile: the busier the core, the larger the
//!   batches, by themselves.
//!
//! The buffers are sized for the steady state: after a batch much smaller than the
//! room they have (the tail of a burst), the batch vector and the hub queue's storage
//! are given back, so that a burst (a presence ramp, a replay) does not leave every
//! connection holding its peak.

use std::time::Duration;

use chatcore::hub::CloseReason;
use chatcore::protocol::ServerEvent;
use chatcore::{ChatConnection, Frame, RoomId, Seq, UserId};
use futures::{FutureExt, StreamExt};
use tokio::time::{Instant, MissedTickBehavior};

use super::tracker::Delivered;
use super::transport::{FrameWriter, WriteIo};
use crate::state::ChatState;

/// Rooms to replay (`room`, last seq the client has), and the request id to `ack`.
#[derive(Debug)]
pub(crate) struct ReplayRequest {
    pub(crate) rooms: Vec<(RoomId, Seq)>,
    pub(crate) id: Option<u64>,
}

/// What the reader asks the writer to do.
#[derive(Debug)]
pub(crate) enum Out {
    /// Send this encoded event. (Boxed, like the other payloads: the channel's
    /// blocks are allocated per connection, 32 slots at a time.)
    Event(Box<bytes::Bytes>),
    /// Answer the client's ping.
    Pong(Box<[u8]>),
    /// Replay what the client missed in these rooms (`room`, last seq it has), then
    /// `ack` the request id if there is one.
    Replay(Box<ReplayRequest>),
    /// The client's first command has been handled: stop holding live events.
    Release,
    /// Close the connection with this reason.
    Close(CloseReason),
}

pub(crate) struct Writer {
    pub(crate) state: ChatState,
    pub(crate) user: UserId,
    pub(crate) conn: ChatConnection,
    pub(crate) sink: FrameWriter<WriteIo>,
    /// Replies from the reader. A stream, kept for the connection's life: its waker
    /// registration is made once and reused, where a `recv_async` future made anew
    /// at every wake-up would allocate and unregister one each time.
    pub(crate) rx: flume::r#async::RecvStream<'static, Out>,
    pub(crate) heartbeat: Duration,
    pub(crate) resume_grace: Duration,
    pub(crate) max_held: usize,
    pub(crate) batch: usize,
}

/// A write failed: the peer is gone, or it did not take our bytes for
/// [`Writer::write_timeout`] (it stopped reading: a slow consumer).
enum Gone {
    Gone,
    Stalled,
}

impl Gone {
    /// The close reason for a failed write: 4008 for a stalled socket (its close
    /// frame goes after what is pending, for a client that reads again), none for a
    /// vanished peer.
    fn reason(self) -> Option<CloseReason> {
        match self {
            Gone::Gone => None,
            Gone::Stalled => Some(CloseReason::SlowConsumer),
        }
    }
}

/// Frames a batch vector (and the hub queue's storage, which it is swapped with)
/// may hold between batches without having needed them: more room than this, and
/// than twice the last batch, is given back.
const KEEP_FRAMES: usize = 16;

/// Whether, after a batch of `n` frames, a batch vector with room for `capacity`
/// is larger than the steady state needs.
fn oversized(capacity: usize, n: usize) -> bool {
    capacity > KEEP_FRAMES.max(n.saturating_mul(2))
}

impl Out {
    /// Send this event (encoded here).
    pub(crate) fn event(event: &ServerEvent) -> Out {
        Out::Event(Box::new(Frame::encode(event).json))
    }
}

/// The close frame for `reason`.
pub(crate) fn close_frame(sink: &mut FrameWriter<WriteIo>, reason: CloseReason) {
    sink.close(reason.code(), reason.as_str());
}

impl Writer {
    /// Run until the connection ends; returns after the hub connection is closed.
    pub(crate) async fn run(mut self, hello: bytes::Bytes) {
        let reason = self.run_inner(hello).await;
        let limit = self.write_timeout();
        // The peer closed or vanished (None): answer its close frame, if it is there
        // to read it. Otherwise close with our reason.
        chatcore::metrics::closed(reason.map_or(1000, CloseReason::code));
        match reason {
            Some(reason) => close_frame(&mut self.sink, reason),
            None => self.sink.close(1000, ""),
        }
        // Boxed, like every await but the idle one: an async fn is as large as its
        // largest await point, and every connection's task holds that size.
        let _ = Box::pin(tokio::time::timeout(limit, self.sink.shutdown())).await;
        Box::pin(self.conn.close()).await;
    }

    /// A peer that does not take our bytes for this long is gone: two heartbeats.
    fn write_timeout(&self) -> Duration {
        self.heartbeat.saturating_mul(2).max(Duration::from_secs(1))
    }

    /// Queue an event.
    fn event(&mut self, event: &ServerEvent) {
        self.sink.text(&Frame::encode(event).json);
    }

    /// Write what is queued.
    async fn flush(&mut self) -> Result<(), Gone> {
        // Most writes complete at once: no timer, no allocation for them.
        match self.sink.flush().now_or_never() {
            Some(Ok(())) => return Ok(()),
            Some(Err(_)) => return Err(Gone::Gone),
            None => {}
        }
        // The socket is full: wait, boxed (see `run`) and bounded. The writer keeps
        // its progress, so the retry goes on where the first attempt stopped.
        let limit = self.write_timeout();
        match Box::pin(tokio::time::timeout(limit, self.sink.flush())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Gone::Gone),
            Err(_) => Err(Gone::Stalled),
        }
    }

    /// The close reason to send, or None when the peer is already gone.
    async fn run_inner(&mut self, hello: bytes::Bytes) -> Option<CloseReason> {
        let mut delivered = Delivered::default();
        let mut buf: Vec<Frame> = Vec::new();
        let start = Instant::now() + self.heartbeat;
        let mut ping = tokio::time::interval_at(start, self.heartbeat);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Whether anything was written since the last heartbeat (to give buffers
        // back on idle connections).
        let mut busy = false;

        self.sink.text(&hello);
        drop(hello);
        if let Err(e) = self.flush().await {
            return e.reason();
        }
        // Hold live events until the client's first command or the grace period, so
        // that a `resume` sent first is replayed before them. Held events are taken
        // off the hub queue (so a hub-side close is still noticed at once) and kept
        // here, bounded.
        let mut holding = true;
        let mut held: Vec<Frame> = Vec::new();
        // The timers are boxed and dropped when not needed: an idle connection
        // holds neither.
        let mut grace = Some(Box::pin(tokio::time::sleep(self.resume_grace)));
        loop {
            tokio::select! {
                biased;
                out = self.rx.next() => {
                    let res = match out {
                        // The reader is gone: the client closed or vanished.
                        None => return None,
                        // The hub's reason wins: a connection it closed as a slow
                        // consumer, whose reader then saw no pong in time (the
                        // client was not reading), is a slow consumer (4008).
                        Some(Out::Close(reason)) => {
                            return Some(self.conn.connection().close_reason().unwrap_or(reason));
                        }
                        Some(Out::Release) if holding => {
                            holding = false;
                            grace = None;
                            let mut frames = std::mem::take(&mut held);
                            self.write_frames(&mut delivered, &mut frames).await
                        }
                        Some(Out::Release) => Ok(()),
                        Some(Out::Event(json)) => {
                            chatcore::metrics::written(1, json.len());
                            self.sink.text(&json);
                            // A publisher's `sent` and the room's events queued
                            // meanwhile (its own message among them) in one write.
                            // (A closed queue is noticed by the hub branch below.)
                            if !holding
                                && self.conn.connection().try_recv_many(&mut buf, self.batch) > 0
                            {
                                busy = true;
                            }
                            // The reply and those frames (if any), one flush.
                            self.write_frames(&mut delivered, &mut buf).await
                        }
                        Some(Out::Pong(payload)) => {
                            self.sink.pong(&payload);
                            self.flush().await
                        }
                        Some(Out::Replay(replay)) => {
                            // Boxed: large, and only alive while replaying.
                            let ReplayRequest { rooms, id } = *replay;
                            Box::pin(self.replay(&mut delivered, rooms, id)).await
                        }
                    };
                    if let Err(e) = res {
                        return e.reason();
                    }
                }
                () = async { if let Some(g) = grace.as_mut() { g.await } }, if holding => {
                    grace = None;
                    holding = false;
                    let mut frames = std::mem::take(&mut held);
                    if let Err(e) = self.write_frames(&mut delivered, &mut frames).await {
                        return e.reason();
                    }
                }
                n = self.conn.connection().recv_many(&mut buf, self.batch) => {
                    if n == 0 {
                        // The hub closed this connection (revoked session, slow
                        // consumer, deleted account…).
                        let reason = self.conn.connection().close_reason();
                        return Some(reason.unwrap_or(CloseReason::ServerShutdown));
                    }
                    busy = true;
                    if holding {
                        held.append(&mut buf);
                        if held.len() > self.max_held {
                            return Some(CloseReason::SlowConsumer);
                        }
                        continue;
                    }
                    // Everything that queued until this task ran, in one write.
                    if let Err(e) = self.write_frames(&mut delivered, &mut buf).await {
                        return e.reason();
                    }
                    if oversized(buf.capacity(), n) {
                        // The tail of a burst: back to the steady state's size.
                        buf = Vec::new();
                        self.conn.connection().release_memory();
                    }
                }
                _ = ping.tick() => {
                    self.sink.ping();
                    if let Err(e) = self.flush().await {
                        return e.reason();
                    }
                    if !busy {
                        // Idle for a heartbeat: give the batch buffers back.
                        buf = Vec::new();
                        self.sink.release_memory();
                        self.conn.connection().release_memory();
                    }
                    busy = false;
                }
            }
        }
    }

    /// Write a batch of hub frames (dropping those already delivered by a replay)
    /// with one flush: one write for the whole batch when it fits the write buffer.
    async fn write_frames(
        &mut self,
        delivered: &mut Delivered,
        buf: &mut Vec<Frame>,
    ) -> Result<(), Gone> {
        let (mut frames, mut bytes) = (0, 0);
        for frame in buf.drain(..) {
            if let Some((room, seq)) = frame.seq
                && !delivered.first_delivery(room, seq)
            {
                continue;
            }
            (frames, bytes) = (frames + 1, bytes + frame.json.len());
            self.sink.text(&frame.json);
        }
        if frames > 0 {
            chatcore::metrics::written(frames, bytes);
        }
        self.flush().await
    }

    /// Replay, per room, every message after the client's `since`, page by page, in
    /// order. Runs here (not in the reader) so that live events published after a
    /// page was read queue up behind it; [`Delivered`] drops the live copies of
    /// replayed messages and the replayed copies of live ones.
    async fn replay(
        &mut self,
        delivered: &mut Delivered,
        rooms: Vec<(RoomId, Seq)>,
        id: Option<u64>,
    ) -> Result<(), Gone> {
        let chat = self.state.chat().clone();
        for (room, since) in rooms {
            delivered.mark_upto(room, since);
            let mut cursor = since.max(0);
            loop {
                let page = match chat.missed(self.user, room, cursor).await {
                    Ok(page) => page,
                    Err(e) => {
                        self.event(&ServerEvent::error(id, &e));
                        break;
                    }
                };
                let last = page.messages.last().map(|m| m.seq);
                if let Some(start) = page.history_start_seq {
                    self.event(&ServerEvent::HistoryStart {
                        room,
                        history_start_seq: start,
                    });
                }
                for message in page.messages {
                    if delivered.first_delivery(room, message.seq) {
                        self.event(&ServerEvent::MessageCreated { message });
                    }
                }
                self.flush().await?;
                match last {
                    Some(seq) if page.has_more && seq > cursor => cursor = seq,
                    _ => break,
                }
            }
        }
        if id.is_some() {
            self.event(&ServerEvent::Ack { id });
        }
        self.flush().await
    }
}
