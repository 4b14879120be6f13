//! [`MemoryStore`]: a complete in-memory store, for tests and for apps that embed
//! chat without a database. Nothing survives the process.
//!
//! One file per part of the store contract, as in `chatcore-sql`'s `store/`.

mod extra;
mod hooks;
mod media;
mod messages;
mod moderation;
mod notify;
mod outbox;
mod pins;
mod reactions;
mod reads;
mod retention;
mod rooms;
mod search;
mod sessions;
mod site;
mod threads;
mod users;

use std::collections::{BTreeMap, HashMap};

use parking_lot::Mutex;

use crate::ids::FileId;
use crate::ids::{MessageId, RoomId, Seq, SessionId, UserId};
use crate::model::{AccountToken, FileRecord};
use crate::model::{Ban, Invite, Membership, Message, Room, Session, Timestamp, User};
use crate::store::{Maintenance, Store};

#[derive(Default)]
struct Inner {
    users: HashMap<UserId, User>,
    passwords: HashMap<UserId, String>,
    usernames: HashMap<String, UserId>,
    emails: HashMap<String, UserId>,
    externals: HashMap<String, UserId>,
    sessions: HashMap<SessionId, Session>,
    session_hashes: HashMap<[u8; 32], SessionId>,
    rooms: HashMap<RoomId, Room>,
    codes: HashMap<String, RoomId>,
    direct_keys: HashMap<String, RoomId>,
    /// room -> user -> membership
    members: HashMap<RoomId, HashMap<UserId, Membership>>,
    bans: HashMap<(RoomId, UserId), Ban>,
    invites: HashMap<(RoomId, UserId), Invite>,
    messages: HashMap<MessageId, Message>,
    /// room -> seq -> message id
    by_seq: HashMap<RoomId, BTreeMap<Seq, MessageId>>,
    nonces: HashMap<(RoomId, UserId, String), MessageId>,
    /// message -> (emoji, user, when), in the order given
    reactions: HashMap<MessageId, Vec<(String, UserId, Timestamp)>>,
    /// room -> pins, in the order pinned
    pins: HashMap<RoomId, Vec<crate::model::Pin>>,
    /// Read positions of members (missing: 0); see `reads.rs`.
    read: HashMap<(RoomId, UserId), Seq>,
    /// Users whose read receipts are private.
    private_receipts: std::collections::HashSet<UserId>,
    /// Chosen notification levels of members (missing: never chose); see `notify.rs`.
    notify: HashMap<(RoomId, UserId), crate::model::NotifyLevel>,
    /// room -> its own blocklist (before-send hooks)
    blocklists: HashMap<RoomId, Vec<String>>,
    /// the outbox of domain events, by position
    outbox: Vec<crate::store::OutboxEntry>,
    /// Site administrators and suspensions (users absent here have neither).
    site: HashMap<UserId, crate::site::SiteStatus>,
    /// Reports, moderation logs, timeouts, blocks.
    moderation: moderation::ModInner,
}

/// An in-memory [`Store`]. Every operation takes one lock, so each is atomic.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    media: Mutex<MediaInner>,
    /// The site audit log, oldest first.
    audit: Mutex<Vec<crate::site::AuditEntry>>,
}

/// Account tokens, verification times and file records.
#[derive(Default)]
struct MediaInner {
    verified: HashMap<UserId, Timestamp>,
    tokens: HashMap<[u8; 32], AccountToken>,
    files: HashMap<FileId, FileRecord>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = self.inner.lock();
        f.debug_struct("MemoryStore")
            .field("users", &i.users.len())
            .field("rooms", &i.rooms.len())
            .field("messages", &i.messages.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn maintenance(&self) -> Option<&dyn Maintenance> {
        Some(self)
    }
}
