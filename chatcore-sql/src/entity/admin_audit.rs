//! Table `admin_audit` (migration `m20261202_04_site_admin`).
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `admin_audit`: one site administration action.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_audit")]
pub struct Model {
    /// UUIDv7, so ordered by time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    /// `AdminAction::as_str`.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    pub target_user_id: Option<Uuid>,
    pub target_room_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
