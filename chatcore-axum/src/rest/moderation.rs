//! Moderation tools: reports and their queue, the room's moderation log, timeouts,
//! and user blocks. The rules are `chatcore::Chat`'s (`report_message`,
//! `resolve_report`, `room_audit`, `timeout_member`, `block_user`, …).

use std::time::Duration;

use axum::Json as JsonOut;
use axum::extract::State;
use axum::http::StatusCode;
use chatcore::model::{Block, ModLogEntry, Report, ReportResolution, Timeout};
use chatcore::{MessageId, RoomId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::ChatState;

/// `POST /messages/{id}/report`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportRequest {
    /// Why (required).
    #[schema(format = "chatcore:report-reason")]
    pub reason: String,
}

/// `POST /reports/{id}/resolve`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResolveRequest {
    /// What to do.
    pub resolution: ReportResolution,
    /// Why (may be empty; a ban keeps it as its reason).
    #[serde(default)]
    #[schema(format = "chatcore:reason")]
    pub reason: String,
}

/// `PUT /rooms/{id}/members/{user_id}/timeout`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimeoutRequest {
    /// How long, in seconds (the server's minimum to maximum, 28 days by default).
    #[schema(format = "chatcore:timeout-secs")]
    pub duration_secs: u64,
    /// Why (may be empty).
    #[serde(default)]
    #[schema(format = "chatcore:reason")]
    pub reason: String,
}

/// A page of the reports queue or the moderation log, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ModPageQuery {
    /// Cursor: the id of the last entry of the previous page.
    #[serde(default)]
    pub(crate) cursor: Option<uuid::Uuid>,
    /// Page size (default 50, at most 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub(crate) limit: Option<u32>,
    /// Reports only: `true` for the open ones only (default), `false` for all.
    #[serde(default)]
    pub(crate) open: Option<bool>,
}

impl ModPageQuery {
    fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=chatcore::MOD_PAGE_MAX).contains(&n) => Ok(n),
            Some(_) => Err(chatcore::Error::invalid(
                "limit",
                format!("between 1 and {}", chatcore::MOD_PAGE_MAX),
            )
            .into()),
        }
    }
}

/// Report a message to the room's moderators (members; not in direct rooms, not
/// one's own messages). One open report per reporter and message.
#[utoipa::path(
    post,
    path = "/messages/{id}/report",
    tag = "moderation",
    params(("id" = chatcore::MessageId, Path, description = "Message id")),
    request_body = ReportRequest,
    responses(
        (status = 201, description = "Reported", body = Report),
        (status = 403, description = "A direct room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such message in the actor's rooms (`not_found`)", body = ErrorBody),
        (status = 409, description = "An open report of this message by the actor exists (`report_open`)", body = ErrorBody),
        (status = 422, description = "No reason, or the actor's own or a system message (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn report(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<MessageId>,
    Json(body): Json<ReportRequest>,
) -> Result<(StatusCode, JsonOut<Report>), ApiError> {
    let report = state
        .chat()
        .report_message(actor.user, id, &body.reason)
        .await?;
    Ok((StatusCode::CREATED, JsonOut(report)))
}

/// A room's reports, newest first (moderators and up, site administrators).
#[utoipa::path(
    get,
    path = "/rooms/{id}/reports",
    tag = "moderation",
    params(("id" = chatcore::RoomId, Path, description = "Room id"), ModPageQuery),
    responses(
        (status = 200, description = "A page of reports", body = [Report]),
        (status = 403, description = "Role too low (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn room_reports(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Query(q): Query<ModPageQuery>,
) -> Result<JsonOut<Vec<Report>>, ApiError> {
    let limit = q.limit()?;
    Ok(JsonOut(
        state
            .chat()
            .list_reports(actor.user, id, q.open.unwrap_or(true), q.cursor, limit)
            .await?,
    ))
}

/// The reports of every room, newest first (site administrators).
#[utoipa::path(
    get,
    path = "/admin/reports",
    tag = "admin",
    params(ModPageQuery),
    responses(
        (status = 200, description = "A page of reports", body = [Report]),
        (status = 403, description = "Not a site administrator (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn all_reports(
    State(state): State<ChatState>,
    actor: Actor,
    Query(q): Query<ModPageQuery>,
) -> Result<JsonOut<Vec<Report>>, ApiError> {
    let limit = q.limit()?;
    Ok(JsonOut(
        state
            .chat()
            .admin_reports(actor.user, q.open.unwrap_or(true), q.cursor, limit)
            .await?,
    ))
}

/// Resolve an open report: dismiss it, delete the message, kick or ban its author,
/// in one call. Of two moderators resolving at once one acts, the other gets 409.
#[utoipa::path(
    post,
    path = "/reports/{id}/resolve",
    tag = "moderation",
    params(("id" = uuid::Uuid, Path, description = "Report id")),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "Resolved", body = Report),
        (status = 403, description = "The role does not allow this action on the author (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such report for the actor (`not_found`)", body = ErrorBody),
        (status = 409, description = "Already resolved (`concurrent_update`)", body = ErrorBody),
    )
)]
pub(crate) async fn resolve(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<uuid::Uuid>,
    Json(body): Json<ResolveRequest>,
) -> Result<JsonOut<Report>, ApiError> {
    Ok(JsonOut(
        state
            .chat()
            .resolve_report(actor.user, id, body.resolution, &body.reason)
            .await?,
    ))
}

