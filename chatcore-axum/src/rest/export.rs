//! Data export: `GET /me/export` (a tar archive of the caller's data) and
//! `GET /rooms/{id}/export` (a room's history as JSON, the room's owner only).
//! The rules are `chatcore::Chat::export_me` and `chatcore::Chat::export_room`.
//!
//! Both bodies are streamed: the store is read a page of
//! [`chatcore::export::EXPORT_PAGE`] messages at a time and files one at a time, and
//! at most [`CHUNKS`] chunks wait for the client, so an export holds about one page
//! of messages (or one file, at most the upload limit) in memory whatever its
//! total size. A failure after the first byte aborts the body (the client sees a
//! truncated download, never a well-formed partial archive: the tar end marker and
//! the JSON's closing bracket come last).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chatcore::{Chat, RoomId, UserId};
use futures::SinkExt;
use futures::channel::mpsc;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::state::ChatState;

/// Chunks of an export body that may wait for a slow client.
pub(crate) const CHUNKS: usize = 4;

type Chunk = Result<Bytes, std::io::Error>;
type Tx = mpsc::Sender<Chunk>;

/// Why an export body stopped early.
enum Stop {
    /// The client went away.
    Gone,
    /// The store or the rules refused a page.
    Failed(chatcore::Error),
}

impl From<chatcore::Error> for Stop {
    fn from(e: chatcore::Error) -> Self {
        Stop::Failed(e)
    }
}

async fn put(tx: &mut Tx, bytes: impl Into<Bytes>) -> Result<(), Stop> {
    tx.send(Ok(bytes.into())).await.map_err(|_| Stop::Gone)
}

async fn fail(mut tx: Tx, stop: Stop) {
    if let Stop::Failed(e) = stop {
        tracing::warn!(error = %e, "export stopped");
        let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
    }
}

fn json(value: &impl serde::Serialize) -> Result<Vec<u8>, Stop> {
    serde_json::to_vec_pretty(value)
        .map_err(|e| Stop::Failed(chatcore::Error::Backend(e.to_string().into())))
}

/// One regular file of the archive: its ustar header, its bytes, the padding.
async fn entry(tx: &mut Tx, path: &str, bytes: Bytes, mtime: u64) -> Result<(), Stop> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .map_err(|e| Stop::Failed(chatcore::Error::Backend(e.to_string().into())))?;
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(mtime);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    put(tx, Bytes::copy_from_slice(h.as_bytes())).await?;
    let pad = (512 - bytes.len() % 512) % 512;
    put(tx, bytes).await?;
    if pad > 0 {
        put(tx, vec![0u8; pad]).await?;
    }
    Ok(())
}

fn download(body: Body, content_type: &'static str, name: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// Your data as a tar archive (see docs/API.md, "Data export", for the layout):
/// `profile.json` (profile, email, memberships), `messages/{room}/{n}.json` (the
/// messages you wrote, by room, in pages) and `files/{id}` (the bytes of your
/// messages' files and of your avatar). Streamed.
#[utoipa::path(
    get,
    path = "/me/export",
    tag = "users",
    responses(
        (status = 200, description = "The archive (streamed)", content_type = "application/x-tar"),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
    )
)]
pub(crate) async fn export_me(
    State(state): State<ChatState>,
    actor: Actor,
) -> Result<Response, ApiError> {
    let chat = state.chat().clone();
    let head = chat.export_me(actor.user).await?;
    let name = format!("chatcore-export-{}.tar", head.profile.username);
    let (tx, rx) = mpsc::channel(CHUNKS);
    tokio::spawn(async move {
        let mut tx = tx;
        if let Err(stop) = write_me(&chat, actor.user, head, &mut tx).await {
            fail(tx, stop).await;
        }
    });
    Ok(download(Body::from_stream(rx), "application/x-tar", &name))
}

