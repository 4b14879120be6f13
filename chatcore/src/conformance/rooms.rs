//! Conformance cases of rooms: creating, listing, changing and deleting them, and
//! their codes.

use std::collections::HashSet;
use std::sync::Arc;

use super::{assert_conflict, chat, is_not_found, plain_user, register, room, say};
use crate::error::{Conflict, Error};
use crate::ids::{RoomCode, RoomId};
use crate::model::{Membership, NewUser, Role, Room, RoomKind};
use crate::store::Store;
use crate::{NewRoom, RoomUpdate};

pub async fn rooms_create_get_update_delete(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "ivy").await.user.id;
    let other = register(&chat, "jack").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                description: "about things".into(),
                max_members: Some(10),
                ..NewRoom::new(RoomKind::Public, "  Lobby ")
            },
        )
        .await
        .unwrap();
    assert_eq!(r.name, "Lobby");
    assert_eq!(r.my_role, Some(Role::Owner));
    assert_eq!(r.member_count, 1);
    assert_eq!(r.max_members, 10);
    assert!(r.code.is_none(), "public rooms have no code");
    assert_eq!(r.last_seq, 1, "the creation system message");
    let seen = chat.get_room(other, r.id).await.unwrap();
    assert_eq!(seen.my_role, None);
    let upd = chat
        .update_room(
            owner,
            r.id,
            RoomUpdate {
                name: Some("Hall".into()),
                description: Some("new".into()),
                password: Some("room secret".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(upd.name, "Hall");
    assert!(upd.has_password);
    let stored = store.get_room(r.id).await.unwrap().unwrap();
    assert_eq!(stored.description, "new");
    assert!(
        stored
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert_eq!(stored.last_seq, 1, "settings updates never touch last_seq");
    assert!(matches!(
        chat.update_room(
            other,
            r.id,
            RoomUpdate {
                name: Some("x".into()),
                ..Default::default()
            }
        )
        .await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.delete_room(other, r.id).await,
        Err(Error::Forbidden(_))
    ));
    chat.delete_room(owner, r.id).await.unwrap();
    assert!(store.get_room(r.id).await.unwrap().is_none());
    assert!(is_not_found(&chat.get_room(owner, r.id).await));
}

pub async fn rooms_public_listing_pages_and_hides_private(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "kate").await.user.id;
    let viewer = register(&chat, "liam").await.user.id;
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        room(&chat, owner, RoomKind::Public, name).await;
    }
    let secret = room(&chat, owner, RoomKind::Private, "aaa secret").await;
    let page1 = chat.list_public_rooms(viewer, None, 2).await.unwrap();
    let names: Vec<_> = page1.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, ["alpha", "bravo"]);
    let last = page1.last().unwrap();
    let page2 = chat
        .list_public_rooms(viewer, Some((&last.name, last.id)), 10)
        .await
        .unwrap();
    let names: Vec<_> = page2.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, ["charlie", "delta", "echo"]);
    assert!(page1.iter().chain(&page2).all(|r| r.id != secret.id));
    assert!(
        is_not_found(&chat.get_room(viewer, secret.id).await),
        "private rooms are invisible"
    );
    assert!(is_not_found(&chat.members(viewer, secret.id).await));
}

pub async fn rooms_list_user_rooms(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "mia").await.user.id;
    let b = register(&chat, "noah").await.user.id;
    let r1 = room(&chat, a, RoomKind::Public, "one").await;
    let r2 = room(&chat, a, RoomKind::Private, "two").await;
    let dm = chat.open_direct(a, b).await.unwrap();
    let mine = chat.list_my_rooms(a).await.unwrap();
    let ids: HashSet<RoomId> = mine.iter().map(|r| r.id).collect();
    assert_eq!(ids, HashSet::from([r1.id, r2.id, dm.id]));
    let raw = store.list_user_rooms(a).await.unwrap();
    let sorted: Vec<RoomId> = raw.iter().map(|(r, _)| r.id).collect();
    let mut expect = sorted.clone();
    expect.sort();
    assert_eq!(sorted, expect, "ordered by room id");
    assert!(raw.iter().all(|(r, m)| m.room_id == r.id && m.user_id == a));
    assert_eq!(chat.list_my_rooms(b).await.unwrap().len(), 1);
}

