//! Group commit of message appends.
//!
//! One writer task per store owns the append path. It takes every append waiting
//! in its queue (up to `max_batch`), and commits them in **one** transaction:
//!
//! 1. rows are prepared first: an append whose fields cannot be stored fails alone;
//! 2. the rooms of the batch are read and locked (`SELECT … FOR UPDATE` in id order
//!    on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds the write lock);
//!    an unknown room fails only its own appends;
//! 3. each room's new messages get consecutive sequence numbers; a repeated
//!    `(room, author, nonce)` inside the batch gets the first copy's message;
//! 4. one `UPDATE rooms SET last_seq = last_seq + k` (a `CASE` over the rooms,
//!    guarded by the values read in step 2) advances every room;
//! 5. the messages are inserted with multi-row `INSERT … ON CONFLICT (author_id,
//!    room_id, client_nonce) DO NOTHING`, and the transaction commits. If a row was
//!    not inserted, a nonce was stored before: the transaction is rolled back and
//!    the batch runs again looking its nonces up first, so a repeat returns the
//!    message stored first and assigns nothing (repeats are rare: the fast path
//!    needs no look-up).
//!
//! Callers are answered only after the commit, so an acknowledged message is
//! durable as far as the database's own settings make a commit durable. If the
//! batch transaction fails as a whole (say, a message id that already exists), the
//! writer retries its appends one per transaction, so one bad append fails alone.
//!
//! While a batch commits, new appends queue up; they form the next batch. There is
//! no timer: a lone append is committed at once.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chatcore::model::{Message, NewMessage};
use chatcore::store::EventStamp;
use chatcore::{Error, Result};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{CaseStatement, Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::txn::{IN_CHUNK, begin_write};
use crate::convert;
use crate::entity::{message_mentions, messages, rooms};
use crate::error::{SqlStoreError, write_err};

/// Rows per multi-row `INSERT` (14 bound values each: well below the SQLite and
/// PostgreSQL limits on bound parameters).
const ROWS_PER_INSERT: usize = 200;
/// `(room, author, nonce)` keys per look-up statement.
const NONCES_PER_QUERY: usize = 100;

/// One queued append.
pub(crate) struct Job {
    pub(crate) new: NewMessage,
    /// Queue the `message_created` event with this stamp, in the append's
    /// transaction (the outbox is on).
    pub(crate) event: Option<EventStamp>,
    pub(crate) reply: oneshot::Sender<Result<Message>>,
}

/// Counters of the writer task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    batches: AtomicU64,
    appends: AtomicU64,
    retried_alone: AtomicU64,
}

/// What the group-commit writer has done since the store was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppendStats {
    /// Batches taken from the queue (each committed in one transaction, unless
    /// it had to be retried one append at a time).
    pub batches: u64,
    /// Appends taken from the queue (stored, repeated nonces and failures alike).
    pub appends: u64,
    /// Appends retried in a transaction of their own after their batch failed.
    pub retried_alone: u64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> AppendStats {
        AppendStats {
            batches: self.batches.load(Ordering::Relaxed),
            appends: self.appends.load(Ordering::Relaxed),
            retried_alone: self.retried_alone.load(Ordering::Relaxed),
        }
    }
}

/// The writer task: runs until every sender (every clone of the store) is gone.
pub(crate) async fn run(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    counters: Arc<Counters>,
) {
    let mut jobs = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut jobs, max_batch).await > 0 {
        gather(&mut rx, &mut jobs, max_batch).await;
        let batch = std::mem::replace(&mut jobs, Vec::with_capacity(max_batch));
        // Counted before anyone is answered, so a caller sees its own append counted.
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters
            .appends
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        commit_jobs(&db, batch, &counters).await;
    }
}

/// Let the callers answered by the previous commit queue their next append before
/// the batch is closed: yield to the scheduler as long as each yield brings more.
/// A lone append pays one yield.
async fn gather(rx: &mut mpsc::Receiver<Job>, jobs: &mut Vec<Job>, max_batch: usize) {
    while jobs.len() < max_batch {
        tokio::task::yield_now().await;
        let before = jobs.len();
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if jobs.len() == before {
            break;
        }
    }
}

fn to_error(e: SqlStoreError) -> Error {
    match e {
        // A foreign-key failure here can only be the author (rooms are checked).
        SqlStoreError::Db(e) => write_err(e, "user"),
        other => other.into(),
    }
}

