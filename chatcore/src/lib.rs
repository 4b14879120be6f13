#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod blob;
mod chat;
pub mod error;
pub mod hub;
pub mod ids;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod perm;
pub mod protocol;
pub mod rate;
pub mod site;
pub mod store;

#[cfg(feature = "conformance")]
pub mod conformance;

#[cfg(feature = "openapi")]
pub use chat::openapi;

pub use chat::export;
pub use chat::{events, hooks};

pub use chat::PendingSend;
pub use chat::{
    ADMIN_PAGE_MAX, AccountSettings, Chat, ChatBuilder, ChatConnection, ExternalUser, FileUpload,
    FileView, INLINE_IMAGE_TYPES, Limits, NewRoom, ProfileUpdate, Register, RoomUpdate,
    SendMessage, SessionToken, UploadTarget, is_inline_image, user_view,
};
pub use chat::{MAX_BLOCKS, MOD_PAGE_MAX};
pub use chat::{
    MAX_EMOJI_BYTES, PinView, SearchHit, SearchPage, SearchRequest, is_emoji, search_words,
};
pub use chat::{NoNotifier, Notification, Notifier, NotifyReason, Outcome};
pub use error::{Conflict, Error, Result};
pub use hub::{CloseReason, Connection, Dispatch, Frame, Hub, LocalHub};
pub use ids::{FileId, MessageId, RoomCode, RoomId, Seq, SessionId, UserId, Username};
pub use memory::MemoryStore;
pub use model::NotifyLevel;
pub use model::{Ban, Message, MessageKind, ReactionSummary, Role, Room, RoomKind, User};
pub use store::Store;
