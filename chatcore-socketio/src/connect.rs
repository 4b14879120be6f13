//! The connection: origin check, authentication and the hub registration, in a
//! connect middleware (so that a refusal is the client's `connect_error`, and the
//! command handler is in place before the client may send anything).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use axum::http::header;
use chatcore::hub::CloseReason;
use chatcore::protocol::ServerEvent;
use chatcore::{Error, RoomId, Seq};
use chatcore_axum::{Actor, AuthMethod, ChatState};
use serde::Deserialize;
use socketioxide::extract::SocketRef;

use crate::Translate;

/// The `auth` payload of socket.io-client (`io(url, { auth: { … } })`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthPayload {
    /// A chatcore session token, when the handshake carries no cookie or
    /// `Authorization` header (browsers over WebSocket cannot set headers).
    #[serde(default)]
    token: Option<String>,
    /// Resume: the last `seq` the client has, per room. What it missed is emitted
    /// (as `message_created`) before any live event, exactly once.
    #[serde(default)]
    resume: BTreeMap<RoomId, Seq>,
}

/// A refused connection: the client's `connect_error` carries this stable code as
/// its `message`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refused(&'static str);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<CloseReason> for Refused {
    fn from(reason: CloseReason) -> Self {
        Refused(reason.as_str())
    }
}

pub(crate) async fn start(
    state: ChatState,
    names: Arc<dyn Translate>,
    socket: SocketRef,
    auth: Option<serde_json::Value>,
) -> Result<(), Refused> {
    // A missing payload is an empty one; a malformed one is refused.
    let auth = match auth {
        None | Some(serde_json::Value::Null) => AuthPayload::default(),
        Some(value) => serde_json::from_value(value).map_err(|_| Refused("bad_frame"))?,
    };
    let parts = socket.req_parts();
    // A browser page from another site must not ride the user's cookie into a socket.
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !state.origin_allowed(origin, &parts.headers) {
            return Err(Refused("origin_rejected"));
        }
    }
    let chat = state.chat();
    let actor = match state.authenticator().authenticate(chat, parts).await {
        Ok(Some(actor)) => actor,
        Ok(None) => match auth.token.as_deref() {
            Some(token) => match chat.authenticate(token).await {
                Ok(session) => Actor {
                    user: session.user_id,
                    session: Some(session.id),
                    method: AuthMethod::AuthFrame,
                },
                Err(_) => return Err(CloseReason::Unauthenticated.into()),
            },
            None => return Err(CloseReason::Unauthenticated.into()),
        },
        Err(_) => return Err(CloseReason::Unauthenticated.into()),
    };
    // One cap for every transport: a socket holds one of the server's connection
    // slots (`WsConfig::max_connections`, shared with the WebSockets) for its life.
    let slot = state.connection_slot().ok_or(Refused("server_busy"))?;
    let conn = chat
        .connect(actor.user, actor.session)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => CloseReason::AccountDeleted,
            Error::Unauthenticated(_) => CloseReason::SessionRevoked,
            Error::RateLimited { .. } => CloseReason::RateLimited,
            other => {
                tracing::error!(error = %other, "socket.io connect failed");
                CloseReason::InternalError
            }
        })?;
    // Subscribed to every room of the user from here on: whatever is resumed is read
    // after this point, so nothing falls in between.
    let hello = match hello(&state, &actor).await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "socket.io hello failed");
            conn.close().await;
            return Err(CloseReason::InternalError.into());
        }
    };
    crate::pump::spawn(
        state,
        names,
        socket,
        actor,
        (conn, slot),
        hello,
        auth.resume,
    );
    Ok(())
}

async fn hello(state: &ChatState, actor: &Actor) -> chatcore::Result<ServerEvent> {
    state
        .chat()
        .hello(actor.user, state.config().ws.heartbeat)
        .await
}
