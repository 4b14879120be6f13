//! `ModerationStore`: reports, moderation log, timeouts, blocks.

use async_trait::async_trait;
use chatcore::model::{
    Ban, Block, ModAction, ModLogEntry, Report, ReportResolution, Role, Timeout, Timestamp,
};
use chatcore::store::{ModeratedBy, ModerationStore};
use chatcore::{Conflict, Error, MessageId, Result, RoomId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use uuid::Uuid;

use super::SqlStore;
use super::moderated::insert_log;
use crate::convert::{from_ts, ts, ts_opt};
use crate::entity::{mod_log, reports, timeouts, user_blocks, users};
use crate::error::{backend, corrupt, write_err};

fn open_key(reporter: UserId, message: MessageId) -> String {
    format!("{}:{}", reporter.0, message.0)
}

fn report(m: reports::Model) -> Result<Report> {
    let resolution = match m.resolution.as_deref() {
        None => None,
        Some(s) => Some(
            ReportResolution::parse(s)
                .ok_or_else(|| corrupt("reports", format!("resolution {s}")))?,
        ),
    };
    Ok(Report {
        id: m.id,
        room_id: RoomId(m.room_id),
        message_id: MessageId(m.message_id),
        reporter: m.reporter_id.map(UserId),
        author: m.author_id.map(UserId),
        body: m.body,
        reason: m.reason,
        created_at: from_ts(m.created_at),
        resolution,
        resolved_by: m.resolved_by.map(UserId),
        resolved_at: m.resolved_at.map(from_ts),
    })
}

fn timeout(m: timeouts::Model) -> Timeout {
    Timeout {
        room_id: RoomId(m.room_id),
        user_id: UserId(m.user_id),
        until: from_ts(m.ends_at),
        by: m.by_id.map(UserId),
        reason: m.reason,
        created_at: from_ts(m.created_at),
    }
}

fn report_err(e: DbErr) -> Error {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) if msg.contains("open_key") => {
            Error::Conflict(Conflict::ReportOpen)
        }
        _ => write_err(e, "room"),
    }
}

#[async_trait]
impl ModerationStore for SqlStore {
    async fn create_report(&self, r: Report) -> Result<()> {
        let row = reports::ActiveModel {
            id: Set(r.id),
            room_id: Set(r.room_id.0),
            message_id: Set(r.message_id.0),
            reporter_id: Set(r.reporter.map(|u| u.0)),
            author_id: Set(r.author.map(|u| u.0)),
            body: Set(r.body.clone()),
            reason: Set(r.reason.clone()),
            created_at: Set(ts(r.created_at)?),
            resolution: Set(r.resolution.map(|x| x.as_str().to_owned())),
            resolved_by: Set(r.resolved_by.map(|u| u.0)),
            resolved_at: Set(ts_opt(r.resolved_at)?),
            open_key: Set(match (r.reporter, r.is_open()) {
                (Some(u), true) => Some(open_key(u, r.message_id)),
                _ => None,
            }),
        };
        reports::Entity::insert(row)
            .exec_without_returning(self.write())
            .await
            .map_err(report_err)?;
        Ok(())
    }

    async fn get_report(&self, id: Uuid) -> Result<Option<Report>> {
        reports::Entity::find_by_id(id)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(report)
            .transpose()
    }

