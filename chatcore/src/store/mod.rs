//! The storage contract.
//!
//! A store persists records and enforces the invariants that must hold under
//! concurrency (uniqueness, gapless sequence numbers, member limits). Every *rule*
//! (who may do what) lives in [`crate::Chat`], so every store gets the same rules.
//!
//! Stores are `#[async_trait]` and dyn-compatible: hold them as `Arc<dyn Store>`.
//! [`Store`] gathers the part-traits (a store implements it with an empty
//! `impl Store for MyStore {}`). Optional capabilities are separate traits
//! ([`Maintenance`]), reached through [`Store::maintenance`].
//!
//! Every store must pass the conformance suite, `chatcore::conformance` (feature
//! `conformance`).

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{FileId, MessageId, RoomCode, RoomId, Seq, SessionId, UserId};
use crate::model::{
    AccountToken, Ban, FileRecord, Invite, Membership, Message, NewMessage, NewUser, PageRequest,
    Pin, ReactionSummary, ReadCounts, Room, SearchQuery, Session, Timestamp, TokenPurpose, User,
};
use crate::site::{AuditEntry, SiteStatus};

mod moderation;
pub use moderation::{ModeratedBy, ModerationStore};
mod notify;
pub use notify::NotifyStore;
mod thread;
pub use thread::*;
mod retention;
pub use retention::{Purged, RetentionStore};
mod outbox;
pub use outbox::{EventStamp, OutboxRow, OutboxTxnStore};
mod extra;
pub use extra::ExtraStore;

/// Users and their credentials.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Insert a user. Fails with `Conflict::Username` when the normalized username is
    /// taken, `Conflict::Email` for a taken email, `Conflict::ExternalIdentity` for a
    /// taken external id.
    async fn create_user(&self, new: NewUser) -> Result<User>;
    /// A user by id.
    async fn get_user(&self, id: UserId) -> Result<Option<User>>;
    /// Several users by id (missing ones are left out; order unspecified).
    async fn get_users(&self, ids: &[UserId]) -> Result<Vec<User>>;
    /// A user by normalized (lower-case) username.
    async fn find_user_by_username(&self, normalized: &str) -> Result<Option<User>>;
    /// A user by external identity.
    async fn find_user_by_external_id(&self, external_id: &str) -> Result<Option<User>>;
    /// Replace the profile fields (username, email, display name, bio, avatar) of a user.
    /// Same conflicts as [`UserStore::create_user`]; `NotFound` if absent.
    async fn update_user(&self, user: &User) -> Result<()>;
    /// The user's password hash, if the user has one.
    async fn get_password_hash(&self, id: UserId) -> Result<Option<String>>;
    /// Set the password hash.
    async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()>;
    /// Record activity.
    async fn set_last_seen(&self, id: UserId, at: Timestamp) -> Result<()>;
    /// Delete the user and everything that is theirs alone: sessions, memberships,
    /// invitations. Their messages are erased (body and attachment emptied,
    /// `deleted_at` set, author cleared). Rooms must already have been handed on
    /// or deleted by the caller: checked in the same transaction, so that a room
    /// handed to the user after the caller's check is not left without an owner
    /// (`Conflict::Concurrent` while they own a room that is not a direct one; the
    /// caller hands it on and retries). Bans they issued keep `banned_by = None`.
    async fn delete_user(&self, id: UserId, at: Timestamp) -> Result<()>;
    /// Up to `limit` guest accounts ([`User::guest`]) created before `created_before`,
    /// oldest first (for housekeeping; non-guests are never listed).
    async fn list_expired_guests(
        &self,
        created_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<UserId>>;
}

