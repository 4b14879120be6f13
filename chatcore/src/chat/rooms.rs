//! Rooms, membership, roles, moderation and direct rooms.

use serde::{Deserialize, Serialize};

use super::accounts::{hash_password, verify_password};
use super::{Chat, user_view, validate};
use crate::error::{Conflict, Error, Result};
use crate::hub::Dispatch;
use crate::ids::{RoomCode, RoomId, UserId};
use crate::model::{Ban, Invite, Membership, Role, Room, RoomKind, SystemEvent, Timestamp};
use crate::perm::Action;
use crate::protocol::{InviteView, MemberView, RemovalReason, RoomView, ServerEvent};
use crate::store::FileScope;

/// Input for creating a room.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewRoom {
    /// Public or private (direct rooms are opened with [`Chat::open_direct`]).
    pub kind: RoomKind,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Optional room password.
    #[serde(default)]
    pub password: Option<String>,
    /// Optional member limit (at most the service-wide one).
    #[serde(default)]
    pub max_members: Option<u32>,
    /// Optional avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
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
        }
    }
}

/// Room settings changes; `None` leaves a field alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoomUpdate {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New avatar URL (`""` clears).
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// New password (`""` removes the password).
    #[serde(default)]
    pub password: Option<String>,
    /// New member limit (0 means the service-wide limit).
    #[serde(default)]
    pub max_members: Option<u32>,
    /// Slow mode in seconds (0: off); moderators and up may set it.
    #[serde(default)]
    pub slow_mode_secs: Option<u32>,
}

