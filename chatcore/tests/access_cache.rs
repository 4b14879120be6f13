//! The send path caches rooms and memberships while the hub gives an access epoch:
//! every change made through `Chat` must be seen by the very next send, and with a hub
//! that gives none nothing is cached at all. (Across nodes: the hub conformance case
//! `hub_kick_on_one_node_refuses_the_next_send_on_another`.)

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chatcore::conformance::stored_user as user;
use chatcore::hub::{ConnId, Connection, Dispatch, Hub, LocalHub};
use chatcore::{
    Chat, Error, MemoryStore, NewRoom, Role, RoomId, RoomKind, RoomUpdate, SendMessage, SessionId,
    Store, UserId,
};

async fn room(chat: &Chat, owner: UserId, kind: RoomKind) -> RoomId {
    chat.create_room(owner, NewRoom::new(kind, "cache"))
        .await
        .unwrap()
        .id
}

async fn send(chat: &Chat, user: UserId, room: RoomId) -> chatcore::Result<()> {
    chat.send_message(
        user,
        room,
        SendMessage {
            body: "hi".into(),
            reply_to: None,
            nonce: None,
            ..Default::default()
        },
    )
    .await
    .map(drop)
}

fn slow_mode(secs: u32) -> RoomUpdate {
    RoomUpdate {
        slow_mode_secs: Some(secs),
        ..RoomUpdate::default()
    }
}

#[tokio::test]
async fn every_change_through_chat_is_seen_by_the_next_send() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let chat = Chat::new(store.clone());
    let owner = user(&store, "owner").await;
    let alice = user(&store, "alice").await;
    let public = room(&chat, owner, RoomKind::Public).await;

    // Not a member yet (cached as such), then a member.
    assert!(matches!(
        send(&chat, alice, public).await,
        Err(Error::Forbidden(_))
    ));
    chat.join_room(alice, public, None).await.unwrap();
    send(&chat, alice, public).await.unwrap();

    // Kicked, back, banned.
    chat.kick(owner, public, alice).await.unwrap();
    assert!(matches!(
        send(&chat, alice, public).await,
        Err(Error::Forbidden(_))
    ));
    chat.join_room(alice, public, None).await.unwrap();
    send(&chat, alice, public).await.unwrap();

    // Slow mode on: one message, then refused; a moderator is exempt; a member again
    // is not.
    chat.update_room(owner, public, slow_mode(3600))
        .await
        .unwrap();
    send(&chat, alice, public).await.unwrap();
    assert!(matches!(
        send(&chat, alice, public).await,
        Err(Error::RateLimited { .. })
    ));
    chat.set_role(owner, public, alice, Role::Moderator)
        .await
        .unwrap();
    send(&chat, alice, public).await.unwrap();
    chat.set_role(owner, public, alice, Role::Member)
        .await
        .unwrap();
    assert!(matches!(
        send(&chat, alice, public).await,
        Err(Error::RateLimited { .. })
    ));
    chat.update_room(owner, public, slow_mode(0)).await.unwrap();
    send(&chat, alice, public).await.unwrap();

    chat.ban(owner, public, alice, "spam", None).await.unwrap();
    assert!(send(&chat, alice, public).await.is_err());

    // A private room: a member who leaves no longer sees it at all.
    let private = room(&chat, owner, RoomKind::Private).await;
    let code = chat.room_code(owner, private).await.unwrap();
    chat.join_by_code(alice, code.as_str(), None).await.unwrap();
    send(&chat, alice, private).await.unwrap();
    chat.leave_room(alice, private).await.unwrap();
    assert!(matches!(
        send(&chat, alice, private).await,
        Err(Error::NotFound(_))
    ));

    // A deleted room.
    send(&chat, owner, private).await.unwrap();
    chat.delete_room(owner, private).await.unwrap();
    assert!(matches!(
        send(&chat, owner, private).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn changes_behind_chats_back_need_forget_cached_access() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let chat = Chat::new(store.clone());
    let owner = user(&store, "owner").await;
    let alice = user(&store, "alice").await;
    let public = room(&chat, owner, RoomKind::Public).await;
    chat.join_room(alice, public, None).await.unwrap();
    send(&chat, alice, public).await.unwrap();
    // Removed in the store directly: the cached membership still answers...
    assert!(store.remove_member(public, alice).await.unwrap());
    send(&chat, alice, public).await.unwrap();
    // ...until the embedding application says the store changed.
    chat.forget_cached_access();
    assert!(matches!(
        send(&chat, alice, public).await,
        Err(Error::Forbidden(_))
    ));
}

/// A hub that cannot carry other nodes' access changes (no access epoch), delegating
/// to a local one.
struct SharedHub(LocalHub);

#[async_trait]
impl Hub for SharedHub {
    fn publish(&self, dispatch: Dispatch) {
        self.0.publish(dispatch);
    }
    async fn connect(
        &self,
        user: UserId,
        session: Option<SessionId>,
        rooms: &[RoomId],
    ) -> chatcore::Result<Connection> {
        self.0.connect(user, session, rooms).await
    }
    fn subscribe_connection(&self, conn: ConnId, room: RoomId) {
        self.0.subscribe_connection(conn, room);
    }
    async fn disconnect(&self, conn: ConnId) -> chatcore::Result<bool> {
        self.0.disconnect(conn).await
    }
    async fn online(&self, users: &[UserId]) -> chatcore::Result<HashSet<UserId>> {
        self.0.online(users).await
    }
}

#[tokio::test]
async fn without_an_access_epoch_every_send_reads_the_store() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let chat = Chat::builder(store.clone())
        .hub(Arc::new(SharedHub(LocalHub::default())))
        .build();
    let owner = user(&store, "owner").await;
    let alice = user(&store, "alice").await;
    let public = room(&chat, owner, RoomKind::Public).await;
    chat.join_room(alice, public, None).await.unwrap();
    send(&chat, alice, public).await.unwrap();
    // Another node removed her (here: the store directly): seen at once.
    assert!(store.remove_member(public, alice).await.unwrap());
    assert!(matches!(
        send(&chat, alice, public).await,
        Err(Error::Forbidden(_))
    ));
}
