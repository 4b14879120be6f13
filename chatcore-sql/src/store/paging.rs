//! Paging a selection of messages by `seq` (history and threads).

use chatcore::Result;
use chatcore::model::{Message, PageRequest};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::convert;
use crate::entity::messages;
use crate::error::backend;

/// A page of the messages `q` selects, by the cursor rules of
/// [`MessageStore::list_messages`].
pub(super) async fn page(
    db: &DatabaseConnection,
    q: Select<messages::Entity>,
    page: PageRequest,
) -> Result<Vec<Message>> {
    let mut q = q;
    if let Some(before) = page.before {
        q = q.filter(messages::Column::Seq.lt(before));
    }
    let limit = u64::from(page.limit);
    let rows = if let Some(after) = page.after {
        // The first `limit` after the cursor.
        q.filter(messages::Column::Seq.gt(after))
            .order_by_asc(messages::Column::Seq)
            .limit(limit)
            .all(db)
            .await
            .map_err(backend)?
    } else {
        // The last `limit` before the cursor, returned ascending.
        let mut rows = q
            .order_by_desc(messages::Column::Seq)
            .limit(limit)
            .all(db)
            .await
            .map_err(backend)?;
        rows.reverse();
        rows
    };
    rows.into_iter().map(convert::message).collect()
}
