//! Pinned messages.

use axum::Json as JsonOut;
use axum::extract::State;
use axum::http::StatusCode;
use chatcore::{MessageId, PinView, RoomId};

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::state::ChatState;

/// The pinned messages of a room, newest pin first (members only).
#[utoipa::path(
    get,
    path = "/rooms/{id}/pins",
    tag = "messages",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "The pins", body = [PinView]),
        (status = 403, description = "Not a member of this public room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or a private room of others (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<Vec<PinView>>, ApiError> {
    Ok(JsonOut(state.chat().pins(actor.user, id).await?))
}

/// Pin a message (moderators and up; at most 50 per room). Again: no change.
#[utoipa::path(
    put,
    path = "/messages/{id}/pin",
    tag = "messages",
    params(("id" = chatcore::MessageId, Path, description = "Message id")),
    responses(
        (status = 204, description = "Pinned"),
        (status = 403, description = "The role does not allow it, or a direct room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such message, deleted, system, or in a room of others (`not_found`)", body = ErrorBody),
        (status = 413, description = "The room has the most pins already (`too_large`)", body = ErrorBody),
    )
)]
pub(crate) async fn pin(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<MessageId>,
) -> Result<StatusCode, ApiError> {
    state.chat().pin_message(actor.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unpin a message (moderators and up). Not pinned: no change.
#[utoipa::path(
    delete,
    path = "/messages/{id}/pin",
    tag = "messages",
    params(("id" = chatcore::MessageId, Path, description = "Message id")),
    responses(
        (status = 204, description = "Unpinned"),
        (status = 403, description = "The role does not allow it (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such message, or in a room of others (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn unpin(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<MessageId>,
) -> Result<StatusCode, ApiError> {
    state.chat().unpin_message(actor.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
