//! Table `mod_log` (migration `m20261203_03_moderation`).
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `mod_log`: one moderation action in a room.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mod_log")]
pub struct Model {
    /// UUIDv7, so ordered by time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub room_id: Uuid,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    /// `ModAction::as_str`.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    pub target_user_id: Option<Uuid>,
    pub target_message_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
