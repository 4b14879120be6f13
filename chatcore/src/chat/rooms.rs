//! Rooms: creating, reading, listing, changing and deleting them, and their codes.

use serde::{Deserialize, Serialize};

use super::accounts::hash_password;
use super::{Chat, events, validate};
use crate::error::{Conflict, Error, Result};
use crate::hub::Dispatch;
use crate::ids::{RoomCode, RoomId, UserId};
use crate::model::{Membership, Role, Room, RoomKind, SystemEvent};
use crate::perm::Action;
use crate::protocol::{RoomView, ServerEvent};
use crate::store::FileScope;

/// Input for creating a room.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRoom {
    /// Public or private (direct rooms are opened with [`Chat::open_direct`]).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "chatcore:new-room-kind"))]
    pub kind: RoomKind,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:name"))]
    pub name: String,
    /// Description.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:description"))]
    pub description: String,
    /// Optional room password, asked when joining (absent or `""`: none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:room-password"))]
    pub password: Option<String>,
    /// Optional member limit, at least 2 and at most the service-wide one (absent or
    /// 0: the service-wide one).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:max-members"))]
    pub max_members: Option<u32>,
    /// Optional avatar URL.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:url"))]
    pub avatar_url: Option<String>,
    /// Custom data: a JSON object of at most 4 KiB (users may set it only where
    /// `Limits::client_extra` allows; else `forbidden`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<serde_json::Value>,
}

impl NewRoom {
    /// A room of `kind` named `name`, with no description, password, member limit or
    /// avatar (set the fields for those).
    pub fn new(kind: RoomKind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            description: String::new(),
            password: None,
            max_members: None,
            avatar_url: None,
            extra: None,
        }
    }
}

/// Room settings changes; `None` leaves a field alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomUpdate {
    /// New name.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:name"))]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:description"))]
    pub description: Option<String>,
    /// New avatar URL (`""` clears).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:url"))]
    pub avatar_url: Option<String>,
    /// New password (`""` removes the password).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:room-password"))]
    pub password: Option<String>,
    /// New member limit (0 means the service-wide limit).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:max-members"))]
    pub max_members: Option<u32>,
    /// Slow mode: seconds between two messages of one member (0: off); moderators and
    /// up may set it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:slow-mode"))]
    pub slow_mode_secs: Option<u32>,
    /// Retention in days: housekeeping deletes messages older than this (0: back to
    /// the site default); at most the site maximum. Admins and up.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:retention-days"))]
    pub retention_days: Option<u32>,
    /// New custom data (`{}` clears; admins and up, and only where
    /// `Limits::client_extra` allows, else `forbidden`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<serde_json::Value>,
}

impl super::Limits {
    /// Longest slow mode, in seconds (6 hours).
    pub const MAX_SLOW_MODE_SECS: u32 = 6 * 3600;
    /// Largest page of [`Chat::list_public_rooms`] (smaller and larger requests are
    /// brought into `1..=100`; the REST API refuses them).
    pub const ROOMS_PAGE_MAX: u32 = 100;
}
const MAX_SLOW_MODE_SECS: u32 = super::Limits::MAX_SLOW_MODE_SECS;

