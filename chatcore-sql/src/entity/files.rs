//! Table `files`: metadata of uploaded files (the bytes are in a blob store).
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `files`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub uploader_id: Option<Uuid>,
    /// `chatcore::model::FileKind::as_str`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    pub room_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub content_type: String,
    pub size: i64,
    #[sea_orm(column_type = "Text")]
    pub blob_key: String,
    pub created_at: i64,
    pub deleted_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
