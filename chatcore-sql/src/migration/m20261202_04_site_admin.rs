//! Site administration: `users.site_admin_since`, `users.suspended_at` and the
//! `admin_audit` log.

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_04_site_admin"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    SiteAdminSince,
    SuspendedAt,
}

#[derive(DeriveIden)]
enum AdminAudit {
    Table,
    Id,
    At,
    ActorId,
    Action,
    TargetUserId,
    TargetRoomId,
    Detail,
}

fn big_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}
fn uuid_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [Users::SiteAdminSince, Users::SuspendedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(big_null(col))
                        .to_owned(),
                )
                .await?;
        }
        // No foreign keys: entries outlive the users and rooms they name.
        manager
            .create_table(
                Table::create()
                    .table(AdminAudit::Table)
                    .col(
                        ColumnDef::new(AdminAudit::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AdminAudit::At).big_integer().not_null())
                    .col(uuid_null(AdminAudit::ActorId))
                    .col(ColumnDef::new(AdminAudit::Action).text().not_null())
                    .col(uuid_null(AdminAudit::TargetUserId))
                    .col(uuid_null(AdminAudit::TargetRoomId))
                    .col(ColumnDef::new(AdminAudit::Detail).text().not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
