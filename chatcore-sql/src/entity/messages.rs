//! Table `messages`.
#![allow(missing_docs)] // derive-generated items (Column, ActiveModel, …)

use sea_orm::entity::prelude::*;

/// A row of `messages`; unique `(room_id, seq)` and `(room_id, author_id, client_nonce)`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub room_id: Uuid,
    /// Gapless per-room sequence number, from 1.
    pub seq: i64,
    /// Cleared for system messages and erased accounts.
    pub author_id: Option<Uuid>,
    /// `text`, `system`, `image` or `file`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// JSON of `chatcore::model::SystemEvent`.
    #[sea_orm(column_type = "Text", nullable)]
    pub system: Option<String>,
    /// JSON of `chatcore::model::Attachment`.
    #[sea_orm(column_type = "Text", nullable)]
    pub attachment: Option<String>,
    pub reply_to: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub client_nonce: Option<String>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// JSON array of the mentioned user ids (NULL: none); counted through
    /// `message_mentions`.
    #[sea_orm(column_type = "Text", nullable)]
    pub mentions: Option<String>,
    /// For a thread reply: its root message.
    pub thread_root: Option<Uuid>,
    /// For a thread reply: also in the room's timeline.
    pub also_in_room: bool,
    /// For a thread's root: JSON of `chatcore::model::ThreadSummary` (NULL: no
    /// reply yet), kept by the append and delete transactions.
    #[sea_orm(column_type = "Text", nullable)]
    pub thread: Option<String>,
    /// JSON object of the host app's custom data (`chatcore::model::Extra`; NULL: none).
    #[sea_orm(column_type = "Text", nullable)]
    pub extra: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
