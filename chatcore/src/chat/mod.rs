//! The service handle: [`Chat`].

mod access;
mod accounts;
mod admin;
mod announce;
mod blocks;
mod commands;
mod direct;
pub mod events;
pub mod export;
mod extra;
mod files;
mod guests;
pub mod hooks;
mod live;
mod members;
mod messages;
mod moderation;
mod modlog;
mod notify;
#[cfg(feature = "openapi")]
pub mod openapi;
mod ordered;
mod pins;
mod pipeline;
mod reactions;
mod reads;
mod reports;
mod retention;
mod rooms;
mod search;
mod sessions;
mod threads;
mod timeouts;
mod tokens;
mod validate;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

pub use accounts::{ExternalUser, ProfileUpdate, Register, SessionToken};
pub use admin::ADMIN_PAGE_MAX;
pub use blocks::MAX_BLOCKS;
pub use commands::Outcome;
pub use files::{FileUpload, FileView, INLINE_IMAGE_TYPES, UploadTarget, is_inline_image};
pub use live::ChatConnection;
pub use messages::SendMessage;
pub use notify::{NoNotifier, Notification, Notifier, NotifyReason};
pub use pins::PinView;
pub use pipeline::PendingSend;
pub use reactions::{MAX_EMOJI_BYTES, is_emoji};
pub use reports::MOD_PAGE_MAX;
pub use rooms::{NewRoom, RoomUpdate};
pub use search::{SearchHit, SearchPage, SearchRequest, search_words};
pub use tokens::AccountSettings;

use crate::blob::{BlobStore, MemoryBlobStore};
use crate::error::{Error, Result};
use crate::hub::{Dispatch, Hub, LocalHub};
use crate::ids::{RoomId, UserId};
use crate::mail::{LogMailer, Mailer};
use crate::model::{Membership, Room, RoomKind, Timestamp, User};
use crate::perm::{Action, allowed};
use crate::protocol::{RoomView, ServerEvent, UserView};
use crate::rate::{KeyedLimiter, Rate, RecentKeys};
use crate::store::Store;

