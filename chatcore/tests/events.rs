//! `Chat::events()`: every kind of domain event, once, in order, with unique ids.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chatcore::events::{DomainEvent, EventKind};
use chatcore::{Chat, Limits, MemoryStore, NewRoom, Register, RoomKind, RoomUpdate, SendMessage};
use futures::StreamExt;

async fn register(chat: &Chat, name: &str) -> chatcore::UserId {
    chat.register(
        Register {
            username: name.into(),
            password: "correct horse battery".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
    .0
    .user
    .id
}

fn name(e: &DomainEvent) -> String {
    serde_json::to_value(e).unwrap()["type"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_change_is_one_event_in_order() {
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .build();
    let owner = register(&chat, "olga").await;
    let a = register(&chat, "ann").await;
    let b = register(&chat, "bob").await;
    let c = register(&chat, "cid").await;
    let mut events = Box::pin(chat.events());

    let room = chat
        .create_room(owner, NewRoom::new(RoomKind::Public, "lounge"))
        .await
        .unwrap();
    for u in [a, b, c] {
        chat.join_room(u, room.id, None).await.unwrap();
    }
    let m = chat
        .send_message(
            a,
            room.id,
            SendMessage {
                body: "hi".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    chat.edit_message(a, m.id, "hello").await.unwrap();
    chat.delete_message(owner, m.id).await.unwrap();
    chat.kick(owner, room.id, a).await.unwrap();
    chat.ban(owner, room.id, b, "spam", None).await.unwrap();
    chat.leave_room(c, room.id).await.unwrap();
    chat.update_room(
        owner,
        room.id,
        RoomUpdate {
            description: Some("new".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    chat.delete_room(owner, room.id).await.unwrap();

    let mut got = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.next()).await {
        got.push(e);
    }
    // Without the system messages, which are message_created events too.
    let domain: Vec<String> = got
        .iter()
        .filter(|e| !matches!(&e.kind, EventKind::MessageCreated { message } if message.author_id.is_none()))
        .map(name)
        .collect();
    assert_eq!(
        domain,
        [
            "room_created",
            "member_joined",
            "member_joined",
            "member_joined",
            "message_created",
            "message_edited",
            "message_deleted",
            "member_kicked",
            "member_banned",
            "member_left",
            "room_updated",
            "room_deleted",
        ]
    );
    assert!(got.iter().all(|e| e.room() == room.id));
    let ids: HashSet<_> = got.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), got.len(), "unique ids");
    assert!(got.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
    match &got
        .iter()
        .find(|e| name(e) == "message_edited")
        .unwrap()
        .kind
    {
        EventKind::MessageEdited { message } => assert_eq!(message.body, "hello"),
        other => panic!("{other:?}"),
    }
    match &got
        .iter()
        .find(|e| name(e) == "member_banned")
        .unwrap()
        .kind
    {
        EventKind::MemberBanned { user, by, .. } => assert_eq!((*user, *by), (b, Some(owner))),
        other => panic!("{other:?}"),
    }
}
