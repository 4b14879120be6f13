//! The acting user's account, and other users' profiles.

use axum::Json as JsonOut;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chatcore::protocol::{MeView, UserView};
use chatcore::{ProfileUpdate, UserId};

use crate::auth::{Actor, clear_cookie};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::limits::IpAction;
use crate::state::ChatState;
use crate::types::{ChangePasswordRequest, DeleteAccountRequest};

/// The user's own account.
#[utoipa::path(
    get,
    path = "/me",
    tag = "users",
    responses((status = 200, description = "The account", body = MeView))
)]
pub(crate) async fn get_me(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<JsonOut<MeView>, ApiError> {
    Ok(JsonOut(state.chat().me(actor.user).await?))
}

/// Change one's profile.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "users",
    request_body = ProfileUpdate,
    responses(
        (status = 200, description = "The updated account", body = MeView),
        (status = 409, description = "Email taken (`email_taken`)", body = ErrorBody),
        (status = 429, description = "Too many email changes by this user, or mails to this address (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn update_me(
    State(state): State<ChatState>,
    actor: Actor,
    Json(update): Json<ProfileUpdate>,
) -> Result<JsonOut<MeView>, ApiError> {
    Ok(JsonOut(
        state.chat().update_profile(actor.user, update).await?,
    ))
}

/// Delete one's account (password accounts confirm with the password).
///
/// Owned rooms pass to their best other member (or are deleted if empty); messages
/// are erased, leaving tombstones. Every session ends.
#[utoipa::path(
    delete,
    path = "/me",
    tag = "users",
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Deleted; the cookie is cleared"),
        (status = 401, description = "Wrong password (`unauthenticated`)", body = ErrorBody),
        (status = 429, description = "Too many password attempts by this user or from this address (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn delete_me(
    State(state): State<ChatState>,
    actor: Actor,
    headers: HeaderMap,
    extensions: Extensions,
    Json(body): Json<DeleteAccountRequest>,
) -> Result<Response, ApiError> {
    if body.password.is_some() {
        state
            .limits()
            .check_ip(state.config(), (&headers, &extensions), IpAction::Password)?;
    }
    state
        .chat()
        .delete_account(actor.user, body.password.as_deref())
        .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Some(c) = clear_cookie(state.config()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// Change one's password; every other session is logged out.
#[utoipa::path(
    post,
    path = "/me/password",
    tag = "users",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Wrong current password (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "The account has no password (`forbidden`)", body = ErrorBody),
        (status = 422, description = "Invalid input (`invalid_input`, with `field`), or a password too easy to guess (`weak_password`, `field` `password`, the reason in `message`)", body = ErrorBody),
        (status = 429, description = "Too many password attempts by this user or from this address (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn change_password(
    State(state): State<ChatState>,
    actor: Actor,
    headers: HeaderMap,
    extensions: Extensions,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .limits()
        .check_ip(state.config(), (&headers, &extensions), IpAction::Password)?;
    state
        .chat()
        .change_password(actor.user, actor.session, &body.old, &body.new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's public profile.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    params(("id" = chatcore::UserId, Path, description = "User id")),
    responses(
        (status = 200, description = "The profile", body = UserView),
        (status = 404, description = "No such user (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn get_user(
    State(state): State<ChatState>,
    _actor: Actor,
    Path(id): Path<UserId>,
) -> Result<JsonOut<UserView>, ApiError> {
    Ok(JsonOut(state.chat().get_user(id).await?))
}

/// A user's public profile, by username (case-insensitive).
#[utoipa::path(
    get,
    path = "/users/by-name/{username}",
    tag = "users",
    params(("username" = String, Path, description = "Username")),
    responses(
        (status = 200, description = "The profile", body = UserView),
        (status = 404, description = "No such user (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn find_user(
    State(state): State<ChatState>,
    _actor: Actor,
    Path(username): Path<String>,
) -> Result<JsonOut<UserView>, ApiError> {
    Ok(JsonOut(state.chat().find_user(&username).await?))
}
