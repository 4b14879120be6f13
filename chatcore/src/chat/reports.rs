//! Reports of messages and their resolution.
//!
//! Any member reports a message of a group room with a reason; one report per
//! reporter and message is open at a time (the store refuses a second,
//! atomically). The room's moderators and up, and site administrators, see the
//! queue and resolve a report with one call: dismiss, delete the message, kick or
//! ban its author.
//!
//! A resolution first *claims* the report in the store (compare and set, with its
//! moderation log entry in the same transaction), then acts: of two moderators
//! resolving at once exactly one claims it and acts, the other gets
//! `concurrent_update` and nothing happens twice. If the action then fails, the
//! claim is undone (the report is open again, its log entry gone).

use uuid::Uuid;

use super::{Chat, validate};
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::hub::Dispatch;
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{
    Ban, MessageKind, ModAction, ModLogEntry, Report, ReportResolution, Role, Room, RoomKind,
};
use crate::perm::Action;
use crate::protocol::{RemovalReason, ServerEvent};

/// Largest page of the reports queue and the moderation log.
pub const MOD_PAGE_MAX: u32 = 100;

/// Who may handle a room's reports: a site administrator (acting as if they held
/// `Role::Admin`, whatever their membership) or a member of `Role::Moderator` and up.
#[derive(Debug, Clone, Copy)]
pub(super) struct Moderator {
    pub(super) role: Role,
}

impl Chat {
    /// Report a message to the room's moderators (members of the room; not in direct
    /// rooms, not one's own nor system or deleted messages). The reason is required
    /// and at most [`crate::Limits::max_report_reason_chars`] long.
    pub async fn report_message(
        &self,
        actor: UserId,
        message: MessageId,
        reason: &str,
    ) -> Result<Report> {
        let reason = validate::text("reason", reason, self.inner.limits.max_report_reason_chars)?;
        if reason.is_empty() {
            return Err(Error::invalid("reason", "must not be empty"));
        }
        let (msg, _) = self.member_message(actor, message).await?;
        let room = self
            .inner
            .store
            .get_room(msg.room_id)
            .await?
            .ok_or(Error::NotFound("room"))?;
        if room.kind == RoomKind::Direct {
            return Err(Error::Forbidden(
                "direct rooms have no moderators; block the user instead",
            ));
        }
        if msg.kind == MessageKind::System || msg.deleted_at.is_some() {
            return Err(Error::invalid("message", "this message cannot be reported"));
        }
        if msg.author_id == Some(actor) {
            return Err(Error::invalid(
                "message",
                "you cannot report your own message",
            ));
        }
        let report = Report {
            id: Uuid::now_v7(),
            room_id: room.id,
            message_id: msg.id,
            reporter: Some(actor),
            author: msg.author_id,
            body: msg.body.clone(),
            reason,
            created_at: self.now(),
            resolution: None,
            resolved_by: None,
            resolved_at: None,
        };
        self.inner.store.create_report(report.clone()).await?;
        self.emit_queued(EventKind::ReportCreated {
            room: room.id,
            report: report.id,
            message_id: msg.id,
            by: actor,
        })
        .await;
        let users = self.report_audience(room.id).await?;
        self.publish(Dispatch::Users {
            users,
            event: ServerEvent::ReportCreated {
                report: report.clone(),
            },
        });
        Ok(report)
    }

    /// The moderators of a room and the site administrators: who hears of reports.
    async fn report_audience(&self, room: RoomId) -> Result<Vec<UserId>> {
        let mut users: Vec<UserId> = self
            .inner
            .store
            .list_members(room)
            .await?
            .into_iter()
            .filter(|m| crate::perm::allowed(m.role, Action::ViewReports))
            .map(|m| m.user_id)
            .collect();
        for admin in self.inner.store.list_site_admins().await? {
            if !users.contains(&admin.id) {
                users.push(admin.id);
            }
        }
        Ok(users)
    }

    /// The actor as a handler of the room's reports: a site administrator, or a
    /// member allowed [`Action::ViewReports`]. Others get the room's usual error
    /// (not found for private rooms they are not in, forbidden otherwise).
    pub(super) async fn require_moderator(
        &self,
        actor: UserId,
        room: RoomId,
    ) -> Result<(Room, Moderator)> {
        if self.is_site_admin(actor).await? {
            let room = self
                .inner
                .store
                .get_room(room)
                .await?
                .ok_or(Error::NotFound("room"))?;
            let role = match self.inner.store.get_member(room.id, actor).await? {
                Some(m) if m.role > Role::Admin => m.role,
                _ => Role::Admin,
            };
            return Ok((room, Moderator { role }));
        }
        let (room, me) = self.require_member(actor, room).await?;
        self.require(me.role, Action::ViewReports)?;
        Ok((room, Moderator { role: me.role }))
    }