/// Login sessions.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Insert a session.
    async fn create_session(&self, session: Session) -> Result<()>;
    /// Look a session up by the SHA-256 of its token.
    async fn find_session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>>;
    /// A session by id (expired ones included; the caller checks).
    async fn get_session(&self, id: SessionId) -> Result<Option<Session>>;
    /// Update `last_used_at` and `expires_at`.
    async fn touch_session(
        &self,
        id: SessionId,
        last_used_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// A user's sessions, newest first.
    async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>>;
    /// Delete one session of a user; false if there was none.
    async fn delete_session(&self, user: UserId, id: SessionId) -> Result<bool>;
    /// Delete all sessions of a user; returns how many.
    async fn delete_user_sessions(&self, user: UserId) -> Result<u64>;
}

/// Rooms, memberships, bans and invitations.
#[async_trait]
pub trait RoomStore: Send + Sync + 'static {
    /// Insert a room and, atomically, its first members.
    /// `Conflict::RoomCode` if the code is taken, `Conflict::DirectRoomExists` if
    /// `direct_key` is.
    async fn create_room(&self, room: Room, members: Vec<Membership>) -> Result<Room>;
    /// A room by id.
    async fn get_room(&self, id: RoomId) -> Result<Option<Room>>;
    /// A room by its (canonical) code.
    async fn find_room_by_code(&self, code: &RoomCode) -> Result<Option<Room>>;
    /// A direct room by its key.
    async fn find_direct_room(&self, direct_key: &str) -> Result<Option<Room>>;
    /// Public rooms ordered by name then id, after the given name/id cursor.
    async fn list_public_rooms(
        &self,
        after: Option<(&str, RoomId)>,
        limit: u32,
    ) -> Result<Vec<Room>>;
    /// A user's rooms with their membership, any kind, ordered by room id.
    async fn list_user_rooms(&self, user: UserId) -> Result<Vec<(Room, Membership)>>;
    /// Replace the settings (name, description, avatar, code, password hash, max members,
    /// slow mode) of a room. `Conflict::RoomCode` if the new code is taken.
    async fn update_room(&self, room: &Room) -> Result<()>;
    /// Delete a room with its members, bans, invitations and messages.
    async fn delete_room(&self, id: RoomId) -> Result<()>;

    /// Add a member, atomically checking the member limit and bans:
    /// `Conflict::AlreadyMember` if a member, `Conflict::RoomFull` if the room has
    /// `max_members` members already, `Error::Banned` if a ban of the user is
    /// active at `member.joined_at`. Also removes a pending invitation.
    ///
    /// The checks and the insert are one transaction that serializes with
    /// [`RoomStore::ban`] on the room, so a join racing a ban either lands before it
    /// (and the ban removes the member) or is refused.
    async fn add_member(&self, member: Membership, max_members: u32) -> Result<Membership>;
    /// One membership.
    async fn get_member(&self, room: RoomId, user: UserId) -> Result<Option<Membership>>;
    /// All memberships of a room, ordered by join time.
    async fn list_members(&self, room: RoomId) -> Result<Vec<Membership>>;
    /// Number of members.
    async fn count_members(&self, room: RoomId) -> Result<u64>;
    /// Change a member's role from `expected` to `role`, atomically (compare and
    /// set): `NotFound` if not a member, `Conflict::Concurrent` if the role is no
    /// longer `expected`, `Forbidden` if either is `Owner` (ownership only moves
    /// with [`RoomStore::transfer_ownership`]).
    async fn set_role(
        &self,
        room: RoomId,
        user: UserId,
        expected: crate::Role,
        role: crate::Role,
    ) -> Result<()>;
    /// Make `to` the owner and `from` an admin, atomically, re-checking inside the
    /// transaction that `from` is still the owner (`Conflict::Concurrent`
    /// otherwise). `NotFound` if either is not a member. So a room always has
    /// exactly one owner.
    async fn transfer_ownership(&self, room: RoomId, from: UserId, to: UserId) -> Result<()>;
    /// Remove a member; false if not a member, `Forbidden` for the owner (who
    /// hands the room on first).
    async fn remove_member(&self, room: RoomId, user: UserId) -> Result<bool>;

    /// Record a ban (replacing an earlier one) and remove the membership and any
    /// invitation, atomically; `Forbidden` if the user is the room's owner.
    async fn ban(&self, ban: Ban) -> Result<()>;
    /// The ban of a user in a room (expired ones included; the caller checks).
    async fn get_ban(&self, room: RoomId, user: UserId) -> Result<Option<Ban>>;
    /// Lift a ban; false if there was none.
    async fn unban(&self, room: RoomId, user: UserId) -> Result<bool>;
    /// Bans of a room, newest first.
    async fn list_bans(&self, room: RoomId) -> Result<Vec<Ban>>;

    /// Record an invitation (idempotent).
    async fn create_invite(&self, invite: Invite) -> Result<()>;
    /// One invitation.
    async fn get_invite(&self, room: RoomId, user: UserId) -> Result<Option<Invite>>;
    /// A user's pending invitations.
    async fn list_invites(&self, user: UserId) -> Result<Vec<Invite>>;
    /// Remove an invitation; false if there was none.
    async fn delete_invite(&self, room: RoomId, user: UserId) -> Result<bool>;
}

