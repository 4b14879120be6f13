//! `AccountStore` and `FileStore`.

use async_trait::async_trait;
use chatcore::ids::FileId;
use chatcore::model::{AccountToken, FileKind, FileRecord, Timestamp, TokenPurpose, User};
use chatcore::store::{AccountStore, FileScope, FileStore};
use chatcore::{Error, MessageId, Result, RoomId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::SqlStore;
use crate::convert::{from_ts, ts, ts_opt};
use crate::entity::{account_tokens, files, users};
use crate::error::{backend, corrupt, write_err};

fn token(m: account_tokens::Model) -> Result<AccountToken> {
    let token_hash: [u8; 32] = m
        .token_hash
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("account_tokens", "token_hash is not 32 bytes"))?;
    Ok(AccountToken {
        token_hash,
        user_id: UserId(m.user_id),
        purpose: TokenPurpose::parse(&m.purpose)
            .ok_or_else(|| corrupt("account_tokens", format!("purpose {}", m.purpose)))?,
        email: m.email,
        created_at: from_ts(m.created_at),
        expires_at: from_ts(m.expires_at),
    })
}

fn file(m: files::Model) -> Result<FileRecord> {
    Ok(FileRecord {
        id: FileId(m.id),
        uploader_id: m.uploader_id.map(UserId),
        kind: FileKind::parse(&m.kind)
            .ok_or_else(|| corrupt("files", format!("kind {}", m.kind)))?,
        room_id: m.room_id.map(RoomId),
        message_id: m.message_id.map(MessageId),
        name: m.name,
        content_type: m.content_type,
        size: u64::try_from(m.size).map_err(|_| corrupt("files", "negative size"))?,
        blob_key: m.blob_key,
        created_at: from_ts(m.created_at),
        deleted_at: m.deleted_at.map(from_ts),
    })
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.find_user_where(users::Column::Email.eq(email)).await
    }

    async fn email_verified_at(&self, user: UserId) -> Result<Option<Timestamp>> {
        let row: Option<Option<i64>> = users::Entity::find_by_id(user.0)
            .select_only()
            .column(users::Column::EmailVerifiedAt)
            .into_tuple()
            .one(self.read())
            .await
            .map_err(backend)?;
        Ok(row.flatten().map(from_ts))
    }

    async fn set_email_verified(&self, user: UserId, at: Option<Timestamp>) -> Result<()> {
        let res = users::Entity::update_many()
            .col_expr(users::Column::EmailVerifiedAt, Expr::value(ts_opt(at)?))
            .filter(users::Column::Id.eq(user.0))
            .exec(self.write())
            .await
            .map_err(backend)?;
        if res.rows_affected == 0 {
            return Err(Error::NotFound("user"));
        }
        Ok(())
    }

    async fn create_account_token(&self, t: AccountToken) -> Result<()> {
        let row = account_tokens::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            token_hash: Set(t.token_hash.to_vec()),
            user_id: Set(t.user_id.0),
            purpose: Set(t.purpose.as_str().to_owned()),
            email: Set(t.email),
            created_at: Set(ts(t.created_at)?),
            expires_at: Set(ts(t.expires_at)?),
        };
        account_tokens::Entity::insert(row)
            .exec_without_returning(self.write())
            .await
            .map_err(|e| write_err(e, "user"))?;
        Ok(())
    }

    async fn take_account_token(
        &self,
        token_hash: &[u8; 32],
        purpose: TokenPurpose,
    ) -> Result<Option<AccountToken>> {
        let hash = token_hash.to_vec();
        self.write_txn(async |txn| {
            let Some(row) = account_tokens::Entity::find()
                .filter(account_tokens::Column::TokenHash.eq(hash.clone()))
                .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
                .one(txn)
                .await
                .map_err(backend)?
            else {
                return Ok(None);
            };
            // Only the caller whose delete removed the row gets the token.
            let res = account_tokens::Entity::delete_many()
                .filter(account_tokens::Column::Id.eq(row.id))
                .exec(txn)
                .await
                .map_err(backend)?;
            if res.rows_affected != 1 {
                return Ok(None);
            }
            token(row).map(Some)
        })
        .await
    }

    async fn delete_account_tokens(&self, user: UserId, purpose: TokenPurpose) -> Result<u64> {
        let res = account_tokens::Entity::delete_many()
            .filter(account_tokens::Column::UserId.eq(user.0))
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected)
    }
}

#[async_trait]
impl FileStore for SqlStore {
    async fn create_file(&self, f: FileRecord) -> Result<()> {
        let row = files::ActiveModel {
            id: Set(f.id.0),
            uploader_id: Set(f.uploader_id.map(|u| u.0)),
            kind: Set(f.kind.as_str().to_owned()),
            room_id: Set(f.room_id.map(|r| r.0)),
            message_id: Set(f.message_id.map(|m| m.0)),
            name: Set(f.name),
            content_type: Set(f.content_type),
            size: Set(i64::try_from(f.size).map_err(|_| Error::TooLarge {
                field: "file",
                limit: usize::MAX,
            })?),
            blob_key: Set(f.blob_key),
            created_at: Set(ts(f.created_at)?),
            deleted_at: Set(ts_opt(f.deleted_at)?),
        };
        files::Entity::insert(row)
            .exec_without_returning(self.write())
            .await
            .map_err(|e| write_err(e, "user"))?;
        Ok(())
    }

    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>> {
        files::Entity::find_by_id(id.0)
            .one(self.read())
            .await
            .map_err(backend)?
            .map(file)
            .transpose()
    }

    async fn attach_file(&self, id: FileId, message: MessageId) -> Result<bool> {
        let res = files::Entity::update_many()
            .col_expr(files::Column::MessageId, Expr::value(message.0))
            .filter(files::Column::Id.eq(id.0))
            .filter(files::Column::MessageId.is_null())
            .filter(files::Column::DeletedAt.is_null())
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected == 1)
    }

    async fn delete_files(&self, scope: FileScope, at: Timestamp) -> Result<Vec<String>> {
        let update = files::Entity::update_many()
            .col_expr(files::Column::DeletedAt, Expr::value(ts(at)?))
            .filter(files::Column::DeletedAt.is_null());
        let update = match scope {
            FileScope::Room(room) => update.filter(files::Column::RoomId.eq(room.0)),
            FileScope::Uploader(user) => update
                .filter(files::Column::UploaderId.eq(user.0))
                .filter(files::Column::Kind.ne(FileKind::RoomAvatar.as_str())),
        };
        let rows = update
            .exec_with_returning(self.write())
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(|r| r.blob_key).collect())
    }

    async fn delete_file(&self, id: FileId, at: Timestamp) -> Result<bool> {
        let res = files::Entity::update_many()
            .col_expr(files::Column::DeletedAt, Expr::value(ts(at)?))
            .filter(files::Column::Id.eq(id.0))
            .filter(files::Column::DeletedAt.is_null())
            .exec(self.write())
            .await
            .map_err(backend)?;
        Ok(res.rows_affected == 1)
    }
}