/// Limits the service enforces. Every size has one; the defaults are safe for a
/// public deployment.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest message body, in characters (default 4,000).
    pub max_message_chars: usize,
    /// Longest room or display name, in characters (default 64).
    pub max_name_chars: usize,
    /// Longest room description, in characters (default 1,000).
    pub max_description_chars: usize,
    /// Longest bio, in characters (default 500).
    pub max_bio_chars: usize,
    /// Longest URL (avatar), in characters (default 2,048).
    pub max_url_len: usize,
    /// Most members in one room; a room's own `max_members` may only be lower
    /// (default 10,000).
    pub max_members_per_room: u32,
    /// Most rooms a user may be a member of (default 1,000).
    pub max_rooms_per_user: usize,
    /// Largest history page (default and ceiling 100).
    pub history_page_max: u32,
    /// How long a `typing_start` holds without a repeat (default 6 s).
    pub typing_ttl: Duration,
    /// Minimum interval between two broadcast `typing` events of one user in one
    /// room (default 2 s).
    pub typing_throttle: Duration,
    /// Session lifetime; sliding, renewed on use (default 30 days).
    pub session_ttl: Duration,
    /// Shortest password (default 8 characters).
    pub password_min_chars: usize,
    /// Longest password, in characters (default 256; bounds the hashing cost).
    pub password_max_chars: usize,
    /// Least zxcvbn score (0 to 4) of a new password (default 3: "safely
    /// unguessable"); 0 turns the strength check off. See `validate::password_strength`.
    pub password_min_score: u8,
    /// Messages per user (default: bursts of 20, then 5 a second).
    pub send_rate: Option<Rate>,
    /// Login attempts per account name *and client address* (see
    /// [`Chat::login_from`]; default: 10, then one a minute). Another address's
    /// failures do not use up the owner's attempts.
    pub login_rate: Option<Rate>,
    /// Join-by-code attempts per user, against guessing codes (default: 10, then one a
    /// minute).
    pub code_join_rate: Option<Rate>,
    /// Live connections per user on one node (default 16).
    pub max_connections_per_user: usize,
    /// Largest avatar (user or room), in bytes (default 2 MiB).
    pub max_avatar_bytes: usize,
    /// Largest image or file message, in bytes (default 10 MiB).
    pub max_file_bytes: usize,
    /// Longest uploaded file name, in characters (default 200; longer ones are cut).
    pub max_file_name_chars: usize,
    /// How long an email verification link works (default 24 h).
    pub verification_token_ttl: Duration,
    /// How long a password reset link works (default 1 h).
    pub reset_token_ttl: Duration,
    /// Verification and reset emails per address (default: 5, then one every
    /// 5 minutes).
    pub mail_rate: Option<Rate>,
    /// Most distinct emoji on one message (default 20).
    pub max_reactions_per_message: usize,
    /// Reactions accepted besides single emoji, such as `:party:` (default none;
    /// each at most [`MAX_EMOJI_BYTES`] bytes to be usable).
    pub reaction_shortcodes: Vec<String>,
    /// Most pinned messages in one room (default 50).
    pub max_pins_per_room: usize,
    /// Login attempts per account name from all addresses together, a ceiling against
    /// guessing from many addresses (default: 100, then one a minute). Past it, only a
    /// client address that logged in to the account with its password before (within
    /// [`Limits::session_ttl`], on this node) is let through, so the ceiling cannot
    /// lock the owner out of a known device.
    pub login_account_rate: Option<Rate>,
    /// Password checks per user outside login: a room's password on joining, the
    /// current password to change it, the password to delete the account (default: 10,
    /// then one a minute).
    pub password_rate: Option<Rate>,
    /// Email address changes per user, each mailing a verification link and each able
    /// to answer `email_taken` (default: 5, then one every 5 minutes).
    pub email_change_rate: Option<Rate>,
    /// How long a read position may wait in memory before it is written (default
    /// 2 s; see [`Chat::mark_read`]).
    pub read_flush_interval: Duration,
    /// Rooms with at most this many members (and direct rooms) show read receipts
    /// (default 50).
    pub receipts_max_members: u64,
    /// In rooms with at most this many members, a member who never chose a
    /// notification setting is notified of every message (`all`); in larger ones of
    /// mentions only (`mentions`). Default 50; see [`Notifier`].
    pub notify_all_max_members: u64,
    /// Longest reason of a report, in characters (default 500).
    pub max_report_reason_chars: usize,
    /// Shortest timeout a moderator may give (default 60 s; tests lower it).
    pub min_timeout: Duration,
    /// Longest timeout a moderator may give (default 28 days).
    pub max_timeout: Duration,
    /// How long delivered webhook events stay in the outbox before housekeeping
    /// deletes them (default 7 days; given-up events always stay).
    pub outbox_retention: Duration,
    /// Retention: the longest a room may keep its messages, in days (None: no
    /// maximum). A room's `retention_days` may not exceed it, and rooms without one
    /// keep theirs this long (or [`Limits::default_retention_days`] if shorter).
    pub max_retention_days: Option<u32>,
    /// Retention of rooms that set none, in days (None: forever, unless
    /// [`Limits::max_retention_days`] is set).
    pub default_retention_days: Option<u32>,
    /// Largest custom data (`extra`) of a message, room or member, in bytes of compact
    /// JSON (default and ceiling 4 KiB, [`crate::model::EXTRA_MAX_BYTES`]).
    pub max_extra_bytes: usize,
    /// Whether users may set `extra` themselves (on send, edit, room create and
    /// update, with the permission those need). Default false: only the host app sets
    /// it, through [`Chat::set_message_extra`], [`Chat::set_room_extra`] and
    /// [`Chat::set_member_extra`]; a user's `extra` is then refused (`forbidden`).
    pub client_extra: bool,
    /// Whether [`Chat::create_guest`] (`POST /auth/guest`) makes temporary guest
    /// accounts (default `false`: off).
    pub guests: bool,
    /// How long a guest account lives (default 24 h): its one session ends this long
    /// after it was created (not renewed on use), and housekeeping deletes the account
    /// once it is this old.
    pub guest_ttl: Duration,
    /// Messages per guest, on top of [`Limits::send_rate`] (default: bursts of 5, then
    /// one a second).
    pub guest_send_rate: Option<Rate>,
}

