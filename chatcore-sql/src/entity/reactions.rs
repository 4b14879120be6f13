//! Table `reactions`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `reactions`: one user's emoji on one message; primary key
/// `(message_id, user_id, emoji)`. Goes with its message and its user
/// (`ON DELETE CASCADE`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub emoji: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
