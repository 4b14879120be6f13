//! What arrives from the server: replies matched to their commands, the `hello` and
//! its baseline, events delivered once (each room's seq tracked for resume).

use std::collections::BTreeMap;
use std::time::Duration;

use chatcore::RoomId;
use chatcore::protocol::{ClientCommand, ServerEvent};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Driver, Pending};
use crate::error::Error;
use crate::events::{Event, State};
use crate::outbox::Sent;
use crate::seqs::SeqTracker;

impl Driver {
    pub(super) fn on_text(&mut self, text: &str) {
        // Unknown event types (a newer server) are ignored, as the protocol says.
        let Ok(ev) = serde_json::from_str::<ServerEvent>(text) else {
            return;
        };
        if !self.open {
            if let ServerEvent::Hello { .. } = ev {
                self.on_hello(ev);
            }
            return;
        }
        let id = match &ev {
            ServerEvent::Ack { id }
            | ServerEvent::Pong { id }
            | ServerEvent::Sent { id, .. }
            | ServerEvent::Error { id, .. }
            | ServerEvent::History { id, .. } => *id,
            _ => None,
        };
        if let Some(p) = id.and_then(|id| self.pending.remove(&id).map(|p| (id, p)))
            && !self.settle(p.0, p.1, &ev)
        {
            return;
        }
        self.deliver(ev);
    }

    fn on_hello(&mut self, hello: ServerEvent) {
        let ServerEvent::Hello {
            user,
            rooms,
            heartbeat_ms,
            ..
        } = &hello
        else {
            return;
        };
        self.me = Some(user.id);
        self.rooms = rooms.iter().copied().collect();
        self.heartbeat = Duration::from_millis((*heartbeat_ms).max(1000));
        let (resume, untracked) = {
            let mut seqs = self.lock_seqs();
            let mut resume = BTreeMap::new();
            for (room, seq) in seqs.points() {
                if self.rooms.contains(&room) {
                    resume.insert(room, seq);
                } else {
                    seqs.forget(room); // left or removed while away
                }
            }
            let untracked: Vec<RoomId> = rooms.iter().copied().filter(|r| !seqs.has(*r)).collect();
            (resume, untracked)
        };
        self.open = true;
        self.backoff.reset();
        self.set_state(State::Open, None, None, None);
        self.ever_open = true;
        self.deliver(hello);
        // `resume` first: the server holds live events until the first command.
        if resume.is_empty() {
            self.emit(Event::Synced {
                rooms: Vec::new(),
                errors: Vec::new(),
            });
        } else {
            let rooms = resume.keys().copied().collect();
            self.write(
                ClientCommand::Resume { rooms: resume },
                Pending::Resume {
                    rooms,
                    errors: Vec::new(),
                },
            );
        }
        if self.cfg.track_new_rooms {
            for room in untracked {
                self.baseline(room);
            }
        }
        for (command, reply) in std::mem::take(&mut self.waiting) {
            self.write_request(command, reply);
        }
        self.pump();
    }

    /// A room without a resume point: its newest message is the starting point.
    pub(super) fn baseline(&mut self, room: RoomId) {
        let command = ClientCommand::History {
            room,
            before: None,
            after: None,
            limit: Some(1),
            thread: None,
        };
        self.write(command, Pending::Baseline(room));
    }

