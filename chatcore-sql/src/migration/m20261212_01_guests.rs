//! Guests: `users.guest` (temporary accounts of `POST /auth/guest`) and the index
//! housekeeping lists expired guests by.

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261212_01_guests"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Guest,
    CreatedAt,
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
                    .add_column(
                        ColumnDef::new(Users::Guest)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_guest_created")
                    .table(Users::Table)
                    .col(Users::Guest)
                    .col(Users::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
