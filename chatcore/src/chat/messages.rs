//! Messages and history.

use serde::{Deserialize, Serialize};

use super::events::EventKind;
use super::{Chat, validate};
use crate::error::{Error, Result};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{
    Attachment, HistoryScope, Message, MessageKind, NewMessage, PageRequest, Role, RoomKind,
    SystemEvent,
};
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
    /// Reply in the thread of this root message (a message of the same room that is
    /// neither deleted, nor a system message, nor a thread reply).
    #[serde(default)]
    pub thread_root: Option<MessageId>,
    /// With `thread_root`: also show the reply in the room's history.
    #[serde(default)]
    pub also_in_room: bool,
    /// Custom data: a JSON object of at most 4 KiB (users may set it only where
    /// `Limits::client_extra` allows; else `forbidden`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<serde_json::Value>,
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

/// A post that passed [`Chat::admit_post`].
pub(super) enum Admitted {
    /// A retry of a message stored already: its first copy.
    Stored(Message),
    /// A new message to append, in a room of this kind.
    New(NewMessage, RoomKind),
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
            thread_root: None,
            also_in_room: false,
            extra: None,
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
        match self.admit_post(actor, room, input, attachment).await? {
            Admitted::Stored(first) => Ok(first),
            Admitted::New(new, kind) => {
                let id = new.id;
                let message = self.append_and_publish(new).await?;
                self.posted(kind, id, actor, &message).await;
                Ok(message)
            }
        }
    }

    /// After a message is stored and published: the author's typing ends, and
    /// (unless `message` is an earlier copy, a repeated nonce) offline members are
    /// notified and a thread reply's root summary goes to the room. The message is
    /// stored whatever happens here: a failure to publish the summary is logged.
    pub(super) async fn posted(
        &self,
        kind: RoomKind,
        id: MessageId,
        actor: UserId,
        message: &Message,
    ) {
        self.clear_typing(message.room_id, actor);
        if message.id == id {
            self.notify_offline(kind, message);
            if let Some(root) = message.thread_root
                && let Err(e) = self.publish_thread(message.room_id, root).await
            {
                tracing::warn!(error = %e, "thread summary not published");
            }
        }
    }

    /// Everything a post checks before its append: the body, the nonce, the
    /// sender's right to post, the before-send hooks, the send limits, the parent
    /// and the mentions. A retry over a limit of a message already stored is
    /// answered with that message.
    pub(super) async fn admit_post(
        &self,
        actor: UserId,
        room: RoomId,
        input: SendMessage,
        attachment: Option<Attachment>,
    ) -> Result<Admitted> {
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
        let extra = self.user_extra(input.extra).map(Option::flatten)?;
        let (room, me, guest) = self.require_sender(actor, room).await?;
        // The before-send hooks, before the send limits: a refused message does not
        // count against slow mode.
        let body = self.filter_body(actor, &room, kind, None, body).await?;
        let now = self.now();
        if let Err(limited) = self.check_send_limits(&room, me.role, (actor, guest), now) {
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
                return Ok(Admitted::Stored(first));
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
        if let Some(root) = input.thread_root {
            self.check_thread_root(room.id, root).await?;
        }
        let mentions = self
            .resolve_mentions(room.id, me.role, actor, &body)
            .await?;
        Ok(Admitted::New(
            NewMessage {
                id: MessageId::new(),
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
                thread_root: input.thread_root,
                also_in_room: input.thread_root.is_some() && input.also_in_room,
                extra,
            },
            room.kind,
        ))
    }

    /// The send rate and the room's slow mode (moderators and up are exempt from
    /// slow mode); records the send for slow mode when it passes.
    fn check_send_limits(
        &self,
        room: &crate::Room,
        role: Role,
        (actor, guest): (UserId, bool),
        now: crate::model::Timestamp,
    ) -> Result<()> {
        self.inner.send_limiter.check(&actor)?;
        if guest {
            self.inner.guest_send_limiter.check(&actor)?;
        }
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
        self.edit_message_extra(actor, id, body, None).await
    }

    /// [`Chat::edit_message`], and with `extra` given also replace the message's custom
    /// data (`{}` clears it; users only where `Limits::client_extra` allows, else
    /// `forbidden`).
    pub async fn edit_message_extra(
        &self,
        actor: UserId,
        id: MessageId,
        body: &str,
        extra: Option<serde_json::Value>,
    ) -> Result<Message> {
        let extra = self.user_extra(extra)?;
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
        let same_mentions = mentions == msg.mentions;
        // The custom data first, so that the event (and its outbox row) carries it.
        if let Some(extra) = extra
            && self
                .inner
                .store
                .set_message_extra(id, extra.as_ref())
                .await?
        {
            msg.extra = extra;
        }
        msg.body = body;
        msg.mentions = mentions;
        msg.edited_at = Some(now);
        let queued = self.outbox_row(EventKind::MessageEdited {
            message: msg.clone(),
        })?;
        let store = &self.inner.store;
        match (&queued, same_mentions) {
            (Some((_, row)), same) => {
                let mentions = (!same).then_some(msg.mentions.as_slice());
                store
                    .edit_message_queued(id, &msg.body, now, mentions, std::slice::from_ref(row))
                    .await?;
            }
            (None, true) => store.edit_message(id, &msg.body, now).await?,
            // Body and mentions in one transaction.
            (None, false) => {
                store
                    .edit_with_mentions(id, &msg.body, now, &msg.mentions)
                    .await?;
            }
        }
        self.publish_stamped(
            crate::hub::Dispatch::Room {
                room: msg.room_id,
                event: ServerEvent::MessageEdited {
                    message: msg.clone(),
                },
            },
            queued.map(|(stamp, _)| stamp),
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
        self.delete_stored_message(actor, &msg).await?;
        if msg.author_id != Some(actor) {
            self.mod_log(msg.room_id, actor, crate::model::ModAction::DeleteMessage)
                .user(msg.author_id)
                .message(msg.id)
                .write()
                .await?;
        }
        Ok(())
    }

    /// Delete a message whoever may (the caller checked): as
    /// [`Chat::delete_message`] without the checks; nothing if already deleted.
    pub(super) async fn erase_message(&self, actor: UserId, id: MessageId) -> Result<()> {
        let msg = self
            .inner
            .store
            .get_message(id)
            .await?
            .ok_or(Error::NotFound("message"))?;
        if msg.deleted_at.is_some() {
            return Ok(());
        }
        self.delete_stored_message(actor, &msg).await
    }

    async fn delete_stored_message(&self, actor: UserId, msg: &Message) -> Result<()> {
        {
            let _order = self.inner.message_order.lock(msg.id).await;
            let (room, message_id, seq, by) = (msg.room_id, msg.id, msg.seq, actor);
            let queued = self.outbox_row(EventKind::MessageDeleted {
                room,
                message_id,
                seq,
                by,
            })?;
            let now = self.now();
            match &queued {
                Some((_, row)) => {
                    self.inner
                        .store
                        .delete_message_queued(msg.id, now, std::slice::from_ref(row))
                        .await?;
                }
                None => self.inner.store.delete_message(msg.id, now).await?,
            }
            self.publish_stamped(
                crate::hub::Dispatch::Room {
                    room,
                    event: ServerEvent::MessageDeleted {
                        room,
                        message_id,
                        seq,
                        by,
                    },
                },
                queued.map(|(stamp, _)| stamp),
            );
        }
        if let Some(root) = msg.thread_root {
            self.publish_thread(msg.room_id, root).await?;
        }
        self.discard_attachment(msg).await;
        Ok(())
    }

    /// A page of a room's history (members only), ascending by sequence number:
    /// the room's timeline, without the thread replies that were not also sent to
    /// the room (see [`Chat::thread_history`]). See
    /// [`crate::store::MessageStore::list_messages`] for the cursor rules.
    pub async fn history(
        &self,
        actor: UserId,
        room: RoomId,
        page: PageRequest,
    ) -> Result<HistoryPage> {
        self.page_of(actor, room, Some(HistoryScope::Room), page)
            .await
    }

    /// A page of `room`'s messages in `scope` (`None`: every message, thread
    /// replies included, as a resuming client replays them).
    pub(super) async fn page_of(
        &self,
        actor: UserId,
        room: RoomId,
        scope: Option<HistoryScope>,
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
        if let Some(HistoryScope::Thread(root)) = scope {
            let ok = self
                .inner
                .store
                .get_message(root)
                .await?
                .is_some_and(|m| m.room_id == room.id && m.thread_root.is_none());
            // A root deleted by retention leaves its kept replies readable.
            if !ok && room.history_start_seq <= 1 {
                return Err(Error::invalid("thread", "no such thread root in this room"));
            }
        }
        let wanted = PageRequest {
            limit: limit + 1,
            ..page
        };
        let mut messages = match scope {
            None => self.inner.store.list_messages(room.id, wanted).await?,
            Some(scope) => self.inner.store.list_scoped(room.id, scope, wanted).await?,
        };
        let has_more = messages.len() > limit as usize;
        if has_more {
            if page.after.is_some() {
                messages.truncate(limit as usize);
            } else {
                messages.remove(0);
            }
        }
        self.with_reactions(actor, &mut messages).await?;
        let history_start_seq = super::retention::page_start(&room, page.after, has_more);
        Ok(HistoryPage {
            room: room.id,
            messages,
            has_more,
            thread: match scope {
                Some(HistoryScope::Thread(root)) => Some(root),
                _ => None,
            },
            history_start_seq,
        })
    }
}
