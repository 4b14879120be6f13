//! Table `account_tokens`: single-use email verification and password reset tokens.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `account_tokens`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 of the token (32 bytes); unique.
    #[sea_orm(column_type = "Blob")]
    pub token_hash: Vec<u8>,
    pub user_id: Uuid,
    /// `chatcore::model::TokenPurpose::as_str`.
    #[sea_orm(column_type = "Text")]
    pub purpose: String,
    #[sea_orm(column_type = "Text")]
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