impl Chat {
    pub(super) async fn room_password_hash(
        &self,
        password: Option<&str>,
    ) -> Result<Option<String>> {
        match password.filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(p) => {
                if !validate::fits(p, self.inner.limits.password_max_chars) {
                    return Err(Error::TooLarge {
                        field: "password",
                        limit: self.inner.limits.password_max_chars,
                    });
                }
                Ok(Some(hash_password(p.to_owned()).await?))
            }
        }
    }

    pub(super) async fn check_room_limit(&self, user: UserId) -> Result<()> {
        let n = self.inner.store.list_user_rooms(user).await?.len();
        if n >= self.inner.limits.max_rooms_per_user {
            return Err(Error::Forbidden("you are in too many rooms"));
        }
        Ok(())
    }

    /// Create a public or private room; the actor becomes its owner.
    pub async fn create_room(&self, actor: UserId, input: NewRoom) -> Result<RoomView> {
        let l = &self.inner.limits;
        self.refuse_guest(actor).await?;
        if input.kind == RoomKind::Direct {
            return Err(Error::invalid(
                "kind",
                "open direct rooms with a user instead",
            ));
        }
        let name = validate::name("name", &input.name, l.max_name_chars)?;
        let description =
            validate::text("description", &input.description, l.max_description_chars)?;
        let avatar_url = validate::url("avatar_url", input.avatar_url.as_deref(), l.max_url_len)?;
        let extra = self.user_extra(input.extra).map(Option::flatten)?;
        let max_members = match input.max_members {
            Some(0) | None => None,
            Some(m) if m < 2 => return Err(Error::invalid("max_members", "must be at least 2")),
            Some(m) if m > l.max_members_per_room => {
                return Err(Error::invalid(
                    "max_members",
                    format!("must be at most {}", l.max_members_per_room),
                ));
            }
            Some(m) => Some(m),
        };
        self.user(actor).await?;
        self.check_room_limit(actor).await?;
        let password_hash = self.room_password_hash(input.password.as_deref()).await?;
        let now = self.now();
        let mut room = Room {
            id: RoomId::new(),
            kind: input.kind,
            name,
            description,
            avatar_url,
            code: None,
            password_hash,
            max_members,
            direct_key: None,
            created_by: Some(actor),
            created_at: now,
            last_seq: 0,
            slow_mode_secs: 0,
            retention_days: None,
            history_start_seq: 0,
            extra,
        };
        let owner = Membership {
            room_id: room.id,
            user_id: actor,
            role: Role::Owner,
            joined_at: now,
            extra: None,
        };
        let mut attempts = 0;
        let room = loop {
            if room.kind == RoomKind::Private {
                room.code = Some(RoomCode::generate());
            }
            match self
                .inner
                .store
                .create_room(room.clone(), vec![owner.clone()])
                .await
            {
                Err(Error::Conflict(Conflict::RoomCode)) if attempts < 8 => attempts += 1,
                other => break other?,
            }
        };
        self.emit_queued(events::EventKind::RoomCreated {
            room: room.id,
            kind: room.kind,
            name: room.name.clone(),
            by: actor,
        })
        .await;
        self.publish(Dispatch::Subscribe {
            user: actor,
            room: room.id,
        });
        let mut room = room;
        room.last_seq = self
            .post_system(room.id, SystemEvent::RoomCreated { by: actor })
            .await?
            .seq;
        let view = self
            .room_view(&room, Some(Role::Owner), Some(actor))
            .await?;
        self.publish(Dispatch::Users {
            users: vec![actor],
            event: ServerEvent::RoomCreated { room: view.clone() },
        });
        self.announce_public_room(&room, true).await;
        Ok(view)
    }

    /// A room as the actor sees it. Private and direct rooms are not found for
    /// non-members.
    pub async fn get_room(&self, actor: UserId, room: RoomId) -> Result<RoomView> {
        let (room, member) = self.visible_room(actor, room).await?;
        self.room_view(&room, member.map(|m| m.role), Some(actor))
            .await
    }

    /// Public rooms, by name, `limit` at a time after the given cursor.
    pub async fn list_public_rooms(
        &self,
        actor: UserId,
        after: Option<(&str, RoomId)>,
        limit: u32,
    ) -> Result<Vec<RoomView>> {
        let limit = limit.clamp(1, super::Limits::ROOMS_PAGE_MAX);
        let store = &self.inner.store;
        let rooms = store.list_public_rooms(after, limit).await?;
        let mut out = Vec::with_capacity(rooms.len());
        for room in rooms {
            let role = store.get_member(room.id, actor).await?.map(|m| m.role);
            out.push(self.room_view(&room, role, Some(actor)).await?);
        }
        Ok(out)
    }

    /// The actor's rooms: public, private and direct.
    pub async fn list_my_rooms(&self, actor: UserId) -> Result<Vec<RoomView>> {
        let rooms = self.inner.store.list_user_rooms(actor).await?;
        let mut out = Vec::with_capacity(rooms.len());
        for (room, m) in rooms {
            let mut view = self.room_view(&room, Some(m.role), Some(actor)).await?;
            view.read = self.member_read_state(actor, &room).await?;
            out.push(view);
        }
        Ok(out)
    }

    /// The ids of the actor's rooms (to subscribe a connection).
    pub async fn my_room_ids(&self, actor: UserId) -> Result<Vec<RoomId>> {
        Ok(self
            .inner
            .store
            .list_user_rooms(actor)
            .await?
            .into_iter()
            .map(|(r, _)| r.id)
            .collect())
    }

    /// Change room settings (admins and up; slow mode: moderators and up).
    pub async fn update_room(
        &self,
        actor: UserId,
        room: RoomId,
        update: RoomUpdate,
    ) -> Result<RoomView> {
        let l = &self.inner.limits;
        let (mut room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms have no settings"));
        }
        let touches_settings = update.name.is_some()
            || update.description.is_some()
            || update.avatar_url.is_some()
            || update.password.is_some()
            || update.max_members.is_some()
            || update.retention_days.is_some()
            || update.extra.is_some();
        if touches_settings {
            self.require(me.role, Action::EditSettings)?;
        }
        if update.slow_mode_secs.is_some() {
            self.require(me.role, Action::SetSlowMode)?;
        }
        if let Some(n) = update.name.as_deref() {
            room.name = validate::name("name", n, l.max_name_chars)?;
        }
        if let Some(d) = update.description.as_deref() {
            room.description = validate::text("description", d, l.max_description_chars)?;
        }
        if let Some(a) = update.avatar_url.as_deref() {
            room.avatar_url = validate::url("avatar_url", Some(a), l.max_url_len)?;
        }
        if let Some(m) = update.max_members {
            room.max_members = match m {
                0 => None,
                m if m < 2 => return Err(Error::invalid("max_members", "must be at least 2")),
                m if m > l.max_members_per_room => {
                    return Err(Error::invalid(
                        "max_members",
                        format!("must be at most {}", l.max_members_per_room),
                    ));
                }
                m => Some(m),
            };
        }
        if let Some(s) = update.slow_mode_secs {
            if s > MAX_SLOW_MODE_SECS {
                return Err(Error::invalid(
                    "slow_mode_secs",
                    format!("must be at most {MAX_SLOW_MODE_SECS}"),
                ));
            }
            room.slow_mode_secs = s;
        }
        if let Some(d) = update.retention_days {
            room.retention_days = self.check_retention_days(d)?;
        }
        if let Some(extra) = self.user_extra(update.extra)? {
            room.extra = extra;
        }
        if let Some(p) = update.password.as_deref() {
            room.password_hash = self.room_password_hash(Some(p)).await?;
        }
        self.inner.store.update_room(&room).await?;
        self.access_changed().await;
        let public_view = self.room_view(&room, None, None).await?;
        self.publish_room_queued(room.id, ServerEvent::RoomUpdated { room: public_view })
            .await;
        self.announce_public_room(&room, false).await;
        self.room_view(&room, Some(me.role), Some(actor)).await
    }

    /// Delete a room (owner only; not direct rooms), its messages and its files, bytes
    /// included.
    pub async fn delete_room(&self, actor: UserId, room: RoomId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms cannot be deleted"));
        }
        self.require(me.role, Action::DeleteRoom)?;
        self.delete_room_now(room.id).await
    }

    pub(super) async fn delete_room_now(&self, room: RoomId) -> Result<()> {
        let kind = self.inner.store.get_room(room).await?.map(|r| r.kind);
        self.inner.store.delete_room(room).await?;
        self.access_changed().await;
        // File records have no foreign key to the room: they are found after it.
        self.discard_files(FileScope::Room(room)).await?;
        self.publish_room_queued(room, ServerEvent::RoomDeleted { room })
            .await;
        self.publish(Dispatch::CloseRoom { room });
        if let Some(kind) = kind {
            self.announce_public_room_deleted(room, kind);
        }
        Ok(())
    }

    /// The room code (owners and admins of private rooms).
    pub async fn room_code(&self, actor: UserId, room: RoomId) -> Result<RoomCode> {
        let (room, me) = self.require_member(actor, room).await?;
        self.require(me.role, Action::ViewCode)?;
        room.code.ok_or(Error::NotFound("room code"))
    }

    /// Replace the room code; the old one stops working at once.
    pub async fn rotate_code(&self, actor: UserId, room: RoomId) -> Result<RoomCode> {
        let (mut room, me) = self.require_member(actor, room).await?;
        if room.kind != RoomKind::Private {
            return Err(Error::invalid("room", "only private rooms have a code"));
        }
        self.require(me.role, Action::RotateCode)?;
        let mut attempts = 0;
        loop {
            let code = RoomCode::generate();
            room.code = Some(code.clone());
            match self.inner.store.update_room(&room).await {
                Ok(()) => {
                    self.access_changed().await;
                    return Ok(code);
                }
                Err(Error::Conflict(Conflict::RoomCode)) if attempts < 8 => attempts += 1,
                Err(e) => return Err(e),
            }
        }
    }
}
