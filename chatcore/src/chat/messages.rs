//! Messages and history.

use serde::{Deserialize, Serialize};

use super::{Chat, validate};
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{Attachment, Message, MessageKind, NewMessage, PageRequest, Role, SystemEvent};
use crate::perm::Action;
use crate::protocol::{HistoryPage, ServerEvent};

/// Input for sending a message (the attachment of an image or file message is the
/// upload given to [`Chat::send_file`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessage {
    /// Text (for image and file messages: an optional caption).
    #[serde(default)]
    // Required in the REST API's JSON (a text message needs one).
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:body", required = true))]
    pub body: String,
    /// Message replied to (must be in the same room).
    #[serde(default)]
    pub reply_to: Option<MessageId>,
    /// Idempotency nonce (1 to 64 characters): a retry with the same nonce returns
    /// the first message instead of posting again.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "chatcore:nonce"))]
    pub nonce: Option<String>,
}

/// Longest accepted client nonce, in characters.
pub(crate) const MAX_NONCE_LEN: usize = 64;

impl super::Limits {
    /// The largest history page in force: [`Limits::history_page_max`](super::Limits),
    /// at most 100. [`Chat::history`] caps larger requests to it (the REST API refuses
    /// them).
    pub fn history_page_ceiling(&self) -> u32 {
        self.history_page_max.clamp(1, 100)
    }
}

impl Chat {
    /// Post a system message and broadcast it.
    pub(super) async fn post_system(&self, room: RoomId, event: SystemEvent) -> Result<Message> {
        self.append_and_publish(NewMessage {
            id: MessageId::new(),
            room_id: room,
            author_id: None,
            kind: MessageKind::System,
            body: String::new(),
            system: Some(event),
            attachment: None,
            reply_to: None,
            client_nonce: None,
            created_at: self.now(),
            mentions: Vec::new(),
        })
        .await
    }

    /// Send a text message. Once this returns, the message is durably stored and has
    /// its sequence number; it is then broadcast to the room. Image and file messages
    /// are sent with [`Chat::send_file`], which stores the upload first (a client
    /// cannot name a file it did not upload).
    pub async fn send_message(
        &self,
        actor: UserId,
        room: RoomId,
        input: SendMessage,
    ) -> Result<Message> {
        self.require_verified(actor).await?;
        self.post_message(actor, room, input, None).await
    }

    /// Send a message with the attachment (if any) of a file the caller stored.
    pub(super) async fn post_message(
        &self,
        actor: UserId,
        room: RoomId,
        input: SendMessage,
        attachment: Option<Attachment>,
    ) -> Result<Message> {
        let l = &self.inner.limits;
        let (kind, body) = match &attachment {
            None => (
                MessageKind::Text,
                validate::body(&input.body, l.max_message_chars)?,
            ),
            Some(a) => {
                let kind = if super::files::is_inline_image(&a.content_type) {
                    MessageKind::Image
                } else {
                    MessageKind::File
                };
                (
                    kind,
                    validate::text("body", &input.body, l.max_message_chars)?,
                )
            }
        };
        if let Some(n) = &input.nonce
            && (n.is_empty() || !validate::fits(n, MAX_NONCE_LEN))
        {
            return Err(Error::invalid(
                "nonce",
                format!("must be 1 to {MAX_NONCE_LEN} characters"),
            ));
        }
        let (room, me) = self.require_sender(actor, room).await?;
        // The before-send hooks, before the send limits: a refused message does not
        // count against slow mode.
        let body = self.filter_body(actor, &room, kind, None, body).await?;
        let now = self.now();
        if let Err(limited) = self.check_send_limits(&room, me.role, actor, now) {
            // A retry of a message that is stored already is answered with it: the
            // limits hold back new messages, not the acknowledgement of old ones.
            // (Looked up only when a limit refuses: a retry that passes the limits
            // is answered by the store's idempotent append.)
            if let Some(nonce) = &input.nonce
                && let Some(first) = self
                    .inner
                    .store
                    .find_message_by_nonce(room.id, actor, nonce)
                    .await?
            {
                return Ok(first);
            }
            return Err(limited);
        }
        if let Some(parent) = input.reply_to {
            let ok = self
                .inner
                .store
                .get_message(parent)
                .await?
                .is_some_and(|m| m.room_id == room.id);
            if !ok {
                return Err(Error::invalid("reply_to", "no such message in this room"));
            }
        }
        let mentions = self
            .resolve_mentions(room.id, me.role, actor, &body)
            .await?;
        let id = MessageId::new();
        let message = self
            .append_and_publish(NewMessage {
                id,
                room_id: room.id,
                author_id: Some(actor),
                kind,
                body,
                system: None,
                attachment,
                reply_to: input.reply_to,
                client_nonce: input.nonce,
                created_at: now,
                mentions,
            })
            .await?;
        self.clear_typing(room.id, actor);
        if message.id == id {
            self.notify_offline(room.kind, &message);
        }
        Ok(message)
    }

