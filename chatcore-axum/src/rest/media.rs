//! Email verification, password reset, avatars, image and file messages, and serving
//! uploaded files.

use std::collections::HashMap;

use axum::Json as JsonOut;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, OriginalUri, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use chatcore::protocol::{MeView, RoomView};
use chatcore::{FileId, FileUpload, Message, MessageId, RoomId, SendMessage, UploadTarget};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody, codes};
use crate::extract::{Json, Path};
use crate::state::ChatState;

/// Most form fields in one upload (besides the file).
const MAX_FIELDS: usize = 8;
/// Longest text field of an upload form, in bytes.
const MAX_FIELD_BYTES: usize = 16 * 1024;

fn ensure_password_auth(state: &ChatState) -> Result<(), ApiError> {
    if state.config().password_auth {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            codes::PASSWORD_AUTH_DISABLED,
            "accounts are handled by the host application",
        ))
    }
}

/// A verification link's token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct VerifyEmailRequest {
    /// The token from the link (`#verify-email=TOKEN`).
    pub(crate) token: String,
}

/// Ask for a password reset link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ResetRequest {
    /// The account's email address.
    #[schema(example = "alice@example.com", format = "chatcore:required-email")]
    pub(crate) email: String,
}

/// Set a new password with a reset link's token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ResetPasswordRequest {
    /// The token from the link (`#reset-password=TOKEN`).
    pub(crate) token: String,
    /// The new password.
    #[schema(format = "chatcore:password")]
    pub(crate) password: String,
}

/// An avatar upload (`multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct AvatarForm {
    /// A PNG, JPEG, GIF or WebP image (the type is sniffed from the bytes).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// An image or file message (`multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct FileMessageForm {
    /// The file; PNG, JPEG, GIF and WebP (sniffed) make an image message, anything
    /// else a file message.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Optional caption.
    #[schema(format = "chatcore:caption")]
    caption: Option<String>,
    /// Idempotency nonce (as for text messages).
    #[schema(format = "chatcore:nonce")]
    nonce: Option<String>,
    /// Message replied to.
    reply_to: Option<MessageId>,
    /// Reply in the thread of this root message (as for text messages).
    thread_root: Option<MessageId>,
    /// With `thread_root`: also show the reply in the room's history (`true` or
    /// `false`, the default).
    also_in_room: Option<bool>,
}

fn multipart_error(e: &axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::from(chatcore::Error::TooLarge {
            field: "file",
            limit,
        });
    }
    ApiError::bad_request(format!("unreadable multipart body: {}", e.body_text()))
}

/// Before an upload's body is read: the actor may upload there (membership, role,
/// verified address: refused without reading a byte), and one of the
/// [`crate::ChatConfig::max_concurrent_uploads`] slots is free (else 503
/// `server_busy`). The slot is held until the upload is stored.
async fn upload_slot(
    state: &ChatState,
    actor: chatcore::UserId,
    target: UploadTarget,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    state.chat().check_upload(actor, target).await?;
    state.limits().upload_slot().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::SERVER_BUSY,
            "too many uploads at once; retry shortly",
        )
        .with_retry_after(std::time::Duration::from_secs(1))
    })
}

/// Read a multipart form: the `file` field (at most `limit` bytes, checked while
/// reading, so a larger body is never buffered) and a few short text fields. The
/// whole body is also capped (file limit plus the text fields plus 64 KiB of
/// multipart framing), so nothing in the parser can grow without bound.
async fn read_form(
    state: &ChatState,
    req: Request,
    limit: usize,
) -> Result<(FileUpload, HashMap<String, String>), ApiError> {
    let cap = limit
        .saturating_add(MAX_FIELDS * MAX_FIELD_BYTES)
        .saturating_add(64 * 1024);
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, cap));
    let mut form = Multipart::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                codes::UNSUPPORTED_MEDIA_TYPE,
                format!("expected a multipart/form-data body: {}", e.body_text()),
            )
        })?;
    let mut file: Option<FileUpload> = None;
    let mut fields = HashMap::new();
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| multipart_error(&e, limit))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(ApiError::from(chatcore::Error::invalid(
                    "file",
                    "send one file",
                )));
            }
            let file_name = field.file_name().unwrap_or("file").to_owned();
            let mut buf = BytesMut::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| multipart_error(&e, limit))?
            {
                if buf.len() + chunk.len() > limit {
                    return Err(ApiError::from(chatcore::Error::TooLarge {
                        field: "file",
                        limit,
                    }));
                }
                buf.extend_from_slice(&chunk);
            }
            file = Some(FileUpload {
                name: file_name,
                bytes: buf.freeze(),
            });
        } else {
            if fields.len() >= MAX_FIELDS {
                return Err(ApiError::bad_request("too many form fields"));
            }
            let mut buf = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| multipart_error(&e, limit))?
            {
                if buf.len() + chunk.len() > MAX_FIELD_BYTES {
                    return Err(ApiError::from(chatcore::Error::TooLarge {
                        field: "form field",
                        limit: MAX_FIELD_BYTES,
                    })
                    .with_field(Some(name.clone())));
                }
                buf.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(buf)
                .map_err(|_| ApiError::bad_request(format!("field `{name}` is not UTF-8")))?;
            fields.insert(name, text);
        }
    }
    let file = file.ok_or_else(|| {
        ApiError::from(chatcore::Error::invalid(
            "file",
            "the form has no `file` field",
        ))
    })?;
    Ok((file, fields))
}