pub async fn codes_join_case_insensitive(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "olga").await.user.id;
    let guest = register(&chat, "pete").await.user.id;
    let r = room(&chat, owner, RoomKind::Private, "club").await;
    let code = r.code.clone().expect("owner sees the code");
    assert_eq!(code.as_str().len(), 8);
    assert!(
        code.as_str()
            .bytes()
            .all(|b| RoomCode::ALPHABET.contains(&b))
    );
    // Members below admin do not see the code.
    let lower = format!("  {}  ", code.as_str().to_ascii_lowercase());
    let joined = chat.join_by_code(guest, &lower, None).await.unwrap();
    assert_eq!(joined.id, r.id);
    assert!(joined.code.is_none());
    assert!(matches!(
        chat.room_code(guest, r.id).await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(chat.room_code(owner, r.id).await.unwrap(), code);
    // Admins see it.
    chat.set_role(owner, r.id, guest, Role::Admin)
        .await
        .unwrap();
    assert_eq!(chat.get_room(guest, r.id).await.unwrap().code, Some(code));
    assert!(matches!(
        chat.join_by_code(guest, "short", None).await,
        Err(Error::Invalid { .. })
    ));
    assert!(is_not_found(
        &chat.join_by_code(guest, "ZZZZZZZZ", None).await
    ));
}

pub async fn codes_rotate_old_stops_working(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "quinn").await.user.id;
    let member = register(&chat, "rosa").await.user.id;
    let guest = register(&chat, "sam").await.user.id;
    let r = room(&chat, owner, RoomKind::Private, "vault").await;
    let old = r.code.unwrap();
    chat.join_by_code(member, old.as_str(), None).await.unwrap();
    assert!(matches!(
        chat.rotate_code(member, r.id).await,
        Err(Error::Forbidden(_))
    ));
    let new = chat.rotate_code(owner, r.id).await.unwrap();
    assert_ne!(new, old);
    assert!(is_not_found(
        &chat.join_by_code(guest, old.as_str(), None).await
    ));
    assert!(store.find_room_by_code(&old).await.unwrap().is_none());
    chat.join_by_code(guest, new.as_str(), None).await.unwrap();
    let public = room(&chat, owner, RoomKind::Public, "open").await;
    assert!(matches!(
        chat.rotate_code(owner, public.id).await,
        Err(Error::Invalid { .. })
    ));
}

pub async fn codes_unique_concurrently(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "tina").await.user.id;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let chat = chat.clone();
        tasks.push(tokio::spawn(async move {
            chat.create_room(owner, NewRoom::new(RoomKind::Private, format!("r{i}")))
                .await
                .unwrap()
        }));
    }
    let mut codes = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert!(codes.insert(r.code.unwrap()), "duplicate code");
    }
    assert_eq!(codes.len(), 40);
    for code in &codes {
        assert!(store.find_room_by_code(code).await.unwrap().is_some());
    }
}

pub async fn codes_store_rejects_duplicate(store: Arc<dyn Store>) {
    let owner = store
        .create_user(NewUser {
            user: plain_user("uma"),
            password_hash: None,
        })
        .await
        .unwrap();
    let code = RoomCode::parse("ABCD1234").unwrap();
    let mk = |code: Option<RoomCode>| Room {
        id: RoomId::new(),
        kind: RoomKind::Private,
        name: "x".into(),
        description: String::new(),
        avatar_url: None,
        code,
        password_hash: None,
        max_members: None,
        direct_key: None,
        created_by: Some(owner.id),
        created_at: chrono::Utc::now(),
        last_seq: 0,
        slow_mode_secs: 0,
        retention_days: None,
        history_start_seq: 0,
        extra: None,
    };
    let member = |room: RoomId| Membership {
        room_id: room,
        user_id: owner.id,
        role: Role::Owner,
        joined_at: chrono::Utc::now(),
        extra: None,
    };
    let a = mk(Some(code.clone()));
    store
        .create_room(a.clone(), vec![member(a.id)])
        .await
        .unwrap();
    let b = mk(Some(code.clone()));
    assert_conflict(
        store.create_room(b.clone(), vec![member(b.id)]).await,
        Conflict::RoomCode,
    );
    assert!(
        store.get_room(b.id).await.unwrap().is_none(),
        "nothing half-created"
    );
    let mut c = mk(None);
    store
        .create_room(c.clone(), vec![member(c.id)])
        .await
        .unwrap();
    c.code = Some(code);
    assert_conflict(store.update_room(&c).await, Conflict::RoomCode);
}

pub async fn room_delete_cascades(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "dan").await.user.id;
    let m = register(&chat, "eli").await.user.id;
    let b = register(&chat, "fay").await.user.id;
    let i = register(&chat, "gil").await.user.id;
    let r = room(&chat, owner, RoomKind::Private, "doomed").await;
    chat.join_by_code(m, r.code.as_ref().unwrap().as_str(), None)
        .await
        .unwrap();
    chat.ban(owner, r.id, b, "", None).await.unwrap();
    chat.invite(owner, r.id, i).await.unwrap();
    let msg = say(&chat, m, r.id, "bye").await;
    chat.delete_room(owner, r.id).await.unwrap();
    assert!(store.get_room(r.id).await.unwrap().is_none());
    assert!(store.get_member(r.id, m).await.unwrap().is_none());
    assert!(store.get_ban(r.id, b).await.unwrap().is_none());
    assert!(store.get_invite(r.id, i).await.unwrap().is_none());
    assert!(store.get_message(msg.id).await.unwrap().is_none());
    assert!(
        store
            .find_room_by_code(r.code.as_ref().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(chat.list_my_rooms(m).await.unwrap().is_empty());
}
