//! Threads: `messages.thread_root`, `messages.also_in_room` and the root's summary
//! `messages.thread` (JSON), with the index of a thread's page.

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_02_threads"
    }
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ThreadRoot,
    AlsoInRoom,
    Thread,
    Seq,
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
                    .add_column(ColumnDef::new(Messages::ThreadRoot).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(
                        ColumnDef::new(Messages::AlsoInRoom)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::Thread).text().null())
                    .to_owned(),
            )
            .await?;
        // A thread's page (`thread_root = ? ORDER BY seq`) and the recount of its
        // replies after a delete.
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_thread_root_seq")
                    .table(Messages::Table)
                    .col(Messages::ThreadRoot)
                    .col(Messages::Seq)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