/// Where the router is mounted, from the request's full path and the route's tail.
fn api_prefix(uri: &OriginalUri, tail: &str) -> String {
    let path = uri.path();
    match path.rfind(tail) {
        Some(i) => path[..i].to_owned(),
        None => String::new(),
    }
}

/// Confirm an email address with the token of a verification link.
#[utoipa::path(
    post,
    path = "/auth/verify-email",
    tag = "auth",
    security(()),
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, description = "Unknown, used or expired token (`invalid_token`)", body = ErrorBody),
    )
)]
pub(crate) async fn verify_email(
    State(state): State<ChatState>,
    Json(body): Json<VerifyEmailRequest>,
) -> Result<StatusCode, ApiError> {
    state.chat().verify_email(&body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail a new verification link to one's address (nothing is sent if it is already
/// verified).
#[utoipa::path(
    post,
    path = "/me/verify-email",
    tag = "users",
    responses(
        (status = 204, description = "Sent (or already verified)"),
        (status = 422, description = "The account has no email address (`invalid_input`)", body = ErrorBody),
        (status = 429, description = "Too many emails to this address (`rate_limited`)", body = ErrorBody),
    )
)]
pub(crate) async fn request_verification(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<StatusCode, ApiError> {
    state.chat().request_email_verification(actor.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password reset link. The answer is the same whether or not an account
/// has this address.
#[utoipa::path(
    post,
    path = "/auth/password-reset/request",
    tag = "auth",
    security(()),
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If an account has this address, a link is on its way"),
        (status = 403, description = "Password accounts are disabled (`password_auth_disabled`)", body = ErrorBody),
        (status = 429, description = "Too many emails to this address (`rate_limited`)", body = ErrorBody),
    )
)]
pub(crate) async fn request_reset(
    State(state): State<ChatState>,
    Json(body): Json<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    ensure_password_auth(&state)?;
    state.chat().request_password_reset(&body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with a reset link's token. Every session of the account ends.
#[utoipa::path(
    post,
    path = "/auth/password-reset",
    tag = "auth",
    security(()),
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "The password is changed; log in with it"),
        (status = 400, description = "Unknown, used or expired token (`invalid_token`)", body = ErrorBody),
        (status = 403, description = "Password accounts are disabled (`password_auth_disabled`)", body = ErrorBody),
        (status = 422, description = "Invalid input (`invalid_input`, with `field`), or a password too easy to guess (`weak_password`, `field` `password`, the reason in `message`)", body = ErrorBody),
    )
)]
pub(crate) async fn reset_password(
    State(state): State<ChatState>,
    Json(body): Json<ResetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    ensure_password_auth(&state)?;
    state
        .chat()
        .reset_password(&body.token, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Upload one's avatar (PNG, JPEG, GIF or WebP; at most `Limits::max_avatar_bytes`).
#[utoipa::path(
    post,
    path = "/me/avatar",
    tag = "users",
    request_body(content = AvatarForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The account with its new `avatar_url`", body = MeView),
        (status = 413, description = "Too large (`too_large`)", body = ErrorBody),
        (status = 415, description = "Not an accepted image (`unsupported_file_type`)", body = ErrorBody),
        (status = 503, description = "Too many uploads at once (`server_busy`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn upload_avatar(
    State(state): State<ChatState>,
    actor: Actor,
    uri: OriginalUri,
    req: Request,
) -> Result<JsonOut<MeView>, ApiError> {
    let _slot = upload_slot(&state, actor.user, UploadTarget::Avatar).await?;
    let limit = state.chat().limits().max_avatar_bytes;
    let (file, _) = read_form(&state, req, limit).await?;
    let prefix = api_prefix(&uri, "/me/avatar");
    Ok(JsonOut(
        state.chat().set_avatar(actor.user, file, &prefix).await?,
    ))
}

/// Upload a room's avatar (owners and admins).
#[utoipa::path(
    post,
    path = "/rooms/{id}/avatar",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body(content = AvatarForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The room with its new `avatar_url`", body = RoomView),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
        (status = 413, description = "Too large (`too_large`)", body = ErrorBody),
        (status = 415, description = "Not an accepted image (`unsupported_file_type`)", body = ErrorBody),
        (status = 503, description = "Too many uploads at once (`server_busy`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn upload_room_avatar(
    State(state): State<ChatState>,
    actor: Actor,
    uri: OriginalUri,
    Path(id): Path<RoomId>,
    req: Request,
) -> Result<JsonOut<RoomView>, ApiError> {
    let _slot = upload_slot(&state, actor.user, UploadTarget::RoomAvatar(id)).await?;
    let limit = state.chat().limits().max_avatar_bytes;
    let (file, _) = read_form(&state, req, limit).await?;
    let prefix = api_prefix(&uri, "/rooms/");
    Ok(JsonOut(
        state
            .chat()
            .set_room_avatar(actor.user, id, file, &prefix)
            .await?,
    ))
}

/// Send an image or file message (members; at most `Limits::max_file_bytes`).
#[utoipa::path(
    post,
    path = "/rooms/{id}/files",
    tag = "messages",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    request_body(content = FileMessageForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The message, with its `attachment`", body = Message),
        (status = 403, description = "Not a member, banned, or email not verified (`forbidden`, `banned`, `email_unverified`)", body = ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = ErrorBody),
        (status = 413, description = "Too large (`too_large`)", body = ErrorBody),
        (status = 503, description = "Too many uploads at once (`server_busy`; `Retry-After` header)", body = ErrorBody),
    )
)]
pub(crate) async fn send_file(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
    req: Request,
) -> Result<Response, ApiError> {
    let _slot = upload_slot(&state, actor.user, UploadTarget::Message(id)).await?;
    let limit = state.chat().limits().max_file_bytes;
    let (file, mut fields) = read_form(&state, req, limit).await?;
    let reply_to = match fields.remove("reply_to").filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<MessageId>()?),
        None => None,
    };
    let thread_root = match fields.remove("thread_root").filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<MessageId>()?),
        None => None,
    };
    let also_in_room = match fields.remove("also_in_room").as_deref() {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(chatcore::Error::invalid("also_in_room", "must be true or false").into());
        }
    };
    let input = SendMessage {
        body: fields.remove("caption").unwrap_or_default(),
        reply_to,
        nonce: fields.remove("nonce").filter(|s| !s.is_empty()),
        thread_root,
        also_in_room,
        ..Default::default()
    };
    let message: Message = state.chat().send_file(actor.user, id, file, input).await?;
    Ok((StatusCode::CREATED, JsonOut(message)).into_response())
}