/// Why [`RoomStore::remove_member`] and [`RoomStore::ban`] refuse the owner.
pub const OWNER_STAYS: &str = "the owner cannot be removed; transfer ownership first";
/// Why [`RoomStore::set_role`] refuses to make or unmake the owner.
pub const OWNERSHIP_MOVES: &str = "ownership changes only by transfer";

/// Messages.
#[async_trait]
pub trait MessageStore: Send + Sync + 'static {
    /// Append a message, assigning the room's next sequence number (gapless, from 1)
    /// and advancing `Room::last_seq`, durably, before returning.
    ///
    /// Idempotent on `(room, author, client_nonce)`: a repeat returns the first
    /// message and assigns nothing. `NotFound` if the room does not exist.
    ///
    /// Stores may group concurrent appends into one transaction (group commit).
    ///
    /// Order: a store queues an append when its future is first polled, and a
    /// room's appends get their `seq` in that order: once one future has been
    /// polled, an append to the same room first polled later gets a later `seq`
    /// (however the two are then awaited). Pipelined sends rely on it
    /// ([`crate::Chat::start_send`]); the conformance suite checks it.
    async fn append_message(&self, new: NewMessage) -> Result<Message>;
    /// A message by id.
    async fn get_message(&self, id: MessageId) -> Result<Option<Message>>;
    /// The message `author` stored in `room` with this client nonce, if any (what a
    /// repeat of [`MessageStore::append_message`] would return).
    async fn find_message_by_nonce(
        &self,
        room: RoomId,
        author: UserId,
        nonce: &str,
    ) -> Result<Option<Message>>;
    /// Replace the body and set `edited_at`, in one statement that requires the
    /// message not to be deleted: `NotFound` if it is missing or deleted, so an edit
    /// racing a delete never brings the content back.
    async fn edit_message(&self, id: MessageId, body: &str, at: Timestamp) -> Result<()>;
    /// Soft-delete: erase body and attachment, set `deleted_at`.
    async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<()>;
    /// A page of a room's messages in ascending `seq` order.
    ///
    /// - `after` set: the first `limit` messages with `seq > after` (and `< before` if set);
    /// - otherwise: the last `limit` messages with `seq < before` (all if `before` is None).
    async fn list_messages(&self, room: RoomId, page: PageRequest) -> Result<Vec<Message>>;
    /// Sequence number of the last message (0 if none).
    async fn last_seq(&self, room: RoomId) -> Result<Seq>;
}

/// Email verification state and single-use account tokens (verification, password
/// reset).
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// A user by (lower-cased) email address.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// When the user's current email address was verified (None: not verified).
    async fn email_verified_at(&self, user: UserId) -> Result<Option<Timestamp>>;
    /// Set or clear the verification time of the user's email address.
    async fn set_email_verified(&self, user: UserId, at: Option<Timestamp>) -> Result<()>;
    /// Store a token.
    async fn create_account_token(&self, token: AccountToken) -> Result<()>;
    /// Atomically remove and return the token with this hash and purpose: of two
    /// concurrent calls, at most one gets it (single use). Expired tokens are
    /// returned too (the caller checks).
    async fn take_account_token(
        &self,
        token_hash: &[u8; 32],
        purpose: TokenPurpose,
    ) -> Result<Option<AccountToken>>;
    /// Remove every token of a user for a purpose; returns how many.
    async fn delete_account_tokens(&self, user: UserId, purpose: TokenPurpose) -> Result<u64>;
}