async fn commit_jobs(db: &DatabaseConnection, jobs: Vec<Job>, counters: &Counters) {
    let (news, replies): (Vec<Appended>, Vec<oneshot::Sender<Result<Message>>>) = jobs
        .into_iter()
        .map(|j| ((j.new, j.event), j.reply))
        .unzip();
    match append_batch(db, &news).await {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                // A caller that went away still had its message committed.
                let _ = reply.send(result);
            }
        }
        Err(e) if news.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(to_error(e)));
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, size = news.len(), "group commit failed; retrying one by one");
            counters
                .retried_alone
                .fetch_add(news.len() as u64, Ordering::Relaxed);
            for (new, reply) in news.iter().zip(replies) {
                let result = match append_batch(db, std::slice::from_ref(new)).await {
                    Ok(mut v) => v
                        .pop()
                        .unwrap_or_else(|| Err(Error::backend(SqlStoreError::WriterStopped))),
                    Err(e) => Err(to_error(e)),
                };
                let _ = reply.send(result);
            }
        }
    }
}

/// An append and the stamp of its `message_created` outbox row, if queued.
type Appended = (NewMessage, Option<EventStamp>);

/// What an append becomes before the transaction.
enum Slot {
    Failed(Error),
    Ready(Box<(Message, messages::ActiveModel, Option<EventStamp>)>),
}

type NonceKey = (Uuid, Uuid, String);

fn nonce_key(m: &Message) -> Option<NonceKey> {
    match (m.author_id, &m.client_nonce) {
        (Some(a), Some(n)) => Some((m.room_id.0, a.0, n.clone())),
        _ => None,
    }
}

fn prepare((new, event): &Appended) -> Slot {
    let msg = Message {
        id: new.id,
        room_id: new.room_id,
        seq: 0,
        author_id: new.author_id,
        kind: new.kind,
        body: new.body.clone(),
        system: new.system.clone(),
        attachment: new.attachment.clone(),
        reply_to: new.reply_to,
        client_nonce: new.client_nonce.clone(),
        created_at: new.created_at,
        edited_at: None,
        deleted_at: None,
        reactions: Vec::new(),
        mentions: new.mentions.clone(),
        thread_root: new.thread_root,
        also_in_room: new.thread_root.is_some() && new.also_in_room,
        thread: None,
        extra: new.extra.clone(),
    };
    match convert::message_row(&msg) {
        Ok(row) => Slot::Ready(Box::new((msg, row, *event))),
        Err(e) => Slot::Failed(e),
    }
}

/// How a batch treats client nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nonces {
    /// Insert with `ON CONFLICT (author_id, room_id, client_nonce) DO NOTHING` and
    /// count: a nonce already stored shows as a missing row.
    Optimistic,
    /// Look the nonces up first and answer repeats with the stored message.
    LookUp,
}

/// Append `news` in one transaction. `Err` means nothing was committed; `Ok` holds
/// one result per append, in order.
///
/// Repeated nonces are rare (a client retrying), so the batch first runs without
/// looking them up; if the insert finds one already stored, it rolls back and
/// runs again with the look-up.
async fn append_batch(
    db: &DatabaseConnection,
    news: &[Appended],
) -> std::result::Result<Vec<Result<Message>>, SqlStoreError> {
    match append_batch_with(db, news, Nonces::Optimistic).await? {
        Some(results) => Ok(results),
        None => Ok(append_batch_with(db, news, Nonces::LookUp)
            .await?
            .unwrap_or_default()),
    }
}

/// One attempt; `Ok(None)`: an optimistic attempt met a stored nonce (rolled back).
async fn append_batch_with(
    db: &DatabaseConnection,
    news: &[Appended],
    nonces: Nonces,
) -> std::result::Result<Option<Vec<Result<Message>>>, SqlStoreError> {
    let slots: Vec<Slot> = news.iter().map(prepare).collect();
    if slots.iter().all(|s| matches!(s, Slot::Failed(_))) {
        return Ok(Some(
            slots
                .into_iter()
                .map(|s| match s {
                    Slot::Failed(e) => Err(e),
                    Slot::Ready(_) => Err(Error::NotFound("room")),
                })
                .collect(),
        ));
    }
    let txn = begin_write(db).await?;
    match assign_and_insert(&txn, slots, nonces).await {
        Ok(Some(results)) => {
            txn.commit().await?;
            Ok(Some(results))
        }
        other => {
            if let Err(rb) = txn.rollback().await {
                tracing::warn!(error = %rb, "rollback failed");
            }
            other.map(|_| None)
        }
    }
}

