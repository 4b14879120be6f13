//! `ThreadStore`, and the thread parts of the append and delete transactions.

use std::collections::HashMap;

use async_trait::async_trait;
use chatcore::model::{HistoryScope, Message, MessageKind, PageRequest, ThreadSummary};
use chatcore::store::ThreadStore;
use chatcore::{Result, RoomId, UserId};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::SqlStore;
use super::txn::IN_CHUNK;
use crate::convert::from_ts;
use crate::entity;
use crate::error::{SqlStoreError, backend};

/// A root as the append transaction sees it, locked until commit.
pub(super) struct Root {
    /// Whether it may take replies in `room`.
    pub(super) room: Uuid,
    pub(super) open: bool,
    pub(super) summary: ThreadSummary,
}

/// Read and lock (PostgreSQL `FOR UPDATE`; SQLite holds the write lock) the roots
/// a batch replies to. Missing roots are left out.
pub(super) async fn lock_roots(
    txn: &DatabaseTransaction,
    roots: &[Uuid],
) -> std::result::Result<HashMap<Uuid, Root>, SqlStoreError> {
    let mut out = HashMap::with_capacity(roots.len());
    for chunk in roots.chunks(IN_CHUNK) {
        let rows = entity::messages::Entity::find()
            .filter(entity::messages::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(entity::messages::Column::Id)
            .lock_exclusive()
            .all(txn)
            .await?;
        for m in rows {
            let open = m.deleted_at.is_none()
                && m.kind != MessageKind::System.as_str()
                && m.thread_root.is_none();
            let summary = match m.thread.as_deref() {
                Some(s) => serde_json::from_str(s).map_err(|e| SqlStoreError::CorruptRow {
                    table: "messages",
                    what: format!("thread: {e}"),
                })?,
                None => ThreadSummary::default(),
            };
            out.insert(
                m.id,
                Root {
                    room: m.room_id,
                    open,
                    summary,
                },
            );
        }
    }
    Ok(out)
}

/// Store a root's summary.
pub(super) async fn set_summary(
    db: &impl ConnectionTrait,
    root: Uuid,
    summary: &ThreadSummary,
) -> std::result::Result<(), SqlStoreError> {
    let json = serde_json::to_string(summary).map_err(|e| SqlStoreError::CorruptRow {
        table: "messages",
        what: format!("thread: {e}"),
    })?;
    entity::messages::Entity::update_many()
        .col_expr(entity::messages::Column::Thread, Expr::value(json))
        .filter(entity::messages::Column::Id.eq(root))
        .exec(db)
        .await?;
    Ok(())
}

/// Recompute a root's summary from the replies left (inside the delete
/// transaction, after the tombstone), the root locked first so that it serializes
/// with the appends of replies.
pub(super) async fn recount(txn: &DatabaseTransaction, root: Uuid) -> Result<()> {
    let locked: Option<Uuid> = entity::messages::Entity::find_by_id(root)
        .select_only()
        .column(entity::messages::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await
        .map_err(backend)?;
    if locked.is_none() {
        return Ok(());
    }
    let replies: Vec<(Option<Uuid>, i64)> = entity::messages::Entity::find()
        .select_only()
        .column(entity::messages::Column::AuthorId)
        .column(entity::messages::Column::CreatedAt)
        .filter(entity::messages::Column::ThreadRoot.eq(root))
        .filter(entity::messages::Column::DeletedAt.is_null())
        .order_by_asc(entity::messages::Column::Seq)
        .into_tuple()
        .all(txn)
        .await
        .map_err(backend)?;
    let summary = ThreadSummary::of_replies(
        replies
            .into_iter()
            .map(|(a, t)| (a.map(UserId), from_ts(t))),
    );
    Ok(set_summary(txn, root, &summary).await?)
}

#[async_trait]
impl ThreadStore for SqlStore {
    async fn list_scoped(
        &self,
        room: RoomId,
        scope: HistoryScope,
        page: PageRequest,
    ) -> Result<Vec<Message>> {
        let q =
            entity::messages::Entity::find().filter(entity::messages::Column::RoomId.eq(room.0));
        let q = match scope {
            HistoryScope::Room => q.filter(
                Condition::any()
                    .add(entity::messages::Column::ThreadRoot.is_null())
                    .add(entity::messages::Column::AlsoInRoom.eq(true)),
            ),
            HistoryScope::Thread(root) => q.filter(entity::messages::Column::ThreadRoot.eq(root.0)),
        };
        super::paging::page(self.read(), q, page).await
    }
}
