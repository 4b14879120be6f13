//! Live state: connections, presence and typing. Never stored.

use std::collections::HashSet;

use tokio::time::Instant;

use super::Chat;
use crate::error::{Error, Result};
use crate::hub::{ConnId, Connection, Dispatch};
use crate::ids::{RoomId, SessionId, UserId};
use crate::model::PageRequest;
use crate::protocol::{HistoryPage, ServerEvent};

/// Delivered outbox events deleted per statement by [`Chat::clean_outbox`].
const OUTBOX_CLEANUP_BATCH: u32 = 500;
/// Batches per [`Chat::clean_outbox`] call.
const OUTBOX_CLEANUP_MAX_BATCHES: usize = 20;

pub(super) struct TypingEntry {
    /// When the current `typing: true` lapses.
    expires: Instant,
    /// When `typing: true` was last broadcast.
    last_sent: Instant,
}

/// A live connection of a user: the hub's queue plus a guard that settles presence
/// when the connection ends. Call [`ChatConnection::close`] when done; dropping it
/// does the same in the background.
#[derive(Debug)]
pub struct ChatConnection {
    conn: Connection,
    closed: bool,
    chat: Chat,
    id: ConnId,
    user: UserId,
}

impl ChatConnection {
    /// The hub connection (to receive frames).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Node-local id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The user.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// Unregister, updating presence and last seen.
    pub async fn close(mut self) {
        self.closed = true;
        let chat = self.chat.clone();
        chat.on_disconnect(self.id, self.user).await;
    }
}

impl Drop for ChatConnection {
    fn drop(&mut self) {
        if !self.closed {
            let chat = self.chat.clone();
            let (id, user) = (self.id, self.user);
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move { chat.on_disconnect(id, user).await });
            }
        }
    }
}

