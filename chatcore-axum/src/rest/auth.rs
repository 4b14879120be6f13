//! Registration, login and sessions.

use axum::extract::State;
use axum::http::Extensions;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chatcore::protocol::MeView;
use chatcore::{Register, SessionId, SessionToken};

use crate::auth::{Actor, clear_cookie, session_cookie, user_agent};
use crate::error::{ApiError, ErrorBody, codes};
use crate::extract::{Json, Path};
use crate::limits::{IpAction, client_key};
use crate::state::ChatState;
use crate::types::{AuthResponse, LoginRequest, SessionView};

fn ensure_password_auth(state: &ChatState) -> Result<(), ApiError> {
    if state.config().password_auth {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            codes::PASSWORD_AUTH_DISABLED,
            "registration and login are handled by the host application",
        ))
    }
}

pub(super) fn session_response(
    state: &ChatState,
    status: StatusCode,
    user: MeView,
    token: SessionToken,
) -> Response {
    // The session's own lifetime (a guest's is shorter than `session_ttl`).
    let max_age = (token.session.expires_at - token.session.created_at).num_seconds();
    let cookie = session_cookie(state.config(), &token.token, max_age);
    let body = AuthResponse {
        user,
        token: token.token,
        session_id: token.session.id,
        expires_at: token.session.expires_at,
    };
    let mut res = (status, axum::Json(body)).into_response();
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

fn no_content_clearing_cookie(state: &ChatState) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Some(c) = clear_cookie(state.config()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Create an account and log it in.
///
/// Sets the session cookie (`HttpOnly; SameSite=Lax; Path=/`) and returns the token.
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "auth",
    security(()),
    request_body = Register,
    responses(
        (status = 201, description = "Registered and logged in; the session cookie is set", body = AuthResponse),
        (status = 403, description = "Password accounts are disabled (`password_auth_disabled`)", body = ErrorBody),
        (status = 409, description = "Username or email taken (`username_taken`, `email_taken`)", body = ErrorBody),
        (status = 422, description = "Invalid input (`invalid_input`, with `field`), or a password too easy to guess (`weak_password`, `field` `password`, the reason in `message`)", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn register(
    State(state): State<ChatState>,
    headers: HeaderMap,
    extensions: Extensions,
    Json(input): Json<Register>,
) -> Result<Response, ApiError> {
    ensure_password_auth(&state)?;
    state
        .limits()
        .check_ip(state.config(), (&headers, &extensions), IpAction::Register)?;
    let (me, token) = state.chat().register(input, user_agent(&headers)).await?;
    Ok(session_response(&state, StatusCode::CREATED, me, token))
}

/// Log in with username and password.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = AuthResponse),
        (status = 401, description = "Wrong username or password (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Password login is disabled (`password_auth_disabled`)", body = ErrorBody),
        (status = 429, description = "Too many attempts for this account or from this address (`rate_limited`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn login(
    State(state): State<ChatState>,
    headers: HeaderMap,
    extensions: Extensions,
    Json(body): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    ensure_password_auth(&state)?;
    state
        .limits()
        .check_ip(state.config(), (&headers, &extensions), IpAction::Login)?;
    let (me, token) = state
        .chat()
        .login_from(
            &body.username,
            &body.password,
            user_agent(&headers),
            client_key(state.config(), &headers, &extensions),
        )
        .await?;
    Ok(session_response(&state, StatusCode::OK, me, token))
}

/// End the current session (its WebSockets close with 4002) and clear the cookie.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    responses((status = 204, description = "Logged out; the cookie is cleared"))
)]
pub(crate) async fn logout(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<Response, ApiError> {
    if let Some(session) = actor.session {
        match state.chat().logout(actor.user, session).await {
            Ok(()) | Err(chatcore::Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(no_content_clearing_cookie(&state))
}

/// End every session of the user (all their WebSockets close with 4002).
#[utoipa::path(
    post,
    path = "/auth/logout-all",
    tag = "auth",
    responses((status = 204, description = "Every session ended; the cookie is cleared"))
)]
pub(crate) async fn logout_all(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<Response, ApiError> {
    state.chat().logout_everywhere(actor.user).await?;
    Ok(no_content_clearing_cookie(&state))
}

/// The user's sessions, newest first.
#[utoipa::path(
    get,
    path = "/auth/sessions",
    tag = "auth",
    responses((status = 200, description = "Sessions", body = [SessionView]))
)]
pub(crate) async fn list_sessions(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<axum::Json<Vec<SessionView>>, ApiError> {
    let sessions = state.chat().list_sessions(actor.user).await?;
    Ok(axum::Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: Some(s.id) == actor.session,
                id: s.id,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                expires_at: s.expires_at,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

/// Revoke one session (its WebSockets close with 4002).
#[utoipa::path(
    delete,
    path = "/auth/sessions/{id}",
    tag = "auth",
    params(("id" = chatcore::SessionId, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked (the cookie is cleared if it was the current session)"),
        (status = 404, description = "No such session of this user (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn revoke_session(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<SessionId>,
) -> Result<Response, ApiError> {
    state.chat().logout(actor.user, id).await?;
    if actor.session == Some(id) {
        Ok(no_content_clearing_cookie(&state))
    } else {
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}