/// How a user gets into a room.
enum JoinPath<'a> {
    Direct { password: Option<&'a str> },
    Code { password: Option<&'a str> },
}

const MAX_SLOW_MODE_SECS: u32 = 6 * 3600;

impl Chat {
    async fn room_password_hash(&self, password: Option<&str>) -> Result<Option<String>> {
        match password.filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(p) => {
                if p.len() > self.inner.limits.password_max_bytes {
                    return Err(Error::TooLarge {
                        field: "password",
                        limit: self.inner.limits.password_max_bytes,
                    });
                }
                Ok(Some(hash_password(p.to_owned()).await?))
            }
        }
    }

    async fn check_room_limit(&self, user: UserId) -> Result<()> {
        let n = self.inner.store.list_user_rooms(user).await?.len();
        if n >= self.inner.limits.max_rooms_per_user {
            return Err(Error::Forbidden("you are in too many rooms"));
        }
        Ok(())
    }

    /// Create a public or private room; the actor becomes its owner.
    pub async fn create_room(&self, actor: UserId, input: NewRoom) -> Result<RoomView> {
        let l = &self.inner.limits;
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
        };
        let owner = Membership {
            room_id: room.id,
            user_id: actor,
            role: Role::Owner,
            joined_at: now,
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
        let limit = limit.clamp(1, 100);
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
            out.push(self.room_view(&room, Some(m.role), Some(actor)).await?);
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
            || update.max_members.is_some();
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
        if let Some(p) = update.password.as_deref() {
            room.password_hash = self.room_password_hash(Some(p)).await?;
        }
        self.inner.store.update_room(&room).await?;
        self.access_changed().await;
        let public_view = self.room_view(&room, None, None).await?;
        self.publish_room(room.id, ServerEvent::RoomUpdated { room: public_view });
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

    async fn delete_room_now(&self, room: RoomId) -> Result<()> {
        self.inner.store.delete_room(room).await?;
        self.access_changed().await;
        // File records have no foreign key to the room: they are found after it.
        self.discard_files(FileScope::Room(room)).await?;
        self.publish_room(room, ServerEvent::RoomDeleted { room });
        self.publish(Dispatch::CloseRoom { room });
        Ok(())
    }

    /// Refuse a user who is banned (an expired ban no longer counts).
    async fn check_not_banned(&self, room: RoomId, user: UserId) -> Result<()> {
        if let Some(ban) = self.inner.store.get_ban(room, user).await?
            && ban.is_active(self.now())
        {
            return Err(Error::Banned);
        }
        Ok(())
    }

    async fn check_room_password(&self, room: &Room, password: Option<&str>) -> Result<()> {
        if let Some(hash) = &room.password_hash {
            let ok = match password {
                Some(p) if p.len() <= self.inner.limits.password_max_bytes => {
                    verify_password(p.to_owned(), hash.clone()).await?
                }
                _ => false,
            };
            if !ok {
                return Err(Error::Forbidden("wrong room password"));
            }
        }
        Ok(())
    }

    async fn join(&self, actor: UserId, room: Room, path: JoinPath<'_>) -> Result<RoomView> {
        let store = &self.inner.store;
        if store.get_member(room.id, actor).await?.is_some() {
            return Err(Error::Conflict(Conflict::AlreadyMember));
        }
        let invited = store.get_invite(room.id, actor).await?.is_some();
        match (&path, room.kind) {
            (_, RoomKind::Direct) => return Err(Error::NotFound("room")),
            // Private rooms are invisible without an invitation or the code.
            (JoinPath::Direct { .. }, RoomKind::Private) if !invited => {
                return Err(Error::NotFound("room"));
            }
            _ => {}
        }
        self.check_not_banned(room.id, actor).await?;
        if !invited {
            let password = match path {
                JoinPath::Direct { password } | JoinPath::Code { password } => password,
            };
            self.check_room_password(&room, password).await?;
        }
        self.check_room_limit(actor).await?;
        let membership = Membership {
            room_id: room.id,
            user_id: actor,
            role: Role::Member,
            joined_at: self.now(),
        };
        store
            .add_member(membership.clone(), self.effective_max_members(&room))
            .await?;
        self.access_changed().await;
        self.announce_join(&room, &membership).await?;
        self.room_view(&room, Some(Role::Member), Some(actor)).await
    }

    async fn announce_join(&self, room: &Room, m: &Membership) -> Result<()> {
        self.publish(Dispatch::Subscribe {
            user: m.user_id,
            room: room.id,
        });
        let user = self.user(m.user_id).await?;
        let online = !self.inner.hub.online(&[m.user_id]).await?.is_empty();
        self.publish_room(
            room.id,
            ServerEvent::MemberJoined {
                room: room.id,
                member: MemberView {
                    user: user_view(&user),
                    role: m.role,
                    joined_at: m.joined_at,
                    online,
                },
            },
        );
        let mut room = room.clone();
        if room.kind != RoomKind::Direct {
            room.last_seq = self
                .post_system(room.id, SystemEvent::Joined { user: m.user_id })
                .await?
                .seq;
        }
        let view = self.room_view(&room, Some(m.role), Some(m.user_id)).await?;
        self.publish(Dispatch::Users {
            users: vec![m.user_id],
            event: ServerEvent::RoomCreated { room: view },
        });
        Ok(())
    }

    /// Join a public room (with its password if it has one), or a private room the
    /// actor was invited to.
    pub async fn join_room(
        &self,
        actor: UserId,
        room: RoomId,
        password: Option<&str>,
    ) -> Result<RoomView> {
        let room = self
            .inner
            .store
            .get_room(room)
            .await?
            .ok_or(Error::NotFound("room"))?;
        self.join(actor, room, JoinPath::Direct { password }).await
    }

    /// Join a room by its code (case-insensitive), with the room password if it has one.
    pub async fn join_by_code(
        &self,
        actor: UserId,
        code: &str,
        password: Option<&str>,
    ) -> Result<RoomView> {
        self.inner.code_limiter.check(&actor)?;
        let code = RoomCode::parse(code)?;
        let room = self
            .inner
            .store
            .find_room_by_code(&code)
            .await?
            .ok_or(Error::NotFound("room"))?;
        self.join(actor, room, JoinPath::Code { password }).await
    }

    /// Leave a room. An owner who leaves hands the room to the highest-ranked,
    /// longest-standing other member; a room left empty is deleted.
    pub async fn leave_room(&self, actor: UserId, room: RoomId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if me.role == Role::Owner
            && room.kind != RoomKind::Direct
            && self.hand_on_or_delete(&room, actor).await?
        {
            return Ok(());
        }
        self.inner.store.remove_member(room.id, actor).await?;
        self.access_changed().await;
        self.announce_removal(room.id, actor, RemovalReason::Left, None)
            .await?;
        Ok(())
    }

    /// Hand an owned room to its best other member; returns true if the room was
    /// deleted instead because nobody else is in it.
    pub(super) async fn hand_on_or_delete(&self, room: &Room, owner: UserId) -> Result<bool> {
        let members = self.inner.store.list_members(room.id).await?;
        // list_members is ordered by join time: the first of the highest rank wins.
        let heir = members
            .iter()
            .filter(|m| m.user_id != owner)
            .max_by(|a, b| a.role.cmp(&b.role).then(b.joined_at.cmp(&a.joined_at)));
        match heir {
            None => {
                self.delete_room_now(room.id).await?;
                Ok(true)
            }
            Some(heir) => {
                self.inner
                    .store
                    .transfer_ownership(room.id, owner, heir.user_id)
                    .await?;
                self.access_changed().await;
                self.announce_transfer(room.id, owner, heir.user_id).await?;
                Ok(false)
            }
        }
    }

    async fn announce_transfer(&self, room: RoomId, from: UserId, to: UserId) -> Result<()> {
        self.publish_room(
            room,
            ServerEvent::RoleChanged {
                room,
                user: to,
                role: Role::Owner,
                by: from,
            },
        );
        self.publish_room(
            room,
            ServerEvent::RoleChanged {
                room,
                user: from,
                role: Role::Admin,
                by: from,
            },
        );
        self.post_system(
            room,
            SystemEvent::OwnershipTransferred {
                from: Some(from),
                to,
            },
        )
        .await?;
        Ok(())
    }

    /// Tell the room someone is gone, then stop their connections receiving it.
    async fn announce_removal(
        &self,
        room: RoomId,
        user: UserId,
        reason: RemovalReason,
        by: Option<UserId>,
    ) -> Result<()> {
        self.publish_room(
            room,
            ServerEvent::MemberRemoved {
                room,
                user,
                reason,
                by,
            },
        );
        self.publish(Dispatch::Unsubscribe { user, room });
        let event = match (reason, by) {
            (RemovalReason::Kicked, Some(by)) => Some(SystemEvent::Kicked { user, by }),
            (RemovalReason::Banned, Some(by)) => Some(SystemEvent::Banned { user, by }),
            (RemovalReason::Left, _) => Some(SystemEvent::Left { user }),
            _ => None,
        };
        if let Some(e) = event {
            // A room that was removed meanwhile has nowhere to post to.
            match self.post_system(room, e).await {
                Ok(_) | Err(Error::NotFound(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// Members of a room with role and online state (members only; public rooms
    /// also to non-members).
    pub async fn members(&self, actor: UserId, room: RoomId) -> Result<Vec<MemberView>> {
        let (room, _) = self.visible_room(actor, room).await?;
        let store = &self.inner.store;
        let members = store.list_members(room.id).await?;
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
        let users = store.get_users(&ids).await?;
        let online = self.inner.hub.online(&ids).await?;
        let by_id: std::collections::HashMap<UserId, _> =
            users.into_iter().map(|u| (u.id, u)).collect();
        Ok(members
            .into_iter()
            .filter_map(|m| {
                by_id.get(&m.user_id).map(|u| MemberView {
                    user: user_view(u),
                    role: m.role,
                    joined_at: m.joined_at,
                    online: online.contains(&m.user_id),
                })
            })
            .collect())
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

    /// Hand ownership to another member (owner only); the old owner becomes admin.
    pub async fn transfer_ownership(&self, actor: UserId, room: RoomId, to: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms have no owner"));
        }
        self.require(me.role, Action::TransferOwnership)?;
        if to == actor {
            return Err(Error::invalid("user", "you own this room already"));
        }
        if self.inner.store.get_member(room.id, to).await?.is_none() {
            return Err(Error::NotFound("member"));
        }
        self.inner
            .store
            .transfer_ownership(room.id, actor, to)
            .await?;
        self.access_changed().await;
        self.announce_transfer(room.id, actor, to).await
    }

    /// Change a member's role (see [`crate::perm`]).
    pub async fn set_role(
        &self,
        actor: UserId,
        room: RoomId,
        user: UserId,
        role: Role,
    ) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms have no roles"));
        }
        let target = self
            .inner
            .store
            .get_member(room.id, user)
            .await?
            .ok_or(Error::NotFound("member"))?;
        self.require(
            me.role,
            Action::SetRole {
                target: target.role,
                to: role,
            },
        )?;
        if target.role == role {
            return Ok(());
        }
        self.inner.store.set_role(room.id, user, role).await?;
        self.access_changed().await;
        self.publish_room(
            room.id,
            ServerEvent::RoleChanged {
                room: room.id,
                user,
                role,
                by: actor,
            },
        );
        self.post_system(
            room.id,
            SystemEvent::RoleChanged {
                user,
                role,
                by: actor,
            },
        )
        .await?;
        Ok(())
    }

    /// Remove a member without banning them.
    pub async fn kick(&self, actor: UserId, room: RoomId, user: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("no moderation in direct rooms"));
        }
        let target = self
            .inner
            .store
            .get_member(room.id, user)
            .await?
            .ok_or(Error::NotFound("member"))?;
        self.require(
            me.role,
            Action::Kick {
                target: target.role,
            },
        )?;
        self.inner.store.remove_member(room.id, user).await?;
        self.access_changed().await;
        self.announce_removal(room.id, user, RemovalReason::Kicked, Some(actor))
            .await
    }

    /// Ban a user (member or not) from a room, with a reason and optional expiry.
    /// A member is removed at once, including from their live connections.
    pub async fn ban(
        &self,
        actor: UserId,
        room: RoomId,
        user: UserId,
        reason: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<Ban> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("no moderation in direct rooms"));
        }
        if user == actor {
            return Err(Error::invalid("user", "you cannot ban yourself"));
        }
        let reason = validate::text("reason", reason, self.inner.limits.max_description_chars)?;
        let now = self.now();
        if expires_at.is_some_and(|e| e <= now) {
            return Err(Error::invalid("expires_at", "must be in the future"));
        }
        self.user(user).await?;
        let target = self.inner.store.get_member(room.id, user).await?;
        let target_role = target.as_ref().map_or(Role::Member, |m| m.role);
        self.require(
            me.role,
            Action::Ban {
                target: target_role,
            },
        )?;
        let ban = Ban {
            room_id: room.id,
            user_id: user,
            banned_by: Some(actor),
            reason,
            created_at: now,
            expires_at,
        };
        self.inner.store.ban(ban.clone()).await?;
        self.access_changed().await;
        if target.is_some() {
            self.announce_removal(room.id, user, RemovalReason::Banned, Some(actor))
                .await?;
        }
        Ok(ban)
    }

    /// Lift a ban.
    pub async fn unban(&self, actor: UserId, room: RoomId, user: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        self.require(
            me.role,
            Action::Ban {
                target: Role::Member,
            },
        )?;
        if !self.inner.store.unban(room.id, user).await? {
            return Err(Error::NotFound("ban"));
        }
        Ok(())
    }

    /// A room's bans (moderators and up).
    pub async fn list_bans(&self, actor: UserId, room: RoomId) -> Result<Vec<Ban>> {
        let (room, me) = self.require_member(actor, room).await?;
        self.require(
            me.role,
            Action::Ban {
                target: Role::Member,
            },
        )?;
        self.inner.store.list_bans(room.id).await
    }

    /// Invite a user into a room (moderators and up). The invitation lets them join
    /// a private room without the code and skips the room password.
    pub async fn invite(&self, actor: UserId, room: RoomId, user: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms take no invitations"));
        }
        self.require(me.role, Action::Invite)?;
        self.user(user).await?;
        let store = &self.inner.store;
        if store.get_member(room.id, user).await?.is_some() {
            return Err(Error::Conflict(Conflict::AlreadyMember));
        }
        if let Some(ban) = store.get_ban(room.id, user).await?
            && ban.is_active(self.now())
        {
            return Err(Error::Banned);
        }
        store
            .create_invite(Invite {
                room_id: room.id,
                user_id: user,
                invited_by: Some(actor),
                created_at: self.now(),
            })
            .await?;
        self.publish(Dispatch::Users {
            users: vec![user],
            event: ServerEvent::Invited {
                room: room.id,
                room_name: room.name.clone(),
                by: actor,
            },
        });
        Ok(())
    }

    /// The actor's pending invitations, with the rooms' names.
    pub async fn list_invites(&self, actor: UserId) -> Result<Vec<InviteView>> {
        let store = &self.inner.store;
        let mut out = Vec::new();
        for inv in store.list_invites(actor).await? {
            if let Some(room) = store.get_room(inv.room_id).await? {
                out.push(InviteView {
                    room_id: inv.room_id,
                    room_name: room.name,
                    invited_by: inv.invited_by,
                    created_at: inv.created_at,
                });
            }
        }
        Ok(out)
    }

    /// Make this connection receive a room: subscribe it if the actor is a member,
    /// otherwise join first (public rooms, with the password if any, or rooms the
    /// actor was invited to). Joining subscribes all the actor's connections.
    pub async fn join_or_subscribe(
        &self,
        actor: UserId,
        conn: crate::hub::ConnId,
        room: RoomId,
        password: Option<&str>,
    ) -> Result<()> {
        if self.inner.store.get_member(room, actor).await?.is_some() {
            self.inner.hub.subscribe_connection(conn, room);
            return Ok(());
        }
        match self.join_room(actor, room, password).await {
            Ok(_) => Ok(()),
            // Lost a race with another join of the same user: now a member.
            Err(Error::Conflict(Conflict::AlreadyMember)) => {
                self.inner.hub.subscribe_connection(conn, room);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Decline an invitation.
    pub async fn decline_invite(&self, actor: UserId, room: RoomId) -> Result<()> {
        if self.inner.store.delete_invite(room, actor).await? {
            Ok(())
        } else {
            Err(Error::NotFound("invitation"))
        }
    }

    /// Open (or reopen) the direct room between the actor and another user.
    pub async fn open_direct(&self, actor: UserId, other: UserId) -> Result<RoomView> {
        if actor == other {
            return Err(Error::invalid(
                "user",
                "cannot open a direct room with yourself",
            ));
        }
        self.user(actor).await?;
        self.user(other).await?;
        let (a, b) = if actor < other {
            (actor, other)
        } else {
            (other, actor)
        };
        let key = format!("{a}:{b}");
        let store = &self.inner.store;
        if let Some(room) = store.find_direct_room(&key).await? {
            if store.get_member(room.id, actor).await?.is_none() {
                let m = Membership {
                    room_id: room.id,
                    user_id: actor,
                    role: Role::Member,
                    joined_at: self.now(),
                };
                match store.add_member(m.clone(), 2).await {
                    Ok(_) => {
                        self.access_changed().await;
                        self.announce_join(&room, &m).await?;
                    }
                    Err(Error::Conflict(Conflict::AlreadyMember)) => {}
                    Err(e) => return Err(e),
                }
            }
            return self.room_view(&room, Some(Role::Member), Some(actor)).await;
        }
        let now = self.now();
        let room = Room {
            id: RoomId::new(),
            kind: RoomKind::Direct,
            name: String::new(),
            description: String::new(),
            avatar_url: None,
            code: None,
            password_hash: None,
            max_members: Some(2),
            direct_key: Some(key.clone()),
            created_by: Some(actor),
            created_at: now,
            last_seq: 0,
            slow_mode_secs: 0,
        };
        let members = [a, b]
            .into_iter()
            .map(|u| Membership {
                room_id: room.id,
                user_id: u,
                role: Role::Member,
                joined_at: now,
            })
            .collect();
        let room = match store.create_room(room, members).await {
            Ok(r) => r,
            Err(Error::Conflict(Conflict::DirectRoomExists)) => {
                // A concurrent open won; use its room.
                let room = store
                    .find_direct_room(&key)
                    .await?
                    .ok_or(Error::Conflict(Conflict::Concurrent))?;
                return self.room_view(&room, Some(Role::Member), Some(actor)).await;
            }
            Err(e) => return Err(e),
        };
        for u in [a, b] {
            self.publish(Dispatch::Subscribe {
                user: u,
                room: room.id,
            });
            let view = self.room_view(&room, Some(Role::Member), Some(u)).await?;
            self.publish(Dispatch::Users {
                users: vec![u],
                event: ServerEvent::RoomCreated { room: view },
            });
        }
        self.room_view(&room, Some(Role::Member), Some(actor)).await
    }

    /// The actor's direct rooms.
    pub async fn list_direct(&self, actor: UserId) -> Result<Vec<RoomView>> {
        let mut rooms = self.list_my_rooms(actor).await?;
        rooms.retain(|r| r.kind == RoomKind::Direct);
        Ok(rooms)
    }
}
