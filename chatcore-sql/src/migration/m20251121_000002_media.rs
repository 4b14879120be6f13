//! Accounts and media: `users.email_verified_at`, `account_tokens`, `files`.

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20251121_000002_media"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EmailVerifiedAt,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    TokenHash,
    UserId,
    Purpose,
    Email,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    UploaderId,
    Kind,
    RoomId,
    MessageId,
    Name,
    ContentType,
    Size,
    BlobKey,
    CreatedAt,
    DeletedAt,
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}
fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}
fn uuid_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().null().to_owned()
}
fn big(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}
fn big_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_null(Users::EmailVerifiedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountTokens::Table)
                    .col(uuid(AccountTokens::Id).primary_key())
                    .col(ColumnDef::new(AccountTokens::TokenHash).blob().not_null())
                    .col(uuid(AccountTokens::UserId))
                    .col(text(AccountTokens::Purpose))
                    .col(text(AccountTokens::Email))
                    .col(big(AccountTokens::CreatedAt))
                    .col(big(AccountTokens::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_tokens_user")
                            .from(AccountTokens::Table, AccountTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_account_tokens_token_hash")
                    .table(AccountTokens::Table)
                    .col(AccountTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_tokens_user_id")
                    .table(AccountTokens::Table)
                    .col(AccountTokens::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(uuid(Files::Id).primary_key())
                    .col(uuid_null(Files::UploaderId))
                    .col(text(Files::Kind))
                    .col(uuid_null(Files::RoomId))
                    .col(uuid_null(Files::MessageId))
                    .col(text(Files::Name))
                    .col(text(Files::ContentType))
                    .col(big(Files::Size))
                    .col(text(Files::BlobKey))
                    .col(big(Files::CreatedAt))
                    .col(big_null(Files::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_files_uploader")
                            .from(Files::Table, Files::UploaderId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
