//! `RoomStore`: rooms, memberships, bans, invitations.

use std::collections::HashMap;

use async_trait::async_trait;
use chatcore::model::{Ban, Invite, Membership, Role, Room};
use chatcore::store::{OWNER_STAYS, OWNERSHIP_MOVES, RoomStore};
use chatcore::{Conflict, Error, Result, RoomCode, RoomId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Condition, Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{IN_CHUNK, SqlStore};
use crate::convert::{self, ts, ts_opt};
use crate::entity::{bans, invites, memberships, rooms, users};
use crate::error::{backend, write_err};

fn membership_row(m: &Membership) -> Result<memberships::ActiveModel> {
    Ok(memberships::ActiveModel {
        room_id: Set(m.room_id.0),
        user_id: Set(m.user_id.0),
        role: Set(m.role.as_str().to_owned()),
        joined_at: Set(ts(m.joined_at)?),
        extra: Set(convert::extra_json(m.extra.as_ref())?),
        // A new room's members have read its nothing; `add_member` starts a joining
        // member at the room's last message.
        last_read_seq: Set(0),
        // Never chosen: the service applies the default.
        notify_level: Set(None),
    })
}

/// Lock the room row for the rest of the transaction (PostgreSQL `FOR UPDATE`;
/// on SQLite the transaction already holds the write lock). False if absent.
pub(super) async fn lock_room(txn: &DatabaseTransaction, room: Uuid) -> Result<bool> {
    let found: Option<Uuid> = rooms::Entity::find_by_id(room)
        .select_only()
        .column(rooms::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await
        .map_err(backend)?;
    Ok(found.is_some())
}

async fn user_exists(db: &impl ConnectionTrait, user: Uuid) -> Result<bool> {
    let found: Option<Uuid> = users::Entity::find_by_id(user)
        .select_only()
        .column(users::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .map_err(backend)?;
    Ok(found.is_some())
}

#[async_trait]
impl RoomStore for SqlStore {
    async fn create_room(&self, room: Room, members: Vec<Membership>) -> Result<Room> {
        let row = rooms::ActiveModel {
            id: Set(room.id.0),
            kind: Set(room.kind.as_str().to_owned()),
            name: Set(room.name.clone()),
            description: Set(room.description.clone()),
            avatar_url: Set(room.avatar_url.clone()),
            code: Set(room.code.as_ref().map(|c| c.as_str().to_owned())),
            password_hash: Set(room.password_hash.clone()),
            max_members: Set(room.max_members.map(i64::from)),
            direct_key: Set(room.direct_key.clone()),
            created_by: Set(room.created_by.map(|u| u.0)),
            created_at: Set(ts(room.created_at)?),
            last_seq: Set(room.last_seq),
            slow_mode_secs: Set(i64::from(room.slow_mode_secs)),
            retention_days: Set(room.retention_days.map(i64::from)),
            history_start_seq: Set(room.history_start_seq),
            extra: Set(convert::extra_json(room.extra.as_ref())?),
        };
        // One row per user (a repeated user keeps its last membership).
        let mut by_user: HashMap<UserId, &Membership> = HashMap::new();
        for m in &members {
            by_user.insert(m.user_id, m);
        }
        let mut rows = Vec::with_capacity(by_user.len());
        for m in by_user.values() {
            let mut m = (*m).clone();
            m.room_id = room.id;
            rows.push(membership_row(&m)?);
        }
        self.write_txn(async move |txn| {
            rooms::Entity::insert(row)
                .exec_without_returning(txn)
                .await
                .map_err(|e| write_err(e, "room"))?;
            for chunk in rows.chunks(IN_CHUNK / 4) {
                memberships::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(txn)
                    .await
                    .map_err(|e| write_err(e, "user"))?;
            }
            Ok(())
        })
        .await?;
        Ok(room)
    }

    async fn get_room(&self, id: RoomId) -> Result<Option<Room>> {
        rooms::Entity::find_by_id(id.0)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::room)
            .transpose()
    }

    async fn find_room_by_code(&self, code: &RoomCode) -> Result<Option<Room>> {
        rooms::Entity::find()
            .filter(rooms::Column::Code.eq(code.as_str()))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::room)
            .transpose()
    }

    async fn find_direct_room(&self, direct_key: &str) -> Result<Option<Room>> {
        rooms::Entity::find()
            .filter(rooms::Column::DirectKey.eq(direct_key))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::room)
            .transpose()
    }

    async fn list_public_rooms(
        &self,
        after: Option<(&str, RoomId)>,
        limit: u32,
    ) -> Result<Vec<Room>> {
        let mut q = rooms::Entity::find().filter(rooms::Column::Kind.eq("public"));
        if let Some((name, id)) = after {
            q = q.filter(
                Condition::any().add(rooms::Column::Name.gt(name)).add(
                    Condition::all()
                        .add(rooms::Column::Name.eq(name))
                        .add(rooms::Column::Id.gt(id.0)),
                ),
            );
        }
        q.order_by_asc(rooms::Column::Name)
            .order_by_asc(rooms::Column::Id)
            .limit(u64::from(limit))
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::room)
            .collect()
    }

    async fn list_user_rooms(&self, user: UserId) -> Result<Vec<(Room, Membership)>> {
        let ms = memberships::Entity::find()
            .filter(memberships::Column::UserId.eq(user.0))
            .all(self.read())
            .await
            .map_err(backend)?;
        let mut rooms_by_id: HashMap<Uuid, Room> = HashMap::with_capacity(ms.len());
        let ids: Vec<Uuid> = ms.iter().map(|m| m.room_id).collect();
        for chunk in ids.chunks(IN_CHUNK) {
            let rows = rooms::Entity::find()
                .filter(rooms::Column::Id.is_in(chunk.iter().copied()))
                .all(self.read())
                .await
                .map_err(backend)?;
            for r in rows {
                rooms_by_id.insert(r.id, convert::room(r)?);
            }
        }
        let mut out = Vec::with_capacity(ms.len());
        for m in ms {
            // A room deleted between the two reads is left out.
            if let Some(room) = rooms_by_id.remove(&m.room_id) {
                out.push((room, convert::membership(m)?));
            }
        }
        out.sort_by_key(|(r, _)| r.id);
        Ok(out)
    }

    async fn update_room(&self, room: &Room) -> Result<()> {
        // Settings only: kind, direct_key, created_*, last_seq, history_start_seq stay.
        let res = rooms::Entity::update_many()
            .col_expr(rooms::Column::Name, Expr::value(room.name.clone()))
            .col_expr(
                rooms::Column::Description,
                Expr::value(room.description.clone()),
            )
            .col_expr(
                rooms::Column::AvatarUrl,
                Expr::value(room.avatar_url.clone()),
            )
            .col_expr(
                rooms::Column::Code,
                Expr::value(room.code.as_ref().map(|c| c.as_str().to_owned())),
            )
            .col_expr(
                rooms::Column::PasswordHash,
                Expr::value(room.password_hash.clone()),
            )
            .col_expr(
                rooms::Column::MaxMembers,
                Expr::value(room.max_members.map(i64::from)),
            )
            .col_expr(
                rooms::Column::SlowModeSecs,
                Expr::value(i64::from(room.slow_mode_secs)),
            )
            .col_expr(
                rooms::Column::RetentionDays,
                Expr::value(room.retention_days.map(i64::from)),
            )
            .col_expr(
                rooms::Column::Extra,
                Expr::value(convert::extra_json(room.extra.as_ref())?),
            )
            .filter(rooms::Column::Id.eq(room.id.0))
            .exec(self.write())
            .await
            .map_err(|e| write_err(e, "room"))?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("room"));
        }
        Ok(())
    }

    async fn delete_room(&self, id: RoomId) -> Result<()> {
        // Members, bans, invitations and messages go with it (ON DELETE CASCADE).
        let res = rooms::Entity::delete_by_id(id.0)
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("room"));
        }
        Ok(())
    }

    async fn add_member(&self, member: Membership, max_members: u32) -> Result<Membership> {
        let mut row = membership_row(&member)?;
        let (room, user, joined_at) = (member.room_id.0, member.user_id.0, member.joined_at);
        self.write_txn(async move |txn| {
            // The room lock serializes joins of one room: the count below stays true
            // until commit.
            if !lock_room(txn, room).await? {
                return Err(Error::NotFound("room"));
            }
            if !user_exists(txn, user).await? {
                return Err(Error::NotFound("user"));
            }
            // Under the room lock, which `ban` takes too: a ban committed before this
            // is seen here, one committed after removes the member.
            let ban = bans::Entity::find_by_id((room, user))
                .one(txn)
                .await
                .map_err(backend)?;
            if ban.is_some_and(|b| convert::ban(b).is_active(joined_at)) {
                return Err(Error::Banned);
            }
            let existing = memberships::Entity::find_by_id((room, user))
                .one(txn)
                .await
                .map_err(backend)?;
            if existing.is_some() {
                return Err(Error::Conflict(Conflict::AlreadyMember));
            }
            let count = memberships::Entity::find()
                .filter(memberships::Column::RoomId.eq(room))
                .count(txn)
                .await
                .map_err(backend)?;
            if count >= u64::from(max_members) {
                return Err(Error::Conflict(Conflict::RoomFull));
            }
            // A joining member has read what came before (under the room lock, so
            // no message is appended in between).
            row.last_read_seq = Set(super::reads::room_last_seq(txn, room).await?);
            memberships::Entity::insert(row)
                .exec_without_returning(txn)
                .await
                .map_err(|e| write_err(e, "user"))?;
            invites::Entity::delete_by_id((room, user))
                .exec(txn)
                .await
                .map_err(backend)?;
            Ok(())
        })
        .await?;
        Ok(member)
    }

    async fn get_member(&self, room: RoomId, user: UserId) -> Result<Option<Membership>> {
        memberships::Entity::find_by_id((room.0, user.0))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::membership)
            .transpose()
    }

    async fn list_members(&self, room: RoomId) -> Result<Vec<Membership>> {
        memberships::Entity::find()
            .filter(memberships::Column::RoomId.eq(room.0))
            .order_by_asc(memberships::Column::JoinedAt)
            .order_by_asc(memberships::Column::UserId)
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::membership)
            .collect()
    }

    async fn count_members(&self, room: RoomId) -> Result<u64> {
        memberships::Entity::find()
            .filter(memberships::Column::RoomId.eq(room.0))
            .count(self.read())
            .await
            .map_err(backend)
    }

    async fn set_role(&self, room: RoomId, user: UserId, expected: Role, role: Role) -> Result<()> {
        if expected == Role::Owner || role == Role::Owner {
            return Err(Error::Forbidden(OWNERSHIP_MOVES));
        }
        // Compare and set in one statement: a role changed meanwhile (a transfer
        // made this member the owner, say) is left alone.
        let res = memberships::Entity::update_many()
            .col_expr(memberships::Column::Role, Expr::value(role.as_str()))
            .filter(memberships::Column::RoomId.eq(room.0))
            .filter(memberships::Column::UserId.eq(user.0))
            .filter(memberships::Column::Role.eq(expected.as_str()))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(match self.get_member(room, user).await? {
                None => Error::NotFound("member"),
                Some(_) => Error::Conflict(Conflict::Concurrent),
            });
        }
        Ok(())
    }

    async fn transfer_ownership(&self, room: RoomId, from: UserId, to: UserId) -> Result<()> {
        let (room, from, to) = (room.0, from.0, to.0);
        self.write_txn(async move |txn| {
            let found: Vec<(Uuid, String)> = memberships::Entity::find()
                .select_only()
                .column(memberships::Column::UserId)
                .column(memberships::Column::Role)
                .filter(memberships::Column::RoomId.eq(room))
                .filter(memberships::Column::UserId.is_in([from, to]))
                .lock_exclusive()
                .into_tuple()
                .all(txn)
                .await
                .map_err(backend)?;
            let role_of = |u: Uuid| found.iter().find(|(id, _)| *id == u).map(|(_, r)| r);
            let (Some(giver), Some(_)) = (role_of(from), role_of(to)) else {
                return Err(Error::NotFound("member"));
            };
            // Re-checked under the rows' lock: of two racing transfers, the second
            // finds the giver no longer owner.
            if giver != Role::Owner.as_str() {
                return Err(Error::Conflict(Conflict::Concurrent));
            }
            for (user, role) in [(from, Role::Admin), (to, Role::Owner)] {
                memberships::Entity::update_many()
                    .col_expr(memberships::Column::Role, Expr::value(role.as_str()))
                    .filter(memberships::Column::RoomId.eq(room))
                    .filter(memberships::Column::UserId.eq(user))
                    .exec(txn)
                    .await
                    .map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn remove_member(&self, room: RoomId, user: UserId) -> Result<bool> {
        let res = memberships::Entity::delete_by_id((room.0, user.0))
            .filter(memberships::Column::Role.ne(Role::Owner.as_str()))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected > 0 {
            return Ok(true);
        }
        match self.get_member(room, user).await? {
            Some(m) if m.role == Role::Owner => Err(Error::Forbidden(OWNER_STAYS)),
            _ => Ok(false),
        }
    }

    async fn ban(&self, ban: Ban) -> Result<()> {
        let (room, user) = (ban.room_id.0, ban.user_id.0);
        let row = bans::ActiveModel {
            room_id: Set(room),
            user_id: Set(user),
            banned_by: Set(ban.banned_by.map(|u| u.0)),
            reason: Set(ban.reason.clone()),
            created_at: Set(ts(ban.created_at)?),
            expires_at: Set(ts_opt(ban.expires_at)?),
        };
        self.write_txn(async move |txn| {
            if !lock_room(txn, room).await? {
                return Err(Error::NotFound("room"));
            }
            // Locked: a transfer racing this ban cannot make the user owner unseen.
            let member = memberships::Entity::find_by_id((room, user))
                .lock_exclusive()
                .one(txn)
                .await
                .map_err(backend)?;
            if member.is_some_and(|m| m.role == Role::Owner.as_str()) {
                return Err(Error::Forbidden(OWNER_STAYS));
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
            Ok(())
        })
        .await
    }

    async fn get_ban(&self, room: RoomId, user: UserId) -> Result<Option<Ban>> {
        Ok(bans::Entity::find_by_id((room.0, user.0))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::ban))
    }

    async fn unban(&self, room: RoomId, user: UserId) -> Result<bool> {
        let res = bans::Entity::delete_by_id((room.0, user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }

    async fn list_bans(&self, room: RoomId) -> Result<Vec<Ban>> {
        Ok(bans::Entity::find()
            .filter(bans::Column::RoomId.eq(room.0))
            .order_by_desc(bans::Column::CreatedAt)
            .order_by_asc(bans::Column::UserId)
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::ban)
            .collect())
    }

    async fn create_invite(&self, invite: Invite) -> Result<()> {
        let (room, user) = (invite.room_id.0, invite.user_id.0);
        let row = invites::ActiveModel {
            room_id: Set(room),
            user_id: Set(user),
            invited_by: Set(invite.invited_by.map(|u| u.0)),
            created_at: Set(ts(invite.created_at)?),
        };
        self.write_txn(async move |txn| {
            if !lock_room(txn, room).await? {
                return Err(Error::NotFound("room"));
            }
            if !user_exists(txn, user).await? {
                return Err(Error::NotFound("user"));
            }
            // Idempotent: the first invitation stays.
            invites::Entity::insert(row)
                .on_conflict_do_nothing_on([invites::Column::RoomId, invites::Column::UserId])
                .exec_without_returning(txn)
                .await
                .map_err(|e| write_err(e, "user"))?;
            Ok(())
        })
        .await
    }

    async fn get_invite(&self, room: RoomId, user: UserId) -> Result<Option<Invite>> {
        Ok(invites::Entity::find_by_id((room.0, user.0))
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::invite))
    }

    async fn list_invites(&self, user: UserId) -> Result<Vec<Invite>> {
        Ok(invites::Entity::find()
            .filter(invites::Column::UserId.eq(user.0))
            .order_by_desc(invites::Column::CreatedAt)
            .order_by_asc(invites::Column::RoomId)
            .all(self.read())
            .await
            .map_err(backend)?
            .into_iter()
            .map(convert::invite)
            .collect())
    }

    async fn delete_invite(&self, room: RoomId, user: UserId) -> Result<bool> {
        let res = invites::Entity::delete_by_id((room.0, user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected > 0)
    }
}
