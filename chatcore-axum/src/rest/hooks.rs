//! The rooms' own blocklists (before-send hooks).

use axum::Json as JsonOut;
use axum::extract::State;
use chatcore::RoomId;
use chatcore::hooks::RoomBlocklist;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::ChatState;

/// A room's own blocklist (admins and the owner).
#[utoipa::path(
    get,
    path = "/rooms/{id}/blocklist",
    tag = "moderation",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "The blocklist", body = RoomBlocklist),
        (status = 403, description = "Role too low, or a direct room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn get_blocklist(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<RoomBlocklist>, ApiError> {
    let entries = state.chat().room_blocklist(actor.user, id).await?;
    Ok(JsonOut(RoomBlocklist { entries }))
}

/// Replace a room's own blocklist (admins and the owner); answers the list as stored
/// (trimmed, lower-cased, without duplicates). Messages with an entry are refused
/// with `blocked_content`.
#[utoipa::path(
    put,
    path = "/rooms/{id}/blocklist",
    tag = "moderation",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = RoomBlocklist,
    responses(
        (status = 200, description = "The blocklist as stored", body = RoomBlocklist),
        (status = 403, description = "Role too low, or a direct room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
        (status = 413, description = "Too many entries (`too_large`)", body = ErrorBody),
        (status = 422, description = "An entry empty or too long (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn set_blocklist(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(body): Json<RoomBlocklist>,
) -> Result<JsonOut<RoomBlocklist>, ApiError> {
    let entries = state
        .chat()
        .set_room_blocklist(actor.user, id, body.entries)
        .await?;
    Ok(JsonOut(RoomBlocklist { entries }))
}