impl Limits {
    /// The defaults without any rate limit (for tests and trusted embeddings).
    pub fn without_rate_limits() -> Self {
        Limits {
            send_rate: None,
            login_rate: None,
            code_join_rate: None,
            mail_rate: None,
            login_account_rate: None,
            password_rate: None,
            email_change_rate: None,
            guest_send_rate: None,
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_chars: 4000,
            max_name_chars: 64,
            max_description_chars: 1000,
            max_bio_chars: 500,
            max_url_len: 2048,
            max_members_per_room: 10_000,
            max_rooms_per_user: 1000,
            history_page_max: 100,
            typing_ttl: Duration::from_secs(6),
            typing_throttle: Duration::from_secs(2),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            password_min_chars: 8,
            password_max_chars: 256,
            password_min_score: 3,
            send_rate: Some(Rate::new(20, Duration::from_millis(200))),
            login_rate: Some(Rate::new(10, Duration::from_secs(60))),
            code_join_rate: Some(Rate::new(10, Duration::from_secs(60))),
            max_connections_per_user: 16,
            max_avatar_bytes: 2 * 1024 * 1024,
            max_file_bytes: 10 * 1024 * 1024,
            max_file_name_chars: 200,
            verification_token_ttl: Duration::from_secs(24 * 3600),
            reset_token_ttl: Duration::from_secs(3600),
            mail_rate: Some(Rate::new(5, Duration::from_secs(300))),
            max_reactions_per_message: 20,
            reaction_shortcodes: Vec::new(),
            max_pins_per_room: 50,
            login_account_rate: Some(Rate::new(100, Duration::from_secs(60))),
            password_rate: Some(Rate::new(10, Duration::from_secs(60))),
            email_change_rate: Some(Rate::new(5, Duration::from_secs(300))),
            read_flush_interval: Duration::from_secs(2),
            receipts_max_members: 50,
            notify_all_max_members: 50,
            max_report_reason_chars: 500,
            min_timeout: Duration::from_secs(60),
            max_timeout: Duration::from_secs(28 * 24 * 3600),
            outbox_retention: Duration::from_secs(7 * 24 * 3600),
            max_retention_days: None,
            default_retention_days: None,
            max_extra_bytes: crate::model::EXTRA_MAX_BYTES,
            client_extra: false,
            guests: false,
            guest_ttl: Duration::from_secs(24 * 3600),
            guest_send_rate: Some(Rate::new(5, Duration::from_secs(1))),
        }
    }
}

type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How many (account, address) pairs of successful logins are remembered for the
/// login ceiling ([`Limits::login_account_rate`]).
const KNOWN_LOGINS: usize = 100_000;

/// What a guest is told when they try something only full accounts may do (see
/// [`guests`]).
pub(crate) const GUEST_REFUSED: &str = "guest accounts cannot do this; register an account";

struct Inner {
    store: Arc<dyn Store>,
    hub: Arc<dyn Hub>,
    limits: Limits,
    clock: Clock,
    typing: Mutex<HashMap<(RoomId, UserId), live::TypingEntry>>,
    slow_mode: Mutex<HashMap<(RoomId, UserId), Timestamp>>,
    send_limiter: KeyedLimiter<UserId>,
    /// Per (account, client address) pair.
    login_limiter: KeyedLimiter<(String, Option<IpAddr>)>,
    code_limiter: KeyedLimiter<UserId>,
    connections: Mutex<HashMap<UserId, usize>>,
    sequencer: ordered::Sequencer,
    /// Order of edits and deletes per message (see [`ordered`]).
    message_order: ordered::MessageOrder,
    mailer: Arc<dyn Mailer>,
    blobs: Arc<dyn BlobStore>,
    accounts: AccountSettings,
    mail_limiter: KeyedLimiter<String>,
    /// Rooms and memberships for the send path (see [`access`]).
    access: access::AccessCache,
    /// The login ceiling per account (any address).
    login_account_limiter: KeyedLimiter<String>,
    /// (account, address) pairs that logged in with the right password.
    known_logins: RecentKeys<(String, Option<IpAddr>)>,
    password_limiter: KeyedLimiter<UserId>,
    email_change_limiter: KeyedLimiter<UserId>,
    /// Read positions not written yet (see [`reads`]).
    reads: reads::PendingReads,
    /// Notifications of offline users (see [`notify`]); None: off.
    notifier: Option<Arc<dyn Notifier>>,
    /// The notification task's queue, once started.
    notify_queue: Mutex<Option<notify::NotifyQueue>>,
    /// The before-send chain (see [`hooks`]).
    hooks: hooks::Hooks,
    /// Subscribers of [`Chat::events`].
    events: tokio::sync::broadcast::Sender<events::DomainEvent>,
    /// Where the next retention run goes on (see [`retention`]).
    retention_cursor: Mutex<Option<RoomId>>,
    /// The durable outbox is on (see [`Chat::outbox_enabled`]).
    outbox: std::sync::atomic::AtomicBool,
    /// [`Limits::guest_send_rate`], per guest.
    guest_send_limiter: KeyedLimiter<UserId>,
}

