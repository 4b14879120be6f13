//! Bulk loading of message histories straight into a chatcore SQL database
//! (SQLite or PostgreSQL), bypassing the store's append path: multi-row `INSERT`s
//! of `messages` (and `message_mentions`) in large transactions, each advancing
//! `rooms.last_seq` of the rooms it wrote, so the rows are what appends would have
//! left (gapless seq from the room's last, mention rows for the counts). The full-text
//! index follows by itself: SQLite's `messages_fts` through its insert trigger,
//! PostgreSQL's GIN expression index on `to_tsvector('simple', body)`.
//!
//! Rooms, users and memberships are made through the store beforehand; the rows are
//! built with `chatcore-sql`'s entities, so the column encodings (UUIDs, nanosecond
//! timestamps, mention JSON) are the store's own.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chatcore::{RoomId, UserId};
use chatcore_sqlite::chatcore_sql::entity::{message_mentions, messages, rooms};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

/// Rows per multi-row `INSERT` (17 bound values each: 8,500 per statement, below
/// SQLite's 32,766 and PostgreSQL's 65,535).
const ROWS_PER_INSERT: usize = 500;
/// Messages per transaction.
const ROWS_PER_TXN: usize = 50_000;

/// One message to load: its room (an index into the rooms given to [`load`]), its
/// author, its body and whom it mentions.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index of the room in [`Load::rooms`].
    pub room: usize,
    /// The author.
    pub author: UserId,
    /// The text.
    pub body: String,
    /// The mentioned users.
    pub mentions: Vec<UserId>,
}

/// What to load.
#[derive(Debug)]
pub struct Load<'a> {
    /// The rooms (already created).
    pub rooms: &'a [RoomId],
    /// Messages to add, in order; each room's get consecutive seqs after its last.
    pub rows: usize,
    /// Nanoseconds since the epoch of the first message; each next one is 1 ms later.
    pub first_at: i64,
}

fn err(e: sea_orm::DbErr) -> chatcore::Error {
    chatcore::Error::backend(e)
}

/// Load `load.rows` messages made by `make(i)` for `i` in `0..rows`; returns the time
/// taken. Prints progress to stderr every transaction.
pub async fn load(
    db: &DatabaseConnection,
    load: Load<'_>,
    mut make: impl FnMut(usize) -> Row,
) -> chatcore::Result<Duration> {
    let started = Instant::now();
    let ids: Vec<Uuid> = load.rooms.iter().map(|r| r.0).collect();
    let mut seq: Vec<i64> = vec![0; ids.len()];
    let index: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for chunk in ids.chunks(500) {
        let found = rooms::Entity::find()
            .filter(rooms::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await
            .map_err(err)?;
        for r in found {
            if let Some(&i) = index.get(&r.id) {
                seq[i] = r.last_seq;
            }
        }
    }
    let mut done = 0;
    while done < load.rows {
        let end = (done + ROWS_PER_TXN).min(load.rows);
        let txn = db.begin().await.map_err(err)?;
        let mut touched = vec![false; ids.len()];
        let mut batch = Vec::with_capacity(ROWS_PER_INSERT);
        let mut mentions = Vec::new();
        for i in done..end {
            let row = make(i);
            let room = *ids.get(row.room).ok_or_else(|| {
                chatcore::Error::invalid("room", format!("no room at index {}", row.room))
            })?;
            seq[row.room] += 1;
            touched[row.room] = true;
            let id = Uuid::now_v7();
            let mut seen = Vec::new();
            for u in &row.mentions {
                if !seen.contains(u) {
                    seen.push(*u);
                    mentions.push(message_mentions::ActiveModel {
                        message_id: Set(id),
                        user_id: Set(u.0),
                        room_id: Set(room),
                        seq: Set(seq[row.room]),
                    });
                }
            }
            let mention_json = if row.mentions.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&row.mentions).map_err(chatcore::Error::backend)?)
            };
            batch.push(messages::ActiveModel {
                id: Set(id),
                room_id: Set(room),
                seq: Set(seq[row.room]),
                author_id: Set(Some(row.author.0)),
                kind: Set("text".to_owned()),
                body: Set(row.body),
                system: Set(None),
                attachment: Set(None),
                reply_to: Set(None),
                client_nonce: Set(None),
                created_at: Set(load.first_at + i as i64 * 1_000_000),
                edited_at: Set(None),
                deleted_at: Set(None),
                mentions: Set(mention_json),
                thread_root: Set(None),
                also_in_room: Set(false),
                thread: Set(None),
                extra: Set(None),
            });
            if batch.len() == ROWS_PER_INSERT {
                let rows = std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_INSERT));
                messages::Entity::insert_many(rows)
                    .exec_without_returning(&txn)
                    .await
                    .map_err(err)?;
            }
        }
        if !batch.is_empty() {
            messages::Entity::insert_many(batch)
                .exec_without_returning(&txn)
                .await
                .map_err(err)?;
        }
        for chunk in mentions.chunks(ROWS_PER_INSERT) {
            message_mentions::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await
                .map_err(err)?;
        }
        for (i, _) in touched.iter().enumerate().filter(|(_, t)| **t) {
            rooms::Entity::update_many()
                .col_expr(rooms::Column::LastSeq, Expr::value(seq[i]))
                .filter(rooms::Column::Id.eq(ids[i]))
                .exec(&txn)
                .await
                .map_err(err)?;
        }
        txn.commit().await.map_err(err)?;
        done = end;
        eprintln!(
            "  loaded {done}/{} messages in {:.1} s",
            load.rows,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(started.elapsed())
}
