//! Table `pins`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `pins`: a pinned message; primary key `message_id`. Goes with its
/// message and its room (`ON DELETE CASCADE`); `pinned_by` is cleared when that
/// account goes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: Uuid,
    pub room_id: Uuid,
    pub pinned_by: Option<Uuid>,
    pub pinned_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