/// The chat service: every operation, with the acting user, returning domain errors.
/// Cheap to clone (an `Arc` inside).
///
/// Every authorization rule is checked here, so every transport gets it.
#[derive(Clone)]
pub struct Chat {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Chat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chat")
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Chat`].
pub struct ChatBuilder {
    store: Arc<dyn Store>,
    hub: Option<Arc<dyn Hub>>,
    limits: Limits,
    clock: Option<Clock>,
    mailer: Option<Arc<dyn Mailer>>,
    blobs: Option<Arc<dyn BlobStore>>,
    accounts: AccountSettings,
    notifier: Option<Arc<dyn Notifier>>,
    blocklist: hooks::Blocklist,
    max_links: Option<usize>,
    filters: Vec<Arc<dyn hooks::MessageFilter>>,
    outbox: bool,
}

impl ChatBuilder {
    /// Queue every domain event in the store's outbox (default: off; the webhook
    /// deliverer turns it on, see [`Chat::enable_outbox`]): message created, edited
    /// and deleted in the transaction of the change itself, the others right after
    /// their change, before it is published.
    pub fn outbox(mut self, on: bool) -> Self {
        self.outbox = on;
        self
    }
    /// Notify offline users of messages they should hear of with this (default:
    /// none, which is [`NoNotifier`]'s behaviour at no cost).
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }
    /// The global blocklist (see [`hooks::Blocklist`]; default: empty).
    pub fn blocklist(mut self, entries: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.blocklist = hooks::Blocklist::new(entries);
        self
    }
    /// Refuse messages with more than `n` links (default: no limit).
    pub fn max_links(mut self, n: usize) -> Self {
        self.max_links = Some(n);
        self
    }
    /// Add a before-send hook; hooks run in the order they are added, after the
    /// built-in ones (see [`hooks`]).
    pub fn filter(mut self, filter: Arc<dyn hooks::MessageFilter>) -> Self {
        self.filters.push(filter);
        self
    }
    /// Send verification and reset emails with this (default: [`LogMailer`]).
    pub fn mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = Some(mailer);
        self
    }
    /// Keep uploaded files' bytes here (default: a [`MemoryBlobStore`], lost on exit).
    pub fn blobs(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = Some(blobs);
        self
    }
    /// Email verification and link settings (default: [`AccountSettings::default`],
    /// verification not required).
    pub fn accounts(mut self, accounts: AccountSettings) -> Self {
        self.accounts = accounts;
        self
    }
    /// Use this hub (default: a new [`LocalHub`]).
    pub fn hub(mut self, hub: Arc<dyn Hub>) -> Self {
        self.hub = Some(hub);
        self
    }
    /// Use these limits (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// Use this clock instead of the system clock (for tests).
    pub fn clock(mut self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }
    /// Build the service.
    pub fn build(self) -> Chat {
        let hub = self
            .hub
            .unwrap_or_else(|| Arc::new(LocalHub::default()) as Arc<dyn Hub>);
        Chat {
            inner: Arc::new(Inner {
                store: self.store,
                access: access::AccessCache::new(),
                hooks: hooks::Hooks::new(self.blocklist, self.max_links, self.filters),
                events: events::channel(),
                outbox: std::sync::atomic::AtomicBool::new(self.outbox),
                hub,
                send_limiter: KeyedLimiter::new(self.limits.send_rate),
                guest_send_limiter: KeyedLimiter::new(self.limits.guest_send_rate),
                login_limiter: KeyedLimiter::new(self.limits.login_rate),
                code_limiter: KeyedLimiter::new(self.limits.code_join_rate),
                mail_limiter: KeyedLimiter::new(self.limits.mail_rate),
                login_account_limiter: KeyedLimiter::new(self.limits.login_account_rate),
                known_logins: RecentKeys::new(KNOWN_LOGINS, self.limits.session_ttl),
                password_limiter: KeyedLimiter::new(self.limits.password_rate),
                email_change_limiter: KeyedLimiter::new(self.limits.email_change_rate),
                mailer: self
                    .mailer
                    .unwrap_or_else(|| Arc::new(LogMailer) as Arc<dyn Mailer>),
                blobs: self
                    .blobs
                    .unwrap_or_else(|| Arc::new(MemoryBlobStore::new()) as Arc<dyn BlobStore>),
                accounts: self.accounts,
                limits: self.limits,
                clock: self.clock.unwrap_or_else(|| Arc::new(chrono::Utc::now)),
                typing: Mutex::new(HashMap::new()),
                slow_mode: Mutex::new(HashMap::new()),
                connections: Mutex::new(HashMap::new()),
                sequencer: ordered::Sequencer::default(),
                message_order: ordered::MessageOrder::default(),
                reads: reads::PendingReads::default(),
                notifier: self.notifier,
                notify_queue: Mutex::new(None),
                retention_cursor: Mutex::new(None),
            }),
        }
    }
}

impl Chat {
    /// A service over `store` with an in-process hub and default limits.
    pub fn new(store: Arc<dyn Store>) -> Chat {
        Chat::builder(store).build()
    }

    /// Forget the rooms and memberships cached for the send path. The service caches,
    /// per room and user, what sending a message checks (the room's kind and slow
    /// mode, the sender's role), and forgets it on every change made through any `Chat`
    /// of the cluster (see [`Hub::access_epoch`]). An application that changes rooms
    /// or memberships in the store directly, behind the service's back, calls this
    /// afterwards, on every node (or [`Chat::forget_cached_access_everywhere`] on one).
    pub fn forget_cached_access(&self) {
        self.inner.access.forget_here();
    }

    /// [`Chat::forget_cached_access`] on every node of the cluster, through the hub;
    /// returns once each has (see [`Hub::access_changed`]).
    pub async fn forget_cached_access_everywhere(&self) {
        self.access_changed().await;
    }

    /// Rooms or memberships changed (after the store write): forget what the send path
    /// cached, here at once and on every node through the hub.
    async fn access_changed(&self) {
        self.inner.access.forget_here();
        self.inner.hub.access_changed().await;
    }

    /// Start building a service over `store`.
    pub fn builder(store: Arc<dyn Store>) -> ChatBuilder {
        ChatBuilder {
            store,
            hub: None,
            limits: Limits::default(),
            clock: None,
            mailer: None,
            blobs: None,
            accounts: AccountSettings::default(),
            notifier: None,
            blocklist: hooks::Blocklist::default(),
            max_links: None,
            filters: Vec::new(),
            outbox: false,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The hub.
    pub fn hub(&self) -> &Arc<dyn Hub> {
        &self.inner.hub
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The blob store holding uploaded files.
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.inner.blobs
    }

    /// The account settings in force.
    pub fn account_settings(&self) -> &AccountSettings {
        &self.inner.accounts
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> Timestamp {
        (self.inner.clock)()
    }

    fn publish(&self, dispatch: Dispatch) {
        self.publish_stamped(dispatch, None);
    }

    /// [`Chat::publish`] of an event queued in the outbox with its change, as `stamp`.
    fn publish_stamped(&self, dispatch: Dispatch, stamp: Option<crate::store::EventStamp>) {
        self.emit_dispatch(&dispatch, stamp);
        self.inner.hub.publish(dispatch);
    }

    fn publish_room(&self, room: RoomId, event: ServerEvent) {
        self.publish(Dispatch::Room { room, event });
    }

    async fn user(&self, id: UserId) -> Result<User> {
        self.inner
            .store
            .get_user(id)
            .await?
            .ok_or(Error::NotFound("user"))
    }

    /// A room the actor may see: members see every room they are in; others see only
    /// public rooms. Anything else is reported as not found.
    async fn visible_room(&self, actor: UserId, id: RoomId) -> Result<(Room, Option<Membership>)> {
        let store = &self.inner.store;
        let room = store.get_room(id).await?.ok_or(Error::NotFound("room"))?;
        let member = store.get_member(id, actor).await?;
        if member.is_none() && room.kind != RoomKind::Public {
            return Err(Error::NotFound("room"));
        }
        Ok((room, member))
    }

    /// [`Chat::require_member`] for the send path: through the access cache, and
    /// the room's settings and the sender's role only (the cached room's other
    /// fields, such as `last_seq`, may be old).
    /// Also says whether the actor is a guest.
    async fn require_sender(
        &self,
        actor: UserId,
        id: RoomId,
    ) -> Result<(Arc<Room>, Membership, bool)> {
        let cache = &self.inner.access;
        let epoch = self.inner.hub.access_epoch();
        let (room, member, gate) = match cache.get(epoch, id, actor) {
            Some(hit) => hit,
            None => {
                let token = cache.token(epoch);
                let (room, member) = self.visible_room(actor, id).await?;
                let gate = access::Gate {
                    muted_until: self.muted_until(id, actor).await?,
                    blocked: self.direct_blocked(&room, actor).await?,
                    guest: self.is_guest(actor).await?,
                };
                let room = Arc::new(room);
                cache.insert(token, room.clone(), actor, member.clone(), gate);
                (room, member, gate)
            }
        };
        let Some(m) = member else {
            return Err(Error::Forbidden("not a member of this room"));
        };
        if let Some(until) = gate.muted_until
            && until > self.now()
        {
            return Err(Error::TimedOut { until });
        }
        if gate.blocked {
            return Err(Error::Forbidden(blocks::BLOCKED));
        }
        Ok((room, m, gate.guest))
    }

    /// The actor's membership in a room, or the error a non-member gets:
    /// not found for rooms they cannot see, forbidden for public rooms.
    async fn require_member(&self, actor: UserId, id: RoomId) -> Result<(Room, Membership)> {
        let (room, member) = self.visible_room(actor, id).await?;
        match member {
            Some(m) => Ok((room, m)),
            None => Err(Error::Forbidden("not a member of this room")),
        }
    }

    fn require(&self, role: crate::Role, action: Action) -> Result<()> {
        if allowed(role, action) {
            Ok(())
        } else {
            Err(Error::Forbidden("your role does not allow this"))
        }
    }

    fn effective_max_members(&self, room: &Room) -> u32 {
        if room.kind == RoomKind::Direct {
            return 2;
        }
        let cap = self.inner.limits.max_members_per_room;
        room.max_members.map_or(cap, |m| m.min(cap))
    }

    /// Build the view of a room for a viewer holding `my_role`.
    async fn room_view(
        &self,
        room: &Room,
        my_role: Option<crate::Role>,
        viewer: Option<UserId>,
    ) -> Result<RoomView> {
        let store = &self.inner.store;
        let member_count = store.count_members(room.id).await?;
        let peer = if room.kind == RoomKind::Direct {
            match (viewer, room.direct_key.as_deref()) {
                (Some(viewer), Some(key)) => {
                    let other = key
                        .split(':')
                        .filter_map(|s| s.parse::<UserId>().ok())
                        .find(|u| *u != viewer);
                    match other {
                        Some(o) => store.get_user(o).await?.map(|u| user_view(&u)),
                        None => None,
                    }
                }
                _ => None,
            }
        } else {
            None
        };
        let code = match (room.kind, my_role) {
            (RoomKind::Private, Some(role)) if allowed(role, Action::ViewCode) => room.code.clone(),
            _ => None,
        };
        Ok(RoomView {
            id: room.id,
            kind: room.kind,
            name: room.name.clone(),
            description: room.description.clone(),
            avatar_url: room.avatar_url.clone(),
            has_password: room.password_hash.is_some(),
            max_members: self.effective_max_members(room),
            member_count,
            slow_mode_secs: room.slow_mode_secs,
            retention_days: room.retention_days,
            history_start_seq: room.history_start_seq,
            created_at: room.created_at,
            last_seq: room.last_seq,
            my_role,
            code,
            peer,
            permissions: my_role.map(|role| crate::perm::permissions(role, room.kind)),
            read: None,
            muted_until: match (my_role, viewer) {
                (Some(_), Some(v)) if room.kind != RoomKind::Direct => {
                    self.muted_until(room.id, v).await?
                }
                _ => None,
            },
            extra: room.extra.clone(),
        })
    }
}

/// The public view of a user.
pub fn user_view(u: &User) -> UserView {
    UserView {
        id: u.id,
        username: u.username.as_str().to_owned(),
        display_name: u.display_name.clone(),
        bio: u.bio.clone(),
        avatar_url: u.avatar_url.clone(),
        created_at: u.created_at,
        last_seen_at: u.last_seen_at,
        guest: u.guest,
    }
}
