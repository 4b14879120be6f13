//! Read positions: mark a room read, or unread from a message on; receipts; the
//! notification setting of a room.

use axum::Json as JsonOut;
use axum::extract::State;
use chatcore::RoomId;
use chatcore::protocol::{ReadSettings, ReadState, Receipt};

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::ChatState;
use crate::types::{NotificationsRequest, ReadPositionRequest};

/// Mark the room read up to `seq` (members only). The position only moves forward
/// and is capped at the room's last message; every connection of the user gets a
/// `read_state` event. Durable within the read flush interval (2 s by default).
#[utoipa::path(
    post,
    path = "/rooms/{id}/read",
    tag = "reads",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = ReadPositionRequest,
    responses(
        (status = 200, description = "The read state after it", body = ReadState),
        (status = 403, description = "Not a member of this public room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or a private room of others (`not_found`)", body = ErrorBody),
        (status = 422, description = "A negative `seq` (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn mark_read(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(input): Json<ReadPositionRequest>,
) -> Result<JsonOut<ReadState>, ApiError> {
    Ok(JsonOut(
        state.chat().mark_read(actor.user, id, input.seq).await?,
    ))
}

/// Mark the room unread from `seq` on (members only): the read position becomes
/// `seq - 1`, also backwards. Every connection of the user gets a `read_state` event.
#[utoipa::path(
    post,
    path = "/rooms/{id}/unread",
    tag = "reads",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = ReadPositionRequest,
    responses(
        (status = 200, description = "The read state after it", body = ReadState),
        (status = 403, description = "Not a member of this public room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or a private room of others (`not_found`)", body = ErrorBody),
        (status = 422, description = "`seq` below 1 (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn mark_unread(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(input): Json<ReadPositionRequest>,
) -> Result<JsonOut<ReadState>, ApiError> {
    Ok(JsonOut(
        state.chat().mark_unread(actor.user, id, input.seq).await?,
    ))
}

/// The read positions of the room's other members ("seen by"): in direct rooms and
/// rooms up to 50 members (`Limits::receipts_max_members`), leaving out users whose
/// receipts are private. Members only.
#[utoipa::path(
    get,
    path = "/rooms/{id}/receipts",
    tag = "reads",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "The receipts (empty in larger rooms)", body = [Receipt]),
        (status = 403, description = "Not a member of this public room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or a private room of others (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn receipts(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<Vec<Receipt>>, ApiError> {
    Ok(JsonOut(state.chat().receipts(actor.user, id).await?))
}

/// The user's read-state settings.
#[utoipa::path(
    get,
    path = "/me/read-settings",
    tag = "reads",
    responses((status = 200, description = "The settings", body = ReadSettings))
)]
pub(crate) async fn get_settings(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<JsonOut<ReadSettings>, ApiError> {
    Ok(JsonOut(state.chat().read_settings(actor.user).await?))
}

/// Change the user's read-state settings (`private_receipts`: others stop seeing
/// this user's read positions).
#[utoipa::path(
    put,
    path = "/me/read-settings",
    tag = "reads",
    request_body = ReadSettings,
    responses((status = 200, description = "The settings now", body = ReadSettings))
)]
pub(crate) async fn put_settings(
    State(state): State<ChatState>,
    actor: Actor,
    Json(input): Json<ReadSettings>,
) -> Result<JsonOut<ReadSettings>, ApiError> {
    Ok(JsonOut(
        state.chat().set_read_settings(actor.user, input).await?,
    ))
}

/// Choose what the user is notified of in the room (members only): `all`,
/// `mentions` or `none` (muted; unread and mentions are still counted). Every
/// connection of the user gets a `read_state` event with the new `notifications`.
#[utoipa::path(
    put,
    path = "/rooms/{id}/notifications",
    tag = "reads",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = NotificationsRequest,
    responses(
        (status = 200, description = "The read state, with the setting now in force", body = ReadState),
        (status = 403, description = "Not a member of this public room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or a private room of others (`not_found`)", body = ErrorBody),
        (status = 422, description = "Not a level (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn set_notifications(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(input): Json<NotificationsRequest>,
) -> Result<JsonOut<ReadState>, ApiError> {
    Ok(JsonOut(
        state
            .chat()
            .set_notifications(actor.user, id, input.level)
            .await?,
    ))
}
