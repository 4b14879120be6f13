//! Table `memberships`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `memberships`; primary key `(room_id, user_id)`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `member`, `moderator`, `admin` or `owner`.
    #[sea_orm(column_type = "Text")]
    pub role: String,
    pub joined_at: i64,
    /// Read position: the member has read every message up to this `seq`.
    pub last_read_seq: i64,
    /// Notification setting: `all`, `mentions` or `none`; NULL: never chosen.
    #[sea_orm(column_type = "Text", nullable)]
    pub notify_level: Option<String>,
    /// JSON object of the host app's custom data (`chatcore::model::Extra`; NULL: none).
    #[sea_orm(column_type = "Text", nullable)]
    pub extra: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
