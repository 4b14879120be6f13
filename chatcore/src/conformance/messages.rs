//! Conformance cases of [`MessageStore`](crate::store::MessageStore): sending,
//! editing, deleting, idempotency and gapless sequences.

use std::sync::Arc;

use super::{chat, is_not_found, plain_user, register, room, say, texts};
use crate::SendMessage;
use crate::error::Error;
use crate::ids::{MessageId, UserId};
use crate::model::{MessageKind, NewUser, PageRequest, Role, RoomKind};
use crate::store::Store;

pub async fn messages_send_edit_delete(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "oli").await.user.id;
    let a = register(&chat, "pam").await.user.id;
    let mod_ = register(&chat, "ray").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "talk").await;
    chat.join_room(a, r.id, None).await.unwrap();
    chat.join_room(mod_, r.id, None).await.unwrap();
    chat.set_role(owner, r.id, mod_, Role::Moderator)
        .await
        .unwrap();
    let m = say(&chat, a, r.id, "hello <b>world</b>").await;
    assert_eq!(
        m.body, "hello <b>world</b>",
        "stored as given, never interpreted"
    );
    assert_eq!(m.author_id, Some(a));
    assert_eq!(m.kind, MessageKind::Text);
    assert!(matches!(
        chat.edit_message(mod_, m.id, "hijack").await,
        Err(Error::Forbidden(_))
    ));
    let e = chat.edit_message(a, m.id, "hello again").await.unwrap();
    assert!(e.edited_at.is_some());
    let stored = store.get_message(m.id).await.unwrap().unwrap();
    assert_eq!(stored.body, "hello again");
    assert!(stored.edited_at.is_some());
    assert_eq!(stored.seq, m.seq);
    // Validation.
    assert!(matches!(
        chat.send_message(
            a,
            r.id,
            SendMessage {
                body: "   ".into(),
                ..Default::default()
            }
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        chat.send_message(
            a,
            r.id,
            SendMessage {
                body: "x".repeat(4001),
                ..Default::default()
            }
        )
        .await,
        Err(Error::TooLarge { .. })
    ));
    // A moderator deletes a member's message; the tombstone stays.
    chat.delete_message(mod_, m.id).await.unwrap();
    let tomb = store.get_message(m.id).await.unwrap().unwrap();
    assert!(tomb.deleted_at.is_some());
    assert!(tomb.body.is_empty());
    assert!(matches!(
        chat.edit_message(a, m.id, "back").await,
        Err(Error::NotFound(_))
    ));
    let page = chat
        .history(owner, r.id, PageRequest::default())
        .await
        .unwrap();
    assert!(
        page.messages
            .iter()
            .any(|x| x.id == m.id && x.deleted_at.is_some())
    );
    // A member cannot delete the moderator's message; the author can.
    let mm = say(&chat, mod_, r.id, "mod says").await;
    assert!(matches!(
        chat.delete_message(a, mm.id).await,
        Err(Error::Forbidden(_))
    ));
    chat.delete_message(mod_, mm.id).await.unwrap();
    // Non-members cannot touch messages.
    let outsider = register(&chat, "sal").await.user.id;
    let m3 = say(&chat, a, r.id, "third").await;
    assert!(chat.delete_message(outsider, m3.id).await.is_err());
    assert!(is_not_found(
        &chat.edit_message(outsider, MessageId::new(), "x").await
    ));
}

