#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod chat;
pub mod error;
pub mod hub;
pub mod ids;
pub mod memory;
pub mod model;
pub mod perm;
pub mod protocol;
pub mod rate;
pub mod store;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use chat::{
    Chat, ChatBuilder, ChatConnection, ExternalUser, Limits, NewRoom, ProfileUpdate, Register,
    RoomUpdate, SendMessage, SessionToken, user_view,
};
pub use error::{Conflict, Error, Result};
pub use hub::{CloseReason, Connection, Dispatch, Frame, Hub, LocalHub};
pub use ids::{MessageId, RoomCode, RoomId, Seq, SessionId, UserId, Username};
pub use memory::MemoryStore;
pub use model::{Ban, Message, MessageKind, Role, Room, RoomKind, User};
pub use store::Store;
