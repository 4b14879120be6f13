//! Guests (`POST /auth/guest`) and the sign-in options a client shows
//! (`GET /auth/options`).

use axum::extract::State;
use axum::http::Extensions;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::session_response;
use crate::auth::user_agent;
use crate::error::{ApiError, ErrorBody, codes};
use crate::extract::Json;
use crate::limits::IpAction;
use crate::state::ChatState;
use crate::types::AuthResponse;

/// `POST /auth/guest`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct GuestRequest {
    /// The name the guest is shown with.
    #[schema(format = "chatcore:name")]
    pub display_name: String,
}

/// `GET /auth/options`: how one may sign in here.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct AuthOptions {
    /// `POST /auth/register` and `POST /auth/login` work.
    pub password_auth: bool,
    /// `POST /auth/guest` works (`chatcore::Limits::guests`).
    pub guests: bool,
}

/// Continue as a guest: a temporary account with a generated username (`guest-…`),
/// no password and one session of 24 h by default, not renewed on use.
///
/// Guests may join public rooms and chat there (with a stricter send rate), but not
/// create rooms, open direct rooms, join private rooms, be invited, be given a role,
/// upload files or avatars, or set an email address (403 `forbidden`). Housekeeping
/// deletes them when their lifetime is over. Sets the session cookie and returns the
/// token, as registration does; counted against the registration limit per client
/// address.
#[utoipa::path(
    post,
    path = "/auth/guest",
    tag = "auth",
    security(()),
    request_body = GuestRequest,
    responses(
        (status = 201, description = "A guest account, logged in; the session cookie is set", body = AuthResponse),
        (status = 403, description = "Guest accounts are off on this server (`guests_disabled`)", body = ErrorBody),
        (status = 422, description = "Invalid display name (`invalid_input`, `field` `display_name`)", body = ErrorBody),
        (status = 429, description = "Too many registrations or guests from this address (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn create_guest(
    State(state): State<ChatState>,
    headers: HeaderMap,
    extensions: Extensions,
    Json(input): Json<GuestRequest>,
) -> Result<Response, ApiError> {
    if !state.chat().limits().guests {
        return Err(ApiError::forbidden(
            codes::GUESTS_DISABLED,
            "guest accounts are turned off on this server",
        ));
    }
    state
        .limits()
        .check_ip(state.config(), (&headers, &extensions), IpAction::Register)?;
    let (me, token) = state
        .chat()
        .create_guest(&input.display_name, user_agent(&headers))
        .await?;
    Ok(session_response(&state, StatusCode::CREATED, me, token))
}

/// How one may sign in on this server, for a client's login screen.
#[utoipa::path(
    get,
    path = "/auth/options",
    tag = "auth",
    security(()),
    responses((status = 200, description = "The sign-in options", body = AuthOptions)),
)]
pub(crate) async fn options(State(state): State<ChatState>) -> axum::Json<AuthOptions> {
    axum::Json(AuthOptions {
        password_auth: state.config().password_auth,
        guests: state.chat().limits().guests,
    })
}
