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
use crate::ids::{MessageId, RoomId, Seq, UserId};
use crate::model::{Message, NewMessage, RoomKind};
use crate::protocol::ServerEvent;
use crate::store::EventStamp;

#[derive(Default)]
struct RoomOrder {
    next_ticket: u64,
    unfinished: BTreeSet<u64>,
    /// Stored, not yet published: seq -> (tickets that had started when it finished, event).
    ready: BTreeMap<Seq, (u64, Dispatch, Option<EventStamp>)>,
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
        done: Option<(Seq, Dispatch, Option<EventStamp>)>,
    ) {
        let idle = {
            let mut o = order.lock();
            o.unfinished.remove(&t);
            if let Some((seq, d, stamp)) = done {
                let barrier = o.next_ticket;
                o.ready.insert(seq, (barrier, d, stamp));
            }
            let oldest_running = o.unfinished.first().copied().unwrap_or(o.next_ticket);
            // The largest seq whose earlier-started appends have all finished: nothing
            // still running can produce a seq at or below it.
            let safe = o
                .ready
                .iter()
                .filter(|(_, (barrier, _, _))| *barrier <= oldest_running)
                .map(|(seq, _)| *seq)
                .max();
            if let Some(safe) = safe {
                while let Some(entry) = o.ready.first_entry() {
                    if *entry.key() > safe {
                        break;
                    }
                    let (_, d, stamp) = entry.remove();
                    // Under the room's lock, so publications keep seq order.
                    chat.publish_stamped(d, stamp);
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
        let task = self.spawn_append(new, None);
        task.await.map_err(Error::backend)?
    }

    /// Start appending (and then broadcasting) a message, and return once the store
    /// has it queued: an append queued later, in the same room, gets a later `seq`
    /// (the store's contract: appends are sequenced in the order their futures are
    /// first polled, see [`crate::store::MessageStore::append_message`]). The
    /// returned task finishes the append, then runs [`Chat::posted`] for a post by
    /// `author` in a room of kind `kind`; dropping it does not stop it.
    pub(super) fn queue_append(
        &self,
        new: NewMessage,
        post: (RoomKind, UserId),
    ) -> tokio::task::JoinHandle<Result<Message>> {
        self.spawn_append(new, Some(post))
    }

    /// The append task.
    ///
    /// The store's append is polled once here, on the caller's thread, before the
    /// task is spawned: that first poll queues it in the store, so an append
    /// started after this call returned is sequenced after it, without waiting for
    /// the spawned task to be scheduled (on a busy runtime, one scheduling round
    /// per send would bound a connection's pipelined sends to one per round). It
    /// runs outside tokio's cooperative budget: a caller whose budget is spent
    /// would otherwise see that poll return early, before queuing, and the order of
    /// its appends would become the order the tasks happen to run in.
    fn spawn_append(
        &self,
        new: NewMessage,
        post: Option<(RoomKind, UserId)>,
    ) -> tokio::task::JoinHandle<Result<Message>> {
        let room = new.room_id;
        let id: MessageId = new.id;
        let (order, ticket) = self.inner.sequencer.ticket(room);
        let chat = self.clone();
        let store = self.inner.store.clone();
        // With the outbox on, `message_created` is queued in the append's
        // transaction, under this stamp (also the id `Chat::events` gives it).
        let stamp = self.outbox_enabled().then(|| self.stamp());
        let mut append = Box::pin(tokio::task::unconstrained(async move {
            match stamp {
                Some(s) => store.append_message_queued(new, s).await,
                None => store.append_message(new).await,
            }
        }));
        // The first poll, with a waker that does nothing: the spawned task polls it
        // again with its own waker (futures re-register on every poll).
        let first = append
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        tokio::spawn(async move {
            let result = match first {
                std::task::Poll::Ready(r) => r,
                std::task::Poll::Pending => append.await,
            };
            if matches!(&result, Ok(m) if m.id == id) {
                crate::metrics::message_stored();
            }
            let dispatch = match &result {
                Ok(m) if m.id == id => Some((
                    m.seq,
                    Dispatch::Room {
                        room,
                        event: ServerEvent::MessageCreated { message: m.clone() },
                    },
                    stamp,
                )),
                _ => None,
            };
            chat.inner
                .sequencer
                .finish(&chat, room, &order, ticket, dispatch);
            if let (Some((kind, author)), Ok(m)) = (post, &result) {
                chat.posted(kind, id, author, m).await;
            }
            result
        })
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
