//! Membership: joining, leaving, roles, ownership and invitations.

use super::accounts::verify_password;
use super::{Chat, user_view, validate};
use crate::error::{Conflict, Error, Result};
use crate::hub::Dispatch;
use crate::ids::{RoomCode, RoomId, UserId};
use crate::model::{Invite, Membership, Role, Room, RoomKind, SystemEvent};
use crate::perm::Action;
use crate::protocol::{InviteView, MemberView, RemovalReason, RoomView, ServerEvent};

/// How a user gets into a room.
enum JoinPath<'a> {
    Direct { password: Option<&'a str> },
    Code { password: Option<&'a str> },
}

impl Chat {
    /// Check a room's password; attempts count against the actor's
    /// [`crate::Limits::password_rate`].
    pub(super) async fn check_room_password(
        &self,
        actor: UserId,
        room: &Room,
        password: Option<&str>,
    ) -> Result<()> {
        if let Some(hash) = &room.password_hash {
            self.inner.password_limiter.check(&actor)?;
            let ok = match password {
                Some(p) if validate::fits(p, self.inner.limits.password_max_chars) => {
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
        if room.kind == RoomKind::Private {
            self.refuse_guest(actor).await?;
        }
        self.check_not_banned(room.id, actor).await?;
        if !invited {
            let password = match path {
                JoinPath::Direct { password } | JoinPath::Code { password } => password,
            };
            self.check_room_password(actor, &room, password).await?;
        }
        self.check_room_limit(actor).await?;
        let membership = Membership {
            room_id: room.id,
            user_id: actor,
            role: Role::Member,
            joined_at: self.now(),
            extra: None,
        };
        store
            .add_member(membership.clone(), self.effective_max_members(&room))
            .await?;
        self.access_changed().await;
        self.announce_join(&room, &membership).await?;
        self.room_view(&room, Some(Role::Member), Some(actor)).await
    }

    pub(super) async fn announce_join(&self, room: &Room, m: &Membership) -> Result<()> {
        self.publish(Dispatch::Subscribe {
            user: m.user_id,
            room: room.id,
        });
        let user = self.user(m.user_id).await?;
        let online = !self.inner.hub.online(&[m.user_id]).await?.is_empty();
        self.publish_room_queued(
            room.id,
            ServerEvent::MemberJoined {
                room: room.id,
                member: MemberView {
                    user: user_view(&user),
                    role: m.role,
                    joined_at: m.joined_at,
                    online,
                    extra: m.extra.clone(),
                },
            },
        )
        .await;
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

    pub(super) async fn announce_transfer(
        &self,
        room: RoomId,
        from: UserId,
        to: UserId,
    ) -> Result<()> {
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
    pub(super) async fn announce_removal(
        &self,
        room: RoomId,
        user: UserId,
        reason: RemovalReason,
        by: Option<UserId>,
    ) -> Result<()> {
        self.publish_room_queued(
            room,
            ServerEvent::MemberRemoved {
                room,
                user,
                reason,
                by,
            },
        )
        .await;
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
                    extra: m.extra.clone(),
                })
            })
            .collect())
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
        if self.is_guest(to).await? {
            return Err(Error::Forbidden(super::GUEST_REFUSED));
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
        if role != Role::Member && self.is_guest(user).await? {
            return Err(Error::Forbidden(super::GUEST_REFUSED));
        }
        if target.role == role {
            return Ok(());
        }
        // Compare and set: a role changed since it was read above (a transfer made
        // the target owner, say) is left alone.
        // The actor's role is re-checked and the log entry written in the same
        // store transaction (a demoted admin is refused).
        let by = self
            .mod_log(room.id, actor, crate::model::ModAction::SetRole)
            .user(user)
            .reason(format!("{} to {}", target.role.as_str(), role.as_str()))
            .by(me.role);
        self.inner
            .store
            .set_role_logged(room.id, user, target.role, role, by)
            .await?;
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

    /// Invite a user into a room (moderators and up). The invitation lets them join
    /// a private room without the code and skips the room password.
    pub async fn invite(&self, actor: UserId, room: RoomId, user: UserId) -> Result<()> {
        let (room, me) = self.require_member(actor, room).await?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms take no invitations"));
        }
        self.require(me.role, Action::Invite)?;
        if self.user(user).await?.guest {
            return Err(Error::Forbidden(super::GUEST_REFUSED));
        }
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
            return self.subscribe_member(actor, conn, room).await;
        }
        match self.join_room(actor, room, password).await {
            Ok(_) => Ok(()),
            // Lost a race with another join of the same user: now a member.
            Err(Error::Conflict(Conflict::AlreadyMember)) => {
                self.subscribe_member(actor, conn, room).await
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
}