    /// A room's reports, newest first (moderators and up, site administrators).
    pub async fn list_reports(
        &self,
        actor: UserId,
        room: RoomId,
        open_only: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Report>> {
        let (room, _) = self.require_moderator(actor, room).await?;
        let limit = limit.clamp(1, MOD_PAGE_MAX);
        self.inner
            .store
            .list_reports(Some(room.id), open_only, before, limit)
            .await
    }

    /// The reports of every room, newest first (site administrators only).
    pub async fn admin_reports(
        &self,
        actor: UserId,
        open_only: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Report>> {
        self.require_site_admin(actor).await?;
        let limit = limit.clamp(1, MOD_PAGE_MAX);
        self.inner
            .store
            .list_reports(None, open_only, before, limit)
            .await
    }

    /// Resolve an open report: dismiss it, delete the message, kick or ban its
    /// author, and close it, in one call (see the module docs for the order). The
    /// reason goes to the moderation log (and to the ban). `concurrent_update` if the
    /// report is closed already.
    pub async fn resolve_report(
        &self,
        actor: UserId,
        report: Uuid,
        resolution: ReportResolution,
        reason: &str,
    ) -> Result<Report> {
        let reason = validate::text("reason", reason, self.inner.limits.max_description_chars)?;
        let found = self
            .inner
            .store
            .get_report(report)
            .await?
            .ok_or(Error::NotFound("report"))?;
        let (room, me) =
            self.require_moderator(actor, found.room_id)
                .await
                .map_err(|e| match e {
                    Error::Forbidden(_) | Error::NotFound(_) => Error::NotFound("report"),
                    other => other,
                })?;
        if !found.is_open() {
            return Err(Error::Conflict(crate::Conflict::Concurrent));
        }
        // Check the action is allowed before claiming the report.
        let target_role = match found.author {
            Some(a) => self
                .inner
                .store
                .get_member(room.id, a)
                .await?
                .map(|m| m.role),
            None => None,
        };
        let rank = target_role.unwrap_or(Role::Member);
        let action = match resolution {
            ReportResolution::Dismiss => None,
            ReportResolution::DeleteMessage => Some(Action::DeleteOthersMessage { author: rank }),
            ReportResolution::Kick => Some(Action::Kick { target: rank }),
            ReportResolution::Ban => Some(Action::Ban { target: rank }),
        };
        if let Some(a) = action {
            self.require(me.role, a)?;
        }
        let author = found.author;
        // An author who is no longer a member is found out after the claim (a racing
        // resolution may have removed them: the claim tells which).
        if matches!(resolution, ReportResolution::Kick | ReportResolution::Ban)
            && (author.is_none() || author == Some(actor))
        {
            return Err(Error::invalid("resolution", "the author cannot be removed"));
        }
        let now = self.now();
        let log = ModLogEntry {
            id: Uuid::now_v7(),
            room_id: room.id,
            at: now,
            actor: Some(actor),
            action: ModAction::ResolveReport,
            target_user: author,
            target_message: Some(found.message_id),
            reason: if reason.is_empty() {
                resolution.as_str().to_owned()
            } else {
                format!("{}: {reason}", resolution.as_str())
            },
        };
        let log_id = log.id;
        if !self
            .inner
            .store
            .resolve_report(report, resolution, actor, now, log)
            .await?
        {
            return Err(Error::Conflict(crate::Conflict::Concurrent));
        }
        if let Err(e) = self
            .act_on_report(actor, &room, &found, resolution, &reason, target_role)
            .await
        {
            self.inner.store.reopen_report(report, log_id).await?;
            return Err(e);
        }
        let closed = Report {
            resolution: Some(resolution),
            resolved_by: Some(actor),
            resolved_at: Some(now),
            ..found
        };
        self.emit_queued(EventKind::ReportResolved {
            room: room.id,
            report: closed.id,
            resolution,
            by: actor,
        })
        .await;
        let users = self.report_audience(room.id).await?;
        self.publish(Dispatch::Users {
            users,
            event: ServerEvent::ReportResolved {
                report: closed.clone(),
            },
        });
        Ok(closed)
    }

    /// The action of a claimed report (authorization checked by the caller).
    async fn act_on_report(
        &self,
        actor: UserId,
        room: &Room,
        report: &Report,
        resolution: ReportResolution,
        reason: &str,
        target_role: Option<Role>,
    ) -> Result<()> {
        let Some(author) = report.author else {
            return match resolution {
                ReportResolution::DeleteMessage => {
                    self.erase_message(actor, report.message_id).await
                }
                _ => Ok(()),
            };
        };
        match resolution {
            ReportResolution::Dismiss => Ok(()),
            ReportResolution::DeleteMessage => self.erase_message(actor, report.message_id).await,
            ReportResolution::Kick => {
                if !self.inner.store.remove_member(room.id, author).await? {
                    return Err(Error::NotFound("member"));
                }
                self.access_changed().await;
                self.announce_removal(room.id, author, RemovalReason::Kicked, Some(actor))
                    .await
            }
            ReportResolution::Ban => {
                let ban = Ban {
                    room_id: room.id,
                    user_id: author,
                    banned_by: Some(actor),
                    reason: reason.to_owned(),
                    created_at: self.now(),
                    expires_at: None,
                };
                self.inner.store.ban(ban).await?;
                self.access_changed().await;
                if target_role.is_some() {
                    self.announce_removal(room.id, author, RemovalReason::Banned, Some(actor))
                        .await?;
                }
                Ok(())
            }
        }
    }
}
