//! Rooms, membership, invitations and moderation.

use axum::Json as JsonOut;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode};
use chatcore::protocol::{InviteView, MemberView, RoomView};
use chatcore::{Ban, NewRoom, RoomId, RoomKind, RoomUpdate, UserId};

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::limits::IpAction;
use crate::state::ChatState;
use crate::types::{
    BanRequest, CodeResponse, JoinByCodeRequest, JoinRequest, ListRoomsQuery, MyRooms,
    SetRoleRequest, UserRef,
};

/// Public rooms by name, a page at a time: the next page starts after the last room
/// of the previous one (`after_name` and `after_id`).
#[utoipa::path(
    get,
    path = "/rooms",
    tag = "rooms",
    params(ListRoomsQuery),
    responses(
        (status = 200, description = "A page of public rooms", body = [RoomView]),
        (status = 404, description = "`after_id` alone names no room one can see (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_public(
    State(state): State<ChatState>,
    actor: Actor,
    Query(q): Query<ListRoomsQuery>,
) -> Result<JsonOut<Vec<RoomView>>, ApiError> {
    let chat = state.chat();
    let after = match (q.after_name, q.after_id) {
        (Some(name), Some(id)) => Some((name, id)),
        // From this name on: every id sorts after the nil one.
        (Some(name), None) => Some((name, RoomId(uuid::Uuid::nil()))),
        (None, Some(id)) => Some((chat.get_room(actor.user, id).await?.name, id)),
        (None, None) => None,
    };
    let limit = match q.limit {
        None => state.config().rooms_page_default,
        Some(n) if (1..=chatcore::Limits::ROOMS_PAGE_MAX).contains(&n) => n,
        Some(_) => return Err(page_limit_error(chatcore::Limits::ROOMS_PAGE_MAX)),
    };
    let after = after.as_ref().map(|(name, id)| (name.as_str(), *id));
    Ok(JsonOut(
        chat.list_public_rooms(actor.user, after, limit).await?,
    ))
}

/// The answer to a page size out of `1..=max`.
pub(crate) fn page_limit_error(max: u32) -> ApiError {
    chatcore::Error::invalid("limit", format!("must be 1 to {max}")).into()
}

/// The user's rooms, by kind.
#[utoipa::path(
    get,
    path = "/me/rooms",
    tag = "rooms",
    responses((status = 200, description = "The user's rooms", body = MyRooms))
)]
pub(crate) async fn my_rooms(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<JsonOut<MyRooms>, ApiError> {
    let mut out = MyRooms::default();
    for room in state.chat().list_my_rooms(actor.user).await? {
        match room.kind {
            RoomKind::Public => out.public.push(room),
            RoomKind::Private => out.private.push(room),
            RoomKind::Direct => out.direct.push(room),
        }
    }
    Ok(JsonOut(out))
}

/// Create a public or private room; the creator owns it.
#[utoipa::path(
    post,
    path = "/rooms",
    tag = "rooms",
    request_body = NewRoom,
    responses(
        (status = 201, description = "Created", body = RoomView),
        (status = 403, description = "In too many rooms (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(state): State<ChatState>,
    actor: Actor,
    Json(input): Json<NewRoom>,
) -> Result<(StatusCode, JsonOut<RoomView>), ApiError> {
    let room = state.chat().create_room(actor.user, input).await?;
    Ok((StatusCode::CREATED, JsonOut(room)))
}

/// A room as the user sees it (private and direct rooms: members only).
#[utoipa::path(
    get,
    path = "/rooms/{id}",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "The room", body = RoomView),
        (status = 404, description = "No such room, or a private room of others (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn get(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<RoomView>, ApiError> {
    Ok(JsonOut(state.chat().get_room(actor.user, id).await?))
}

/// Change room settings (admins and up; slow mode: moderators and up).
#[utoipa::path(
    patch,
    path = "/rooms/{id}",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = RoomUpdate,
    responses(
        (status = 200, description = "The updated room", body = RoomView),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn update(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(update): Json<RoomUpdate>,
) -> Result<JsonOut<RoomView>, ApiError> {
    Ok(JsonOut(
        state.chat().update_room(actor.user, id, update).await?,
    ))
}

/// Delete a room (owner only).
#[utoipa::path(
    delete,
    path = "/rooms/{id}",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn delete(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<StatusCode, ApiError> {
    state.chat().delete_room(actor.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Join a public room (with its password if it has one) or a private room one was
/// invited to.
#[utoipa::path(
    post,
    path = "/rooms/{id}/join",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = JoinRequest,
    responses(
        (status = 200, description = "Joined", body = RoomView),
        (status = 403, description = "Banned (`banned`) or wrong room password (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
        (status = 409, description = "Already a member, or the room is full (`already_member`, `room_full`)", body = ErrorBody),
        (status = 429, description = "Too many room password attempts by this user or from this address (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn join(
    State(state): State<ChatState>,
    actor: Actor,
    headers: HeaderMap,
    extensions: Extensions,
    Path(id): Path<RoomId>,
    Json(body): Json<JoinRequest>,
) -> Result<JsonOut<RoomView>, ApiError> {
    if body.password.is_some() {
        state
            .limits()
            .check_ip(state.config(), (&headers, &extensions), IpAction::Password)?;
    }
    Ok(JsonOut(
        state
            .chat()
            .join_room(actor.user, id, body.password.as_deref())
            .await?,
    ))
}

/// Join a room by its code.
#[utoipa::path(
    post,
    path = "/rooms/join-by-code",
    tag = "rooms",
    request_body = JoinByCodeRequest,
    responses(
        (status = 200, description = "Joined", body = RoomView),
        (status = 403, description = "Banned (`banned`) or wrong room password (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No room has this code (`not_found`)", body = ErrorBody),
        (status = 409, description = "Already a member, or the room is full (`already_member`, `room_full`)", body = ErrorBody),
        (status = 429, description = "Too many code or room password attempts (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn join_by_code(
    State(state): State<ChatState>,
    actor: Actor,
    headers: HeaderMap,
    extensions: Extensions,
    Json(body): Json<JoinByCodeRequest>,
) -> Result<JsonOut<RoomView>, ApiError> {
    if body.password.is_some() {
        state
            .limits()
            .check_ip(state.config(), (&headers, &extensions), IpAction::Password)?;
    }
    Ok(JsonOut(
        state
            .chat()
            .join_by_code(actor.user, &body.code, body.password.as_deref())
            .await?,
    ))
}

/// Leave a room (an owner hands it on; a room left empty is deleted).
#[utoipa::path(
    post,
    path = "/rooms/{id}/leave",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 204, description = "Left"),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn leave(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<StatusCode, ApiError> {
    state.chat().leave_room(actor.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Members with role and online state.
#[utoipa::path(
    get,
    path = "/rooms/{id}/members",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "Members", body = [MemberView]),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn members(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<Vec<MemberView>>, ApiError> {
    Ok(JsonOut(state.chat().members(actor.user, id).await?))
}

/// A private room's code (owners and admins).
#[utoipa::path(
    get,
    path = "/rooms/{id}/code",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "The code", body = CodeResponse),
        (status = 403, description = "Role too low (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or it has no code (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn code(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<CodeResponse>, ApiError> {
    let code = state.chat().room_code(actor.user, id).await?;
    Ok(JsonOut(CodeResponse { code }))
}

/// Replace a private room's code; the old one stops working.
#[utoipa::path(
    post,
    path = "/rooms/{id}/code/rotate",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "The new code", body = CodeResponse),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn rotate_code(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<CodeResponse>, ApiError> {
    let code = state.chat().rotate_code(actor.user, id).await?;
    Ok(JsonOut(CodeResponse { code }))
}

/// Hand ownership to another member (owner only); the old owner becomes admin.
#[utoipa::path(
    post,
    path = "/rooms/{id}/transfer",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = UserRef,
    responses(
        (status = 204, description = "Transferred"),
        (status = 404, description = "No such room or member (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn transfer(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(body): Json<UserRef>,
) -> Result<StatusCode, ApiError> {
    state
        .chat()
        .transfer_ownership(actor.user, id, body.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invite a user (moderators and up); they may then join without the code.
#[utoipa::path(
    post,
    path = "/rooms/{id}/invites",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = UserRef,
    responses(
        (status = 204, description = "Invited"),
        (status = 404, description = "No such room or user (`not_found`)", body = ErrorBody),
        (status = 409, description = "Already a member (`already_member`)", body = ErrorBody),
    )
)]
pub(crate) async fn invite(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(body): Json<UserRef>,
) -> Result<StatusCode, ApiError> {
    state.chat().invite(actor.user, id, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's pending invitations.
#[utoipa::path(
    get,
    path = "/me/invites",
    tag = "rooms",
    responses((status = 200, description = "Invitations", body = [InviteView]))
)]
pub(crate) async fn my_invites(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<JsonOut<Vec<InviteView>>, ApiError> {
    Ok(JsonOut(state.chat().list_invites(actor.user).await?))
}

/// Decline an invitation.
#[utoipa::path(
    delete,
    path = "/me/invites/{room_id}",
    tag = "rooms",
    params(("room_id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 204, description = "Declined"),
        (status = 404, description = "No such invitation (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn decline_invite(
    State(state): State<ChatState>,
    actor: Actor,
    Path(room_id): Path<RoomId>,
) -> Result<StatusCode, ApiError> {
    state.chat().decline_invite(actor.user, room_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a member's role (admins and up; see the permission matrix).
#[utoipa::path(
    put,
    path = "/rooms/{id}/members/{user_id}/role",
    tag = "moderation",
    params(
        ("id" = chatcore::RoomId, Path, description = "Room id"),
        ("user_id" = chatcore::UserId, Path, description = "Member's user id"),
    ),
    request_body = SetRoleRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 404, description = "No such room or member (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn set_role(
    State(state): State<ChatState>,
    actor: Actor,
    Path((id, user)): Path<(RoomId, UserId)>,
    Json(body): Json<SetRoleRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .chat()
        .set_role(actor.user, id, user, body.role)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member without banning them (moderators and up, lower rank only).
#[utoipa::path(
    post,
    path = "/rooms/{id}/members/{user_id}/kick",
    tag = "moderation",
    params(
        ("id" = chatcore::RoomId, Path, description = "Room id"),
        ("user_id" = chatcore::UserId, Path, description = "Member's user id"),
    ),
    responses(
        (status = 204, description = "Kicked"),
        (status = 404, description = "No such room or member (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn kick(
    State(state): State<ChatState>,
    actor: Actor,
    Path((id, user)): Path<(RoomId, UserId)>,
) -> Result<StatusCode, ApiError> {
    state.chat().kick(actor.user, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ban a user (member or not); a member is removed at once, also from their open
/// WebSockets.
#[utoipa::path(
    post,
    path = "/rooms/{id}/bans",
    tag = "moderation",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body = BanRequest,
    responses(
        (status = 201, description = "Banned", body = Ban),
        (status = 404, description = "No such room or user (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn ban(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    Json(body): Json<BanRequest>,
) -> Result<(StatusCode, JsonOut<Ban>), ApiError> {
    let ban = state
        .chat()
        .ban(actor.user, id, body.user_id, &body.reason, body.expires_at)
        .await?;
    Ok((StatusCode::CREATED, JsonOut(ban)))
}

/// A room's bans (moderators and up).
#[utoipa::path(
    get,
    path = "/rooms/{id}/bans",
    tag = "moderation",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "Bans", body = [Ban]),
        (status = 403, description = "Role too low (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_bans(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<JsonOut<Vec<Ban>>, ApiError> {
    Ok(JsonOut(state.chat().list_bans(actor.user, id).await?))
}

/// Lift a ban.
#[utoipa::path(
    delete,
    path = "/rooms/{id}/bans/{user_id}",
    tag = "moderation",
    params(
        ("id" = chatcore::RoomId, Path, description = "Room id"),
        ("user_id" = chatcore::UserId, Path, description = "Banned user's id"),
    ),
    responses(
        (status = 204, description = "Lifted"),
        (status = 404, description = "No such room or ban (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn unban(
    State(state): State<ChatState>,
    actor: Actor,
    Path((id, user)): Path<(RoomId, UserId)>,
) -> Result<StatusCode, ApiError> {
    state.chat().unban(actor.user, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}
