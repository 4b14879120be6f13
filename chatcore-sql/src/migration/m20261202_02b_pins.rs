//! Pins: table `pins`.

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_02b_pins"
    }
}

#[derive(DeriveIden)]
enum Pins {
    Table,
    MessageId,
    RoomId,
    PinnedBy,
    PinnedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pins::Table)
                    .col(
                        ColumnDef::new(Pins::MessageId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Pins::RoomId).uuid().not_null())
                    .col(ColumnDef::new(Pins::PinnedBy).uuid().null())
                    .col(ColumnDef::new(Pins::PinnedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pins_message")
                            .from(Pins::Table, Pins::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pins_room")
                            .from(Pins::Table, Pins::RoomId)
                            .to(Rooms::Table, Rooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pins_pinned_by")
                            .from(Pins::Table, Pins::PinnedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The list of a room, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_pins_room_id_pinned_at")
                    .table(Pins::Table)
                    .col(Pins::RoomId)
                    .col(Pins::PinnedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_pins_pinned_by")
                    .table(Pins::Table)
                    .col(Pins::PinnedBy)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