/// Metadata of uploaded files (the bytes are in a [`crate::blob::BlobStore`]).
#[async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Insert a file record.
    async fn create_file(&self, file: FileRecord) -> Result<()>;
    /// A file record by id (deleted ones included; the caller checks).
    async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>>;
    /// Record the message that carries a file; false if the file is missing,
    /// deleted, or already attached to a message.
    async fn attach_file(&self, id: FileId, message: MessageId) -> Result<bool>;
    /// Mark a file deleted; false if it was missing or already deleted.
    async fn delete_file(&self, id: FileId, at: Timestamp) -> Result<bool>;
    /// Mark every file of `scope` that is not deleted yet deleted; returns their
    /// blob keys, for the caller to remove the bytes.
    async fn delete_files(&self, scope: FileScope, at: Timestamp) -> Result<Vec<String>>;
}

/// Whose files [`FileStore::delete_files`] deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileScope {
    /// Everything of a room: its avatar and its messages' attachments.
    Room(RoomId),
    /// A user's own files: their avatar and the attachments they sent. The avatars
    /// they set for rooms belong to those rooms and stay.
    Uploader(UserId),
}

/// What the before-send hooks keep per room (see [`crate::hooks`]).
#[async_trait]
pub trait FilterStore: Send + Sync + 'static {
    /// The room's blocklist entries, in the order they were set (empty if none).
    async fn room_blocklist(&self, room: RoomId) -> Result<Vec<String>>;
    /// Replace the room's blocklist; `NotFound` if the room does not exist. Deleting
    /// the room deletes its blocklist.
    async fn set_room_blocklist(&self, room: RoomId, entries: &[String]) -> Result<()>;
}

/// One queued domain event of the outbox (see [`OutboxStore`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The event's id.
    pub id: uuid::Uuid,
    /// Its place in the outbox: increasing in the order events were queued.
    pub position: i64,
    /// The room it is about (deliveries are ordered per room).
    pub room: RoomId,
    /// The event as JSON (a [`crate::events::DomainEvent`]).
    pub payload: String,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// Not to be tried before this.
    pub next_attempt_at: Timestamp,
    /// Delivered (then no longer pending).
    pub delivered_at: Option<Timestamp>,
    /// Given up after too many attempts (kept for inspection).
    pub given_up_at: Option<Timestamp>,
    /// The last failure.
    pub last_error: Option<String>,
}

/// The durable outbox of domain events that webhooks deliver.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Queue events `(id, room, payload, at)` in this order, atomically; each gets
    /// the next position. A repeated id is ignored.
    async fn enqueue_events(
        &self,
        events: &[(uuid::Uuid, RoomId, String, Timestamp)],
    ) -> Result<()>;
    /// Up to `limit` entries neither delivered nor given up, by position.
    async fn pending_events(&self, limit: u32) -> Result<Vec<OutboxEntry>>;
    /// Mark an entry delivered.
    async fn mark_delivered(&self, id: uuid::Uuid, at: Timestamp) -> Result<()>;
    /// Record a failed attempt: the attempts so far, when to try next, the error, and
    /// (`give_up`) whether to stop trying.
    async fn mark_failed(
        &self,
        id: uuid::Uuid,
        attempts: u32,
        next_attempt_at: Timestamp,
        error: &str,
        give_up: bool,
    ) -> Result<()>;
    /// Up to `limit` entries given up, newest first.
    async fn given_up_events(&self, limit: u32) -> Result<Vec<OutboxEntry>>;
    /// Delete up to `limit` delivered entries whose `delivered_at` is before
    /// `before`, oldest position first; returns how many went. Pending and given-up
    /// entries always stay.
    async fn delete_delivered_events(&self, before: Timestamp, limit: u32) -> Result<u64>;
}

