//! The writer task: the only code that writes to a socket.
//!
//! It merges three sources in one ordered stream: replies from the reader (through a
//! small channel), replays of missed messages (read here, so that nothing published
//! after the read can overtake them), and the hub queue (taken up to `batch` frames
//! at a time, framed into one buffer and written with one `write()`, see
//! [`super::transport`]). It also sends the heartbeat pings.
//!
//! ## Coalescing (the write policy)
//!
//! A `write()` to a socket costs several microseconds whatever it carries, so under
//! fan-out load the number of writes, not the bytes, bounds throughput. The writer
//! therefore coalesces hub frames, adaptively ([`Pace`]):
//!
//! - a connection that receives fewer than [`WsConfig::coalesce_rate`] frames a second,
//!   or whose last write is older than [`WsConfig::coalesce_delay`], writes at once:
//!   at light load latency is one write;
//! - a busier connection writes at most once per `min(coalesce_delay,
//!   coalesce_frames / rate)`: the frames arriving meanwhile wait in the hub queue
//!   (no wake-up per frame) and go out in one write;
//! - a backlog (a full `batch` taken) is written at once, without waiting.
//!
//! The added latency is bounded by `coalesce_delay` (20 ms by default); the hub queue
//! bound ([`chatcore::LocalHub`]'s capacity) must hold `coalesce_delay` worth of frames.
//!
//! [`WsConfig::coalesce_rate`]: crate::WsConfig::coalesce_rate
//! [`WsConfig::coalesce_delay`]: crate::WsConfig::coalesce_delay

use std::pin::Pin;
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

/// A write failed: the peer is gone.
struct Gone;

/// The adaptive write pacing of one connection (see the module docs).
#[derive(Debug)]
pub(crate) struct Pace {
    /// Longest time a frame waits to be coalesced.
    delay: Duration,
    /// Frames per write aimed at when busy.
    frames: f64,
    /// Frames per second under which the connection writes at once.
    rate_floor: f64,
    /// Frames per second measured over the last window.
    rate: f64,
    window_start: Instant,
    window_frames: u32,
    last_write: Option<Instant>,
}

/// How long a rate window lasts.
const RATE_WINDOW: Duration = Duration::from_millis(50);

impl Pace {
    pub(crate) fn new(delay: Duration, frames: usize, rate_floor: u32, now: Instant) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let frames = frames.max(1) as f64;
        Pace {
            delay,
            frames,
            rate_floor: f64::from(rate_floor),
            rate: 0.0,
            window_start: now,
            window_frames: 0,
            last_write: None,
        }
    }

    /// Frames arrived at `now`: when to write them (None: at once).
    pub(crate) fn write_at(&mut self, now: Instant) -> Option<Instant> {
        self.roll(now);
        if self.delay.is_zero() || self.rate < self.rate_floor {
            return None;
        }
        let last = self.last_write?;
        let wait = self
            .delay
            .min(Duration::from_secs_f64(self.frames / self.rate));
        let at = last + wait;
        (at > now).then_some(at)
    }

    /// `n` frames were written at `now`.
    pub(crate) fn wrote(&mut self, n: usize, now: Instant) {
        self.window_frames = self
            .window_frames
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        self.last_write = Some(now);
        self.roll(now);
    }

    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= RATE_WINDOW {
            self.rate = f64::from(self.window_frames) / elapsed.as_secs_f64();
            self.window_frames = 0;
            self.window_start = now;
        }
    }
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
            Some(Err(_)) => return Err(Gone),
            None => {}
        }
        // The socket is full: wait, boxed (see `run`) and bounded. The writer keeps
        // its progress, so the retry goes on where the first attempt stopped.
        let limit = self.write_timeout();
        match Box::pin(tokio::time::timeout(limit, self.sink.flush())).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Gone),
        }
    }

    /// The close reason to send, or None when the peer is already gone.
    async fn run_inner(&mut self, hello: bytes::Bytes) -> Option<CloseReason> {
        let mut delivered = Delivered::default();
        let mut buf: Vec<Frame> = Vec::new();
        let start = Instant::now() + self.heartbeat;
        let mut ping = tokio::time::interval_at(start, self.heartbeat);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let ws = &self.state.config().ws;
        let mut pace = Pace::new(
            ws.coalesce_delay,
            ws.coalesce_frames,
            ws.coalesce_rate,
            Instant::now(),
        );
        // When the frames in `buf` are to be written (coalescing).
        let mut flush_at: Option<Instant> = None;
        // Whether anything was written since the last heartbeat (to give buffers
        // back on idle connections).
        let mut busy = false;

        self.sink.text(&hello);
        drop(hello);
        if self.flush().await.is_err() {
            return None;
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
        let mut coalesce: Option<Pin<Box<tokio::time::Sleep>>> = None;
        loop {
            tokio::select! {
                biased;
                out = self.rx.next() => {
                    let res = match out {
                        // The reader is gone: the client closed or vanished.
                        None => return None,
                        Some(Out::Close(reason)) => return Some(reason),
                        Some(Out::Release) if holding => {
                            holding = false;
                            grace = None;
                            let mut frames = std::mem::take(&mut held);
                            self.write_frames(&mut delivered, &mut frames).await
                        }
                        Some(Out::Release) => Ok(()),
                        Some(Out::Event(json)) => {
                            self.sink.text(&json);
                            self.flush().await
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
                    if res.is_err() {
                        return None;
                    }
                }
                () = async { if let Some(g) = grace.as_mut() { g.await } }, if holding => {
                    grace = None;
                    holding = false;
                    let mut frames = std::mem::take(&mut held);
                    if self.write_frames(&mut delivered, &mut frames).await.is_err() {
                        return None;
                    }
                }
                () = async { if let Some(c) = coalesce.as_mut() { c.await } }, if flush_at.is_some() => {
                    flush_at = None;
                    coalesce = None;
                    let room = self.batch.saturating_sub(buf.len());
                    self.conn.connection().try_recv_many(&mut buf, room);
                    let n = buf.len();
                    if self.write_frames(&mut delivered, &mut buf).await.is_err() {
                        return None;
                    }
                    pace.wrote(n, Instant::now());
                }
                n = self.conn.connection().recv_many(&mut buf, self.batch), if flush_at.is_none() => {
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
                    let now = Instant::now();
                    // A full batch is a backlog: write it at once.
                    let at = if n >= self.batch { None } else { pace.write_at(now) };
                    match at {
                        Some(at) => {
                            flush_at = Some(at);
                            match coalesce.as_mut() {
                                Some(c) => c.as_mut().reset(at),
                                None => coalesce = Some(Box::pin(tokio::time::sleep_until(at))),
                            }
                        }
                        None => {
                            if self.write_frames(&mut delivered, &mut buf).await.is_err() {
                                return None;
                            }
                            pace.wrote(n, now);
                        }
                    }
                }
                _ = ping.tick() => {
                    self.sink.ping();
                    if self.flush().await.is_err() {
                        return None;
                    }
                    if !busy && flush_at.is_none() {
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
        for frame in buf.drain(..) {
            if let Some((room, seq)) = frame.seq
                && !delivered.first_delivery(room, seq)
            {
                continue;
            }
            self.sink.text(&frame.json);
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