impl Chat {
    /// Open a live connection for `user`, subscribed to all their rooms. When it is the
    /// user's first, they come online in every room they share.
    ///
    /// `NotFound` if the user does not exist (any more), `Unauthenticated` if
    /// `session` is given and has ended (logged out, revoked, expired): a transport
    /// closes with 4003 and 4002 for them.
    ///
    /// The order makes revocations race-free: the connection is registered with
    /// the hub first (subscribed to nothing), then the user and the session are read
    /// again, then the user's rooms are read and subscribed, then the memberships
    /// are read once more and rooms left meanwhile are unsubscribed. A logout, ban
    /// or kick whose store change lands after one of those reads publishes its
    /// `Disconnect` or `Unsubscribe` after the registration or the subscription, so
    /// it reaches this connection; one that lands before is seen by the read.
    pub async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
    ) -> Result<ChatConnection> {
        {
            let mut conns = self.inner.connections.lock();
            let n = conns.entry(user).or_insert(0);
            if *n >= self.inner.limits.max_connections_per_user {
                return Err(crate::Error::RateLimited {
                    retry_after: std::time::Duration::from_secs(5),
                });
            }
            *n += 1;
        }
        let conn = match self.inner.hub.connect(user, session, &[]).await {
            Ok(conn) => conn,
            Err(e) => {
                self.release_connection_slot(user);
                return Err(e);
            }
        };
        let id = conn.id;
        let rooms = match self.subscribe_new_connection(id, user, session).await {
            Ok(rooms) => rooms,
            Err(e) => {
                self.release_connection_slot(user);
                if let Err(err) = self.inner.hub.disconnect(id).await {
                    tracing::warn!(error = %err, "hub disconnect failed");
                }
                return Err(e);
            }
        };
        if conn.first_for_user {
            for room in &rooms {
                self.publish_room(
                    *room,
                    ServerEvent::Presence {
                        room: *room,
                        user,
                        online: true,
                        last_seen_at: None,
                    },
                );
            }
        }
        crate::metrics::connected();
        Ok(ChatConnection {
            conn,
            closed: false,
            chat: self.clone(),
            id,
            user,
        })
    }

    /// The steps of [`Chat::connect`] after the registration: check that the user
    /// and the session still exist, subscribe the user's rooms, drop those left
    /// meanwhile. Returns the rooms subscribed.
    async fn subscribe_new_connection(
        &self,
        conn: ConnId,
        user: UserId,
        session: Option<SessionId>,
    ) -> Result<Vec<RoomId>> {
        self.user(user).await?;
        self.refuse_suspended(user).await?;
        if let Some(id) = session {
            let live = self
                .inner
                .store
                .get_session(id)
                .await?
                .is_some_and(|s| s.user_id == user && s.expires_at > self.now());
            if !live {
                return Err(Error::Unauthenticated("session ended"));
            }
        }
        let rooms = self.my_room_ids(user).await?;
        for room in &rooms {
            self.inner.hub.subscribe_connection(conn, *room);
        }
        let now_in: HashSet<RoomId> = self.my_room_ids(user).await?.into_iter().collect();
        let (kept, left): (Vec<RoomId>, Vec<RoomId>) =
            rooms.into_iter().partition(|r| now_in.contains(r));
        for room in left {
            // Removed between the two reads: its `Unsubscribe` may have come before
            // the subscription above.
            self.publish(Dispatch::Unsubscribe { user, room });
        }
        Ok(kept)
    }

    fn release_connection_slot(&self, user: UserId) {
        let mut conns = self.inner.connections.lock();
        if let Some(n) = conns.get_mut(&user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                conns.remove(&user);
            }
        }
    }

    async fn on_disconnect(&self, conn: ConnId, user: UserId) {
        crate::metrics::disconnected();
        self.release_connection_slot(user);
        let last = match self.inner.hub.disconnect(conn).await {
            Ok(last) => last,
            Err(e) => {
                tracing::warn!(error = %e, "hub disconnect failed");
                return;
            }
        };
        if last {
            self.announce_offline(user).await;
        }
    }

    /// Record last seen and tell the user's rooms they went offline.
    async fn announce_offline(&self, user: UserId) {
        let now = self.now();
        if let Err(e) = self.inner.store.set_last_seen(user, now).await {
            tracing::warn!(error = %e, "could not record last seen");
        }
        match self.my_room_ids(user).await {
            Ok(rooms) => {
                for room in rooms {
                    self.clear_typing(room, user);
                    self.publish_room(
                        room,
                        ServerEvent::Presence {
                            room,
                            user,
                            online: false,
                            last_seen_at: Some(now),
                        },
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not announce offline"),
        }
    }

    /// Periodic upkeep; run it in the background of a server (e.g. every 10 s):
    /// lets a multi-node hub renew presence leases and announces users whose node
    /// died as offline; deletes expired sessions and bans when the store can, and
    /// the outbox's delivered events older than [`Limits::outbox_retention`], and
    /// the messages older than their room's retention ([`Chat::apply_retention`]).
    ///
    /// [`Limits::outbox_retention`]: super::Limits::outbox_retention
    pub async fn housekeeping(&self) -> Result<()> {
        for user in self.inner.hub.sweep().await? {
            self.announce_offline(user).await;
        }
        if let Some(m) = self.inner.store.maintenance() {
            m.delete_expired(self.now()).await?;
        }
        self.clean_outbox().await?;
        self.apply_retention().await?;
        self.delete_expired_guests().await?;
        Ok(())
    }

    /// Delete delivered outbox events older than the retention
    /// ([`super::Limits::outbox_retention`]), in batches of 500, at most 20 batches
    /// per call (the rest goes in the next run); given-up and pending events stay.
    /// Returns how many went.
    pub async fn clean_outbox(&self) -> Result<u64> {
        let keep = chrono::Duration::from_std(self.inner.limits.outbox_retention)
            .unwrap_or(chrono::Duration::MAX);
        let Some(before) = self.now().checked_sub_signed(keep) else {
            return Ok(0);
        };
        let mut total = 0;
        for _ in 0..OUTBOX_CLEANUP_MAX_BATCHES {
            let n = self
                .inner
                .store
                .delete_delivered_events(before, OUTBOX_CLEANUP_BATCH)
                .await?;
            total += n;
            if n < u64::from(OUTBOX_CLEANUP_BATCH) {
                break;
            }
            tokio::task::yield_now().await;
        }
        Ok(total)
    }

    /// Run [`Chat::housekeeping`] every `every`, forever (spawn it).
    pub async fn run_housekeeping(self, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.housekeeping().await {
                tracing::warn!(error = %e, "housekeeping failed");
            }
        }
    }

    /// Make one connection receive a room the user is a member of (e.g. after a
    /// `join` command on that connection). Membership is checked.
    pub async fn subscribe_connection(
        &self,
        actor: UserId,
        conn: ConnId,
        room: RoomId,
    ) -> Result<()> {
        self.require_member(actor, room).await?;
        self.subscribe_member(actor, conn, room).await
    }

    /// Subscribe a connection to a room its user was just found a member of, then
    /// check the membership again: a kick or ban that landed in between published
    /// its `Unsubscribe` before the subscription, so it is undone here.
    pub(super) async fn subscribe_member(
        &self,
        actor: UserId,
        conn: ConnId,
        room: RoomId,
    ) -> Result<()> {
        self.inner.hub.subscribe_connection(conn, room);
        if self.inner.store.get_member(room, actor).await?.is_none() {
            self.publish(Dispatch::Unsubscribe { user: actor, room });
            return Err(Error::Forbidden("not a member of this room"));
        }
        Ok(())
    }

    /// Whether a user has a live connection (on any node).
    pub async fn is_online(&self, user: UserId) -> Result<bool> {
        Ok(!self.inner.hub.online(&[user]).await?.is_empty())
    }

    /// Messages after `since` for a resuming client, up to one page
    /// ([`crate::Limits::history_page_max`]); `has_more` tells it to ask again.
    pub async fn missed(
        &self,
        actor: UserId,
        room: RoomId,
        since: crate::Seq,
    ) -> Result<HistoryPage> {
        // Every message, thread replies included: what the live events carried.
        self.page_of(
            actor,
            room,
            None,
            PageRequest {
                after: Some(since.max(0)),
                before: None,
                limit: self.inner.limits.history_page_max,
            },
        )
        .await
    }

    /// The actor started (`true`) or stopped typing in a room. Broadcasts are
    /// throttled to one per [`crate::Limits::typing_throttle`]; a start lapses after
    /// [`crate::Limits::typing_ttl`] without a repeat, and the server then broadcasts
    /// the stop itself.
    pub async fn typing(&self, actor: UserId, room: RoomId, typing: bool) -> Result<()> {
        self.require_member(actor, room).await?;
        if !typing {
            self.clear_typing(room, actor);
            return Ok(());
        }
        self.check_not_timed_out(room, actor).await?;
        let ttl = self.inner.limits.typing_ttl;
        let now = Instant::now();
        let (broadcast, spawn) = {
            let mut map = self.inner.typing.lock();
            match map.get_mut(&(room, actor)) {
                Some(entry) => {
                    entry.expires = now + ttl;
                    let due =
                        now.duration_since(entry.last_sent) >= self.inner.limits.typing_throttle;
                    if due {
                        entry.last_sent = now;
                    }
                    (due, false)
                }
                None => {
                    map.insert(
                        (room, actor),
                        TypingEntry {
                            expires: now + ttl,
                            last_sent: now,
                        },
                    );
                    (true, true)
                }
            }
        };
        if broadcast {
            self.publish_room(
                room,
                ServerEvent::Typing {
                    room,
                    user: actor,
                    typing: true,
                    expires_in_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
                },
            );
        }
        if spawn {
            let chat = self.clone();
            tokio::spawn(async move { chat.expire_typing(room, actor).await });
        }
        Ok(())
    }

    async fn expire_typing(&self, room: RoomId, user: UserId) {
        loop {
            let deadline = match self.inner.typing.lock().get(&(room, user)) {
                Some(e) => e.expires,
                None => return, // stopped explicitly
            };
            tokio::time::sleep_until(deadline).await;
            let expired = {
                let mut map = self.inner.typing.lock();
                match map.get(&(room, user)) {
                    Some(e) if e.expires <= Instant::now() => {
                        map.remove(&(room, user));
                        true
                    }
                    Some(_) => false,
                    None => return,
                }
            };
            if expired {
                self.publish_typing_stop(room, user);
                return;
            }
        }
    }

    /// End a typing state if there is one, broadcasting the stop.
    pub(super) fn clear_typing(&self, room: RoomId, user: UserId) {
        let had = self.inner.typing.lock().remove(&(room, user)).is_some();
        if had {
            self.publish_typing_stop(room, user);
        }
    }

    fn publish_typing_stop(&self, room: RoomId, user: UserId) {
        self.publish(Dispatch::Room {
            room,
            event: ServerEvent::Typing {
                room,
                user,
                typing: false,
                expires_in_ms: 0,
            },
        });
    }

    /// Users typing in a room right now (those whose start has not lapsed).
    pub fn typing_users(&self, room: RoomId) -> Vec<UserId> {
        let now = Instant::now();
        self.inner
            .typing
            .lock()
            .iter()
            .filter(|((r, _), e)| *r == room && e.expires > now)
            .map(|((_, u), _)| *u)
            .collect()
    }
}