/// Site administration: administrators, suspensions, site-wide listings and the
/// audit log (see [`crate::site`]).
#[async_trait]
pub trait SiteStore: Send + Sync + 'static {
    /// Make a user a site administrator (`Some(since)`) or not (`None`); returns
    /// whether anything changed (granting an administrator keeps the first `since`).
    /// `NotFound` if there is no such user.
    async fn set_site_admin(&self, user: UserId, since: Option<Timestamp>) -> Result<bool>;
    /// The site administrators, ordered by normalized username.
    async fn list_site_admins(&self) -> Result<Vec<User>>;
    /// A user's standing (None: no such user).
    async fn site_status(&self, user: UserId) -> Result<Option<SiteStatus>>;
    /// Suspend an account: first record `suspended_at` (kept if already suspended),
    /// durably, *then* delete every session of the user; returns how many sessions
    /// went. `NotFound` if there is no such user.
    ///
    /// The order matters: a session is created before its creator reads the
    /// suspension ([`crate::Chat::create_session`]), so a session racing a
    /// suspension is either seen by the deletion or refused by its creator.
    async fn suspend_user(&self, user: UserId, at: Timestamp) -> Result<u64>;
    /// Lift a suspension; false if the user was not suspended. `NotFound` if there is
    /// no such user.
    async fn unsuspend_user(&self, user: UserId) -> Result<bool>;
    /// Users of every kind with their standing, ordered by id, after `after`.
    async fn list_all_users(
        &self,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<(User, SiteStatus)>>;
    /// Rooms of every kind, ordered by id, after `after`.
    async fn list_all_rooms(&self, after: Option<RoomId>, limit: u32) -> Result<Vec<Room>>;
    /// Append an audit entry.
    async fn append_audit(&self, entry: AuditEntry) -> Result<()>;
    /// Audit entries newest first (by id), before the entry `before` if set.
    async fn list_audit(&self, before: Option<uuid::Uuid>, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// Everything a [`crate::Chat`] needs.
pub trait Store:
    UserStore
    + SessionStore
    + RoomStore
    + MessageStore
    + AccountStore
    + FileStore
    + ReactionStore
    + PinStore
    + SearchStore
    + ReadStore
    + FilterStore
    + OutboxStore
    + SiteStore
    + ModerationStore
    + NotifyStore
    + ThreadStore
    + RetentionStore
    + OutboxTxnStore
    + ExtraStore
{
    /// Optional housekeeping capability.
    fn maintenance(&self) -> Option<&dyn Maintenance> {
        None
    }
}

/// Optional capability: removal of expired records.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Delete sessions, bans and account tokens that expired before `now`; returns how
    /// many records went.
    async fn delete_expired(&self, now: Timestamp) -> Result<u64>;
}

/// Emoji reactions on messages. Deleting a message, its room or the reacting user
/// removes the reactions with it.
#[async_trait]
pub trait ReactionStore: Send + Sync + 'static {
    /// Record `user`'s reaction `emoji` on a message; false if it was there already.
    /// Atomically refuses a new *distinct* emoji when the message has `max_distinct`
    /// already (`Error::TooLarge` on `emoji`; more users with an emoji already given
    /// are always accepted). `NotFound` if the message is missing or deleted.
    async fn add_reaction(
        &self,
        message: MessageId,
        user: UserId,
        emoji: &str,
        at: Timestamp,
        max_distinct: usize,
    ) -> Result<bool>;
    /// Remove `user`'s reaction `emoji` from a message; false if there was none.
    async fn remove_reaction(&self, message: MessageId, user: UserId, emoji: &str) -> Result<bool>;
    /// The reaction summaries of some messages as `viewer` sees them, each message's
    /// emoji in the order they were first given (messages without reactions are
    /// left out).
    async fn reaction_summaries(
        &self,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<(MessageId, Vec<ReactionSummary>)>>;
}

/// Pinned messages. Deleting the message or its room unpins it; deleting the
/// account that pinned clears `pinned_by`.
#[async_trait]
pub trait PinStore: Send + Sync + 'static {
    /// Pin a message of `pin.room_id`; false if it is pinned already. Atomically
    /// refuses a pin beyond `max` in the room (`Error::TooLarge` on `pins`).
    /// `NotFound` if the message is missing, deleted or of another room.
    async fn pin(&self, pin: Pin, max: usize) -> Result<bool>;
    /// Unpin a message; false if it was not pinned.
    async fn unpin(&self, room: RoomId, message: MessageId) -> Result<bool>;
    /// The pins of a room, newest first.
    async fn list_pins(&self, room: RoomId) -> Result<Vec<Pin>>;
}

