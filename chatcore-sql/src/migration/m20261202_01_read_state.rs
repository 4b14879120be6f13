//! Read state: `memberships.last_read_seq`, `messages.mentions`, the
//! `message_mentions` and `read_settings` tables, and the indexes that count unread messages without a
//! scan of the history (see `chatcore::store::ReadStore`).

use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_01_read_state"
    }
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    LastReadSeq,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    RoomId,
    AuthorId,
    Seq,
    Mentions,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReadSettings {
    Table,
    UserId,
    PrivateReceipts,
}

#[derive(DeriveIden)]
enum MessageMentions {
    Table,
    MessageId,
    UserId,
    RoomId,
    Seq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Existing members start at 0: everything before this migration is unread
        // once (a forward-only migration cannot know what they had seen).
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(
                        ColumnDef::new(Memberships::LastReadSeq)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::Mentions).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageMentions::Table)
                    .col(ColumnDef::new(MessageMentions::MessageId).uuid().not_null())
                    .col(ColumnDef::new(MessageMentions::UserId).uuid().not_null())
                    .col(ColumnDef::new(MessageMentions::RoomId).uuid().not_null())
                    .col(
                        ColumnDef::new(MessageMentions::Seq)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(MessageMentions::MessageId)
                            .col(MessageMentions::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_mentions_message")
                            .from(MessageMentions::Table, MessageMentions::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_mentions_user")
                            .from(MessageMentions::Table, MessageMentions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReadSettings::Table)
                    .col(
                        ColumnDef::new(ReadSettings::UserId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ReadSettings::PrivateReceipts)
                            .boolean()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_read_settings_user")
                            .from(ReadSettings::Table, ReadSettings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Mentions of a user in a room after a position.
        manager
            .create_index(
                Index::create()
                    .name("ix_message_mentions_user_id_room_id_seq")
                    .table(MessageMentions::Table)
                    .col(MessageMentions::UserId)
                    .col(MessageMentions::RoomId)
                    .col(MessageMentions::Seq)
                    .to_owned(),
            )
            .await?;
        // A member's own messages after a position.
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_room_id_author_id_seq")
                    .table(Messages::Table)
                    .col(Messages::RoomId)
                    .col(Messages::AuthorId)
                    .col(Messages::Seq)
                    .to_owned(),
            )
            .await?;
        // The messages that never count (system and deleted ones) after a position:
        // a partial index, the same statement on both backends. Queries repeat the
        // predicate literally so that the planner can use it.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_messages_uncounted ON messages (room_id, seq) \
                 WHERE kind = 'system' OR deleted_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }
}
