//! The sends of one connection in flight ([`chatcore::Chat::start_send`]), in the
//! order they were started: the reader writes their replies in that order (see
//! [`crate::WsConfig::max_pipelined_sends`]).

use std::collections::VecDeque;

use chatcore::PendingSend;
use chatcore::protocol::ServerEvent;

use super::writer::Out;

/// Sends in flight, oldest first.
pub(super) struct InFlight {
    sends: VecDeque<(Option<u64>, PendingSend)>,
    max: usize,
}

/// Room a queue may keep once empty: more is given back (the tail of a burst).
const KEEP: usize = 4;

impl InFlight {
    /// At most `max` sends in flight (at least 1).
    pub(super) fn new(max: usize) -> Self {
        InFlight {
            sends: VecDeque::new(),
            max: max.max(1),
        }
    }

    /// Whether sends are pipelined at all (more than one may be in flight).
    pub(super) fn pipelined(&self) -> bool {
        self.max > 1
    }

    pub(super) fn is_empty(&self) -> bool {
        self.sends.is_empty()
    }

    /// Whether another send may start.
    pub(super) fn has_room(&self) -> bool {
        self.sends.len() < self.max
    }

    /// A send started after every one queued here.
    pub(super) fn push(&mut self, id: Option<u64>, send: PendingSend) {
        self.sends.push_back((id, send));
    }

    /// The oldest send's reply (`sent`, or its error), once it is answered; None
    /// when nothing is in flight. Cancel safe: the send keeps its progress.
    pub(super) async fn next_reply(&mut self) -> Option<Out> {
        let (id, send) = self.sends.front_mut()?;
        let id = *id;
        let event = match send.await {
            Ok(sent) => sent,
            Err(e) => {
                if let chatcore::Error::Backend(_) = &e {
                    crate::error::log_backend(&e);
                }
                ServerEvent::error(id, &e)
            }
        };
        self.sends.pop_front();
        if self.sends.is_empty() && self.sends.capacity() > KEEP {
            self.sends = VecDeque::new();
        }
        Some(Out::event(&event))
    }
}
