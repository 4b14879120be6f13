//! Notification settings: `memberships.notify_level` (`all`, `mentions`, `none`;
//! NULL: the member never chose, the service applies the default).

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_01_notify_level"
    }
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    NotifyLevel,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Existing members keep NULL: the default for their room's size.
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(ColumnDef::new(Memberships::NotifyLevel).text().null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
