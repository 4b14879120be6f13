//! Uploaded files: avatars (user and room) and image/file messages.
//!
//! The rules:
//! - sizes: avatars at most [`Limits::max_avatar_bytes`](crate::Limits), message files
//!   at most [`Limits::max_file_bytes`](crate::Limits) (`too_large`);
//! - the content type is found by sniffing the bytes (magic numbers), never taken
//!   from the client. Only PNG, JPEG, GIF and WebP count as images: avatars must be
//!   one (`unsupported_file_type`), and only they are ever shown inline. Anything else
//!   (HTML and SVG included) is a plain file, served as a download;
//! - who may read a file: a user avatar, any signed-in user; a room avatar, whoever
//!   may see the room; a message's file, the room's members while the message exists.
//!   Everyone else gets *not found*. Deleting the message (or the room) makes its file
//!   unreachable at once and removes the bytes.

use bytes::Bytes;

use super::{Chat, SendMessage};
use crate::error::{Error, Result};
use crate::ids::{FileId, RoomId, UserId};
use crate::model::{Attachment, FileKind, FileRecord, Message, Room, RoomKind};
use crate::perm::Action;
use crate::protocol::{MeView, RoomView};
use crate::store::FileScope;

/// The content types shown inline (and accepted as avatars).
pub const INLINE_IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Whether a (sniffed) content type is an image that may be shown inline.
pub fn is_inline_image(content_type: &str) -> bool {
    INLINE_IMAGE_TYPES.contains(&content_type)
}

/// Where an upload goes: what [`Chat::check_upload`] checks before its bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadTarget {
    /// The actor's avatar ([`Chat::set_avatar`]).
    Avatar,
    /// A room's avatar ([`Chat::set_room_avatar`]).
    RoomAvatar(RoomId),
    /// An image or file message in a room ([`Chat::send_file`]).
    Message(RoomId),
}

/// An uploaded file as received.
#[derive(Debug, Clone)]
pub struct FileUpload {
    /// The client's file name (only shown; sanitized, never used as a path).
    pub name: String,
    /// The content.
    pub bytes: Bytes,
}

/// A file to serve, after the reader's access was checked.
#[derive(Debug, Clone)]
pub struct FileView {
    /// Its metadata.
    pub record: FileRecord,
    /// Its bytes.
    pub bytes: Bytes,
    /// Whether it may be shown inline (one of [`INLINE_IMAGE_TYPES`]); otherwise serve
    /// it as `application/octet-stream` for download.
    pub inline: bool,
}

fn sniff(bytes: &[u8]) -> String {
    infer::get(bytes).map_or_else(
        || "application/octet-stream".to_owned(),
        |t| t.mime_type().to_owned(),
    )
}