    /// The send rate and the room's slow mode (moderators and up are exempt from
    /// slow mode); records the send for slow mode when it passes.
    fn check_send_limits(
        &self,
        room: &crate::Room,
        role: Role,
        actor: UserId,
        now: crate::model::Timestamp,
    ) -> Result<()> {
        self.inner.send_limiter.check(&actor)?;
        if room.slow_mode_secs > 0 && role < Role::Moderator {
            let mut last = self.inner.slow_mode.lock();
            let key = (room.id, actor);
            if let Some(prev) = last.get(&key) {
                let wait = *prev + chrono::Duration::seconds(i64::from(room.slow_mode_secs)) - now;
                if wait > chrono::Duration::zero() {
                    return Err(Error::RateLimited {
                        retry_after: wait.to_std().unwrap_or_default(),
                    });
                }
            }
            // Forget entries older than the longest slow mode, so the map stays small.
            if last.len() > 10_000 {
                let horizon = now - chrono::Duration::hours(6);
                last.retain(|_, t| *t > horizon);
            }
            last.insert(key, now);
        }
        Ok(())
    }

    pub(super) async fn member_message(
        &self,
        actor: UserId,
        id: MessageId,
    ) -> Result<(Message, Role)> {
        let msg = self
            .inner
            .store
            .get_message(id)
            .await?
            .ok_or(Error::NotFound("message"))?;
        let (_, me) = self
            .require_member(actor, msg.room_id)
            .await
            .map_err(|e| match e {
                // Do not reveal messages of rooms the actor is not in.
                Error::Forbidden(_) => Error::NotFound("message"),
                other => other,
            })?;
        Ok((msg, me.role))
    }

    /// Edit one's own message (not deleted ones, not system messages).
    pub async fn edit_message(&self, actor: UserId, id: MessageId, body: &str) -> Result<Message> {
        let (mut msg, role) = self.member_message(actor, id).await?;
        if msg.author_id != Some(actor) || msg.kind == MessageKind::System {
            return Err(Error::Forbidden("only the author may edit a message"));
        }
        if msg.deleted_at.is_some() {
            return Err(Error::NotFound("message"));
        }
        let l = &self.inner.limits;
        let body = if msg.kind == MessageKind::Text {
            validate::body(body, l.max_message_chars)?
        } else {
            validate::text("body", body, l.max_message_chars)?
        };
        let room = self
            .inner
            .store
            .get_room(msg.room_id)
            .await?
            .ok_or(Error::NotFound("message"))?;
        let body = self
            .filter_body(actor, &room, msg.kind, Some(msg.id), body)
            .await?;
        let mentions = self
            .resolve_mentions(msg.room_id, role, actor, &body)
            .await?;
        let now = self.now();
        // From the store update to the publication, under the message's lock (which
        // deletes take too): events leave in the order the store applied the changes.
        let _order = self.inner.message_order.lock(id).await;
        self.inner.store.edit_message(id, &body, now).await?;
        if mentions != msg.mentions {
            self.inner.store.set_mentions(id, &mentions).await?;
        }
        msg.body = body;
        msg.mentions = mentions;
        msg.edited_at = Some(now);
        self.publish_room(
            msg.room_id,
            ServerEvent::MessageEdited {
                message: msg.clone(),
            },
        );
        Ok(msg)
    }

    /// Delete a message: one's own, or another's where the role allows. The content is
    /// erased; a tombstone keeps its place in the sequence.
    pub async fn delete_message(&self, actor: UserId, id: MessageId) -> Result<()> {
        let (msg, my_role) = self.member_message(actor, id).await?;
        if msg.author_id != Some(actor) {
            let author_role = match msg.author_id {
                Some(a) => self
                    .inner
                    .store
                    .get_member(msg.room_id, a)
                    .await?
                    .map_or(Role::Member, |m| m.role),
                None => Role::Member,
            };
            self.require(
                my_role,
                Action::DeleteOthersMessage {
                    author: author_role,
                },
            )?;
        }
        if msg.deleted_at.is_some() {
            return Ok(());
        }
        {
            let _order = self.inner.message_order.lock(id).await;
            self.inner.store.delete_message(id, self.now()).await?;
            self.publish_room(
                msg.room_id,
                ServerEvent::MessageDeleted {
                    room: msg.room_id,
                    message_id: msg.id,
                    seq: msg.seq,
                    by: actor,
                },
            );
        }
        self.discard_attachment(&msg).await;
        Ok(())
    }

    /// A page of a room's history (members only), ascending by sequence number.
    /// See [`crate::store::MessageStore::list_messages`] for the cursor rules.
    pub async fn history(
        &self,
        actor: UserId,
        room: RoomId,
        page: PageRequest,
    ) -> Result<HistoryPage> {
        let (room, _) = self.require_member(actor, room).await?;
        let max = self.inner.limits.history_page_ceiling();
        let limit = if page.limit == 0 {
            50.min(max)
        } else {
            page.limit.min(max)
        };
        if let (Some(a), Some(b)) = (page.after, page.before)
            && a >= b
        {
            return Err(Error::invalid("after", "must be less than before"));
        }
        let mut messages = self
            .inner
            .store
            .list_messages(
                room.id,
                PageRequest {
                    limit: limit + 1,
                    ..page
                },
            )
            .await?;
        let has_more = messages.len() > limit as usize;
        if has_more {
            if page.after.is_some() {
                messages.truncate(limit as usize);
            } else {
                messages.remove(0);
            }
        }
        self.with_reactions(actor, &mut messages).await?;
        Ok(HistoryPage {
            room: room.id,
            messages,
            has_more,
        })
    }
}
