//! `SiteStore`: site administrators, suspensions, site-wide listings, audit log.

use async_trait::async_trait;
use chatcore::model::{Room, Timestamp, User};
use chatcore::site::{AdminAction, AuditEntry, SiteStatus};
use chatcore::store::SiteStore;
use chatcore::{Error, Result, RoomId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::SqlStore;
use crate::convert::{self, from_ts, ts, ts_opt};
use crate::entity::{admin_audit, rooms, sessions, users};
use crate::error::{backend, corrupt};

fn status(m: &users::Model) -> SiteStatus {
    SiteStatus {
        admin_since: m.site_admin_since.map(from_ts),
        suspended_at: m.suspended_at.map(from_ts),
    }
}

impl SqlStore {
    async fn user_row(&self, user: UserId) -> Result<Option<users::Model>> {
        users::Entity::find_by_id(user.0)
            .one(self.write())
            .await
            .map_err(backend)
    }

    async fn require_user(&self, user: UserId) -> Result<users::Model> {
        self.user_row(user).await?.ok_or(Error::NotFound("user"))
    }
}

#[async_trait]
impl SiteStore for SqlStore {
    async fn set_site_admin(&self, user: UserId, since: Option<Timestamp>) -> Result<bool> {
        self.require_user(user).await?;
        let mut q = users::Entity::update_many()
            .col_expr(users::Column::SiteAdminSince, Expr::value(ts_opt(since)?))
            .filter(users::Column::Id.eq(user.0));
        // Compare and set: only a change of state writes (a grant keeps the first time).
        q = match since {
            Some(_) => q.filter(users::Column::SiteAdminSince.is_null()),
            None => q.filter(users::Column::SiteAdminSince.is_not_null()),
        };
        let res = q.exec(self.write()).await.map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn list_site_admins(&self) -> Result<Vec<User>> {
        users::Entity::find()
            .filter(users::Column::SiteAdminSince.is_not_null())
            .order_by_asc(users::Column::UsernameNormalized)
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::user)
            .collect()
    }

    async fn site_status(&self, user: UserId) -> Result<Option<SiteStatus>> {
        Ok(users::Entity::find_by_id(user.0)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(|m| status(&m)))
    }

    async fn suspend_user(&self, user: UserId, at: Timestamp) -> Result<u64> {
        self.require_user(user).await?;
        // First the flag, committed on its own; then the sessions (see the trait).
        users::Entity::update_many()
            .col_expr(users::Column::SuspendedAt, Expr::value(ts(at)?))
            .filter(users::Column::Id.eq(user.0))
            .filter(users::Column::SuspendedAt.is_null())
            .exec(self.write())
            .await
            .map_err(backend)?;
        let res = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected)
    }

    async fn unsuspend_user(&self, user: UserId) -> Result<bool> {
        self.require_user(user).await?;
        let res = users::Entity::update_many()
            .col_expr(users::Column::SuspendedAt, Expr::value(None::<i64>))
            .filter(users::Column::Id.eq(user.0))
            .filter(users::Column::SuspendedAt.is_not_null())
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn list_all_users(
        &self,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<(User, SiteStatus)>> {
        let mut q = users::Entity::find();
        if let Some(a) = after {
            q = q.filter(users::Column::Id.gt(a.0));
        }
        let rows = q
            .order_by_asc(users::Column::Id)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?;
        rows.into_iter()
            .map(|m| {
                let s = status(&m);
                convert::user(m).map(|u| (u, s))
            })
            .collect()
    }

    async fn list_all_rooms(&self, after: Option<RoomId>, limit: u32) -> Result<Vec<Room>> {
        let mut q = rooms::Entity::find();
        if let Some(a) = after {
            q = q.filter(rooms::Column::Id.gt(a.0));
        }
        q.order_by_asc(rooms::Column::Id)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::room)
            .collect()
    }

    async fn append_audit(&self, e: AuditEntry) -> Result<()> {
        let row = admin_audit::ActiveModel {
            id: Set(e.id),
            at: Set(ts(e.at)?),
            actor_id: Set(e.actor.map(|u| u.0)),
            action: Set(e.action.as_str().to_owned()),
            target_user_id: Set(e.target_user.map(|u| u.0)),
            target_room_id: Set(e.target_room.map(|r| r.0)),
            detail: Set(e.detail),
        };
        admin_audit::Entity::insert(row)
            .exec_without_returning(self.write())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_audit(&self, before: Option<uuid::Uuid>, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut q = admin_audit::Entity::find();
        if let Some(b) = before {
            q = q.filter(admin_audit::Column::Id.lt(b));
        }
        q.order_by_desc(admin_audit::Column::Id)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(|m| {
                let action = AdminAction::parse(&m.action)
                    .ok_or_else(|| corrupt("admin_audit", format!("action {}", m.action)))?;
                Ok(AuditEntry {
                    id: m.id,
                    at: from_ts(m.at),
                    actor: m.actor_id.map(UserId),
                    action,
                    target_user: m.target_user_id.map(UserId),
                    target_room: m.target_room_id.map(RoomId),
                    detail: m.detail,
                })
            })
            .collect()
    }
}
