//! `SessionStore` and `Maintenance`.

use async_trait::async_trait;
use chatcore::model::{Session, Timestamp};
use chatcore::store::{Maintenance, SessionStore};
use chatcore::{Result, SessionId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::SqlStore;
use crate::convert::{self, ts};
use crate::entity::{bans, sessions};
use crate::error::{backend, write_err};

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_session(&self, s: Session) -> Result<()> {
        let row = sessions::ActiveModel {
            id: Set(s.id.0),
            user_id: Set(s.user_id.0),
            token_hash: Set(s.token_hash.to_vec()),
            created_at: Set(ts(s.created_at)?),
            last_used_at: Set(ts(s.last_used_at)?),
            expires_at: Set(ts(s.expires_at)?),
            user_agent: Set(s.user_agent),
        };
        sessions::Entity::insert(row)
            .exec_without_returning(self.write())
            .await
            .map_err(|e| write_err(e, "user"))?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash.to_vec()))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::session)
            .transpose()
    }

    async fn get_session(&self, id: SessionId) -> Result<Option<Session>> {
        sessions::Entity::find_by_id(id.0)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::session)
            .transpose()
    }

    async fn touch_session(
        &self,
        id: SessionId,
        last_used_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastUsedAt, Expr::value(ts(last_used_at)?))
            .col_expr(sessions::Column::ExpiresAt, Expr::value(ts(expires_at)?))
            .filter(sessions::Column::Id.eq(id.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>> {
        sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.0))
            .order_by_desc(sessions::Column::CreatedAt)
            .order_by_desc(sessions::Column::Id)
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::session)
            .collect()
    }

    async fn delete_session(&self, user: UserId, id: SessionId) -> Result<bool> {
        let res = sessions::Entity::delete_many()
            .filter(sessions::Column::Id.eq(id.0))
            .filter(sessions::Column::UserId.eq(user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn delete_user_sessions(&self, user: UserId) -> Result<u64> {
        let res = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected)
    }
}

#[async_trait]
impl Maintenance for SqlStore {
    async fn delete_expired(&self, now: Timestamp) -> Result<u64> {
        let now = ts(now)?;
        self.write_txn(async move |txn| {
            let s = sessions::Entity::delete_many()
                .filter(sessions::Column::ExpiresAt.lte(now))
                .exec(txn)
                .await
                .map_err(backend)?;
            let b = bans::Entity::delete_many()
                .filter(bans::Column::ExpiresAt.is_not_null())
                .filter(bans::Column::ExpiresAt.lte(now))
                .exec(txn)
                .await
                .map_err(backend)?;
            let t = crate::entity::account_tokens::Entity::delete_many()
                .filter(crate::entity::account_tokens::Column::ExpiresAt.lte(now))
                .exec(txn)
                .await
                .map_err(backend)?;
            Ok(s.rows_affected + b.rows_affected + t.rows_affected)
        })
        .await
    }
}
