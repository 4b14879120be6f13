//! Conformance cases of the before-send hooks: the rooms' own blocklists.

use std::sync::Arc;

use super::{chat, is_not_found, register, room, say, texts};
use crate::error::Error;
use crate::hooks::codes;
use crate::model::{Role, RoomKind};
use crate::store::Store;
use crate::{Chat, SendMessage};

pub async fn hooks_room_blocklist_refuses_and_stores_nothing(store: Arc<dyn Store>) {
    let chat = Chat::builder(store.clone())
        .limits(crate::Limits::without_rate_limits())
        .blocklist(["globalbad"])
        .build();
    let owner = register(&chat, "olga").await.user.id;
    let admin = register(&chat, "adam").await.user.id;
    let member = register(&chat, "mia").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "lounge").await;
    chat.join_room(admin, r.id, None).await.unwrap();
    chat.join_room(member, r.id, None).await.unwrap();
    chat.set_role(owner, r.id, admin, Role::Admin)
        .await
        .unwrap();

    assert!(matches!(
        chat.set_room_blocklist(member, r.id, vec!["x".into()])
            .await,
        Err(Error::Forbidden(_))
    ));
    let stored = chat
        .set_room_blocklist(
            admin,
            r.id,
            vec![" Rude ".into(), "rude".into(), "spam*".into()],
        )
        .await
        .unwrap();
    assert_eq!(
        stored,
        ["rude", "spam*"],
        "trimmed, lower-cased, deduplicated"
    );
    assert_eq!(chat.room_blocklist(owner, r.id).await.unwrap(), stored);
    assert_eq!(store.room_blocklist(r.id).await.unwrap(), stored);

    let seq_before = store.last_seq(r.id).await.unwrap();
    for body in ["so RUDE", "spammers here", "a globalbad word"] {
        let err = chat
            .send_message(
                member,
                r.id,
                SendMessage {
                    body: body.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), codes::BLOCKED_CONTENT, "{body}");
    }
    assert_eq!(
        store.last_seq(r.id).await.unwrap(),
        seq_before,
        "nothing stored"
    );
    let ok = say(&chat, member, r.id, "polite words").await;
    // An edit into a blocked word is refused too, and the message keeps its body.
    assert_eq!(
        chat.edit_message(member, ok.id, "rude now")
            .await
            .unwrap_err()
            .code(),
        codes::BLOCKED_CONTENT
    );
    assert_eq!(texts(&chat, member, r.id).await, ["polite words"]);

    // Emptied: allowed again (through the same service, whose cache must follow).
    chat.set_room_blocklist(admin, r.id, vec![]).await.unwrap();
    assert!(store.room_blocklist(r.id).await.unwrap().is_empty());
    say(&chat, member, r.id, "so rude").await;

    // Other rooms are not affected; a deleted room's list goes with it.
    let other = room(&chat, owner, RoomKind::Public, "other").await;
    chat.set_room_blocklist(owner, other.id, vec!["word".into()])
        .await
        .unwrap();
    say(&chat, owner, r.id, "word").await;
    chat.delete_room(owner, other.id).await.unwrap();
    assert!(store.room_blocklist(other.id).await.unwrap().is_empty());
    assert!(is_not_found(
        &store.set_room_blocklist(other.id, &["x".to_owned()]).await
    ));
}

pub async fn hooks_blocklist_limits_and_direct_rooms(store: Arc<dyn Store>) {
    let chat = chat(store);
    let a = register(&chat, "ann").await.user.id;
    let b = register(&chat, "bob").await.user.id;
    let r = room(&chat, a, RoomKind::Private, "p").await;
    let too_many = (0..=crate::hooks::MAX_ROOM_BLOCKLIST)
        .map(|i| format!("w{i}"))
        .collect();
    assert!(matches!(
        chat.set_room_blocklist(a, r.id, too_many).await,
        Err(Error::TooLarge { .. })
    ));
    let long = "x".repeat(crate::hooks::MAX_BLOCKLIST_ENTRY_CHARS + 1);
    for bad in [String::new(), "  ".into(), long, "***".into()] {
        assert!(matches!(
            chat.set_room_blocklist(a, r.id, vec![bad]).await,
            Err(Error::Invalid { .. })
        ));
    }
    // Non-members of a private room are told it does not exist.
    assert!(is_not_found(&chat.room_blocklist(b, r.id).await));
    let dm = chat.open_direct(a, b).await.unwrap();
    assert!(matches!(
        chat.set_room_blocklist(a, dm.id, vec!["x".into()]).await,
        Err(Error::Forbidden(_))
    ));
}