async fn write_me(
    chat: &Chat,
    actor: UserId,
    head: chatcore::export::MyExport,
    tx: &mut Tx,
) -> Result<(), Stop> {
    let mtime = u64::try_from(head.exported_at.timestamp()).unwrap_or(0);
    entry(tx, "profile.json", json(&head)?.into(), mtime).await?;
    if let Some(id) = head.avatar_file {
        file(chat, actor, id, tx, mtime).await?;
    }
    for m in &head.memberships {
        let (mut after, mut n) = (0, 0u32);
        loop {
            let page = match chat.export_my_messages(actor, m.room_id, after).await {
                Ok(page) => page,
                // Left the room meanwhile: its messages are no longer theirs to read.
                Err(chatcore::Error::Forbidden(_) | chatcore::Error::NotFound(_)) => break,
                Err(e) => return Err(e.into()),
            };
            if !page.messages.is_empty() {
                n += 1;
                let path = format!("messages/{}/{n:06}.json", m.room_id);
                entry(tx, &path, json(&page.messages)?.into(), mtime).await?;
                for msg in &page.messages {
                    let id = msg.attachment.as_ref().and_then(|a| a.blob_id.parse().ok());
                    if let Some(id) = id {
                        file(chat, actor, id, tx, mtime).await?;
                    }
                }
            }
            match page.next {
                Some(next) => after = next,
                None => break,
            }
        }
    }
    // The end of the archive: two zero blocks.
    put(tx, vec![0u8; 1024]).await
}

async fn file(
    chat: &Chat,
    actor: UserId,
    id: chatcore::FileId,
    tx: &mut Tx,
    mtime: u64,
) -> Result<(), Stop> {
    match chat.export_file(actor, id).await {
        Ok(f) => entry(tx, &format!("files/{id}"), f.bytes, mtime).await,
        // Deleted meanwhile, or not the caller's: not part of the export.
        Err(chatcore::Error::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A room's history (the room's owner only), as one JSON object:
/// `{"room": RoomExport, "messages": [Message, ...]}`, every message ascending by
/// sequence number, tombstones and thread replies included. Streamed.
#[utoipa::path(
    get,
    path = "/rooms/{id}/export",
    tag = "rooms",
    params(("id" = chatcore::RoomId, Path, description = "Room id")),
    responses(
        (status = 200, description = "The room's export (streamed)", content_type = "application/json"),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not the room's owner (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such room, or a private room you are not in (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn export_room(
    State(state): State<ChatState>,
    actor: Actor,
    Path(id): Path<RoomId>,
) -> Result<Response, ApiError> {
    let chat = state.chat().clone();
    let head = chat.export_room(actor.user, id).await?;
    let name = format!("chatcore-room-{id}.json");
    let (tx, rx) = mpsc::channel(CHUNKS);
    tokio::spawn(async move {
        let mut tx = tx;
        if let Err(stop) = write_room(&chat, actor.user, head, &mut tx).await {
            fail(tx, stop).await;
        }
    });
    Ok(download(Body::from_stream(rx), "application/json", &name))
}

async fn write_room(
    chat: &Chat,
    actor: UserId,
    head: chatcore::export::RoomExport,
    tx: &mut Tx,
) -> Result<(), Stop> {
    let room = head.room_id;
    let mut start = b"{\"room\":".to_vec();
    start.extend(json(&head)?);
    start.extend(b",\"messages\":[");
    put(tx, start).await?;
    let (mut after, mut first) = (0, true);
    loop {
        let page = chat.export_room_messages(actor, room, after).await?;
        let mut chunk = Vec::new();
        for m in &page.messages {
            if !first {
                chunk.push(b',');
            }
            first = false;
            chunk.extend(json(m)?);
        }
        if !chunk.is_empty() {
            put(tx, chunk).await?;
        }
        match page.next {
            Some(next) => after = next,
            None => break,
        }
    }
    put(tx, &b"]}"[..]).await
}