    /// A reply to one of ours; true when it is also an event for the application.
    fn settle(&mut self, id: u64, pending: Pending, ev: &ServerEvent) -> bool {
        let now = std::time::Instant::now();
        match (pending, ev) {
            (
                Pending::Resume { rooms, mut errors },
                ServerEvent::Error {
                    code,
                    message,
                    retry_after_ms,
                    ..
                },
            ) => {
                errors.push(Error::from_event(code, message, *retry_after_ms));
                self.pending.insert(id, Pending::Resume { rooms, errors });
                false
            }
            (Pending::Resume { rooms, errors }, _) => {
                self.emit(Event::Synced { rooms, errors });
                false
            }
            (
                Pending::Send { .. },
                ServerEvent::Sent {
                    nonce,
                    room,
                    message_id,
                    seq,
                    ..
                },
            ) => {
                self.outbox.sent(Sent {
                    nonce: nonce.clone(),
                    room: *room,
                    message_id: *message_id,
                    seq: *seq,
                });
                self.pump();
                true
            }
            (
                Pending::Send { room, nonce },
                ServerEvent::Error {
                    code,
                    message,
                    retry_after_ms,
                    ..
                },
            ) => {
                let err = Error::from_event(code, message, *retry_after_ms);
                if let Some((message, failed)) = self.outbox.refused(room, &nonce, err.clone(), now)
                {
                    self.emit(if failed {
                        Event::SendFailed {
                            message,
                            error: err,
                        }
                    } else {
                        Event::SendRetry {
                            message,
                            error: err,
                        }
                    });
                }
                self.pump();
                false
            }
            (Pending::Baseline(room), ServerEvent::History { page, .. }) => {
                let top = page.messages.last().map_or(0, |m| m.seq);
                self.track(room, |s| {
                    if !s.has(room) {
                        s.set_floor(room, top);
                    }
                });
                false
            }
            (
                Pending::Baseline(room),
                ServerEvent::Error {
                    code,
                    retry_after_ms,
                    ..
                },
            ) => {
                if code == "rate_limited" {
                    let wait = Duration::from_millis(retry_after_ms.unwrap_or(1000));
                    self.baseline_retry.push((room, Instant::now() + wait));
                }
                false
            }
            (Pending::Request { reply, observe }, ev) => {
                if let (Some(room), ServerEvent::History { page, .. }) = (observe, ev) {
                    self.track(room, |s| {
                        let point = s.resume_point(room);
                        for m in &page.messages {
                            if point.is_none_or(|p| m.seq > p) {
                                s.observe(room, m.seq);
                            }
                        }
                    });
                }
                let result = match ev {
                    ServerEvent::Error {
                        code,
                        message,
                        retry_after_ms,
                        ..
                    } => Err(Error::from_event(code, message, *retry_after_ms)),
                    other => Ok(other.clone()),
                };
                let _ = reply.send(result);
                matches!(ev, ServerEvent::Sent { .. })
            }
            (Pending::Ping, _) => {
                self.ping_sent = None;
                false
            }
            // A reply of an unexpected kind: show it.
            (_, _) => true,
        }
    }

    /// Apply an event to the client's state and hand it to the application;
    /// a message already delivered is dropped.
    fn deliver(&mut self, ev: ServerEvent) {
        let me = self.me;
        match &ev {
            ServerEvent::MessageCreated { message } => {
                let (room, seq) = (message.room_id, message.seq);
                if self.lock_seqs().delivered(room, seq) {
                    return;
                }
                if self.emit(Event::Server(ev)) {
                    self.track(room, |s| {
                        s.observe(room, seq);
                    });
                }
                return;
            }
            ServerEvent::RoomCreated { room } => {
                let (id, last) = (room.id, room.last_seq);
                self.rooms.insert(id);
                self.track(id, |s| {
                    if !s.has(id) {
                        s.set_floor(id, (last - 1).max(0));
                    }
                });
            }
            ServerEvent::MemberRemoved { room, user, .. } if Some(*user) == me => {
                self.rooms.remove(room);
                self.lock_seqs().forget(*room);
            }
            ServerEvent::RoomDeleted { room } => {
                self.rooms.remove(room);
                self.lock_seqs().forget(*room);
            }
            _ => {}
        }
        self.emit(Event::Server(ev));
    }

    /// Queue an event for the application; false (and the connection will be
    /// dropped) when its buffer is full.
    fn emit(&mut self, ev: Event) -> bool {
        match self.events.try_send(ev) {
            Ok(()) => true,
            // Nobody listens: fine.
            Err(mpsc::error::TrySendError::Closed(_)) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.events_full = true;
                false
            }
        }
    }

    fn lock_seqs(&self) -> std::sync::MutexGuard<'_, SeqTracker> {
        self.seqs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Change the tracker, and tell the hook when the room's resume point moved.
    fn track(&self, room: RoomId, f: impl FnOnce(&mut SeqTracker)) {
        let (before, after) = {
            let mut s = self.lock_seqs();
            let before = s.resume_point(room);
            f(&mut s);
            (before, s.resume_point(room))
        };
        if let (Some(hook), Some(seq)) = (&self.cfg.on_seq, after)
            && before != after
        {
            hook(room, seq);
        }
    }
}