pub async fn messages_reply_must_be_in_room(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "tom").await.user.id;
    let r1 = room(&chat, u, RoomKind::Public, "r1").await;
    let r2 = room(&chat, u, RoomKind::Public, "r2").await;
    let parent = say(&chat, u, r1.id, "parent").await;
    let reply = chat
        .send_message(
            u,
            r1.id,
            SendMessage {
                body: "child".into(),
                reply_to: Some(parent.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_message(reply.id).await.unwrap().unwrap().reply_to,
        Some(parent.id)
    );
    let wrong = chat
        .send_message(
            u,
            r2.id,
            SendMessage {
                body: "x".into(),
                reply_to: Some(parent.id),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(wrong, Err(Error::Invalid { .. })));
}

pub async fn messages_nonce_is_idempotent(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "uli").await.user.id;
    let v = register(&chat, "val").await.user.id;
    let r = room(&chat, u, RoomKind::Public, "once").await;
    chat.join_room(v, r.id, None).await.unwrap();
    let send = |user: UserId, body: &str| {
        let chat = chat.clone();
        let body = body.to_owned();
        async move {
            chat.send_message(
                user,
                r.id,
                SendMessage {
                    body,
                    nonce: Some("n-1".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    let first = send(u, "first").await;
    let retry = send(u, "first (retry)").await;
    assert_eq!(first.id, retry.id);
    assert_eq!(first.seq, retry.seq);
    assert_eq!(retry.body, "first");
    // The same nonce from another user is a different message.
    let other = send(v, "other").await;
    assert_ne!(other.id, first.id);
    assert_eq!(texts(&chat, u, r.id).await, ["first", "other"]);
    assert_eq!(store.last_seq(r.id).await.unwrap(), other.seq);
}

pub async fn messages_parallel_sends_gapless(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "wes").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "busy").await;
    let mut users = vec![owner];
    for i in 0..7 {
        let u = store
            .create_user(NewUser {
                user: plain_user(&format!("sender{i}")),
                password_hash: None,
            })
            .await
            .unwrap();
        chat.join_room(u.id, r.id, None).await.unwrap();
        users.push(u.id);
    }
    let before = store.last_seq(r.id).await.unwrap();
    let mut tasks = Vec::new();
    for (i, u) in users.iter().copied().enumerate() {
        let chat = chat.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for j in 0..25 {
                let m = chat
                    .send_message(
                        u,
                        r.id,
                        SendMessage {
                            body: format!("{i}-{j}"),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                seqs.push(m.seq);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let seqs = t.await.unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "each sender sees increasing seqs"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    let expect: Vec<i64> = (before + 1..=before + 200).collect();
    assert_eq!(all, expect, "unique and gapless");
    assert_eq!(store.last_seq(r.id).await.unwrap(), before + 200);
    let stored = store
        .list_messages(
            r.id,
            PageRequest {
                after: Some(before),
                before: None,
                limit: 500,
            },
        )
        .await
        .unwrap();
    assert_eq!(stored.iter().map(|m| m.seq).collect::<Vec<_>>(), expect);
}

pub async fn messages_parallel_sends_many_rooms(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "xan").await.user.id;
    let mut rooms = Vec::new();
    for i in 0..4 {
        rooms.push(
            room(&chat, u, RoomKind::Public, &format!("room{i}"))
                .await
                .id,
        );
    }
    let mut tasks = Vec::new();
    for (i, r) in rooms.iter().copied().enumerate() {
        for k in 0..3 {
            let chat = chat.clone();
            tasks.push(tokio::spawn(async move {
                for j in 0..10 {
                    chat.send_message(
                        u,
                        r,
                        SendMessage {
                            body: format!("{i}/{k}/{j}"),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    for r in rooms {
        let msgs = store
            .list_messages(
                r,
                PageRequest {
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let seqs: Vec<i64> = msgs.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            (1..=31).collect::<Vec<i64>>(),
            "1 system + 30 texts, gapless"
        );
    }
}

/// An edit only changes a message that is not deleted, in the same statement: an
/// edit racing a delete never brings the content back.
pub async fn messages_edit_racing_delete_keeps_the_tombstone_empty(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let u = register(&chat, "edda").await.user.id;
    let r = room(&chat, u, RoomKind::Public, "erase").await.id;

    // In sequence, straight on the store.
    let m = say(&chat, u, r, "secret").await;
    let now = chrono::Utc::now();
    store.delete_message(m.id, now).await.unwrap();
    assert!(is_not_found(
        &store.edit_message(m.id, "secret again", now).await
    ));
    let stored = store.get_message(m.id).await.unwrap().unwrap();
    assert_eq!((stored.body.as_str(), stored.edited_at), ("", None));
    assert!(is_not_found(
        &store.edit_message(MessageId::new(), "x", now).await
    ));

    // Racing through the service.
    let mut ids = Vec::new();
    for i in 0..24 {
        ids.push(say(&chat, u, r, &format!("secret {i}")).await.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for &id in &ids {
        let c = chat.clone();
        tasks.spawn(async move { c.edit_message(u, id, "edited").await.map(|_| ()) });
        let c = chat.clone();
        tasks.spawn(async move { c.delete_message(u, id).await });
    }
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(()) | Err(Error::NotFound(_)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    for id in ids {
        let m = store.get_message(id).await.unwrap().unwrap();
        assert!(m.deleted_at.is_some());
        assert_eq!(m.body, "", "tombstone {id} holds a body");
    }
}

/// A retry of a stored nonce returns the first message even when slow mode or the
/// send rate would refuse a new one; a new nonce is still limited.
pub async fn messages_nonce_retry_is_answered_under_limits(store: Arc<dyn Store>) {
    let chat = crate::Chat::builder(store.clone())
        .limits(crate::Limits {
            send_rate: Some(crate::rate::Rate::new(
                2,
                std::time::Duration::from_secs(3600),
            )),
            ..crate::Limits::without_rate_limits()
        })
        .build();
    let owner = register(&chat, "sol").await.user.id;
    let u = register(&chat, "sam").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "slow").await.id;
    chat.join_room(u, r, None).await.unwrap();
    chat.update_room(
        owner,
        r,
        crate::RoomUpdate {
            slow_mode_secs: Some(3600),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let send = |nonce: &str| {
        let chat = chat.clone();
        let nonce = nonce.to_owned();
        async move {
            chat.send_message(
                u,
                r,
                SendMessage {
                    body: format!("body {nonce}"),
                    nonce: Some(nonce),
                    ..Default::default()
                },
            )
            .await
        }
    };
    let first = send("n-1").await.unwrap();
    // Slow mode holds the second message back; its retry is answered.
    let retry = send("n-1").await.unwrap();
    assert_eq!((retry.id, retry.seq), (first.id, first.seq));
    assert!(matches!(send("n-2").await, Err(Error::RateLimited { .. })));
    // The send rate (two) is used up now; retries still answer.
    for _ in 0..3 {
        assert_eq!(send("n-1").await.unwrap().id, first.id);
    }
    assert_eq!(texts(&chat, u, r).await, ["body n-1"]);
}