async fn assign_and_insert(
    txn: &DatabaseTransaction,
    slots: Vec<Slot>,
    nonces: Nonces,
) -> std::result::Result<Option<Vec<Result<Message>>>, SqlStoreError> {
    // Rooms of the batch, locked in id order.
    let room_ids: Vec<Uuid> = slots
        .iter()
        .filter_map(|s| match s {
            Slot::Ready(b) => Some(b.0.room_id.0),
            Slot::Failed(_) => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut last: HashMap<Uuid, i64> = HashMap::with_capacity(room_ids.len());
    for chunk in room_ids.chunks(IN_CHUNK) {
        let rows: Vec<(Uuid, i64)> = rooms::Entity::find()
            .select_only()
            .column(rooms::Column::Id)
            .column(rooms::Column::LastSeq)
            .filter(rooms::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(rooms::Column::Id)
            .lock_exclusive()
            .into_tuple()
            .all(txn)
            .await?;
        last.extend(rows);
    }

    let existing = match nonces {
        Nonces::LookUp => stored_nonces(txn, &slots, &last).await?,
        Nonces::Optimistic => HashMap::new(),
    };

    // The roots the batch replies to, locked: each reply is checked against its
    // root here, and the root's summary is updated below, before commit.
    let root_ids: Vec<Uuid> = slots
        .iter()
        .filter_map(|s| match s {
            Slot::Ready(b) => b.0.thread_root.map(|r| r.0),
            Slot::Failed(_) => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut roots = if root_ids.is_empty() {
        HashMap::new()
    } else {
        super::threads::lock_roots(txn, &root_ids).await?
    };
    let mut touched: BTreeSet<Uuid> = BTreeSet::new();

    // Sequence numbers.
    let first: HashMap<Uuid, i64> = last.clone();
    let mut results: Vec<Result<Message>> = Vec::with_capacity(slots.len());
    let mut in_batch: HashMap<NonceKey, usize> = HashMap::new();
    let mut rows: Vec<messages::ActiveModel> = Vec::with_capacity(slots.len());
    let mut mentions: Vec<message_mentions::ActiveModel> = Vec::new();
    let mut queued: Vec<super::outbox::DbRow> = Vec::new();
    for slot in slots {
        let (mut msg, mut row, event) = match slot {
            Slot::Failed(e) => {
                results.push(Err(e));
                continue;
            }
            Slot::Ready(b) => *b,
        };
        let Some(seq) = last.get_mut(&msg.room_id.0) else {
            results.push(Err(Error::NotFound("room")));
            continue;
        };
        let key = nonce_key(&msg);
        if let Some(k) = &key {
            if let Some(m) = existing.get(k) {
                results.push(Ok(m.clone()));
                continue;
            }
            if let Some(Some(Ok(m))) = in_batch.get(k).map(|&i| results.get(i)) {
                let m = m.clone();
                results.push(Ok(m));
                continue;
            }
        }
        if let Some(root) = msg.thread_root {
            let open = roots
                .get(&root.0)
                .is_some_and(|r| r.open && r.room == msg.room_id.0);
            if !open {
                results.push(Err(Error::invalid(
                    "thread_root",
                    chatcore::model::NOT_A_THREAD_ROOT,
                )));
                continue;
            }
        }
        msg.seq = *seq + 1;
        if let Some(stamp) = event {
            // Made before the seq is taken: an event that cannot be encoded fails
            // its append alone, which then stores nothing.
            match outbox_row(&stamp, &msg) {
                Ok(r) => queued.push(r),
                Err(e) => {
                    results.push(Err(e));
                    continue;
                }
            }
        }
        *seq += 1;
        row.seq = Set(*seq);
        if let Some(k) = key {
            in_batch.insert(k, results.len());
        }
        rows.push(row);
        mentions.extend(super::reads::mention_rows(
            msg.id.0,
            msg.room_id.0,
            msg.seq,
            &msg.mentions,
        ));
        if let Some(r) = msg.thread_root.and_then(|r| roots.get_mut(&r.0)) {
            r.summary.add_reply(msg.author_id, msg.created_at);
            touched.insert(msg.thread_root.map_or(Uuid::nil(), |r| r.0));
        }
        results.push(Ok(msg));
    }

    // One statement advances every room of the batch, guarded by the values read
    // under the lock: `last_seq = last_seq + k`.
    let changed: Vec<(Uuid, i64, i64)> = last
        .iter()
        .filter_map(|(room, new)| {
            let old = first.get(room).copied()?;
            (*new != old).then_some((*room, old, *new - old))
        })
        .collect();
    for chunk in changed.chunks(IN_CHUNK / 4) {
        let mut guard = Condition::any();
        let mut step: Option<CaseStatement> = None;
        for (room, old, k) in chunk {
            guard = guard.add(
                Condition::all()
                    .add(rooms::Column::Id.eq(*room))
                    .add(rooms::Column::LastSeq.eq(*old)),
            );
            let when = Expr::col(rooms::Column::Id).eq(*room);
            let then = Expr::col(rooms::Column::LastSeq).add(*k);
            step = Some(match step {
                None => Expr::case(when, then),
                Some(case) => case.case(when, then),
            });
        }
        let Some(step) = step else { continue };
        let res = rooms::Entity::update_many()
            .col_expr(
                rooms::Column::LastSeq,
                step.finally(Expr::col(rooms::Column::LastSeq)).into(),
            )
            .filter(guard)
            .exec(txn)
            .await?;
        if res.rows_affected != chunk.len() as u64 {
            let room = chunk.first().map_or(Uuid::nil(), |c| c.0);
            return Err(SqlStoreError::SequenceRace(room));
        }
    }

    let expected = rows.len() as u64;
    let mut inserted = 0u64;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<messages::ActiveModel> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        let insert = messages::Entity::insert_many(chunk);
        inserted += match nonces {
            Nonces::Optimistic => match insert
                .on_conflict_do_nothing_on([
                    messages::Column::AuthorId,
                    messages::Column::RoomId,
                    messages::Column::ClientNonce,
                ])
                .exec_without_returning(txn)
                .await?
            {
                TryInsertResult::Inserted(n) => n,
                TryInsertResult::Conflicted | TryInsertResult::Empty => 0,
            },
            Nonces::LookUp => insert.exec_without_returning(txn).await?,
        };
    }
    if inserted != expected {
        // A nonce was stored before this batch: redo with the look-up.
        return Ok(None);
    }
    // The summaries of the roots replied to, in the same transaction.
    for root in touched {
        if let Some(r) = roots.get(&root) {
            super::threads::set_summary(txn, root, &r.summary).await?;
        }
    }
    // The mentions of the new messages, in the same transaction (counted by
    // `ReadStore::read_counts`).
    let mut mentions = mentions.into_iter().peekable();
    while mentions.peek().is_some() {
        let chunk: Vec<message_mentions::ActiveModel> =
            mentions.by_ref().take(ROWS_PER_INSERT * 2).collect();
        message_mentions::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    // The `message_created` events of the new messages, in the same transaction,
    // in seq order per room (the order of the batch).
    super::outbox::insert_rows(txn, queued).await?;
    Ok(Some(results))
}

/// The stored form of a `message_created` outbox row.
fn outbox_row(stamp: &EventStamp, msg: &Message) -> Result<super::outbox::DbRow> {
    let (id, room, payload, at) = chatcore::events::message_created_row(stamp, msg)?;
    Ok((id, room.0, payload, convert::ts(at)?))
}

/// The messages already stored under the nonces of the batch.
async fn stored_nonces(
    txn: &DatabaseTransaction,
    slots: &[Slot],
    rooms: &HashMap<Uuid, i64>,
) -> std::result::Result<HashMap<NonceKey, Message>, SqlStoreError> {
    let keys: Vec<NonceKey> = slots
        .iter()
        .filter_map(|s| match s {
            Slot::Ready(b) if rooms.contains_key(&b.0.room_id.0) => nonce_key(&b.0),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut existing = HashMap::new();
    for chunk in keys.chunks(NONCES_PER_QUERY) {
        let mut any = Condition::any();
        for (room, author, nonce) in chunk {
            any = any.add(
                Condition::all()
                    .add(messages::Column::AuthorId.eq(*author))
                    .add(messages::Column::RoomId.eq(*room))
                    .add(messages::Column::ClientNonce.eq(nonce.as_str())),
            );
        }
        let rows = messages::Entity::find().filter(any).all(txn).await?;
        for row in rows {
            let m = match convert::message(row) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping unreadable message in nonce look-up");
                    continue;
                }
            };
            if let Some(k) = nonce_key(&m) {
                existing.insert(k, m);
            }
        }
    }
    Ok(existing)
}