/// Full-text search of messages.
#[async_trait]
pub trait SearchStore: Send + Sync + 'static {
    /// The messages matching `query`, best first (then newest first): only in rooms
    /// `query.viewer` is a member of at the time of the call, never deleted or system
    /// messages, with the body as stored now (edits are found at once).
    async fn search_messages(&self, query: &SearchQuery) -> Result<Vec<Message>>;
}

/// Read positions and the counts after them (see `docs/DOMAIN.md`, "Read state").
///
/// A member's read position (`last_read_seq`) lives with the membership: it goes
/// when the membership goes. [`RoomStore::add_member`] starts it at the room's
/// `last_seq` (a new member has nothing unread); members a room is created with
/// start at 0. Mentions are stored with the message by
/// [`MessageStore::append_message`] (from [`NewMessage::mentions`]), in the same
/// transaction, so that they can be counted.
#[async_trait]
pub trait ReadStore: Send + Sync + 'static {
    /// The member's read position; `None` if not a member.
    async fn read_position(&self, room: RoomId, user: UserId) -> Result<Option<Seq>>;
    /// Move read positions forward, each atomically to the greater of the stored and
    /// the given value (a position never moves back here, whatever the order of
    /// concurrent calls). Non-members are skipped. The caller keeps each value at or
    /// below the room's `last_seq`.
    async fn advance_read_positions(&self, positions: &[(RoomId, UserId, Seq)]) -> Result<()>;
    /// Set a read position exactly (also backwards: "mark unread"); false if not a
    /// member.
    async fn set_read_position(&self, room: RoomId, user: UserId, seq: Seq) -> Result<bool>;
    /// The counts of `user` in `room` after the position `after`, without a scan of
    /// the history: `unread` is `last_seq - after` less the user's own messages and
    /// the system and deleted messages after `after` (each an indexed count), and
    /// `mentions` the not deleted messages after `after` that mention the user.
    async fn read_counts(&self, room: RoomId, user: UserId, after: Seq) -> Result<ReadCounts>;
    /// Replace the mentions of a message (after an edit). `NotFound` if missing.
    async fn set_mentions(&self, message: MessageId, mentions: &[UserId]) -> Result<()>;
    /// Edit a message's body (as [`MessageStore::edit_message`]: `NotFound` if
    /// missing or deleted) and replace its mentions, in one transaction: the counts
    /// never see the new body with the old mentions, and a failure changes neither.
    async fn edit_with_mentions(
        &self,
        message: MessageId,
        body: &str,
        at: Timestamp,
        mentions: &[UserId],
    ) -> Result<()>;
    /// Turn a user's public read receipts off (`true`) or on again.
    async fn set_private_receipts(&self, user: UserId, private: bool) -> Result<()>;
    /// Whether the user keeps their read receipts private (default false).
    async fn private_receipts(&self, user: UserId) -> Result<bool>;
    /// The read positions of a room's members, leaving out the users whose
    /// receipts are private.
    async fn list_receipts(&self, room: RoomId) -> Result<Vec<(UserId, Seq)>>;
}
