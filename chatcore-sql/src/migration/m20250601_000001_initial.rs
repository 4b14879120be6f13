//! The initial schema: users, sessions, rooms, memberships, bans, invites, messages.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20250601_000001_initial"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    UsernameNormalized,
    Email,
    DisplayName,
    Bio,
    AvatarUrl,
    ExternalId,
    PasswordHash,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    UserAgent,
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Id,
    Kind,
    Name,
    Description,
    AvatarUrl,
    Code,
    PasswordHash,
    MaxMembers,
    DirectKey,
    CreatedBy,
    CreatedAt,
    LastSeq,
    SlowModeSecs,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    RoomId,
    UserId,
    Role,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Bans {
    Table,
    RoomId,
    UserId,
    BannedBy,
    Reason,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Invites {
    Table,
    RoomId,
    UserId,
    InvitedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    RoomId,
    Seq,
    AuthorId,
    Kind,
    Body,
    System,
    Attachment,
    ReplyTo,
    ClientNonce,
    CreatedAt,
    EditedAt,
    DeletedAt,
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

fn index(
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}
fn text_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
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
fn big_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // Both backends have transactional DDL: a failed migration leaves nothing behind.
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid(Users::Id).primary_key())
                    .col(text(Users::Username))
                    .col(text(Users::UsernameNormalized))
                    .col(text_null(Users::Email))
                    .col(text(Users::DisplayName))
                    .col(text(Users::Bio))
                    .col(text_null(Users::AvatarUrl))
                    .col(text_null(Users::ExternalId))
                    .col(text_null(Users::PasswordHash))
                    .col(big(Users::CreatedAt))
                    .col(big_null(Users::LastSeenAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ux_users_username_normalized", Users::UsernameNormalized),
            ("ux_users_email", Users::Email),
            ("ux_users_external_id", Users::ExternalId),
        ] {
            manager
                .create_index(index(name, Users::Table, vec![col.into_iden()], true))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(uuid(Sessions::Id).primary_key())
                    .col(uuid(Sessions::UserId))
                    .col(ColumnDef::new(Sessions::TokenHash).blob().not_null())
                    .col(big(Sessions::CreatedAt))
                    .col(big(Sessions::LastUsedAt))
                    .col(big(Sessions::ExpiresAt))
                    .col(text_null(Sessions::UserAgent))
                    .foreign_key(&mut fk(
                        "fk_sessions_user",
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_sessions_token_hash",
                Sessions::Table,
                vec![Sessions::TokenHash.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_sessions_user_id",
                Sessions::Table,
                vec![Sessions::UserId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_sessions_expires_at",
                Sessions::Table,
                vec![Sessions::ExpiresAt.into_iden()],
                false,
            ))
            .await?;

        // Room names are ordered byte-wise everywhere (public room listing pages by
        // (name, id)); PostgreSQL's default collation may be a locale's.
        let mut room_name = text(Rooms::Name);
        if backend == DbBackend::Postgres {
            room_name.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(Rooms::Table)
                    .col(uuid(Rooms::Id).primary_key())
                    .col(text(Rooms::Kind))
                    .col(room_name)
                    .col(text(Rooms::Description))
                    .col(text_null(Rooms::AvatarUrl))
                    .col(text_null(Rooms::Code))
                    .col(text_null(Rooms::PasswordHash))
                    .col(big_null(Rooms::MaxMembers))
                    .col(text_null(Rooms::DirectKey))
                    .col(uuid_null(Rooms::CreatedBy))
                    .col(big(Rooms::CreatedAt))
                    .col(big(Rooms::LastSeq))
                    .col(big(Rooms::SlowModeSecs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_rooms_code",
                Rooms::Table,
                vec![Rooms::Code.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_rooms_direct_key",
                Rooms::Table,
                vec![Rooms::DirectKey.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_rooms_kind_name_id",
                Rooms::Table,
                vec![
                    Rooms::Kind.into_iden(),
                    Rooms::Name.into_iden(),
                    Rooms::Id.into_iden(),
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(uuid(Memberships::RoomId))
                    .col(uuid(Memberships::UserId))
                    .col(text(Memberships::Role))
                    .col(big(Memberships::JoinedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_memberships")
                            .col(Memberships::RoomId)
                            .col(Memberships::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_memberships_room",
                        (Memberships::Table, Memberships::RoomId),
                        (Rooms::Table, Rooms::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_memberships_user",
                        (Memberships::Table, Memberships::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_memberships_user_id",
                Memberships::Table,
                vec![Memberships::UserId.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Bans::Table)
                    .col(uuid(Bans::RoomId))
                    .col(uuid(Bans::UserId))
                    .col(uuid_null(Bans::BannedBy))
                    .col(text(Bans::Reason))
                    .col(big(Bans::CreatedAt))
                    .col(big_null(Bans::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .name("pk_bans")
                            .col(Bans::RoomId)
                            .col(Bans::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_bans_room",
                        (Bans::Table, Bans::RoomId),
                        (Rooms::Table, Rooms::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_bans_user",
                        (Bans::Table, Bans::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_bans_banned_by",
                        (Bans::Table, Bans::BannedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_bans_user_id",
                Bans::Table,
                vec![Bans::UserId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_bans_banned_by",
                Bans::Table,
                vec![Bans::BannedBy.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invites::Table)
                    .col(uuid(Invites::RoomId))
                    .col(uuid(Invites::UserId))
                    .col(uuid_null(Invites::InvitedBy))
                    .col(big(Invites::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_invites")
                            .col(Invites::RoomId)
                            .col(Invites::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_invites_room",
                        (Invites::Table, Invites::RoomId),
                        (Rooms::Table, Rooms::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_invites_user",
                        (Invites::Table, Invites::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_invites_user_id",
                Invites::Table,
                vec![Invites::UserId.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(uuid(Messages::Id).primary_key())
                    .col(uuid(Messages::RoomId))
                    .col(big(Messages::Seq))
                    .col(uuid_null(Messages::AuthorId))
                    .col(text(Messages::Kind))
                    .col(text(Messages::Body))
                    .col(text_null(Messages::System))
                    .col(text_null(Messages::Attachment))
                    .col(uuid_null(Messages::ReplyTo))
                    .col(text_null(Messages::ClientNonce))
                    .col(big(Messages::CreatedAt))
                    .col(big_null(Messages::EditedAt))
                    .col(big_null(Messages::DeletedAt))
                    .foreign_key(&mut fk(
                        "fk_messages_room",
                        (Messages::Table, Messages::RoomId),
                        (Rooms::Table, Rooms::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_messages_author",
                        (Messages::Table, Messages::AuthorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // History pages and gapless sequence: one message per (room, seq).
        manager
            .create_index(index(
                "ux_messages_room_id_seq",
                Messages::Table,
                vec![Messages::RoomId.into_iden(), Messages::Seq.into_iden()],
                true,
            ))
            .await?;
        // Idempotent sends; NULL nonces (or authors) never collide, on both backends.
        // Author first: the same index finds an erased account's messages
        // (`delete_user`, the `author_id` foreign key), so messages carry three
        // b-trees, not four.
        manager
            .create_index(index(
                "ux_messages_author_id_room_id_client_nonce",
                Messages::Table,
                vec![
                    Messages::AuthorId.into_iden(),
                    Messages::RoomId.into_iden(),
                    Messages::ClientNonce.into_iden(),
                ],
                true,
            ))
            .await?;
        Ok(())
    }
}
