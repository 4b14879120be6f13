//! Site administration: the rules.
//!
//! Site administrators are granted and revoked by the operator only (the
//! `chat-server admin` command, through [`Chat::grant_site_admin`] and
//! [`Chat::revoke_site_admin`], which take no acting user): no API lets anyone
//! become one. An administrator may suspend and unsuspend accounts, delete any room
//! and list every room and user. For a private room they see that it exists and
//! who its members are, never its messages or its code. Every action they take (and
//! every grant and revoke) is appended to the site audit log.
//!
//! A suspended account keeps its messages and memberships, loses every session (its
//! sockets close with [`CloseReason::AccountSuspended`], 4004), and can neither log
//! in nor connect ([`Error::Suspended`]) until an administrator lifts the
//! suspension. An administrator cannot be suspended (revoke first), so the site
//! always keeps the administrators the operator made.

use crate::error::{Error, Result};
use crate::hub::{CloseReason, Dispatch};
use crate::ids::{RoomId, UserId, Username};
use crate::model::{Session, User};
use crate::site::{AdminAction, AdminMemberView, AdminRoomView, AdminUserView, AuditEntry};

use super::{Chat, user_view};

/// Largest page of the admin listings (users, rooms, audit log).
pub const ADMIN_PAGE_MAX: u32 = 200;

impl Chat {
    /// Make the user with this username a site administrator (operator only: there is
    /// no acting user). Returns false if they already were one.
    pub async fn grant_site_admin(&self, username: &str) -> Result<bool> {
        let user = self.user_by_name(username).await?;
        let changed = self
            .inner
            .store
            .set_site_admin(user.id, Some(self.now()))
            .await?;
        if changed {
            self.audit(None, AdminAction::GrantAdmin, Some(&user), None, "")
                .await?;
        }
        Ok(changed)
    }

    /// Take site administration from the user with this username (operator only).
    /// Returns false if they were not one.
    pub async fn revoke_site_admin(&self, username: &str) -> Result<bool> {
        let user = self.user_by_name(username).await?;
        let changed = self.inner.store.set_site_admin(user.id, None).await?;
        if changed {
            self.audit(None, AdminAction::RevokeAdmin, Some(&user), None, "")
                .await?;
        }
        Ok(changed)
    }

    /// The site administrators (operator only), ordered by username.
    pub async fn site_admins(&self) -> Result<Vec<crate::protocol::UserView>> {
        let admins = self.inner.store.list_site_admins().await?;
        Ok(admins.iter().map(user_view).collect())
    }

    /// Whether the user is a site administrator.
    pub async fn is_site_admin(&self, user: UserId) -> Result<bool> {
        let status = self.inner.store.site_status(user).await?;
        Ok(status.is_some_and(|s| s.admin_since.is_some()))
    }

    /// Suspend an account (site administrators): every session ends and every socket
    /// closes with 4004; login and connecting are refused until
    /// [`Chat::admin_unsuspend`]. Administrators cannot be suspended; nobody
    /// suspends themselves.
    pub async fn admin_suspend(&self, actor: UserId, target: UserId) -> Result<AdminUserView> {
        self.require_site_admin(actor).await?;
        if actor == target {
            return Err(Error::Forbidden("you cannot suspend yourself"));
        }
        let user = self.user(target).await?;
        if self.is_site_admin(target).await? {
            return Err(Error::Forbidden(
                "site administrators cannot be suspended; revoke first",
            ));
        }
        self.inner.store.suspend_user(target, self.now()).await?;
        self.publish(Dispatch::Disconnect {
            user: target,
            session: None,
            reason: CloseReason::AccountSuspended,
        });
        self.audit(Some(actor), AdminAction::Suspend, Some(&user), None, "")
            .await?;
        self.admin_user_view(user).await
    }

    /// Lift a suspension (site administrators).
    pub async fn admin_unsuspend(&self, actor: UserId, target: UserId) -> Result<AdminUserView> {
        self.require_site_admin(actor).await?;
        let user = self.user(target).await?;
        if self.inner.store.unsuspend_user(target).await? {
            self.audit(Some(actor), AdminAction::Unsuspend, Some(&user), None, "")
                .await?;
        }
        self.admin_user_view(user).await
    }

    /// Delete any room (site administrators), as its owner would: messages and files
    /// go, every member is told. Direct rooms too (for abuse).
    pub async fn admin_delete_room(&self, actor: UserId, room: RoomId) -> Result<()> {
        self.require_site_admin(actor).await?;
        let found = self
            .inner
            .store
            .get_room(room)
            .await?
            .ok_or(Error::NotFound("room"))?;
        self.delete_room_now(room).await?;
        let detail = found.name.clone();
        self.audit(
            Some(actor),
            AdminAction::DeleteRoom,
            None,
            Some(room),
            &detail,
        )
        .await
    }

