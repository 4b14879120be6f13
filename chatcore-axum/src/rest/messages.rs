//! Messages, history and direct rooms.

use axum::Json as JsonOut;
use axum::extract::State;
use axum::http::StatusCode;
use chatcore::model::PageRequest;
use chatcore::protocol::{HistoryPage, RoomView};
use chatcore::{Message, MessageId, RoomId, SendMessage};

use super::rooms::page_limit_error;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::ChatState;
use crate::types::{EditMessageRequest, HistoryQuery, OpenDirectRequest};

/// A page of a room's history (members only), ascending by `seq`.
///
/// Without cursors: the latest page. `before`: page backwards; `after`: page forwards.
/// With `thread`: the replies of that thread (the room's timeline leaves out the
/// thread replies that were not also sent to the room).
#[utoipa::path(
    get,
    path = "/rooms/{id}/messages",
    tag = "messages",
    params(("id" = chatcore::RoomId, Path, description = "Room id"), HistoryQuery),
    responses(
        (status = 200, description = "A page", body = HistoryPage),
        (status = 403, description = "Not a member of this public room (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or a private room of others (`not_found`)", body = ErrorBody),
        (status = 422, description = "`after` not below `before`, or `thread` not a thread root of this room (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn history(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Query(q): Query<HistoryQuery>,
) -> Result<JsonOut<HistoryPage>, ApiError> {
    let max = state.chat().limits().history_page_ceiling();
    let limit = match q.limit {
        None => 0,
        Some(n) if (1..=max).contains(&n) => n,
        Some(_) => return Err(page_limit_error(max)),
    };
    let page = PageRequest {
        before: q.before,
        after: q.after,
        limit,
    };
    let chat = state.chat();
    Ok(JsonOut(match q.thread {
        None => chat.history(actor.user, id, page).await?,
        Some(root) => chat.thread_history(actor.user, id, root, page).await?,
    }))
}

/// Post a message. Repeating a `nonce` returns the first message instead.
#[utoipa::path(
    post,
    path = "/rooms/{id}/messages",
    tag = "messages",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = SendMessage,
    responses(
        (status = 201, description = "Posted (or the earlier message with this nonce)", body = Message),
        (status = 403, description = "Not a member (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
        (status = 422, description = "Invalid body, nonce, `reply_to` or `thread_root` (`invalid_input`, with `field`)", body = ErrorBody),
        (status = 429, description = "Slow mode or the sending rate: wait `retry_after_ms` (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn send(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(input): Json<SendMessage>,
) -> Result<(StatusCode, JsonOut<Message>), ApiError> {
    let message = state.chat().send_message(actor.user, id, input).await?;
    Ok((StatusCode::CREATED, JsonOut(message)))
}

/// Edit one's own message.
#[utoipa::path(
    patch,
    path = "/messages/{id}",
    tag = "messages",
    params(("id" = chatcore::MessageId, Path, description = "Message id")),
    request_body = EditMessageRequest,
    responses(
        (status = 200, description = "The edited message", body = Message),
        (status = 403, description = "Not the author (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such message, or in a room of others (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn edit(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<MessageId>,
    Json(body): Json<EditMessageRequest>,
) -> Result<JsonOut<Message>, ApiError> {
    Ok(JsonOut(
        state
            .chat()
            .edit_message_extra(actor.user, id, &body.body, body.extra)
            .await?,
    ))
}

/// Delete a message (one's own, or another's where the role allows); a tombstone
/// keeps its place.
#[utoipa::path(
    delete,
    path = "/messages/{id}",
    tag = "messages",
    params(("id" = chatcore::MessageId, Path, description = "Message id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such message (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn delete(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<MessageId>,
) -> Result<StatusCode, ApiError> {
    state.chat().delete_message(actor.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open (or reopen) the direct room with another user, by id or username.
#[utoipa::path(
    post,
    path = "/direct",
    tag = "direct",
    request_body = OpenDirectRequest,
    responses(
        (status = 200, description = "The direct room", body = RoomView),
        (status = 404, description = "No such user (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn open_direct(
    State(state): State<ChatState>,
    actor: Actor,
    Json(body): Json<OpenDirectRequest>,
) -> Result<JsonOut<RoomView>, ApiError> {
    let chat = state.chat();
    let other = match (body.user_id, body.username.as_deref()) {
        (Some(id), None) => id,
        (None, Some(name)) => chat.find_user(name).await?.id,
        _ => {
            return Err(
                chatcore::Error::invalid("user_id", "give either user_id or username").into(),
            );
        }
    };
    Ok(JsonOut(chat.open_direct(actor.user, other).await?))
}

/// The user's direct rooms.
#[utoipa::path(
    get,
    path = "/direct",
    tag = "direct",
    responses((status = 200, description = "Direct rooms", body = [RoomView]))
)]
pub(crate) async fn list_direct(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<JsonOut<Vec<RoomView>>, ApiError> {
    Ok(JsonOut(state.chat().list_direct(actor.user).await?))
}