    async fn list_reports(
        &self,
        room: Option<RoomId>,
        open_only: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Report>> {
        let mut q = reports::Entity::find();
        if let Some(room) = room {
            q = q.filter(reports::Column::RoomId.eq(room.0));
        }
        if open_only {
            q = q.filter(reports::Column::ResolvedAt.is_null());
        }
        if let Some(b) = before {
            q = q.filter(reports::Column::Id.lt(b));
        }
        q.order_by_desc(reports::Column::Id)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(report)
            .collect()
    }

    async fn resolve_report(
        &self,
        id: Uuid,
        resolution: ReportResolution,
        by: UserId,
        at: Timestamp,
        log: ModLogEntry,
    ) -> Result<bool> {
        let at = ts(at)?;
        self.write_txn(async move |txn| {
            // Compare and set: only an open report is closed, so of two moderators
            // exactly one changes the row.
            let res = reports::Entity::update_many()
                .col_expr(
                    reports::Column::Resolution,
                    Expr::value(Some(resolution.as_str().to_owned())),
                )
                .col_expr(reports::Column::ResolvedBy, Expr::value(Some(by.0)))
                .col_expr(reports::Column::ResolvedAt, Expr::value(Some(at)))
                .col_expr(
                    reports::Column::OpenKey,
                    Expr::value(Option::<String>::None),
                )
                .filter(reports::Column::Id.eq(id))
                .filter(reports::Column::ResolvedAt.is_null())
                .exec(txn)
                .await
                .map_err(backend)?;
            if res.rows_affected == 0 {
                return Ok(false);
            }
            insert_log(txn, &log).await?;
            Ok(true)
        })
        .await
    }

    async fn reopen_report(&self, id: Uuid, log: Uuid) -> Result<()> {
        self.write_txn(async move |txn| {
            let Some(row) = reports::Entity::find_by_id(id)
                .one(txn)
                .await
                .map_err(backend)?
            else {
                return Ok(());
            };
            let key = row
                .reporter_id
                .map(|u| open_key(UserId(u), MessageId(row.message_id)));
            reports::Entity::update_many()
                .col_expr(
                    reports::Column::Resolution,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    reports::Column::ResolvedBy,
                    Expr::value(Option::<Uuid>::None),
                )
                .col_expr(
                    reports::Column::ResolvedAt,
                    Expr::value(Option::<i64>::None),
                )
                .col_expr(reports::Column::OpenKey, Expr::value(key))
                .filter(reports::Column::Id.eq(id))
                .exec(txn)
                .await
                .map_err(report_err)?;
            mod_log::Entity::delete_by_id(log)
                .exec(txn)
                .await
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn append_mod_log(&self, entry: ModLogEntry) -> Result<()> {
        insert_log(self.write(), &entry).await
    }

    async fn kick_logged(
        &self,
        room: RoomId,
        user: UserId,
        expected: Role,
        by: ModeratedBy,
    ) -> Result<bool> {
        super::moderated::kick(self, room, user, expected, by).await
    }

    async fn ban_logged(&self, ban: Ban, expected: Role, by: ModeratedBy) -> Result<bool> {
        super::moderated::ban(self, ban, expected, by).await
    }

    async fn set_role_logged(
        &self,
        room: RoomId,
        user: UserId,
        expected: Role,
        role: Role,
        by: ModeratedBy,
    ) -> Result<()> {
        super::moderated::set_role(self, room, user, expected, role, by).await
    }

    async fn list_mod_log(
        &self,
        room: RoomId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<ModLogEntry>> {
        let mut q = mod_log::Entity::find().filter(mod_log::Column::RoomId.eq(room.0));
        if let Some(b) = before {
            q = q.filter(mod_log::Column::Id.lt(b));
        }
        q.order_by_desc(mod_log::Column::Id)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(|m| {
                let action = ModAction::parse(&m.action)
                    .ok_or_else(|| corrupt("mod_log", format!("action {}", m.action)))?;
                Ok(ModLogEntry {
                    id: m.id,
                    room_id: RoomId(m.room_id),
                    at: from_ts(m.at),
                    actor: m.actor_id.map(UserId),
                    action,
                    target_user: m.target_user_id.map(UserId),
                    target_message: m.target_message_id.map(MessageId),
                    reason: m.reason,
                })
            })
            .collect()
    }

    async fn set_timeout(&self, t: Timeout, log: ModLogEntry) -> Result<()> {
        let row = timeouts::ActiveModel {
            room_id: Set(t.room_id.0),
            user_id: Set(t.user_id.0),
            ends_at: Set(ts(t.until)?),
            by_id: Set(t.by.map(|u| u.0)),
            reason: Set(t.reason.clone()),
            created_at: Set(ts(t.created_at)?),
        };
        self.write_txn(async move |txn| {
            timeouts::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([timeouts::Column::RoomId, timeouts::Column::UserId])
                        .update_columns([
                            timeouts::Column::EndsAt,
                            timeouts::Column::ById,
                            timeouts::Column::Reason,
                            timeouts::Column::CreatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await
                .map_err(|e| write_err(e, "room"))?;
            insert_log(txn, &log).await
        })
        .await
    }

    async fn clear_timeout(&self, room: RoomId, user: UserId, log: ModLogEntry) -> Result<bool> {
        self.write_txn(async move |txn| {
            let res = timeouts::Entity::delete_by_id((room.0, user.0))
                .exec(txn)
                .await
                .map_err(backend)?;
            if res.rows_affected == 0 {
                return Ok(false);
            }
            insert_log(txn, &log).await?;
            Ok(true)
        })
        .await
    }

    async fn get_timeout(&self, room: RoomId, user: UserId) -> Result<Option<Timeout>> {
        Ok(timeouts::Entity::find_by_id((room.0, user.0))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(timeout))
    }

    async fn user_timeouts(&self, user: UserId) -> Result<Vec<Timeout>> {
        Ok(timeouts::Entity::find()
            .filter(timeouts::Column::UserId.eq(user.0))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(timeout)
            .collect())
    }

    async fn block_user(&self, blocker: UserId, blocked: UserId, at: Timestamp) -> Result<bool> {
        let found: Vec<Uuid> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Id.is_in([blocker.0, blocked.0]))
            .into_tuple()
            .all(self.write())
            .await
            .map_err(backend)?;
        if found.len() < 2 {
            return Err(Error::NotFound("user"));
        }
        let res = user_blocks::Entity::insert(user_blocks::ActiveModel {
            blocker_id: Set(blocker.0),
            blocked_id: Set(blocked.0),
            created_at: Set(ts(at)?),
        })
        .on_conflict_do_nothing_on([
            user_blocks::Column::BlockerId,
            user_blocks::Column::BlockedId,
        ])
        .exec_without_returning(self.write())
        .await
        .map_err(|e| write_err(e, "user"))?;
        Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
    }

    async fn unblock_user(&self, blocker: UserId, blocked: UserId) -> Result<bool> {
        let res = user_blocks::Entity::delete_by_id((blocker.0, blocked.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn list_blocks(&self, blocker: UserId) -> Result<Vec<Block>> {
        Ok(user_blocks::Entity::find()
            .filter(user_blocks::Column::BlockerId.eq(blocker.0))
            .order_by_desc(user_blocks::Column::CreatedAt)
            .order_by_asc(user_blocks::Column::BlockedId)
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(|m| Block {
                user_id: UserId(m.blocked_id),
                created_at: from_ts(m.created_at),
            })
            .collect())
    }

    async fn blocked_between(&self, a: UserId, b: UserId) -> Result<bool> {
        let n = user_blocks::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(user_blocks::Column::BlockerId.eq(a.0))
                            .add(user_blocks::Column::BlockedId.eq(b.0)),
                    )
                    .add(
                        Condition::all()
                            .add(user_blocks::Column::BlockerId.eq(b.0))
                            .add(user_blocks::Column::BlockedId.eq(a.0)),
                    ),
            )
            .count(self.read())
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }
}