    /// Every user with their standing (site administrators), by id, after `after`.
    pub async fn admin_users(
        &self,
        actor: UserId,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<AdminUserView>> {
        self.require_site_admin(actor).await?;
        let rows = self
            .inner
            .store
            .list_all_users(after, limit.clamp(1, ADMIN_PAGE_MAX))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(u, status)| AdminUserView {
                user: user_view(&u),
                status,
            })
            .collect())
    }

    /// Every room (site administrators), by id, after `after`: that it exists, its
    /// name and member count; never its messages or code.
    pub async fn admin_rooms(
        &self,
        actor: UserId,
        after: Option<RoomId>,
        limit: u32,
    ) -> Result<Vec<AdminRoomView>> {
        self.require_site_admin(actor).await?;
        let store = &self.inner.store;
        let rooms = store
            .list_all_rooms(after, limit.clamp(1, ADMIN_PAGE_MAX))
            .await?;
        let mut out = Vec::with_capacity(rooms.len());
        for r in rooms {
            out.push(AdminRoomView {
                id: r.id,
                kind: r.kind,
                name: r.name,
                member_count: store.count_members(r.id).await?,
                created_at: r.created_at,
            });
        }
        Ok(out)
    }

    /// The members of any room (site administrators).
    pub async fn admin_room_members(
        &self,
        actor: UserId,
        room: RoomId,
    ) -> Result<Vec<AdminMemberView>> {
        self.require_site_admin(actor).await?;
        let store = &self.inner.store;
        store.get_room(room).await?.ok_or(Error::NotFound("room"))?;
        let members = store.list_members(room).await?;
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
        let users = store.get_users(&ids).await?;
        Ok(members
            .into_iter()
            .filter_map(|m| {
                let u = users.iter().find(|u| u.id == m.user_id)?;
                Some(AdminMemberView {
                    user: user_view(u),
                    role: m.role,
                    joined_at: m.joined_at,
                })
            })
            .collect())
    }

    /// The site audit log, newest first (site administrators).
    pub async fn admin_audit(
        &self,
        actor: UserId,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        self.require_site_admin(actor).await?;
        self.inner
            .store
            .list_audit(before, limit.clamp(1, ADMIN_PAGE_MAX))
            .await
    }

    /// `Forbidden` unless the actor is a site administrator.
    pub async fn require_site_admin(&self, actor: UserId) -> Result<()> {
        if self.is_site_admin(actor).await? {
            Ok(())
        } else {
            Err(Error::Forbidden("site administrators only"))
        }
    }

    /// `Suspended` if the user's account is suspended.
    pub(super) async fn refuse_suspended(&self, user: UserId) -> Result<()> {
        let status = self.inner.store.site_status(user).await?;
        if status.is_some_and(|s| s.suspended_at.is_some()) {
            return Err(Error::Suspended);
        }
        Ok(())
    }

    /// Called right after a session is stored: if the account is suspended (also by
    /// a suspension racing this login), the session goes again and the caller gets
    /// [`Error::Suspended`]. See [`crate::store::SiteStore::suspend_user`] for why
    /// reading after writing closes the race.
    pub(super) async fn refuse_suspended_session(&self, session: &Session) -> Result<()> {
        if let Err(e) = self.refuse_suspended(session.user_id).await {
            self.inner
                .store
                .delete_session(session.user_id, session.id)
                .await?;
            return Err(e);
        }
        Ok(())
    }

    async fn user_by_name(&self, username: &str) -> Result<User> {
        let name = Username::parse(username).map_err(|_| Error::NotFound("user"))?;
        self.inner
            .store
            .find_user_by_username(&name.normalized())
            .await?
            .ok_or(Error::NotFound("user"))
    }

    async fn admin_user_view(&self, user: User) -> Result<AdminUserView> {
        let status = self
            .inner
            .store
            .site_status(user.id)
            .await?
            .unwrap_or_default();
        Ok(AdminUserView {
            user: user_view(&user),
            status,
        })
    }

    async fn audit(
        &self,
        actor: Option<UserId>,
        action: AdminAction,
        user: Option<&User>,
        room: Option<RoomId>,
        detail: &str,
    ) -> Result<()> {
        let detail = match user {
            Some(u) if detail.is_empty() => u.username.as_str().to_owned(),
            _ => detail.chars().take(200).collect(),
        };
        self.inner
            .store
            .append_audit(AuditEntry {
                id: uuid::Uuid::now_v7(),
                at: self.now(),
                actor,
                action,
                target_user: user.map(|u| u.id),
                target_room: room,
                detail,
            })
            .await
    }
}
