//! Custom data: a nullable `extra` column (JSON object as text) on `messages`,
//! `rooms` and `memberships`.

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261214_01_extra"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Extra,
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Extra,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Extra,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::Extra).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Rooms::Table)
                    .add_column(ColumnDef::new(Rooms::Extra).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(ColumnDef::new(Memberships::Extra).text().null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