fn clean_name(name: &str, max_chars: usize) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !super::validate::is_bidi_control(*c))
        .take(max_chars)
        .collect();
    let cleaned = cleaned.trim();
    if !super::validate::visible(cleaned) {
        "file".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The file id at the end of an avatar URL made by this service (`…/files/{id}`).
pub(super) fn file_id_of_url(url: &str) -> Option<FileId> {
    let (_, id) = url.rsplit_once("/files/")?;
    id.parse().ok()
}

impl Chat {
    async fn store_file(
        &self,
        actor: UserId,
        kind: FileKind,
        room: Option<RoomId>,
        upload: FileUpload,
        limit: usize,
    ) -> Result<FileRecord> {
        if upload.bytes.len() > limit {
            return Err(Error::TooLarge {
                field: "file",
                limit,
            });
        }
        if upload.bytes.is_empty() {
            return Err(Error::invalid("file", "must not be empty"));
        }
        let content_type = sniff(&upload.bytes);
        if kind != FileKind::Message && !is_inline_image(&content_type) {
            return Err(Error::UnsupportedFile(
                "an avatar must be a PNG, JPEG, GIF or WebP image",
            ));
        }
        let id = FileId::new();
        let record = FileRecord {
            id,
            uploader_id: Some(actor),
            kind,
            room_id: room,
            message_id: None,
            name: clean_name(&upload.name, self.inner.limits.max_file_name_chars),
            content_type,
            size: upload.bytes.len() as u64,
            blob_key: format!("files/{id}"),
            created_at: self.now(),
            deleted_at: None,
        };
        self.inner.blobs.put(&record.blob_key, upload.bytes).await?;
        if let Err(e) = self.inner.store.create_file(record.clone()).await {
            self.remove_blob(&record.blob_key).await;
            return Err(e);
        }
        Ok(record)
    }

    async fn remove_blob(&self, key: &str) {
        if let Err(e) = self.inner.blobs.delete(key).await {
            tracing::warn!(key, error = %e, "could not remove a blob");
        }
    }

    /// Make a file unreachable and remove its bytes (failures are logged).
    pub(super) async fn discard_file(&self, id: FileId) {
        let store = &self.inner.store;
        match store.get_file(id).await {
            Ok(Some(f)) => {
                if let Err(e) = store.delete_file(id, self.now()).await {
                    tracing::warn!(file = %id, error = %e, "could not mark a file deleted");
                    return;
                }
                self.remove_blob(&f.blob_key).await;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(file = %id, error = %e, "could not read a file record"),
        }
    }

    /// Delete the files of `scope` and their bytes: a room or an account is going
    /// away. The records are marked first, so nothing serves them afterwards even if
    /// removing some bytes fails (that is logged).
    pub(super) async fn discard_files(&self, scope: FileScope) -> Result<()> {
        let keys = self.inner.store.delete_files(scope, self.now()).await?;
        for key in keys {
            self.remove_blob(&key).await;
        }
        Ok(())
    }

    /// The attachment of a deleted message goes with it.
    pub(super) async fn discard_attachment(&self, message: &Message) {
        if let Some(id) = message
            .attachment
            .as_ref()
            .and_then(|a| a.blob_id.parse::<FileId>().ok())
        {
            self.discard_file(id).await;
        }
    }

    /// Upload the actor's avatar (a PNG, JPEG, GIF or WebP image) and make it their
    /// avatar. `api_prefix` is where the HTTP API is mounted (e.g. `/chat`): the avatar
    /// URL becomes `{api_prefix}/files/{id}`. The previous uploaded avatar is removed.
    pub async fn set_avatar(
        &self,
        actor: UserId,
        upload: FileUpload,
        api_prefix: &str,
    ) -> Result<MeView> {
        self.require_verified(actor).await?;
        self.refuse_guest(actor).await?;
        let mut user = self.user(actor).await?;
        let limit = self.inner.limits.max_avatar_bytes;
        let record = self
            .store_file(actor, FileKind::Avatar, None, upload, limit)
            .await?;
        let old = user.avatar_url.replace(format!(
            "{}/files/{}",
            api_prefix.trim_end_matches('/'),
            record.id
        ));
        if let Err(e) = self.inner.store.update_user(&user).await {
            self.discard_file(record.id).await;
            return Err(e);
        }
        if let Some(old) = old.as_deref().and_then(file_id_of_url)
            && let Some(f) = self.inner.store.get_file(old).await?
            && f.kind == FileKind::Avatar
            && f.uploader_id == Some(actor)
        {
            self.discard_file(old).await;
        }
        self.announce_profile(&user).await;
        self.me(actor).await
    }

    /// Whether `actor` may upload to `target`: the checks of the upload operation that
    /// need no bytes (verified address, membership, role), so that a transport can
    /// refuse before it reads a body. The operations check again.
    pub async fn check_upload(&self, actor: UserId, target: UploadTarget) -> Result<()> {
        match target {
            UploadTarget::Avatar => {
                self.require_verified(actor).await?;
                self.refuse_guest(actor).await
            }
            UploadTarget::RoomAvatar(room) => {
                self.room_avatar_access(actor, room).await.map(|_| ())
            }
            UploadTarget::Message(room) => self.file_message_access(actor, room).await.map(|_| ()),
        }
    }

    /// The room, if `actor` may set its avatar.
    async fn room_avatar_access(&self, actor: UserId, room: RoomId) -> Result<Room> {
        self.require_verified(actor).await?;
        let (r, me) = self.require_member(actor, room).await?;
        if r.kind == RoomKind::Direct {
            return Err(Error::Forbidden("direct rooms have no settings"));
        }
        self.require(me.role, Action::EditSettings)?;
        Ok(r)
    }

    /// The room, if `actor` may send files to it.
    async fn file_message_access(&self, actor: UserId, room: RoomId) -> Result<Room> {
        self.require_verified(actor).await?;
        self.refuse_guest(actor).await?;
        Ok(self.require_member(actor, room).await?.0)
    }

    /// Upload a room's avatar (owners and admins; not for direct rooms). Same rules as
    /// [`Chat::set_avatar`].
    pub async fn set_room_avatar(
        &self,
        actor: UserId,
        room: RoomId,
        upload: FileUpload,
        api_prefix: &str,
    ) -> Result<RoomView> {
        let r = self.room_avatar_access(actor, room).await?;
        let limit = self.inner.limits.max_avatar_bytes;
        let record = self
            .store_file(actor, FileKind::RoomAvatar, Some(r.id), upload, limit)
            .await?;
        let url = format!("{}/files/{}", api_prefix.trim_end_matches('/'), record.id);
        let update = super::RoomUpdate {
            avatar_url: Some(url),
            ..Default::default()
        };
        match self.update_room(actor, room, update).await {
            Ok(view) => {
                if let Some(old) = r.avatar_url.as_deref().and_then(file_id_of_url)
                    && let Some(f) = self.inner.store.get_file(old).await?
                    && f.kind == FileKind::RoomAvatar
                    && f.room_id == Some(r.id)
                {
                    self.discard_file(old).await;
                }
                Ok(view)
            }
            Err(e) => {
                self.discard_file(record.id).await;
                Err(e)
            }
        }
    }

    /// Send an image or file message: the upload becomes the message's attachment
    /// (an image message for PNG, JPEG, GIF and WebP, a file message otherwise), with
    /// `input.body` as optional caption. Same membership, ban, slow-mode, rate and
    /// nonce rules as [`Chat::send_message`].
    pub async fn send_file(
        &self,
        actor: UserId,
        room: RoomId,
        upload: FileUpload,
        input: SendMessage,
    ) -> Result<Message> {
        // Check membership before storing anything.
        let r = self.file_message_access(actor, room).await?;
        let limit = self.inner.limits.max_file_bytes;
        let record = self
            .store_file(actor, FileKind::Message, Some(r.id), upload, limit)
            .await?;
        let attachment = Attachment {
            blob_id: record.id.to_string(),
            name: record.name.clone(),
            content_type: record.content_type.clone(),
            size: record.size,
        };
        let message = match self
            .post_message(actor, room, input, Some(attachment))
            .await
        {
            Ok(m) => m,
            Err(e) => {
                self.discard_file(record.id).await;
                return Err(e);
            }
        };
        let ours = message
            .attachment
            .as_ref()
            .is_some_and(|a| a.blob_id == record.id.to_string());
        // A retried nonce returns the first message: this upload is then unused.
        if !ours || !self.inner.store.attach_file(record.id, message.id).await? {
            self.discard_file(record.id).await;
        }
        Ok(message)
    }

    /// Read a file, checking that the actor may: see the module docs. Whoever may not,
    /// and deleted files, get *not found*.
    pub async fn open_file(&self, actor: UserId, id: FileId) -> Result<FileView> {
        const GONE: Error = Error::NotFound("file");
        let store = &self.inner.store;
        let record = store.get_file(id).await?.ok_or(GONE)?;
        if record.deleted_at.is_some() {
            return Err(GONE);
        }
        match record.kind {
            FileKind::Avatar => {}
            FileKind::RoomAvatar => {
                let room = record.room_id.ok_or(GONE)?;
                self.visible_room(actor, room).await.map_err(|_| GONE)?;
            }
            FileKind::Message => {
                let message = store
                    .get_message(record.message_id.ok_or(GONE)?)
                    .await?
                    .ok_or(GONE)?;
                let attached = message
                    .attachment
                    .as_ref()
                    .is_some_and(|a| a.blob_id == id.to_string());
                if message.deleted_at.is_some() || !attached {
                    return Err(GONE);
                }
                self.require_member(actor, message.room_id)
                    .await
                    .map_err(|e| match e {
                        Error::Backend(b) => Error::Backend(b),
                        _ => GONE,
                    })?;
            }
        }
        let bytes = self.inner.blobs.get(&record.blob_key).await?.ok_or(GONE)?;
        let inline = is_inline_image(&record.content_type);
        Ok(FileView {
            record,
            bytes,
            inline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd", 50), "passwd");
        assert_eq!(clean_name("C:\\x\\a\u{0}b.png", 50), "ab.png");
        assert_eq!(clean_name("  ", 50), "file");
        assert_eq!(clean_name("abcdef", 3), "abc");
        // Bidirectional controls are dropped (`n\u{202e}gnp.exe` would show as
        // `nexe.png`); a name of invisible characters only becomes `file`.
        assert_eq!(clean_name("n\u{202e}gnp.exe", 50), "ngnp.exe");
        assert_eq!(clean_name("\u{200b}\u{2066}\u{feff}", 50), "file");
    }

    #[test]
    fn sniffing_ignores_names_and_only_allows_raster_images_inline() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(sniff(&png), "image/png");
        assert!(is_inline_image(&sniff(&png)));
        let html = b"<!DOCTYPE html><script>alert(1)</script>";
        assert!(!is_inline_image(&sniff(html)));
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        assert!(!is_inline_image(&sniff(svg)));
    }

    #[test]
    fn avatar_urls_name_their_file() {
        let id = FileId::new();
        assert_eq!(file_id_of_url(&format!("/chat/files/{id}")), Some(id));
        assert_eq!(file_id_of_url("https://img.example/a.png"), None);
    }
}
