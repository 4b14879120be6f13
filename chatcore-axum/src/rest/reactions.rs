//! Reactions on messages.

use axum::extract::State;
use axum::http::StatusCode;
use chatcore::MessageId;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::state::ChatState;

/// Add one's reaction (a single emoji, percent-encoded in the path) to a message of
/// a room one is a member of. Adding it again changes nothing.
#[utoipa::path(
    put,
    path = "/messages/{id}/reactions/{emoji}",
    tag = "messages",
    params(
        ("id" = chatcore::MessageId, Path, description = "Message id"),
        ("emoji" = String, Path, description = "The emoji (or a configured shortcode)"),
    ),
    responses(
        (status = 204, description = "Reacted"),
        (status = 404, description = "No such message, deleted, or in a room of others (`not_found`)", body = ErrorBody),
        (status = 413, description = "The message has the most distinct emoji already (`too_large`)", body = ErrorBody),
        (status = 422, description = "Not a single emoji (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn add(
    State(state): State<ChatState>,
    actor: Actor,
    Path((id, emoji)): Path<(MessageId, String)>,
) -> Result<StatusCode, ApiError> {
    state.chat().add_reaction(actor.user, id, &emoji).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove one's reaction from a message (nothing if there was none).
#[utoipa::path(
    delete,
    path = "/messages/{id}/reactions/{emoji}",
    tag = "messages",
    params(
        ("id" = chatcore::MessageId, Path, description = "Message id"),
        ("emoji" = String, Path, description = "The emoji"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such message, or in a room of others (`not_found`)", body = ErrorBody),
        (status = 422, description = "Not a single emoji (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn remove(
    State(state): State<ChatState>,
    actor: Actor,
    Path((id, emoji)): Path<(MessageId, String)>,
) -> Result<StatusCode, ApiError> {
    state.chat().remove_reaction(actor.user, id, &emoji).await?;
    Ok(StatusCode::NO_CONTENT)
}
