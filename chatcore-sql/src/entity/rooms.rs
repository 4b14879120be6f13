//! Table `rooms`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `rooms`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rooms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `public`, `private` or `direct`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// Binary (`COLLATE "C"` on PostgreSQL) so that ordering matches Rust's `str`.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_url: Option<String>,
    /// Canonical (upper-case) join code; unique when set.
    #[sea_orm(column_type = "Text", nullable)]
    pub code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub password_hash: Option<String>,
    pub max_members: Option<i64>,
    /// `"{min_user_id}:{max_user_id}"` for direct rooms; unique when set.
    #[sea_orm(column_type = "Text", nullable)]
    pub direct_key: Option<String>,
    /// The creator; kept as history (no foreign key), like the in-memory store.
    pub created_by: Option<Uuid>,
    pub created_at: i64,
    /// Sequence number of the last message; advanced with each append.
    pub last_seq: i64,
    pub slow_mode_secs: i64,
    /// Retention in days (NULL: the site default).
    pub retention_days: Option<i64>,
    /// Messages below this `seq` were deleted by retention (0: none was).
    pub history_start_seq: i64,
    /// JSON object of the host app's custom data (`chatcore::model::Extra`; NULL: none).
    #[sea_orm(column_type = "Text", nullable)]
    pub extra: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
