//! `UserStore`.

use async_trait::async_trait;
use chatcore::model::{NewUser, Role, RoomKind, Timestamp, User};
use chatcore::store::UserStore;
use chatcore::{Conflict, Error, Result, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{IN_CHUNK, SqlStore};
use crate::convert::{self, ts, ts_opt};
use crate::entity::{bans, invites, memberships, messages, rooms, sessions, users};
use crate::error::{backend, write_err};

impl SqlStore {
    /// The one user matching `condition` (a unique column), if any.
    pub(crate) async fn find_user_where(
        &self,
        condition: impl sea_orm::sea_query::IntoCondition,
    ) -> Result<Option<User>> {
        users::Entity::find()
            .filter(condition)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::user)
            .transpose()
    }
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, new: NewUser) -> Result<User> {
        let u = &new.user;
        let row = users::ActiveModel {
            id: Set(u.id.0),
            username: Set(u.username.as_str().to_owned()),
            username_normalized: Set(u.username.normalized()),
            email: Set(u.email.clone()),
            display_name: Set(u.display_name.clone()),
            bio: Set(u.bio.clone()),
            avatar_url: Set(u.avatar_url.clone()),
            external_id: Set(u.external_id.clone()),
            password_hash: Set(new.password_hash.clone()),
            created_at: Set(ts(u.created_at)?),
            last_seen_at: Set(ts_opt(u.last_seen_at)?),
            email_verified_at: Set(None),
            site_admin_since: Set(None),
            suspended_at: Set(None),
            guest: Set(u.guest),
        };
        users::Entity::insert(row)
            .exec_without_returning(self.write())
            .await
            .map_err(|e| write_err(e, "user"))?;
        Ok(new.user)
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        users::Entity::find_by_id(id.0)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(convert::user)
            .transpose()
    }

    async fn get_users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let rows = users::Entity::find()
                .filter(users::Column::Id.is_in(chunk.iter().map(|i| i.0)))
                .all(self.read())
                .await
                .map_err(backend)?;
            for r in rows {
                out.push(convert::user(r)?);
            }
        }
        Ok(out)
    }

    async fn find_user_by_username(&self, normalized: &str) -> Result<Option<User>> {
        self.find_user_where(users::Column::UsernameNormalized.eq(normalized))
            .await
    }

    async fn find_user_by_external_id(&self, external_id: &str) -> Result<Option<User>> {
        self.find_user_where(users::Column::ExternalId.eq(external_id))
            .await
    }

    async fn update_user(&self, user: &User) -> Result<()> {
        // Profile fields only: id, created_at, last_seen_at and external_id stay.
        let res = users::Entity::update_many()
            .col_expr(users::Column::Username, Expr::value(user.username.as_str()))
            .col_expr(
                users::Column::UsernameNormalized,
                Expr::value(user.username.normalized()),
            )
            .col_expr(users::Column::Email, Expr::value(user.email.clone()))
            .col_expr(
                users::Column::DisplayName,
                Expr::value(user.display_name.clone()),
            )
            .col_expr(users::Column::Bio, Expr::value(user.bio.clone()))
            .col_expr(
                users::Column::AvatarUrl,
                Expr::value(user.avatar_url.clone()),
            )
            .filter(users::Column::Id.eq(user.id.0))
            .exec(self.write())
            .await
            .map_err(|e| write_err(e, "user"))?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("user"));
        }
        Ok(())
    }

    async fn get_password_hash(&self, id: UserId) -> Result<Option<String>> {
        let row: Option<Option<String>> = users::Entity::find_by_id(id.0)
            .select_only()
            .column(users::Column::PasswordHash)
            .into_tuple()
            .one(self.read())
            .await
            .map_err(backend)?;
        Ok(row.flatten())
    }

    async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()> {
        let res = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash))
            .filter(users::Column::Id.eq(id.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("user"));
        }
        Ok(())
    }

    async fn set_last_seen(&self, id: UserId, at: Timestamp) -> Result<()> {
        users::Entity::update_many()
            .col_expr(users::Column::LastSeenAt, Expr::value(ts(at)?))
            .filter(users::Column::Id.eq(id.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_user(&self, id: UserId, at: Timestamp) -> Result<()> {
        let at = ts(at)?;
        let uid = id.0;
        self.write_txn(async move |txn| {
            let exists: Option<uuid::Uuid> = users::Entity::find_by_id(uid)
                .select_only()
                .column(users::Column::Id)
                .into_tuple()
                .one(txn)
                .await
                .map_err(backend)?;
            if exists.is_none() {
                return Err(Error::NotFound("user"));
            }
            // Their memberships, locked: a transfer to them that committed after the
            // caller handed their rooms on is seen here (PostgreSQL re-reads a locked
            // row's newest version); one still running waits and then finds no member.
            let held: Vec<(uuid::Uuid, String)> = memberships::Entity::find()
                .select_only()
                .column(memberships::Column::RoomId)
                .column(memberships::Column::Role)
                .filter(memberships::Column::UserId.eq(uid))
                .lock_exclusive()
                .into_tuple()
                .all(txn)
                .await
                .map_err(backend)?;
            let owned: Vec<uuid::Uuid> = held
                .into_iter()
                .filter(|(_, role)| role == Role::Owner.as_str())
                .map(|(room, _)| room)
                .collect();
            for chunk in owned.chunks(IN_CHUNK) {
                let group = rooms::Entity::find()
                    .select_only()
                    .column(rooms::Column::Id)
                    .filter(rooms::Column::Id.is_in(chunk.iter().copied()))
                    .filter(rooms::Column::Kind.ne(RoomKind::Direct.as_str()))
                    .into_tuple::<uuid::Uuid>()
                    .one(txn)
                    .await
                    .map_err(backend)?;
                if group.is_some() {
                    // Owned again since the caller handed it on: the caller retries.
                    return Err(Error::Conflict(Conflict::Concurrent));
                }
            }
            // The threads their live replies are in: recounted once the replies are
            // tombstones (erased replies count no more, as deleted ones).
            let roots: Vec<uuid::Uuid> = messages::Entity::find()
                .select_only()
                .column(messages::Column::ThreadRoot)
                .distinct()
                .filter(messages::Column::AuthorId.eq(uid))
                .filter(messages::Column::DeletedAt.is_null())
                .filter(messages::Column::ThreadRoot.is_not_null())
                .into_tuple::<Option<uuid::Uuid>>()
                .all(txn)
                .await
                .map_err(backend)?
                .into_iter()
                .flatten()
                .collect();
            // Erase their messages: tombstones without author, body or attachment.
            messages::Entity::update_many()
                .col_expr(messages::Column::DeletedAt, Expr::value(at))
                .filter(messages::Column::AuthorId.eq(uid))
                .filter(messages::Column::DeletedAt.is_null())
                .exec(txn)
                .await
                .map_err(backend)?;
            messages::Entity::update_many()
                .col_expr(
                    messages::Column::AuthorId,
                    Expr::value(Option::<uuid::Uuid>::None),
                )
                .col_expr(messages::Column::Body, Expr::value(""))
                .col_expr(
                    messages::Column::Attachment,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(messages::Column::Extra, Expr::value(Option::<String>::None))
                .filter(messages::Column::AuthorId.eq(uid))
                .exec(txn)
                .await
                .map_err(backend)?;
            for root in roots {
                super::threads::recount(txn, root).await?;
            }
            // What is theirs alone (the foreign keys would cascade too; say it here).
            sessions::Entity::delete_many()
                .filter(sessions::Column::UserId.eq(uid))
                .exec(txn)
                .await
                .map_err(backend)?;
            memberships::Entity::delete_many()
                .filter(memberships::Column::UserId.eq(uid))
                .exec(txn)
                .await
                .map_err(backend)?;
            invites::Entity::delete_many()
                .filter(invites::Column::UserId.eq(uid))
                .exec(txn)
                .await
                .map_err(backend)?;
            bans::Entity::delete_many()
                .filter(bans::Column::UserId.eq(uid))
                .exec(txn)
                .await
                .map_err(backend)?;
            bans::Entity::update_many()
                .col_expr(
                    bans::Column::BannedBy,
                    Expr::value(Option::<uuid::Uuid>::None),
                )
                .filter(bans::Column::BannedBy.eq(uid))
                .exec(txn)
                .await
                .map_err(backend)?;
            users::Entity::delete_by_id(uid)
                .exec(txn)
                .await
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn list_expired_guests(
        &self,
        created_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<UserId>> {
        use sea_orm::QueryOrder as _;
        let ids: Vec<uuid::Uuid> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Guest.eq(true))
            .filter(users::Column::CreatedAt.lt(ts(created_before)?))
            .order_by_asc(users::Column::CreatedAt)
            .order_by_asc(users::Column::Id)
            .limit(u64::from(limit))
            .into_tuple()
            .all(self.read())
            .await
            .map_err(backend)?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}
