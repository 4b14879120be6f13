//! Conformance cases of custom data (`extra`): the round trip on messages, rooms and
//! members through every read path, the size limit, objects only, who may set it,
//! and deletion clearing it.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{register, room, say};
use crate::error::Error;
use crate::model::{EXTRA_MAX_BYTES, PageRequest, RoomKind};
use crate::store::Store;
use crate::{Chat, Limits, NewRoom, RoomUpdate, SearchRequest, SendMessage};

fn chat_with(store: Arc<dyn Store>, client_extra: bool) -> Chat {
    Chat::builder(store)
        .limits(Limits {
            client_extra,
            ..Limits::without_rate_limits()
        })
        .build()
}

fn obj(v: &Value) -> Option<crate::model::Extra> {
    v.as_object().cloned()
}

fn all() -> PageRequest {
    PageRequest {
        limit: 100,
        ..Default::default()
    }
}

pub async fn extra_round_trips_on_messages_rooms_and_members(store: Arc<dyn Store>) {
    let chat = chat_with(store.clone(), true);
    let a = register(&chat, "ann").await.user.id;
    let b = register(&chat, "bob").await.user.id;
    let card = json!({"card": {"title": "Order 17", "n": [1, 2.5, null]}, "ok": true});
    let mut input = NewRoom::new(RoomKind::Public, "shop");
    input.extra = Some(json!({"sku": "A-1"}));
    let r = chat.create_room(a, input).await.unwrap();
    assert_eq!(r.extra, obj(&json!({"sku": "A-1"})));
    chat.join_room(b, r.id, None).await.unwrap();
    let m = chat
        .send_message(
            b,
            r.id,
            SendMessage {
                body: "findable words".into(),
                extra: Some(card.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(m.extra, obj(&card));
    // Stored: the store's own read, history and search all return it.
    let stored = store.get_message(m.id).await.unwrap().unwrap();
    assert_eq!(stored.extra, obj(&card));
    let page = chat.history(a, r.id, all()).await.unwrap();
    let shown = page.messages.iter().find(|x| x.id == m.id).unwrap();
    assert_eq!(shown.extra, obj(&card));
    let found = chat
        .search(
            a,
            SearchRequest {
                q: "findable".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.hits.len(), 1);
    assert_eq!(found.hits[0].message.extra, obj(&card));
    let plain = say(&chat, a, r.id, "no extra").await;
    assert_eq!(
        store.get_message(plain.id).await.unwrap().unwrap().extra,
        None
    );

    // Edit replaces it; `{}` clears it.
    let edited = chat
        .edit_message_extra(b, m.id, "findable words", Some(json!({"v": 2})))
        .await
        .unwrap();
    assert_eq!(edited.extra, obj(&json!({"v": 2})));
    assert_eq!(
        store.get_message(m.id).await.unwrap().unwrap().extra,
        obj(&json!({"v": 2}))
    );
    chat.edit_message_extra(b, m.id, "findable words", Some(json!({})))
        .await
        .unwrap();
    assert_eq!(store.get_message(m.id).await.unwrap().unwrap().extra, None);
    // An edit without extra keeps it.
    chat.set_message_extra(m.id, Some(json!({"host": 1})))
        .await
        .unwrap();
    chat.edit_message(b, m.id, "findable again").await.unwrap();
    assert_eq!(
        store.get_message(m.id).await.unwrap().unwrap().extra,
        obj(&json!({"host": 1}))
    );

    // Rooms: update (admins), the host's setter, every view.
    let updated = chat
        .update_room(
            a,
            r.id,
            RoomUpdate {
                extra: Some(json!({"sku": "B-2"})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.extra, obj(&json!({"sku": "B-2"})));
    let denied = chat
        .update_room(
            b,
            r.id,
            RoomUpdate {
                extra: Some(json!({"sku": "mine"})),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(denied, Err(Error::Forbidden(_))), "{denied:?}");
    chat.set_room_extra(r.id, Some(json!({"tier": "gold"})))
        .await
        .unwrap();
    assert_eq!(
        store.get_room(r.id).await.unwrap().unwrap().extra,
        obj(&json!({"tier": "gold"}))
    );
    assert_eq!(
        chat.get_room(b, r.id).await.unwrap().extra,
        obj(&json!({"tier": "gold"}))
    );

    // Members: the host's setter; the member views; leaving forgets it.
    chat.set_member_extra(r.id, b, Some(json!({"badge": "vip"})))
        .await
        .unwrap();
    let members = chat.members(a, r.id).await.unwrap();
    let bob = members.iter().find(|v| v.user.id == b).unwrap();
    assert_eq!(bob.extra, obj(&json!({"badge": "vip"})));
    assert_eq!(members.iter().find(|v| v.user.id == a).unwrap().extra, None);
    assert_eq!(
        store.get_member(r.id, b).await.unwrap().unwrap().extra,
        obj(&json!({"badge": "vip"}))
    );
    chat.leave_room(b, r.id).await.unwrap();
    assert!(matches!(
        chat.set_member_extra(r.id, b, Some(json!({"x": 1}))).await,
        Err(Error::NotFound(_))
    ));
    chat.join_room(b, r.id, None).await.unwrap();
    assert_eq!(
        store.get_member(r.id, b).await.unwrap().unwrap().extra,
        None
    );

    // Deleting a message clears it with the content; setting it on a tombstone fails.
    chat.delete_message(b, m.id).await.unwrap();
    assert_eq!(store.get_message(m.id).await.unwrap().unwrap().extra, None);
    assert!(
        !store
            .set_message_extra(m.id, obj(&json!({"x": 1})).as_ref())
            .await
            .unwrap()
    );
    assert_eq!(store.get_message(m.id).await.unwrap().unwrap().extra, None);
}

pub async fn extra_is_a_bounded_object_and_host_set_by_default(store: Arc<dyn Store>) {
    let chat = chat_with(store.clone(), true);
    let a = register(&chat, "ann").await.user.id;
    let r = room(&chat, a, RoomKind::Public, "lobby").await;
    let send = |extra: Value| SendMessage {
        body: "hi".into(),
        extra: Some(extra),
        ..Default::default()
    };
    let before = store.last_seq(r.id).await.unwrap();
    for bad in [json!([1, 2]), json!("text"), json!(7), json!(true)] {
        let e = chat.send_message(a, r.id, send(bad)).await;
        assert!(
            matches!(&e, Err(Error::Invalid { field: "extra", .. })),
            "{e:?}"
        );
        assert_eq!(e.unwrap_err().code(), "invalid_input");
    }
    // {"k":"…"} is 8 bytes around the string: 4096 fits, one more does not.
    let fits = json!({ "k": "x".repeat(EXTRA_MAX_BYTES - 8) });
    let over = json!({ "k": "x".repeat(EXTRA_MAX_BYTES - 7) });
    let e = chat.send_message(a, r.id, send(over.clone())).await;
    assert!(
        matches!(&e, Err(Error::TooLarge { field: "extra", limit }) if *limit == EXTRA_MAX_BYTES),
        "{e:?}"
    );
    assert_eq!(e.unwrap_err().code(), "too_large");
    assert_eq!(
        store.last_seq(r.id).await.unwrap(),
        before,
        "nothing posted"
    );
    let m = chat
        .send_message(a, r.id, send(fits.clone()))
        .await
        .unwrap();
    assert_eq!(
        store.get_message(m.id).await.unwrap().unwrap().extra,
        obj(&fits)
    );
    // The host's setters hold the same rules.
    assert!(matches!(
        chat.set_room_extra(r.id, Some(over.clone())).await,
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        chat.set_member_extra(r.id, a, Some(json!([1]))).await,
        Err(Error::Invalid { field: "extra", .. })
    ));
    assert!(matches!(
        chat.set_message_extra(m.id, Some(json!("no"))).await,
        Err(Error::Invalid { field: "extra", .. })
    ));
    assert_eq!(
        store.get_message(m.id).await.unwrap().unwrap().extra,
        obj(&fits)
    );

    // By default only the host sets it: users' extra is refused, nothing is stored.
    let host_only = chat_with(store.clone(), false);
    let e = host_only.send_message(a, r.id, send(json!({"x": 1}))).await;
    assert!(matches!(&e, Err(Error::Forbidden(_))), "{e:?}");
    let mut input = NewRoom::new(RoomKind::Public, "other");
    input.extra = Some(json!({"x": 1}));
    assert!(matches!(
        host_only.create_room(a, input).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        host_only
            .edit_message_extra(a, m.id, "hi", Some(json!({})))
            .await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(
        store.get_message(m.id).await.unwrap().unwrap().extra,
        obj(&fits)
    );
    let set = host_only
        .set_message_extra(m.id, Some(json!({"host": true})))
        .await
        .unwrap();
    assert_eq!(set.extra, obj(&json!({"host": true})));
    assert!(matches!(
        host_only
            .set_message_extra(crate::MessageId::new(), None)
            .await,
        Err(Error::NotFound(_))
    ));
}
