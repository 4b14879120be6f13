//! Request and response bodies of the REST API that are not chatcore's own views
//! (those are in [`chatcore::protocol`]).

use chatcore::{MessageId, Role, RoomId, RoomKind, SessionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::openapi::schemas;

/// `POST /auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// 3–32 letters, digits, `_`, `-`, `.`; unique case-insensitively.
    #[schema(example = "alice")]
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    /// Optional, unique email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Shown instead of the username (default: the username).
    #[serde(default)]
    pub display_name: Option<String>,
}

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
    #[schema(value_type = schemas::MeView)]
    pub user: chatcore::protocol::MeView,
    /// The secret session token, for `Authorization: Bearer` and the WebSocket
    /// `auth` frame. Shown only now.
    pub token: String,
    /// The session's id (to revoke it).
    #[schema(value_type = Uuid)]
    pub session_id: SessionId,
    /// When the session lapses unless used (each use renews it).
    pub expires_at: DateTime<Utc>,
}

/// One of the user's sessions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// Identifier.
    #[schema(value_type = Uuid)]
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
    /// New password (at least 8 characters). Every other session is logged out.
    pub new: String,
}

/// `PATCH /me`: fields left out are unchanged.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ProfileUpdateRequest {
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// New bio.
    #[serde(default)]
    pub bio: Option<String>,
    /// New avatar URL (`""` clears).
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// New email (`""` clears).
    #[serde(default)]
    pub email: Option<String>,
}

impl From<ProfileUpdateRequest> for chatcore::ProfileUpdate {
    fn from(r: ProfileUpdateRequest) -> Self {
        chatcore::ProfileUpdate {
            display_name: r.display_name,
            bio: r.bio,
            avatar_url: r.avatar_url,
            email: r.email,
        }
    }
}

/// `GET /rooms` query: public rooms by name, after a cursor.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRoomsQuery {
    /// Cursor: the name of the last room of the previous page (with `after_id`).
    #[serde(default)]
    pub after_name: Option<String>,
    /// Cursor: the id of the last room of the previous page (with `after_name`).
    #[serde(default)]
    pub after_id: Option<Uuid>,
    /// Page size (default 50, at most 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `GET /me/rooms`: the user's rooms by kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct MyRooms {
    /// Public rooms.
    #[schema(value_type = Vec<schemas::RoomView>)]
    pub public: Vec<chatcore::protocol::RoomView>,
    /// Private rooms.
    #[schema(value_type = Vec<schemas::RoomView>)]
    pub private: Vec<chatcore::protocol::RoomView>,
    /// Direct rooms.
    #[schema(value_type = Vec<schemas::RoomView>)]
    pub direct: Vec<chatcore::protocol::RoomView>,
}

/// `POST /rooms`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewRoomRequest {
    /// `public` or `private` (direct rooms are opened with `POST /direct`).
    #[schema(value_type = schemas::RoomKind)]
    pub kind: RoomKind,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Room password (asked when joining).
    #[serde(default)]
    pub password: Option<String>,
    /// Member limit (0 or absent: the service-wide limit).
    #[serde(default)]
    pub max_members: Option<u32>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

impl From<NewRoomRequest> for chatcore::NewRoom {
    fn from(r: NewRoomRequest) -> Self {
        chatcore::NewRoom {
            kind: r.kind,
            name: r.name,
            description: r.description,
            password: r.password,
            max_members: r.max_members,
            avatar_url: r.avatar_url,
        }
    }
}

/// `PATCH /rooms/{id}`: fields left out are unchanged.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct RoomUpdateRequest {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New avatar URL (`""` clears).
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// New password (`""` removes it).
    #[serde(default)]
    pub password: Option<String>,
    /// New member limit (0: the service-wide limit).
    #[serde(default)]
    pub max_members: Option<u32>,
    /// Slow mode: seconds between two messages of one member (0: off; moderators and up).
    #[serde(default)]
    pub slow_mode_secs: Option<u32>,
}

impl From<RoomUpdateRequest> for chatcore::RoomUpdate {
    fn from(r: RoomUpdateRequest) -> Self {
        chatcore::RoomUpdate {
            name: r.name,
            description: r.description,
            avatar_url: r.avatar_url,
            password: r.password,
            max_members: r.max_members,
            slow_mode_secs: r.slow_mode_secs,
        }
    }
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
    /// The 8-character room code (case-insensitive).
    #[schema(example = "K3Q9ZT2M")]
    pub code: String,
    /// The room password, if it has one.
    #[serde(default)]
    pub password: Option<String>,
}

/// A private room's join code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CodeResponse {
    /// The code.
    #[schema(value_type = String, example = "K3Q9ZT2M")]
    pub code: chatcore::RoomCode,
}

/// A request naming a user (`transfer`, `invites`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    /// The user.
    #[schema(value_type = Uuid)]
    pub user_id: UserId,
}

/// A pending invitation of the user into a room.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InviteView {
    /// The room.
    #[schema(value_type = Uuid)]
    pub room_id: RoomId,
    /// The room's name (absent if the room is gone).
    pub room_name: Option<String>,
    /// Who invited.
    #[schema(value_type = Option<Uuid>)]
    pub invited_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `PUT /rooms/{id}/members/{user_id}/role`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetRoleRequest {
    /// The new role (below one's own; `owner` only by transfer).
    #[schema(value_type = schemas::Role)]
    pub role: Role,
}

/// `POST /rooms/{id}/bans`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BanRequest {
    /// The user to ban (member or not).
    #[schema(value_type = Uuid)]
    pub user_id: UserId,
    /// Reason (may be empty).
    #[serde(default)]
    pub reason: String,
    /// When the ban ends (absent: never).
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
    /// Only messages with a larger sequence number (page forwards).
    #[serde(default)]
    pub after: Option<i64>,
    /// Page size (default 50, at most 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `POST /rooms/{id}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SendMessageRequest {
    /// Text (at most 4,000 characters by default).
    pub body: String,
    /// The message this one replies to (same room).
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub reply_to: Option<MessageId>,
    /// Idempotency key (1–64 bytes): a retry with the same nonce returns the first
    /// message instead of posting again.
    #[serde(default)]
    pub nonce: Option<String>,
}

/// `PATCH /messages/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EditMessageRequest {
    /// The new text.
    pub body: String,
}

/// `POST /direct`: the other user, by id or by username (exactly one).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OpenDirectRequest {
    /// The other user's id.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<UserId>,
    /// The other user's username.
    #[serde(default)]
    pub username: Option<String>,
}
