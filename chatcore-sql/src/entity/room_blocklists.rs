//! Table `room_blocklists`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `room_blocklists`: a room's own blocklist; primary key `room_id`
/// (deleted with the room).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "room_blocklists")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    /// The entries, a JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub entries: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
