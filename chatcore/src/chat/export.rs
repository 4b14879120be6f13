//! Data export: a user's own data ([`Chat::export_me`]) and a room's history
//! ([`Chat::export_room`]).
//!
//! Rules:
//! - Everyone may export their own data: their profile (with their email), their
//!   current memberships, the messages they wrote in rooms they are still a member
//!   of (tombstones left out) and the files of those messages and their avatar.
//!   Rooms they have left are not included (they can no longer read them).
//! - A room's history (its messages, tombstones included, and its members) may be
//!   exported by the room's owner only ([`Action::ExportRoom`]). Non-members of a
//!   room they cannot see get *not found* (as everywhere else), other non-members
//!   and members below owner get *forbidden*. Site administrators get nothing more
//!   than any non-member: they never read a private room's messages.
//! - Nothing is loaded whole: messages come in pages of at most [`EXPORT_PAGE`]
//!   through the store's cursor ([`crate::store::MessageStore::list_messages`]),
//!   files one at a time; every page checks the rule again, so a member removed
//!   mid-export stops receiving pages.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{FileId, RoomId, Seq, UserId};
use crate::model::{FileKind, Message, PageRequest, Role, RoomKind, Timestamp};
use crate::perm::Action;
use crate::protocol::UserView;

use super::{Chat, files::FileView, user_view};

/// Messages per page of an export (the store is read this many at a time).
pub const EXPORT_PAGE: u32 = 200;

/// Who the user is, and where they are (the `profile.json` of a personal export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyExport {
    /// The public profile.
    pub profile: UserView,
    /// The account's email address, if any.
    pub email: Option<String>,
    /// When the export was made (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub exported_at: Timestamp,
    /// The rooms the user is a member of.
    pub memberships: Vec<ExportMembership>,
    /// The user's avatar file, if it is an upload.
    pub avatar_file: Option<FileId>,
}

/// One membership of a personal export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportMembership {
    /// The room.
    pub room_id: RoomId,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: RoomKind,
    /// The user's role in it.
    pub role: Role,
    /// When they joined (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub joined_at: Timestamp,
}

/// The head of a room export: the room and its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomExport {
    /// The room.
    pub room_id: RoomId,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its kind.
    pub kind: RoomKind,
    /// Created (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub created_at: Timestamp,
    /// When the export was made (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub exported_at: Timestamp,
    /// The members, with their roles.
    pub members: Vec<ExportMember>,
}

/// One member of a room export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportMember {
    /// The user (None if the account is gone).
    pub user: Option<UserView>,
    /// The user's id.
    pub user_id: UserId,
    /// Their role.
    pub role: Role,
    /// When they joined (UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = chrono::DateTime<chrono::Utc>))]
    pub joined_at: Timestamp,
}

/// One page of an export's messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPage {
    /// The messages of this page, ascending by sequence number (for a personal
    /// export: only the user's own, so a page may be empty while `next` is set).
    pub messages: Vec<Message>,
    /// The cursor of the next page (`after`), None at the end.
    pub next: Option<Seq>,
}

impl Chat {
    /// The head of the actor's personal export: profile, email, memberships.
    /// Follow with [`Chat::export_my_messages`] for each membership and
    /// [`Chat::export_file`] for each file.
    pub async fn export_me(&self, actor: UserId) -> Result<MyExport> {
        let user = self.user(actor).await?;
        let rooms = self.inner.store.list_user_rooms(actor).await?;
        let memberships = rooms
            .into_iter()
            .map(|(room, m)| ExportMembership {
                room_id: room.id,
                name: room.name,
                kind: room.kind,
                role: m.role,
                joined_at: m.joined_at,
            })
            .collect();
        let avatar_file = user
            .avatar_url
            .as_deref()
            .and_then(super::files::file_id_of_url);
        Ok(MyExport {
            profile: user_view(&user),
            email: user.email.clone(),
            exported_at: self.now(),
            memberships,
            avatar_file,
        })
    }

    /// A page of the messages the actor wrote in `room` (a room they are a member
    /// of), after `after`: [`EXPORT_PAGE`] of the room's messages are read, the
    /// actor's live ones returned.
    pub async fn export_my_messages(
        &self,
        actor: UserId,
        room: RoomId,
        after: Seq,
    ) -> Result<ExportPage> {
        self.require_member(actor, room).await?;
        let mut page = self.export_page(room, after).await?;
        page.messages
            .retain(|m| m.author_id == Some(actor) && m.deleted_at.is_none());
        Ok(page)
    }

    /// The head of a room export (the room's owner only): the room and its members.
    /// Follow with [`Chat::export_room_messages`].
    pub async fn export_room(&self, actor: UserId, room: RoomId) -> Result<RoomExport> {
        let found = self.require_room_exporter(actor, room).await?;
        let store = &self.inner.store;
        let members = store.list_members(room).await?;
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
        let users = store.get_users(&ids).await?;
        let members = members
            .into_iter()
            .map(|m| ExportMember {
                user: users.iter().find(|u| u.id == m.user_id).map(user_view),
                user_id: m.user_id,
                role: m.role,
                joined_at: m.joined_at,
            })
            .collect();
        Ok(RoomExport {
            room_id: found.id,
            name: found.name,
            description: found.description,
            kind: found.kind,
            created_at: found.created_at,
            exported_at: self.now(),
            members,
        })
    }

    /// A page of a room's messages for its export (the room's owner only), every
    /// message after `after`, tombstones and thread replies included.
    pub async fn export_room_messages(
        &self,
        actor: UserId,
        room: RoomId,
        after: Seq,
    ) -> Result<ExportPage> {
        self.require_room_exporter(actor, room).await?;
        self.export_page(room, after).await
    }

    /// A file of the actor's personal export: an attachment of their own message
    /// (in a room they are a member of) or their avatar. Anything else is not found.
    pub async fn export_file(&self, actor: UserId, id: FileId) -> Result<FileView> {
        let record = self
            .inner
            .store
            .get_file(id)
            .await?
            .ok_or(Error::NotFound("file"))?;
        let own = record.uploader_id == Some(actor)
            && matches!(record.kind, FileKind::Message | FileKind::Avatar);
        if !own {
            return Err(Error::NotFound("file"));
        }
        self.open_file(actor, id).await
    }

    async fn require_room_exporter(&self, actor: UserId, room: RoomId) -> Result<crate::Room> {
        let (found, member) = self.require_member(actor, room).await?;
        self.require(member.role, Action::ExportRoom)?;
        Ok(found)
    }

    async fn export_page(&self, room: RoomId, after: Seq) -> Result<ExportPage> {
        let page = PageRequest {
            before: None,
            after: Some(after),
            limit: EXPORT_PAGE + 1,
        };
        let mut messages = self.inner.store.list_messages(room, page).await?;
        let more = messages.len() > EXPORT_PAGE as usize;
        messages.truncate(EXPORT_PAGE as usize);
        let next = if more {
            messages.last().map(|m| m.seq)
        } else {
            None
        };
        Ok(ExportPage { messages, next })
    }
}
