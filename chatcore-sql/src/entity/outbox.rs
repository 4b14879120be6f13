//! Table `outbox`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `outbox`: one queued domain event; primary key `id`, unique `position`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub position: i64,
    /// No foreign key: the event outlives its room.
    pub room_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub given_up_at: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
