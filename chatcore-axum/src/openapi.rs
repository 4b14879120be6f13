//! The OpenAPI document.
//!
//! Paths come from the same `routes!` calls that build the router (see
//! `rest::routes`), so a route cannot exist without its documentation. Error
//! responses common to every operation are added by [`add_common_errors`].

use std::sync::LazyLock;

use axum::extract::OriginalUri;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};

use crate::error::ErrorBody;

/// Schemas of chatcore's wire views, which do not implement `ToSchema` themselves.
/// They mirror `chatcore::protocol` and `chatcore::model` field for field; the test
/// `openapi_schemas_match_real_responses` compares them with real responses.
#[allow(dead_code)]
pub(crate) mod schemas {
    use chrono::{DateTime, Utc};
    use utoipa::ToSchema;
    use uuid::Uuid;

    /// A user as other users see them.
    #[derive(ToSchema)]
    pub(crate) struct UserView {
        id: Uuid,
        #[schema(example = "alice")]
        username: String,
        display_name: String,
        bio: String,
        avatar_url: Option<String>,
        created_at: DateTime<Utc>,
        last_seen_at: Option<DateTime<Utc>>,
    }

    /// The acting user's own account (a `UserView` plus private fields).
    #[derive(ToSchema)]
    pub(crate) struct MeView {
        id: Uuid,
        username: String,
        display_name: String,
        bio: String,
        avatar_url: Option<String>,
        created_at: DateTime<Utc>,
        last_seen_at: Option<DateTime<Utc>>,
        email: Option<String>,
        /// False for users of a host application.
        has_password: bool,
        /// Whether the email address is verified.
        email_verified: bool,
    }

    /// Kinds of room.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub(crate) enum RoomKind {
        Public,
        Private,
        Direct,
    }

    /// Room roles, lowest first.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub(crate) enum Role {
        Member,
        Moderator,
        Admin,
        Owner,
    }

    /// A room as the requesting user sees it.
    #[derive(ToSchema)]
    pub(crate) struct RoomView {
        id: Uuid,
        kind: RoomKind,
        name: String,
        description: String,
        avatar_url: Option<String>,
        has_password: bool,
        max_members: u32,
        member_count: u64,
        slow_mode_secs: u32,
        created_at: DateTime<Utc>,
        last_seq: i64,
        /// The viewer's role, if a member.
        my_role: Option<Role>,
        /// Present only for owners and admins of private rooms.
        code: Option<String>,
        /// For direct rooms: the other user.
        peer: Option<UserView>,
        /// What the viewer may do here (members only).
        permissions: Option<RoomPermissions>,
    }

    /// The actions a member may take in a room (see `docs/API.md`).
    #[derive(ToSchema)]
    pub(crate) struct RoomPermissions {
        send: bool,
        edit_settings: bool,
        set_slow_mode: bool,
        invite: bool,
        view_code: bool,
        rotate_code: bool,
        transfer_ownership: bool,
        delete_room: bool,
        kick: Vec<Role>,
        ban: Vec<Role>,
        delete_messages_of: Vec<Role>,
        set_role: Vec<RoleChange>,
    }

    /// Role changes allowed on members holding `target`.
    #[derive(ToSchema)]
    pub(crate) struct RoleChange {
        target: Role,
        to: Vec<Role>,
    }

    /// A member with role and online state.
    #[derive(ToSchema)]
    pub(crate) struct MemberView {
        user: UserView,
        role: Role,
        joined_at: DateTime<Utc>,
        online: bool,
    }

    /// Kinds of message.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub(crate) enum MessageKind {
        Text,
        System,
        Image,
        File,
    }

    /// An attachment of an image or file message.
    #[derive(ToSchema)]
    pub(crate) struct Attachment {
        blob_id: String,
        name: String,
        content_type: String,
        size: u64,
    }

    /// What a system message records: `event` is one of `room_created`, `joined`,
    /// `left`, `kicked`, `banned`, `role_changed`, `ownership_transferred`; the other
    /// fields appear as the event needs them.
    #[derive(ToSchema)]
    pub(crate) struct SystemEvent {
        #[schema(example = "joined")]
        event: String,
        user: Option<Uuid>,
        by: Option<Uuid>,
        role: Option<Role>,
        from: Option<Uuid>,
        to: Option<Uuid>,
    }

    /// A message.
    #[derive(ToSchema)]
    pub(crate) struct Message {
        id: Uuid,
        room_id: Uuid,
        /// Per-room sequence number (gapless, from 1).
        seq: i64,
        /// None for system messages and erased accounts.
        author_id: Option<Uuid>,
        kind: MessageKind,
        /// Empty once deleted.
        body: String,
        system: Option<SystemEvent>,
        attachment: Option<Attachment>,
        reply_to: Option<Uuid>,
        created_at: DateTime<Utc>,
        edited_at: Option<DateTime<Utc>>,
        /// Set on tombstones of deleted messages.
        deleted_at: Option<DateTime<Utc>>,
    }

    /// A page of history, ascending by `seq`.
    #[derive(ToSchema)]
    pub(crate) struct HistoryPage {
        room: Uuid,
        messages: Vec<Message>,
        /// More messages exist in the requested direction.
        has_more: bool,
    }

    /// A ban.
    #[derive(ToSchema)]
    pub(crate) struct Ban {
        room_id: Uuid,
        user_id: Uuid,
        banned_by: Option<Uuid>,
        reason: String,
        created_at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    }
}

