//! Appending messages and broadcasting them in sequence order.
//!
//! Concurrent sends to one room finish in any order (group commit answers a batch at
//! once and the tasks wake on different threads), yet `message_created` events must go
//! out in `seq` order. Each append takes a ticket when it starts. When it finishes, its
//! event waits until every append that had *started* by then has finished: any append
//! that starts later gets a later sequence number, so from that moment nothing on this
//! node can still produce a smaller one. Ready events then go out in `seq` order.
//! Appends run in their own task, so a caller that gives up (a dropped request) can't
//! leave a stored message unsent or a ticket unfinished.
//!
//! Edits and deletes of one message hold that message's lock ([`MessageOrder`]) from
//! their store update to their publication, so `message_edited` never leaves after
//! the `message_deleted` of the same message (the store refuses an edit of a deleted
//! message, so an edit that lost the race publishes nothing).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;

use super::Chat;
use crate::error::{Error, Result};
use crate::hub::Dispatch;
use crate::ids::{MessageId, RoomId, Seq};
use crate::model::{Message, NewMessage};
use crate::protocol::ServerEvent;

#[derive(Default)]
struct RoomOrder {
    next_ticket: u64,
    unfinished: BTreeSet<u64>,
    /// Stored, not yet published: seq -> (tickets that had started when it finished, event).
    ready: BTreeMap<Seq, (u64, Dispatch)>,
}

impl RoomOrder {
    fn is_idle(&self) -> bool {
        self.unfinished.is_empty() && self.ready.is_empty()
    }
}

/// Per-room publication order, for this node.
#[derive(Default)]
pub(super) struct Sequencer {
    rooms: Mutex<HashMap<RoomId, Arc<Mutex<RoomOrder>>>>,
}

impl Sequencer {
    fn ticket(&self, room: RoomId) -> (Arc<Mutex<RoomOrder>>, u64) {
        let order = self.rooms.lock().entry(room).or_default().clone();
        let t = {
            let mut o = order.lock();
            let t = o.next_ticket;
            o.next_ticket += 1;
            o.unfinished.insert(t);
            t
        };
        (order, t)
    }

    /// Record the outcome of ticket `t` and publish whatever is now safe, in order.
    fn finish(
        &self,
        chat: &Chat,
        room: RoomId,
        order: &Mutex<RoomOrder>,
        t: u64,
        done: Option<(Seq, Dispatch)>,
    ) {
        let idle = {
            let mut o = order.lock();
            o.unfinished.remove(&t);
            if let Some((seq, d)) = done {
                let barrier = o.next_ticket;
                o.ready.insert(seq, (barrier, d));
            }
            let oldest_running = o.unfinished.first().copied().unwrap_or(o.next_ticket);
            // The largest seq whose earlier-started appends have all finished: nothing
            // still running can produce a seq at or below it.
            let safe = o
                .ready
                .iter()
                .filter(|(_, (barrier, _))| *barrier <= oldest_running)
                .map(|(seq, _)| *seq)
                .max();
            if let Some(safe) = safe {
                while let Some(entry) = o.ready.first_entry() {
                    if *entry.key() > safe {
                        break;
                    }
                    let (_, d) = entry.remove();
                    // Under the room's lock, so publications keep seq order.
                    chat.publish(d);
                }
            }
            o.is_idle()
        };
        if idle {
            // Forget idle rooms (re-checked under the map lock: a new ticket holds a clone).
            let mut rooms = self.rooms.lock();
            if let Some(o) = rooms.get(&room)
                && Arc::strong_count(o) == 2
                && o.lock().is_idle()
            {
                rooms.remove(&room);
            }
        }
    }
}

impl Chat {
    /// Append a message durably and broadcast `message_created` in room order.
    /// A repeat of an earlier nonce returns the earlier message without broadcasting.
    pub(super) async fn append_and_publish(&self, new: NewMessage) -> Result<Message> {
        let room = new.room_id;
        let id: MessageId = new.id;
        let (order, ticket) = self.inner.sequencer.ticket(room);
        let chat = self.clone();
        let task = tokio::spawn(async move {
            let result = chat.inner.store.append_message(new).await;
            let dispatch = match &result {
                Ok(m) if m.id == id => Some((
                    m.seq,
                    Dispatch::Room {
                        room,
                        event: ServerEvent::MessageCreated { message: m.clone() },
                    },
                )),
                _ => None,
            };
            chat.inner
                .sequencer
                .finish(&chat, room, &order, ticket, dispatch);
            result
        });
        task.await.map_err(Error::backend)?
    }
}

/// Per-message locks of this node, for edits and deletes (see the module docs).
#[derive(Default)]
pub(super) struct MessageOrder {
    locks: Mutex<HashMap<MessageId, Arc<tokio::sync::Mutex<()>>>>,
}

/// Holds one message's lock; forgets the lock when nobody else wants it.
pub(super) struct MessageTurn<'a> {
    order: &'a MessageOrder,
    id: MessageId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl MessageOrder {
    /// Wait for the message's turn.
    pub(super) async fn lock(&self, id: MessageId) -> MessageTurn<'_> {
        let lock = self.locks.lock().entry(id).or_default().clone();
        MessageTurn {
            order: self,
            id,
            guard: Some(lock.lock_owned().await),
        }
    }
}

impl Drop for MessageTurn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.order.locks.lock();
        // Only the map holds it: nobody waits, forget it.
        if locks
            .get(&self.id)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.id);
        }
    }
}
