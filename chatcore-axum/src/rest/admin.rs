//! Site administration (`/admin/*`): site administrators only (the rule is
//! `chatcore::Chat::require_site_admin`); everyone else gets 403.

use axum::Json as JsonOut;
use axum::extract::State;
use axum::http::StatusCode;
use chatcore::site::{AdminMemberView, AdminRoomView, AdminUserView, AuditEntry};
use chatcore::{RoomId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::ChatState;

/// A page of an admin listing: after the id of the previous page's last entry
/// (users and rooms) or before it (the audit log, newest first).
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AdminPageQuery {
    /// Cursor: the id of the last entry of the previous page.
    #[serde(default)]
    pub(crate) cursor: Option<uuid::Uuid>,
    /// Page size (default 50, at most 200).
    #[serde(default)]
    #[param(minimum = 1, maximum = 200)]
    pub(crate) limit: Option<u32>,
}

impl AdminPageQuery {
    fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=chatcore::ADMIN_PAGE_MAX).contains(&n) => Ok(n),
            Some(_) => Err(chatcore::Error::invalid(
                "limit",
                format!("between 1 and {}", chatcore::ADMIN_PAGE_MAX),
            )
            .into()),
        }
    }
}

/// Every user with their standing, by id.
#[utoipa::path(
    get,
    path = "/admin/users",
    tag = "admin",
    params(AdminPageQuery),
    responses(
        (status = 200, description = "A page of users", body = [AdminUserView]),
        (status = 403, description = "Not a site administrator (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn users(
    State(state): State<ChatState>,
    actor: Actor,
    Query(q): Query<AdminPageQuery>,
) -> Result<JsonOut<Vec<AdminUserView>>, ApiError> {
    let limit = q.limit()?;
    let after = q.cursor.map(UserId);
    Ok(JsonOut(
        state.chat().admin_users(actor.user, after, limit).await?,
    ))
}

/// Suspend an account: every session ends, its sockets close with 4004, and login
/// is refused (`account_suspended`) until unsuspended. Site administrators cannot
/// be suspended.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/suspend",
    tag = "admin",
    params(("id" = chatcore::UserId, Path, description = "User id")),
    responses(
        (status = 200, description = "The suspended user", body = AdminUserView),
        (status = 403, description = "Not a site administrator, or the target is one (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such user (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn suspend(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<UserId>,
) -> Result<JsonOut<AdminUserView>, ApiError> {
    Ok(JsonOut(state.chat().admin_suspend(actor.user, id).await?))
}

/// Lift a suspension.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/unsuspend",
    tag = "admin",
    params(("id" = chatcore::UserId, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = AdminUserView),
        (status = 403, description = "Not a site administrator (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such user (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn unsuspend(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<UserId>,
) -> Result<JsonOut<AdminUserView>, ApiError> {
    Ok(JsonOut(state.chat().admin_unsuspend(actor.user, id).await?))
}

/// Every room, by id: that it exists, its name and member count (never messages).
#[utoipa::path(
    get,
    path = "/admin/rooms",
    tag = "admin",
    params(AdminPageQuery),
    responses(
        (status = 200, description = "A page of rooms", body = [AdminRoomView]),
        (status = 403, description = "Not a site administrator (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn rooms(
    State(state): State<ChatState>,
    actor: Actor,
    Query(q): Query<AdminPageQuery>,
) -> Result<JsonOut<Vec<AdminRoomView>>, ApiError> {
    let limit = q.limit()?;
    let after = q.cursor.map(RoomId);
    Ok(JsonOut(
        state.chat().admin_rooms(actor.user, after, limit).await?,
    ))
}

/// Delete any room, with its messages and files.
#[utoipa::path(
    delete,
    path = "/admin/rooms/{id}",
    tag = "admin",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not a site administrator (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn delete_room(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<StatusCode, ApiError> {
    state.chat().admin_delete_room(actor.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The members of any room (private ones too: members, never messages).
#[utoipa::path(
    get,
    path = "/admin/rooms/{id}/members",
    tag = "admin",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "Members", body = [AdminMemberView]),
        (status = 403, description = "Not a site administrator (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn room_members(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<Vec<AdminMemberView>>, ApiError> {
    Ok(JsonOut(
        state.chat().admin_room_members(actor.user, id).await?,
    ))
}

/// The site audit log, newest first.
#[utoipa::path(
    get,
    path = "/admin/audit",
    tag = "admin",
    params(AdminPageQuery),
    responses(
        (status = 200, description = "A page of audit entries", body = [AuditEntry]),
        (status = 403, description = "Not a site administrator (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn audit(
    State(state): State<ChatState>,
    actor: Actor,
    Query(q): Query<AdminPageQuery>,
) -> Result<JsonOut<Vec<AuditEntry>>, ApiError> {
    let limit = q.limit()?;
    Ok(JsonOut(
        state
            .chat()
            .admin_audit(actor.user, q.cursor, limit)
            .await?,
    ))
}