/// The static part of the document (info, tags, security schemes).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "chatcore",
        description = "Chat rooms, direct messages and a realtime WebSocket protocol. \
            Paths are relative to where the router is mounted. Errors always have the shape \
            `{\"error\":{\"code\",\"message\",\"field\"?,\"retry_after_ms\"?}}`; see docs/API.md \
            and docs/PROTOCOL.md.",
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session_cookie" = [])),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "Profiles"),
        (name = "rooms", description = "Rooms and membership"),
        (name = "moderation", description = "Roles, kicks and bans"),
        (name = "messages", description = "Messages and history"),
        (name = "direct", description = "Direct rooms between two users"),
        (name = "realtime", description = "The WebSocket"),
        (name = "meta", description = "This document"),
    )
)]
pub(crate) struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "chatcore_session",
                "The session cookie set by login (name configurable). Unsafe requests \
                 authenticated by it must send `X-Requested-With`.",
            ))),
        );
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
            .build(),
    )
}

/// Add the error responses every operation can give (bad request, unauthenticated,
/// CSRF refusal, too large, internal) unless an operation documents them itself.
pub(crate) fn add_common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let ops: [(&mut Option<Operation>, bool); 5] = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (op, unsafe_method) in ops {
            let Some(op) = op.as_mut() else { continue };
            let public = op
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| *r == Default::default()));
            let has_body = op.request_body.is_some();
            // Parameters are validated too (a cursor given by halves, a malformed name).
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            add(
                "400",
                "Malformed request: bad path parameter, query or JSON (`bad_request`, `malformed_json`)",
            );
            if !public {
                add("401", "Not authenticated (`unauthenticated`)");
            }
            if unsafe_method {
                add(
                    "403",
                    "Refused: CSRF header missing or origin not allowed (`csrf_rejected`, `origin_rejected`), or not allowed (`forbidden`)",
                );
            }
            if has_body {
                add(
                    "413",
                    "The request body or a field is too large (`too_large`)",
                );
                add(
                    "415",
                    "The body is not `application/json` (`unsupported_media_type`)",
                );
            }
            if has_body || has_params {
                add("422", "Invalid input (`invalid_input`, with `field`)");
            }
            add(
                "500",
                "Server failure (`internal`); details are logged, not sent",
            );
        }
    }
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(crate::openapi_document);

/// The document with `servers` set to where this router is mounted.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json")),
)]
pub(crate) async fn openapi_json(OriginalUri(uri): OriginalUri) -> axum::response::Response {
    let mut doc = DOCUMENT.clone();
    let prefix = uri.path().strip_suffix("/openapi.json").unwrap_or("");
    if !prefix.is_empty() {
        doc.servers = Some(vec![utoipa::openapi::Server::new(prefix)]);
    }
    match doc.to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => {
            crate::error::log_backend(&e);
            crate::error::ApiError::internal().into_response()
        }
    }
}
