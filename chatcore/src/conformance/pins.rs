//! Conformance cases of [`PinStore`](crate::store::PinStore): who pins, the list,
//! the system message, and the per-room limit under parallel pins.

use std::sync::Arc;

use super::{chat, is_not_found, register, room, say};
use crate::error::Error;
use crate::model::{MessageKind, PageRequest, Role, RoomKind, SystemEvent};
use crate::store::Store;
use crate::{Chat, Limits};

pub async fn pins_by_moderators_listed_newest_first(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "own").await.user.id;
    let moder = register(&chat, "mod").await.user.id;
    let member = register(&chat, "mem").await.user.id;
    let r = room(&chat, owner, RoomKind::Private, "team").await;
    for u in [moder, member] {
        chat.invite(owner, r.id, u).await.unwrap();
        chat.join_room(u, r.id, None).await.unwrap();
    }
    chat.set_role(owner, r.id, moder, Role::Moderator)
        .await
        .unwrap();
    let m1 = say(&chat, member, r.id, "first").await;
    let m2 = say(&chat, member, r.id, "second").await;

    assert!(matches!(
        chat.pin_message(member, m1.id).await,
        Err(Error::Forbidden(_))
    ));
    chat.pin_message(moder, m1.id).await.unwrap();
    chat.pin_message(owner, m2.id).await.unwrap();
    chat.pin_message(owner, m2.id).await.unwrap(); // again: no change
    let pins = chat.pins(member, r.id).await.unwrap();
    let bodies: Vec<&str> = pins.iter().map(|p| p.message.body.as_str()).collect();
    assert_eq!(bodies, ["second", "first"], "newest pin first, once each");
    assert_eq!(pins[1].pinned_by, Some(moder));

    // Each pin posted a system message.
    let page = chat
        .history(
            member,
            r.id,
            PageRequest {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let pinned: Vec<_> = page
        .messages
        .iter()
        .filter_map(|m| match &m.system {
            Some(SystemEvent::Pinned { message, by }) => Some((*message, *by)),
            _ => None,
        })
        .collect();
    assert_eq!(pinned, [(m1.id, moder), (m2.id, owner)]);

    // Outsiders see nothing; system messages are not pinned.
    let out = register(&chat, "out").await.user.id;
    assert!(is_not_found(&chat.pins(out, r.id).await));
    assert!(is_not_found(&chat.pin_message(out, m1.id).await));
    let system = page
        .messages
        .iter()
        .find(|m| m.kind == MessageKind::System)
        .unwrap();
    assert!(is_not_found(&chat.pin_message(owner, system.id).await));

    // Unpinning, and deleting a pinned message, take it off the list.
    chat.unpin_message(moder, m2.id).await.unwrap();
    chat.unpin_message(moder, m2.id).await.unwrap(); // not pinned: no change
    assert_eq!(chat.pins(member, r.id).await.unwrap().len(), 1);
    chat.delete_message(member, m1.id).await.unwrap();
    assert!(chat.pins(member, r.id).await.unwrap().is_empty());
    assert!(store.list_pins(r.id).await.unwrap().is_empty());
}

pub async fn pins_limit_under_parallel_pins(store: Arc<dyn Store>) {
    // One service per task, as on separate nodes: only the store serializes them.
    let node = || {
        Chat::builder(store.clone())
            .limits(Limits {
                max_pins_per_room: 3,
                ..Limits::without_rate_limits()
            })
            .build()
    };
    let chat = node();
    let owner = register(&chat, "ola").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "board").await;
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(say(&chat, owner, r.id, &format!("note {n}")).await.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let chat = node();
        tasks.spawn(async move { chat.pin_message(owner, id).await });
    }
    let mut pinned = 0;
    while let Some(res) = tasks.join_next().await {
        match res.unwrap() {
            Ok(()) => pinned += 1,
            Err(Error::TooLarge {
                field: "pins",
                limit: 3,
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(pinned, 3, "exactly the limit of pins is accepted");
    assert_eq!(store.list_pins(r.id).await.unwrap().len(), 3);
}
