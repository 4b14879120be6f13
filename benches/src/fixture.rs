//! What the store benchmarks share: users, rooms and messages written through the
//! store (no password hashing, no fan-out), latency histograms, and the measurement
//! of `Chat::list_my_rooms` (`read-state` and `storebench list`).

use std::time::Instant;

use chatcore::model::{Membership, MessageKind, NewMessage, NewUser, Role, User};
use chatcore::{Chat, MessageId, RoomId, Store, UserId, Username};
use chrono::Utc;
use hdrhistogram::Histogram;

/// A new user named `name` (no password).
pub fn user(name: &str) -> chatcore::Result<NewUser> {
    Ok(NewUser {
        user: User {
            id: UserId::new(),
            username: Username::parse(name)?,
            email: None,
            display_name: name.to_owned(),
            bio: String::new(),
            avatar_url: None,
            external_id: None,
            created_at: Utc::now(),
            last_seen_at: None,
            guest: false,
        },
        password_hash: None,
    })
}

/// `user`'s membership of `room`, joined now.
pub fn member(room: RoomId, user: UserId, role: Role) -> Membership {
    Membership {
        room_id: room,
        user_id: user,
        role,
        joined_at: Utc::now(),
        extra: None,
    }
}

/// The body of the `n`th message of a room in the read-state benchmarks.
pub fn line(n: usize) -> String {
    format!("message {n} with a body of about a hundred bytes, as a chat line often is")
}

/// A text message by `author`, mentioning `mention` if given.
pub fn text(room: RoomId, author: UserId, n: usize, mention: Option<UserId>) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        room_id: room,
        author_id: Some(author),
        kind: MessageKind::Text,
        body: line(n),
        system: None,
        attachment: None,
        reply_to: None,
        client_nonce: None,
        created_at: Utc::now(),
        mentions: mention.into_iter().collect(),
        thread_root: None,
        also_in_room: false,
        extra: None,
    }
}

/// A live `message_created` event in `room` at `seq`, 100-byte body, as the fan-out
/// benchmarks deliver it.
pub fn message_created(room: RoomId, seq: i64) -> chatcore::protocol::ServerEvent {
    chatcore::protocol::ServerEvent::MessageCreated {
        message: chatcore::model::Message {
            id: MessageId::new(),
            room_id: room,
            seq,
            author_id: Some(UserId::new()),
            kind: MessageKind::Text,
            body: "x".repeat(100),
            system: None,
            attachment: None,
            reply_to: None,
            client_nonce: None,
            created_at: Utc::now(),
            edited_at: None,
            deleted_at: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            thread_root: None,
            also_in_room: false,
            thread: None,
            extra: None,
        },
    }
}

/// Microseconds as milliseconds.
pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// A latency histogram in microseconds, 1 µs to 60 s.
pub fn histogram() -> chatcore::Result<Histogram<u64>> {
    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(chatcore::Error::backend)
}

/// Record the time since `started`, in microseconds.
pub fn record(hist: &mut Histogram<u64>, started: Instant) {
    hist.saturating_record((started.elapsed().as_micros() as u64).max(1));
}

/// The reader, the author and `rooms` rooms with both as members (the author owns).
pub async fn reader_rooms(
    store: &dyn Store,
    rooms: usize,
) -> chatcore::Result<(UserId, UserId, Vec<RoomId>)> {
    let reader = store.create_user(user("reader")?).await?.id;
    let author = store.create_user(user("author")?).await?.id;
    let mut ids = Vec::with_capacity(rooms);
    for i in 0..rooms {
        let room = chatcore::conformance::plain_room(&format!("room {i}"), Some(author));
        let members = vec![
            member(room.id, author, Role::Owner),
            member(room.id, reader, Role::Member),
        ];
        ids.push(store.create_room(room, members).await?.id);
    }
    Ok((reader, author, ids))
}

/// The reader marks each room read up to `seq` (flushed to the store).
pub async fn read_up_to(
    chat: &Chat,
    reader: UserId,
    rooms: &[RoomId],
    seq: i64,
) -> chatcore::Result<()> {
    for &room in rooms {
        chat.mark_read(reader, room, seq).await?;
    }
    chat.flush_read_positions().await
}

/// `listings` calls of `Chat::list_my_rooms(reader)`: their latencies, and the
/// unread messages counted by the last one.
pub async fn measure_listing(
    chat: &Chat,
    reader: UserId,
    listings: usize,
) -> chatcore::Result<(Histogram<u64>, u64)> {
    let mut hist = histogram()?;
    let mut unread = 0;
    for _ in 0..listings {
        let started = Instant::now();
        let listed = chat.list_my_rooms(reader).await?;
        record(&mut hist, started);
        unread = listed
            .iter()
            .filter_map(|r| r.read.as_ref())
            .map(|r| r.unread)
            .sum::<u64>();
    }
    Ok((hist, unread))
}
