//! Host integration: `room_blocklists` (the rooms' own before-send blocklists) and
//! `outbox` (domain events for webhooks; no foreign keys: an event outlives its room).

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_03_host"
    }
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RoomBlocklists {
    Table,
    RoomId,
    Entries,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Position,
    RoomId,
    Payload,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    GivenUpAt,
    LastError,
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
            .create_table(
                Table::create()
                    .table(RoomBlocklists::Table)
                    .col(
                        ColumnDef::new(RoomBlocklists::RoomId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RoomBlocklists::Entries).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_room_blocklists_room")
                            .from(RoomBlocklists::Table, RoomBlocklists::RoomId)
                            .to(Rooms::Table, Rooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(ColumnDef::new(Outbox::Id).uuid().not_null().primary_key())
                    .col(big(Outbox::Position))
                    .col(ColumnDef::new(Outbox::RoomId).uuid().not_null())
                    .col(ColumnDef::new(Outbox::Payload).text().not_null())
                    .col(big(Outbox::CreatedAt))
                    .col(big(Outbox::Attempts))
                    .col(big(Outbox::NextAttemptAt))
                    .col(big_null(Outbox::DeliveredAt))
                    .col(big_null(Outbox::GivenUpAt))
                    .col(ColumnDef::new(Outbox::LastError).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_outbox_position")
                    .table(Outbox::Table)
                    .col(Outbox::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
