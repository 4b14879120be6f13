//! `NotifyStore`: notification settings on `memberships.notify_level`.

use async_trait::async_trait;
use chatcore::model::NotifyLevel;
use chatcore::store::NotifyStore;
use chatcore::{Result, RoomId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::SqlStore;
use crate::entity::memberships;
use crate::error::backend;

/// A stored level; an unknown one reads as never chosen (the default applies).
fn parse(s: Option<String>) -> Option<NotifyLevel> {
    s.as_deref().and_then(NotifyLevel::parse)
}

#[async_trait]
impl NotifyStore for SqlStore {
    async fn set_notify_level(
        &self,
        room: RoomId,
        user: UserId,
        level: NotifyLevel,
    ) -> Result<bool> {
        let res = memberships::Entity::update_many()
            .col_expr(
                memberships::Column::NotifyLevel,
                Expr::value(level.as_str()),
            )
            .filter(memberships::Column::RoomId.eq(room.0))
            .filter(memberships::Column::UserId.eq(user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn notify_level(&self, room: RoomId, user: UserId) -> Result<Option<NotifyLevel>> {
        let row: Option<Option<String>> = memberships::Entity::find_by_id((room.0, user.0))
            .select_only()
            .column(memberships::Column::NotifyLevel)
            .into_tuple()
            .one(self.read())
            .await
            .map_err(backend)?;
        Ok(row.and_then(parse))
    }

    async fn notify_levels(&self, room: RoomId) -> Result<Vec<(UserId, NotifyLevel)>> {
        let rows: Vec<(Uuid, Option<String>)> = memberships::Entity::find()
            .select_only()
            .column(memberships::Column::UserId)
            .column(memberships::Column::NotifyLevel)
            .filter(memberships::Column::RoomId.eq(room.0))
            .filter(memberships::Column::NotifyLevel.is_not_null())
            .order_by_asc(memberships::Column::UserId)
            .into_tuple()
            .all(self.read())
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .filter_map(|(u, l)| parse(l).map(|l| (UserId(u), l)))
            .collect())
    }
}
