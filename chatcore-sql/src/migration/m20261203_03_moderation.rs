//! Moderation: `reports`, `mod_log`, `timeouts` and `user_blocks`.
//!
//! Reports, log entries and timeouts go with their room; blocks and timeouts with
//! their user; the other user ids of reports and log entries are cleared when that
//! account goes (all by foreign keys). `reports.open_key` holds
//! `reporter:message` while a report is open and NULL once closed: its unique index
//! is the "one open report per reporter and message" rule (NULLs never collide).

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_03_moderation"
    }
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    RoomId,
    MessageId,
    ReporterId,
    AuthorId,
    Body,
    Reason,
    CreatedAt,
    Resolution,
    ResolvedBy,
    ResolvedAt,
    OpenKey,
}

#[derive(DeriveIden)]
enum ModLog {
    Table,
    Id,
    RoomId,
    At,
    ActorId,
    Action,
    TargetUserId,
    TargetMessageId,
    Reason,
}

#[derive(DeriveIden)]
enum Timeouts {
    Table,
    RoomId,
    UserId,
    EndsAt,
    ById,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserBlocks {
    Table,
    BlockerId,
    BlockedId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
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
fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .col(uuid(Reports::Id).primary_key())
                    .col(uuid(Reports::RoomId))
                    .col(uuid(Reports::MessageId))
                    .col(uuid_null(Reports::ReporterId))
                    .col(uuid_null(Reports::AuthorId))
                    .col(text(Reports::Body))
                    .col(text(Reports::Reason))
                    .col(big(Reports::CreatedAt))
                    .col(ColumnDef::new(Reports::Resolution).text().null())
                    .col(uuid_null(Reports::ResolvedBy))
                    .col(ColumnDef::new(Reports::ResolvedAt).big_integer().null())
                    .col(ColumnDef::new(Reports::OpenKey).text().null())
                    .foreign_key(&mut fk(
                        "fk_reports_room",
                        (Reports::Table, Reports::RoomId),
                        (Rooms::Table, Rooms::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reports_reporter",
                        (Reports::Table, Reports::ReporterId),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reports_author",
                        (Reports::Table, Reports::AuthorId),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_reports_resolved_by",
                        (Reports::Table, Reports::ResolvedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_reports_open_key")
                    .table(Reports::Table)
                    .col(Reports::OpenKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_room_id_id")
                    .table(Reports::Table)
                    .col(Reports::RoomId)
                    .col(Reports::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModLog::Table)
                    .col(uuid(ModLog::Id).primary_key())
                    .col(uuid(ModLog::RoomId))
                    .col(big(ModLog::At))
                    .col(uuid_null(ModLog::ActorId))
                    .col(text(ModLog::Action))
                    .col(uuid_null(ModLog::TargetUserId))
                    .col(uuid_null(ModLog::TargetMessageId))
                    .col(text(ModLog::Reason))
                    .foreign_key(&mut fk(
                        "fk_mod_log_room",
                        (ModLog::Table, ModLog::RoomId),
                        (Rooms::Table, Rooms::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_mod_log_actor",
                        (ModLog::Table, ModLog::ActorId),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_mod_log_target_user",
                        (ModLog::Table, ModLog::TargetUserId),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mod_log_room_id_id")
                    .table(ModLog::Table)
                    .col(ModLog::RoomId)
                    .col(ModLog::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Timeouts::Table)
                    .col(uuid(Timeouts::RoomId))
                    .col(uuid(Timeouts::UserId))
                    .col(big(Timeouts::EndsAt))
                    .col(uuid_null(Timeouts::ById))
                    .col(text(Timeouts::Reason))
                    .col(big(Timeouts::CreatedAt))
                    .primary_key(Index::create().col(Timeouts::RoomId).col(Timeouts::UserId))
                    .foreign_key(&mut fk(
                        "fk_timeouts_room",
                        (Timeouts::Table, Timeouts::RoomId),
                        (Rooms::Table, Rooms::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_timeouts_user",
                        (Timeouts::Table, Timeouts::UserId),
                        (Users::Table, Users::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_timeouts_by",
                        (Timeouts::Table, Timeouts::ById),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_timeouts_user_id")
                    .table(Timeouts::Table)
                    .col(Timeouts::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserBlocks::Table)
                    .col(uuid(UserBlocks::BlockerId))
                    .col(uuid(UserBlocks::BlockedId))
                    .col(big(UserBlocks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(UserBlocks::BlockerId)
                            .col(UserBlocks::BlockedId),
                    )
                    .foreign_key(&mut fk(
                        "fk_user_blocks_blocker",
                        (UserBlocks::Table, UserBlocks::BlockerId),
                        (Users::Table, Users::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_user_blocks_blocked",
                        (UserBlocks::Table, UserBlocks::BlockedId),
                        (Users::Table, Users::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_user_blocks_blocked_id")
                    .table(UserBlocks::Table)
                    .col(UserBlocks::BlockedId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
