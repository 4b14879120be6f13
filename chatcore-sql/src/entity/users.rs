//! Table `users`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// As registered (case kept).
    #[sea_orm(column_type = "Text")]
    pub username: String,
    /// Lower-cased username; unique.
    #[sea_orm(column_type = "Text")]
    pub username_normalized: String,
    /// Lower-cased by the service; unique when set.
    #[sea_orm(column_type = "Text", nullable)]
    pub email: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    #[sea_orm(column_type = "Text")]
    pub bio: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub avatar_url: Option<String>,
    /// `issuer:subject`; unique when set.
    #[sea_orm(column_type = "Text", nullable)]
    pub external_id: Option<String>,
    /// argon2id PHC string.
    #[sea_orm(column_type = "Text", nullable)]
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    /// When the current email address was verified (migration `m20251121_000002_media`).
    pub email_verified_at: Option<i64>,
    /// Since when a site administrator (migration `m20261202_04_site_admin`).
    pub site_admin_since: Option<i64>,
    /// Since when suspended (migration `m20261202_04_site_admin`).
    pub suspended_at: Option<i64>,
    /// A temporary guest account (migration `m20261212_01_guests`).
    pub guest: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
