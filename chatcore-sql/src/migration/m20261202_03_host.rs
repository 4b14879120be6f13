//! Host integration: `room_blocklists` (the rooms' own before-send blocklists).

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
        Ok(())
    }
}
