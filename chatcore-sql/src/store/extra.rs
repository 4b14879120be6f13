//! `ExtraStore`: the custom data of messages and memberships (rooms' goes with
//! `update_room`).

use async_trait::async_trait;
use chatcore::model::Extra;
use chatcore::store::ExtraStore;
use chatcore::{MessageId, Result, RoomId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::SqlStore;
use crate::convert::extra_json;
use crate::entity::{memberships, messages};
use crate::error::backend;

#[async_trait]
impl ExtraStore for SqlStore {
    async fn set_message_extra(&self, id: MessageId, extra: Option<&Extra>) -> Result<bool> {
        // One statement: a tombstone (deleted first, or concurrently) is never written.
        let res = messages::Entity::update_many()
            .col_expr(messages::Column::Extra, Expr::value(extra_json(extra)?))
            .filter(messages::Column::Id.eq(id.0))
            .filter(messages::Column::DeletedAt.is_null())
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn set_member_extra(
        &self,
        room: RoomId,
        user: UserId,
        extra: Option<&Extra>,
    ) -> Result<bool> {
        let res = memberships::Entity::update_many()
            .col_expr(memberships::Column::Extra, Expr::value(extra_json(extra)?))
            .filter(memberships::Column::RoomId.eq(room.0))
            .filter(memberships::Column::UserId.eq(user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }
}