/// A room's moderation log, newest first (admins and the owner, site
/// administrators).
#[utoipa::path(
    get,
    path = "/rooms/{id}/audit",
    tag = "moderation",
    params(("id" = chatcore::RoomId, Path, description = "Room id"), ModPageQuery),
    responses(
        (status = 200, description = "A page of log entries", body = [ModLogEntry]),
        (status = 403, description = "Role too low (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn audit(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Query(q): Query<ModPageQuery>,
) -> Result<JsonOut<Vec<ModLogEntry>>, ApiError> {
    let limit = q.limit()?;
    Ok(JsonOut(
        state
            .chat()
            .room_audit(actor.user, id, q.cursor, limit)
            .await?,
    ))
}

/// Time a member out: they read but cannot send, react or type until the end
/// (moderators and up, lower rank only). Replaces an earlier timeout.
#[utoipa::path(
    put,
    path = "/rooms/{id}/members/{user_id}/timeout",
    tag = "moderation",
    params(
        ("id" = chatcore::RoomId, Path, description = "Room id"),
        ("user_id" = chatcore::UserId, Path, description = "Member's user id"),
    ),
    request_body = TimeoutRequest,
    responses(
        (status = 200, description = "Timed out", body = Timeout),
        (status = 403, description = "Role too low, or a direct room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room or member (`not_found`)", body = ErrorBody),
        (status = 422, description = "Duration out of bounds (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn timeout(
    State(state): State<ChatState>,
    actor: Actor,
    Path((id, user)): Path<(RoomId, UserId)>,
    Json(body): Json<TimeoutRequest>,
) -> Result<JsonOut<Timeout>, ApiError> {
    let duration = Duration::from_secs(body.duration_secs);
    Ok(JsonOut(
        state
            .chat()
            .timeout_member(actor.user, id, user, duration, &body.reason)
            .await?,
    ))
}

/// Lift a member's timeout before its end.
#[utoipa::path(
    delete,
    path = "/rooms/{id}/members/{user_id}/timeout",
    tag = "moderation",
    params(
        ("id" = chatcore::RoomId, Path, description = "Room id"),
        ("user_id" = chatcore::UserId, Path, description = "Member's user id"),
    ),
    responses(
        (status = 204, description = "Lifted"),
        (status = 403, description = "Role too low (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or no timeout (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn clear_timeout(
    State(state): State<ChatState>,
    actor: Actor,
    Path((id, user)): Path<(RoomId, UserId)>,
) -> Result<StatusCode, ApiError> {
    state.chat().clear_timeout(actor.user, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whom the actor blocks, newest first (a client hides their messages).
#[utoipa::path(
    get,
    path = "/me/blocks",
    tag = "users",
    responses((status = 200, description = "The blocked users", body = [Block]))
)]
pub(crate) async fn blocks(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<JsonOut<Vec<Block>>, ApiError> {
    Ok(JsonOut(state.chat().list_blocks(actor.user).await?))
}

/// Block a user: neither of the two can open or write in their direct room while
/// it stands (idempotent).
#[utoipa::path(
    post,
    path = "/me/blocks/{user_id}",
    tag = "users",
    params(("user_id" = chatcore::UserId, Path, description = "User to block")),
    responses(
        (status = 204, description = "Blocked"),
        (status = 404, description = "No such user (`not_found`)", body = ErrorBody),
        (status = 413, description = "Too many blocks (`too_large`)", body = ErrorBody),
        (status = 422, description = "Oneself (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn block(
    State(state): State<ChatState>,
    actor: Actor,
    Path(user): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    state.chat().block_user(actor.user, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a block (idempotent).
#[utoipa::path(
    delete,
    path = "/me/blocks/{user_id}",
    tag = "users",
    params(("user_id" = chatcore::UserId, Path, description = "User to unblock")),
    responses((status = 204, description = "Unblocked"))
)]
pub(crate) async fn unblock(
    State(state): State<ChatState>,
    actor: Actor,
    Path(user): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    state.chat().unblock_user(actor.user, user).await?;
    Ok(StatusCode::NO_CONTENT)
}
