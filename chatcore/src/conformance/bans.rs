//! Conformance cases of moderation: bans and kicks.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{chat, is_not_found, register, room};
use crate::error::Error;
use crate::model::{Ban, Membership, PageRequest, Role, RoomKind};
use crate::store::Store;
use crate::{Chat, NewRoom, SendMessage};

pub async fn bans_every_rejoin_path_refused(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "eve").await.user.id;
    let bad = register(&chat, "mallory").await.user.id;
    let p = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("pw for room".into()),
                ..NewRoom::new(RoomKind::Private, "private")
            },
        )
        .await
        .unwrap();
    let code = p.code.clone().unwrap();
    chat.join_by_code(bad, code.as_str(), Some("pw for room"))
        .await
        .unwrap();
    let pubr = room(&chat, owner, RoomKind::Public, "public").await;
    chat.join_room(bad, pubr.id, None).await.unwrap();

    let ban = chat.ban(owner, p.id, bad, "spam", None).await.unwrap();
    assert_eq!(ban.reason, "spam");
    assert_eq!(ban.banned_by, Some(owner));
    chat.ban(owner, pubr.id, bad, "spam", None).await.unwrap();
    assert!(
        store.get_member(p.id, bad).await.unwrap().is_none(),
        "removed at once"
    );
    // Every path back in is refused.
    assert!(matches!(
        chat.join_by_code(bad, code.as_str(), Some("pw for room"))
            .await,
        Err(Error::Banned)
    ));
    assert!(matches!(
        chat.join_room(bad, pubr.id, None).await,
        Err(Error::Banned)
    ));
    assert!(matches!(
        chat.invite(owner, p.id, bad).await,
        Err(Error::Banned)
    ));
    // An invitation issued before the ban is void.
    let pubr2 = room(&chat, owner, RoomKind::Private, "second").await;
    chat.invite(owner, pubr2.id, bad).await.unwrap();
    chat.ban(owner, pubr2.id, bad, "", None).await.unwrap();
    assert!(store.get_invite(pubr2.id, bad).await.unwrap().is_none());
    assert!(is_not_found(&chat.join_room(bad, pubr2.id, None).await));
    // Nor can they read, post or see the private room.
    assert!(is_not_found(
        &chat.history(bad, p.id, PageRequest::default()).await
    ));
    assert!(
        chat.send_message(
            bad,
            pubr.id,
            SendMessage {
                body: "hi".into(),
                ..Default::default()
            }
        )
        .await
        .is_err()
    );
    assert!(is_not_found(&chat.get_room(bad, p.id).await));
    let bans = chat.list_bans(owner, p.id).await.unwrap();
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].user_id, bad);
}

pub async fn bans_expire_and_unban(store: Arc<dyn Store>) {
    let clock = Arc::new(parking_lot::Mutex::new(chrono::Utc::now()));
    let c2 = clock.clone();
    let chat = Chat::builder(store.clone())
        .clock(move || *c2.lock())
        .build();
    let owner = register(&chat, "gus").await.user.id;
    let user = register(&chat, "hal").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "temp").await;
    chat.join_room(user, r.id, None).await.unwrap();
    let now = *clock.lock();
    assert!(matches!(
        chat.ban(
            owner,
            r.id,
            user,
            "cool off",
            Some(now - ChronoDuration::minutes(1))
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    chat.ban(
        owner,
        r.id,
        user,
        "cool off",
        Some(now + ChronoDuration::hours(1)),
    )
    .await
    .unwrap();
    assert!(matches!(
        chat.join_room(user, r.id, None).await,
        Err(Error::Banned)
    ));
    *clock.lock() = now + ChronoDuration::hours(2);
    chat.join_room(user, r.id, None).await.unwrap();
    // Permanent ban, then unban.
    chat.ban(owner, r.id, user, "again", None).await.unwrap();
    assert!(matches!(
        chat.join_room(user, r.id, None).await,
        Err(Error::Banned)
    ));
    assert!(matches!(
        chat.unban(user, r.id, user).await,
        Err(Error::Forbidden(_) | Error::NotFound(_))
    ));
    chat.unban(owner, r.id, user).await.unwrap();
    assert!(is_not_found(&chat.unban(owner, r.id, user).await));
    chat.join_room(user, r.id, None).await.unwrap();
}

pub async fn kick_allows_rejoin(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "ida").await.user.id;
    let m = register(&chat, "jon").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "kicks").await;
    chat.join_room(m, r.id, None).await.unwrap();
    assert!(matches!(
        chat.kick(m, r.id, owner).await,
        Err(Error::Forbidden(_))
    ));
    chat.kick(owner, r.id, m).await.unwrap();
    assert!(store.get_member(r.id, m).await.unwrap().is_none());
    assert!(is_not_found(&chat.kick(owner, r.id, m).await));
    chat.join_room(m, r.id, None).await.unwrap();
}

/// The ban check is part of the membership insert: a join that races a ban either
/// lands before it (and the ban removes the member) or is refused.
pub async fn bans_race_joins_never_leave_a_banned_member(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "bart").await.user.id;
    let bad = register(&chat, "bea").await.user.id;

    // In sequence, straight on the store.
    let r = room(&chat, owner, RoomKind::Public, "door").await.id;
    let now = chrono::Utc::now();
    let ban = |expires_at| Ban {
        room_id: r,
        user_id: bad,
        banned_by: Some(owner),
        reason: String::new(),
        created_at: now,
        expires_at,
    };
    let member = Membership {
        room_id: r,
        user_id: bad,
        role: Role::Member,
        joined_at: now,
        extra: None,
    };
    store.ban(ban(None)).await.unwrap();
    assert!(matches!(
        store.add_member(member.clone(), 100).await,
        Err(Error::Banned)
    ));
    assert!(store.get_member(r, bad).await.unwrap().is_none());
    // A ban that has expired by the time of the join does not count.
    store
        .ban(ban(Some(now - ChronoDuration::seconds(1))))
        .await
        .unwrap();
    store.add_member(member, 100).await.unwrap();

    // Racing through the service, in several rooms at once.
    let mut rooms = Vec::new();
    for i in 0..12 {
        rooms.push(
            room(&chat, owner, RoomKind::Public, &format!("race {i}"))
                .await
                .id,
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for &r in &rooms {
        let c = chat.clone();
        tasks.spawn(async move { c.join_room(bad, r, None).await.map(|_| ()) });
        let c = chat.clone();
        tasks.spawn(async move { c.ban(owner, r, bad, "race", None).await.map(|_| ()) });
    }
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(()) | Err(Error::Banned) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    for r in rooms {
        assert!(store.get_ban(r, bad).await.unwrap().is_some());
        assert!(
            store.get_member(r, bad).await.unwrap().is_none(),
            "banned and a member of {r}"
        );
    }
}
