//! The moderated actions of `ModerationStore` (kick, ban, role change): the actor's
//! role re-checked and the log entry appended in the action's own transaction.

use chatcore::model::{Ban, ModLogEntry, Role};
use chatcore::store::{ModeratedBy, OWNER_STAYS, OWNERSHIP_MOVES};
use chatcore::{Conflict, Error, Result, RoomId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::SqlStore;
use super::rooms::lock_room;
use crate::convert::{ts, ts_opt};
use crate::entity::{bans, invites, memberships, mod_log};
use crate::error::{backend, write_err};

/// The role of a member, its row locked for the rest of the transaction.
async fn locked_role(txn: &DatabaseTransaction, room: Uuid, user: Uuid) -> Result<Option<Role>> {
    let role: Option<String> = memberships::Entity::find_by_id((room, user))
        .select_only()
        .column(memberships::Column::Role)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await
        .map_err(backend)?;
    Ok(role.and_then(|r| Role::parse(&r)))
}

/// The actor still holds the role the action was authorized with.
async fn check_actor(txn: &DatabaseTransaction, room: Uuid, by: &ModeratedBy) -> Result<()> {
    if locked_role(txn, room, by.actor.0).await? == Some(by.role) {
        Ok(())
    } else {
        Err(Error::Conflict(Conflict::Concurrent))
    }
}

pub(super) async fn kick(
    store: &SqlStore,
    room: RoomId,
    user: UserId,
    expected: Role,
    by: ModeratedBy,
) -> Result<bool> {
    let (room, user) = (room.0, user.0);
    store
        .write_txn(async move |txn| {
            check_actor(txn, room, &by).await?;
            let Some(target) = locked_role(txn, room, user).await? else {
                return Ok(false);
            };
            if target == Role::Owner {
                return Err(Error::Forbidden(OWNER_STAYS));
            }
            if target != expected {
                return Err(Error::Conflict(Conflict::Concurrent));
            }
            memberships::Entity::delete_by_id((room, user))
                .exec(txn)
                .await
                .map_err(backend)?;
            insert_log(txn, &by.log).await?;
            Ok(true)
        })
        .await
}

pub(super) async fn ban(
    store: &SqlStore,
    ban: Ban,
    expected: Role,
    by: ModeratedBy,
) -> Result<bool> {
    let (room, user) = (ban.room_id.0, ban.user_id.0);
    let row = bans::ActiveModel {
        room_id: Set(room),
        user_id: Set(user),
        banned_by: Set(ban.banned_by.map(|u| u.0)),
        reason: Set(ban.reason.clone()),
        created_at: Set(ts(ban.created_at)?),
        expires_at: Set(ts_opt(ban.expires_at)?),
    };
    store
        .write_txn(async move |txn| {
            if !lock_room(txn, room).await? {
                return Err(Error::NotFound("room"));
            }
            check_actor(txn, room, &by).await?;
            let target = locked_role(txn, room, user).await?;
            if target == Some(Role::Owner) {
                return Err(Error::Forbidden(OWNER_STAYS));
            }
            if target.unwrap_or(Role::Member) != expected {
                return Err(Error::Conflict(Conflict::Concurrent));
            }
            memberships::Entity::delete_by_id((room, user))
                .exec(txn)
                .await
                .map_err(backend)?;
            invites::Entity::delete_by_id((room, user))
                .exec(txn)
                .await
                .map_err(backend)?;
            bans::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([bans::Column::RoomId, bans::Column::UserId])
                        .update_columns([
                            bans::Column::BannedBy,
                            bans::Column::Reason,
                            bans::Column::CreatedAt,
                            bans::Column::ExpiresAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await
                .map_err(|e| write_err(e, "user"))?;
            insert_log(txn, &by.log).await?;
            Ok(target.is_some())
        })
        .await
}

pub(super) async fn set_role(
    store: &SqlStore,
    room: RoomId,
    user: UserId,
    expected: Role,
    role: Role,
    by: ModeratedBy,
) -> Result<()> {
    if expected == Role::Owner || role == Role::Owner {
        return Err(Error::Forbidden(OWNERSHIP_MOVES));
    }
    let (room, user) = (room.0, user.0);
    store
        .write_txn(async move |txn| {
            check_actor(txn, room, &by).await?;
            let res = memberships::Entity::update_many()
                .col_expr(memberships::Column::Role, Expr::value(role.as_str()))
                .filter(memberships::Column::RoomId.eq(room))
                .filter(memberships::Column::UserId.eq(user))
                .filter(memberships::Column::Role.eq(expected.as_str()))
                .exec(txn)
                .await
                .map_err(backend)?;
            if res.rows_affected == 0 {
                return Err(match locked_role(txn, room, user).await? {
                    None => Error::NotFound("member"),
                    Some(_) => Error::Conflict(Conflict::Concurrent),
                });
            }
            insert_log(txn, &by.log).await
        })
        .await
}

/// The moderation log row of `e`.
fn log_row(e: &ModLogEntry) -> Result<mod_log::ActiveModel> {
    Ok(mod_log::ActiveModel {
        id: Set(e.id),
        room_id: Set(e.room_id.0),
        at: Set(ts(e.at)?),
        actor_id: Set(e.actor.map(|u| u.0)),
        action: Set(e.action.as_str().to_owned()),
        target_user_id: Set(e.target_user.map(|u| u.0)),
        target_message_id: Set(e.target_message.map(|m| m.0)),
        reason: Set(e.reason.clone()),
    })
}

pub(super) async fn insert_log(db: &impl ConnectionTrait, e: &ModLogEntry) -> Result<()> {
    mod_log::Entity::insert(log_row(e)?)
        .exec_without_returning(db)
        .await
        .map_err(|e| write_err(e, "room"))?;
    Ok(())
}
