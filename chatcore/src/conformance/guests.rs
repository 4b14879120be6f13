//! Conformance cases of guest accounts (`chat/guests.rs`): the flag is stored, the
//! expired ones are listed oldest first, the rules hold and housekeeping deletes them.

use std::sync::Arc;

use super::{plain_user, register, room, say};
use crate::error::Error;
use crate::ids::UserId;
use crate::model::{NewUser, PageRequest, Role, RoomKind};
use crate::store::Store;
use crate::{Chat, Limits, ProfileUpdate};

fn at(secs: i64) -> crate::model::Timestamp {
    chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
}

async fn stored(store: &Arc<dyn Store>, name: &str, created: i64, guest: bool) -> UserId {
    let mut user = plain_user(name);
    user.created_at = at(created);
    user.guest = guest;
    store
        .create_user(NewUser {
            user,
            password_hash: None,
        })
        .await
        .unwrap()
        .id
}

pub async fn guests_flag_stored_and_expired_listed(store: Arc<dyn Store>) {
    let old_guest = stored(&store, "guest-old", 10, true).await;
    let older_guest = stored(&store, "guest-older", 5, true).await;
    let new_guest = stored(&store, "guest-new", 100, true).await;
    let old_user = stored(&store, "olduser", 1, false).await;
    let got = store.get_user(old_guest).await.unwrap().unwrap();
    assert!(got.guest, "the flag is stored");
    assert!(!store.get_user(old_user).await.unwrap().unwrap().guest);
    let many = store.get_users(&[new_guest, old_user]).await.unwrap();
    assert_eq!(
        many.iter()
            .filter(|u| u.guest)
            .map(|u| u.id)
            .collect::<Vec<_>>(),
        vec![new_guest]
    );
    // Only guests, created strictly before, oldest first, at most `limit`.
    let expired = store.list_expired_guests(at(50), 10).await.unwrap();
    assert_eq!(expired, vec![older_guest, old_guest]);
    assert_eq!(
        store.list_expired_guests(at(50), 1).await.unwrap(),
        vec![older_guest]
    );
    assert!(
        store
            .list_expired_guests(at(5), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.list_expired_guests(at(101), 10).await.unwrap().len(),
        3
    );
    // Deleted guests are no longer listed.
    store.delete_user(older_guest, at(200)).await.unwrap();
    assert_eq!(
        store.list_expired_guests(at(50), 10).await.unwrap(),
        vec![old_guest]
    );
}

fn forbidden<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) {
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "{what}: expected forbidden, got {r:?}"
    );
}

pub async fn guests_rules_and_housekeeping(store: Arc<dyn Store>) {
    let clock = Arc::new(parking_lot::Mutex::new(chrono::Utc::now()));
    let c2 = clock.clone();
    let build = |guests: bool| {
        let c2 = c2.clone();
        Chat::builder(store.clone())
            .limits(Limits {
                guests,
                ..Limits::without_rate_limits()
            })
            .clock(move || *c2.lock())
            .build()
    };
    // Off by default.
    let off = build(false);
    forbidden(off.create_guest("Visitor", None).await, "guests off");

    let chat = build(true);
    let alice = register(&chat, "alice").await.user.id;
    let lobby = room(&chat, alice, RoomKind::Public, "lobby").await;
    let secret = room(&chat, alice, RoomKind::Private, "secret").await;

    let (me, token) = chat.create_guest("Visitor", None).await.unwrap();
    assert!(me.user.guest);
    assert!(!me.has_password);
    assert_eq!(me.user.display_name, "Visitor");
    assert!(
        me.user.username.starts_with("guest-"),
        "{}",
        me.user.username
    );
    let guest = me.user.id;
    let (other, _) = chat.create_guest("Visitor", None).await.unwrap();
    assert_ne!(
        other.user.username, me.user.username,
        "usernames are unique"
    );
    assert!(
        chat.get_user(guest).await.unwrap().guest,
        "others see the flag"
    );
    // Display names are validated like any other.
    assert!(chat.create_guest("", None).await.is_err());

    // A 24 h session that is not renewed on use.
    let ttl = chrono::Duration::from_std(chat.limits().guest_ttl).unwrap();
    assert_eq!(token.session.expires_at, *clock.lock() + ttl);
    *clock.lock() += chrono::Duration::minutes(10);
    let s = chat.authenticate(&token.token).await.unwrap();
    assert_eq!(s.expires_at, token.session.expires_at, "not renewed");
    // No password, so no password login.
    assert!(chat.login(&me.user.username, "", None).await.is_err());

    // Public rooms: join and chat.
    chat.join_room(guest, lobby.id, None).await.unwrap();
    let m = say(&chat, guest, lobby.id, "hello from a guest").await;
    say(&chat, alice, lobby.id, "welcome").await;

    // Refused: rooms, direct rooms both ways, private rooms, roles, invites, email.
    forbidden(
        chat.create_room(guest, crate::NewRoom::new(RoomKind::Public, "mine"))
            .await,
        "create room",
    );
    forbidden(chat.open_direct(guest, alice).await, "guest opens a DM");
    forbidden(chat.open_direct(alice, guest).await, "DM with a guest");
    forbidden(chat.invite(alice, secret.id, guest).await, "invite a guest");
    let code = chat.room_code(alice, secret.id).await.unwrap();
    forbidden(
        chat.join_by_code(guest, code.as_str(), None).await,
        "join a private room by code",
    );
    forbidden(
        chat.set_role(alice, lobby.id, guest, Role::Moderator).await,
        "promote a guest",
    );
    forbidden(
        chat.transfer_ownership(alice, lobby.id, guest).await,
        "hand a room to a guest",
    );
    forbidden(
        chat.update_profile(
            guest,
            ProfileUpdate {
                email: Some("g@example.com".into()),
                ..Default::default()
            },
        )
        .await,
        "set an email",
    );
    // A display name is fine.
    chat.update_profile(
        guest,
        ProfileUpdate {
            display_name: Some("Visitor 2".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Not yet expired: housekeeping keeps them.
    assert_eq!(chat.delete_expired_guests().await.unwrap(), 0);
    // Past the lifetime: the session ends and housekeeping deletes both guests with
    // the account-deletion rule (their messages erased, tombstones kept).
    *clock.lock() += ttl;
    assert!(chat.authenticate(&token.token).await.is_err());
    chat.housekeeping().await.unwrap();
    assert!(store.get_user(guest).await.unwrap().is_none());
    assert!(store.get_user(other.user.id).await.unwrap().is_none());
    assert!(store.get_user(alice).await.unwrap().is_some(), "users stay");
    assert!(store.get_member(lobby.id, guest).await.unwrap().is_none());
    let history = store
        .list_messages(
            lobby.id,
            PageRequest {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let gone = history.iter().find(|x| x.id == m.id).unwrap();
    assert!(gone.deleted_at.is_some() && gone.body.is_empty());
    assert!(gone.author_id.is_none());
    assert!(history.iter().any(|x| x.body == "welcome"));
    assert_eq!(chat.delete_expired_guests().await.unwrap(), 0);
}
