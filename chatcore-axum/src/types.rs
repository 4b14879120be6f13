//! Request and response bodies of the REST API that are not chatcore's own types.
//!
//! The others are chatcore's, used as they are: inputs such as [`chatcore::Register`],
//! [`chatcore::NewRoom`] or [`chatcore::SendMessage`], and the views of
//! [`chatcore::protocol`]. Fields the service validates carry a `chatcore:` rule marker
//! as their schema `format`; see [`chatcore::openapi`].

use std::borrow::Cow;

use chatcore::protocol::{MeView, RoomView};
use chatcore::{Role, RoomCode, RoomId, SessionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// `POST /auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Username (case-insensitive).
    pub username: String,
    /// Password.
    pub password: String,
}

/// A new session: answer of register and login (the cookie is set too).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthResponse {
    /// The account.
    pub user: MeView,
    /// The secret session token, for `Authorization: Bearer` and the WebSocket
    /// `auth` frame. Shown only now.
    pub token: String,
    /// The session's id (to revoke it).
    pub session_id: SessionId,
    /// When the session lapses unless used (each use renews it).
    pub expires_at: DateTime<Utc>,
}

/// One of the user's sessions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// Identifier.
    pub id: SessionId,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last used (updated at most once a minute).
    pub last_used_at: DateTime<Utc>,
    /// Lapses then unless used.
    pub expires_at: DateTime<Utc>,
    /// The client that opened it.
    pub user_agent: Option<String>,
    /// Whether this request was authenticated by this session.
    pub current: bool,
}

/// `DELETE /me`: password accounts confirm with their password.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct DeleteAccountRequest {
    /// Current password (not needed for host-application users).
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /me/password`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    /// Current password.
    pub old: String,
    /// New password. Every other session is logged out.
    #[schema(format = "chatcore:password")]
    pub new: String,
}

/// `GET /rooms` query: public rooms by name, after a cursor.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRoomsQuery {
    /// Cursor: the name of the last room of the previous page. Alone: the rooms from
    /// this name on.
    #[serde(default)]
    pub after_name: Option<String>,
    /// Cursor: the id of the last room of the previous page. Alone: the rooms after
    /// this one (which must exist).
    #[serde(default)]
    pub after_id: Option<RoomId>,
    /// Page size (default 50).
    #[serde(default)]
    #[param(format = "chatcore:rooms-limit")]
    pub limit: Option<u32>,
}

/// `GET /me/rooms`: the user's rooms by kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct MyRooms {
    /// Public rooms.
    pub public: Vec<RoomView>,
    /// Private rooms.
    pub private: Vec<RoomView>,
    /// Direct rooms.
    pub direct: Vec<RoomView>,
}

/// `POST /rooms/{id}/join`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct JoinRequest {
    /// The room password, if it has one.
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /rooms/join-by-code`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JoinByCodeRequest {
    /// The room's code (8 letters and digits, case-insensitive).
    #[schema(example = "K3Q9ZT2M", format = "chatcore:room-code")]
    pub code: String,
    /// The room password, if it has one.
    #[serde(default)]
    pub password: Option<String>,
}

/// A private room's join code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CodeResponse {
    /// The code.
    pub code: RoomCode,
}

/// A request naming a user (`transfer`, `invites`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    /// The user.
    pub user_id: UserId,
}

/// `PUT /rooms/{id}/members/{user_id}/role`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetRoleRequest {
    /// The new role (below one's own; `owner` only by transfer).
    #[schema(value_type = String, format = "chatcore:assignable-role")]
    pub role: Role,
}

/// `POST /rooms/{id}/bans`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BanRequest {
    /// The user to ban (member or not).
    pub user_id: UserId,
    /// Reason (may be empty).
    #[serde(default)]
    #[schema(format = "chatcore:reason")]
    pub reason: String,
    /// When the ban ends, in the future (absent: never).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `GET /rooms/{id}/messages` query: a page by sequence number.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only messages with a smaller sequence number (page backwards).
    #[serde(default)]
    pub before: Option<i64>,
    /// Only messages with a larger sequence number (page forwards); below `before`
    /// when both are given.
    #[serde(default)]
    pub after: Option<i64>,
    /// Page size (default 50).
    #[serde(default)]
    #[param(format = "chatcore:history-limit")]
    pub limit: Option<u32>,
    /// The replies of the thread under this root message instead of the room's
    /// timeline (which leaves out the thread replies not also sent to the room).
    #[serde(default)]
    pub thread: Option<chatcore::MessageId>,
}

/// `PATCH /messages/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EditMessageRequest {
    /// The new text (the caption of an image or file message may be emptied).
    #[schema(format = "chatcore:body")]
    pub body: String,
    /// New custom data: a JSON object of at most 4 KiB, `{}` clears (where the
    /// service lets users set it; else `forbidden`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra: Option<serde_json::Value>,
}

/// `POST /rooms/{id}/read` and `POST /rooms/{id}/unread`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadPositionRequest {
    /// A message's sequence number: read up to it (`read`), or unread from it on
    /// (`unread`).
    #[schema(value_type = i64)]
    pub seq: chatcore::Seq,
}

/// `PUT /rooms/{id}/notifications`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationsRequest {
    /// What to be notified of in the room: `all`, `mentions` or `none` (muted).
    pub level: chatcore::NotifyLevel,
}

/// `POST /direct`: the other user, by id or by username (exactly one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OpenDirectRequest {
    /// The other user's id.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// The other user's username.
    #[serde(default)]
    pub username: Option<String>,
}

/// `{"user_id": …}` or `{"username": …}`, the other one absent or null.
impl PartialSchema for OpenDirectRequest {
    fn schema() -> RefOr<Schema> {
        let one = |given: &str, schema: RefOr<Schema>, absent: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(given, schema)
                .required(given)
                .property(absent, ObjectBuilder::new().schema_type(Type::Null))
        };
        let by_name = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The other user's username"));
        OneOfBuilder::new()
            .description(Some("The other user, by id or by username (exactly one)"))
            .item(one("user_id", UserId::schema(), "username"))
            .item(one("username", by_name.into(), "user_id"))
            .into()
    }
}

impl ToSchema for OpenDirectRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OpenDirectRequest")
    }
}

pub use crate::rest::moderation::{ReportRequest, ResolveRequest, TimeoutRequest};