pub async fn outbox_keeps_order_and_outcomes(store: Arc<dyn Store>) {
    let (r1, r2) = (crate::RoomId::new(), crate::RoomId::new());
    let now = chrono::Utc::now();
    let ids: Vec<uuid::Uuid> = (0..4).map(|_| uuid::Uuid::now_v7()).collect();
    let ev = |i: usize, room| (ids[i], room, format!("{{\"n\":{i}}}"), now);
    store.enqueue_events(&[ev(0, r1), ev(1, r2)]).await.unwrap();
    // A repeat is ignored; later events come after.
    store
        .enqueue_events(&[ev(1, r2), ev(2, r1), ev(3, r1)])
        .await
        .unwrap();
    let pending = store.pending_events(10).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert!(pending.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(pending[1].room, r2);
    assert_eq!(pending[2].payload, "{\"n\":2}");
    assert_eq!(store.pending_events(2).await.unwrap().len(), 2);

    store.mark_delivered(ids[0], now).await.unwrap();
    let later = now + chrono::Duration::seconds(5);
    store
        .mark_failed(ids[1], 1, later, "503", false)
        .await
        .unwrap();
    store
        .mark_failed(ids[2], 3, later, "refused", true)
        .await
        .unwrap();
    let pending = store.pending_events(10).await.unwrap();
    assert_eq!(
        pending.iter().map(|e| e.id).collect::<Vec<_>>(),
        [ids[1], ids[3]]
    );
    assert_eq!(pending[0].attempts, 1);
    assert_eq!(pending[0].last_error.as_deref(), Some("503"));
    assert_eq!(pending[0].next_attempt_at, later);
    let failed = store.given_up_events(10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].attempts), (ids[2], 3));
    assert!(failed[0].given_up_at.is_some());
    assert!(is_not_found(
        &store.mark_delivered(uuid::Uuid::now_v7(), now).await
    ));
}

pub async fn outbox_cleanup_deletes_old_delivered_only(store: Arc<dyn Store>) {
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    let chat = Chat::builder(store.clone())
        .limits(crate::Limits {
            outbox_retention: std::time::Duration::from_secs(24 * 3600),
            ..crate::Limits::without_rate_limits()
        })
        .build();
    let room = crate::RoomId::new();
    // More old delivered events than one cleanup batch (500), then one delivered
    // recently, one given up long ago and one pending.
    let old: Vec<uuid::Uuid> = (0..601).map(|_| uuid::Uuid::now_v7()).collect();
    let (recent, given_up, pending) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let rows: Vec<_> = old
        .iter()
        .chain([&recent, &given_up, &pending])
        .map(|id| (*id, room, "{}".to_owned(), now - day * 3))
        .collect();
    store.enqueue_events(&rows).await.unwrap();
    for id in &old {
        store.mark_delivered(*id, now - day * 2).await.unwrap();
    }
    store
        .mark_delivered(recent, now - chrono::Duration::hours(1))
        .await
        .unwrap();
    store
        .mark_failed(given_up, 10, now - day * 2, "refused", true)
        .await
        .unwrap();

    // The store deletes in bounded batches.
    assert_eq!(
        store.delete_delivered_events(now - day, 1).await.unwrap(),
        1
    );
    assert_eq!(
        store.delete_delivered_events(now - day, 0).await.unwrap(),
        0
    );
    // Housekeeping deletes the rest of the old delivered ones, over several batches.
    assert_eq!(chat.clean_outbox().await.unwrap(), 600);
    chat.housekeeping().await.unwrap();
    assert_eq!(chat.clean_outbox().await.unwrap(), 0);
    // What stays: the recent delivered one, the given-up one, the pending one.
    let left = store.pending_events(10).await.unwrap();
    assert_eq!(left.iter().map(|e| e.id).collect::<Vec<_>>(), [pending]);
    let failed = store.given_up_events(10).await.unwrap();
    assert_eq!(failed.iter().map(|e| e.id).collect::<Vec<_>>(), [given_up]);
    assert_eq!(
        store
            .delete_delivered_events(now + chrono::Duration::seconds(1), 10)
            .await
            .unwrap(),
        1,
        "only the recent delivered event was left"
    );
    assert_eq!(
        store
            .delete_delivered_events(now + day * 30, 10)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.given_up_events(10).await.unwrap().len(), 1);
    assert_eq!(store.pending_events(10).await.unwrap().len(), 1);
}