/// `filename` for `Content-Disposition`: ASCII letters, digits and `._- ` kept, the
/// rest replaced; plus `filename*` with the UTF-8 name percent-encoded.
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// An uploaded file, for those who may read it: avatars for signed-in users, room
/// avatars for those who see the room, message files for the room's members while
/// the message exists (everyone else: 404).
///
/// PNG, JPEG, GIF and WebP (by sniffed type) are served inline; everything else as
/// `application/octet-stream` with `Content-Disposition: attachment`. Always with
/// `X-Content-Type-Options: nosniff` and `Content-Security-Policy: default-src 'none';
/// sandbox`, so no uploaded HTML or SVG ever runs.
#[utoipa::path(
    get,
    path = "/files/{id}",
    tag = "messages",
    params(("id" = chatcore::FileId, Path, description = "File id")),
    responses(
        (status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 404, description = "No such file, deleted, or not yours to read (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn get_file(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<FileId>,
) -> Result<Response, ApiError> {
    let file = state.chat().open_file(actor.user, id).await?;
    let content_type = if file.inline {
        file.record.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    let mut res = Bytes::clone(&file.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(file.inline, &file.record.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_are_quoted_safely() {
        assert_eq!(
            disposition(false, "a\"b;c.html"),
            "attachment; filename=\"a_b_c.html\"; filename*=UTF-8''a%22b%3Bc.html"
        );
        assert!(disposition(true, "été.png").starts_with("inline; filename=\"_t_.png\""));
    }
}
