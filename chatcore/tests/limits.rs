//! Rate limits and per-user limits enforced by the service.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chatcore::rate::Rate;
use chatcore::{Chat, Error, Limits, MemoryStore, NewRoom, Register, RoomKind, SendMessage};

fn chat_with(limits: Limits) -> Chat {
    Chat::builder(Arc::new(MemoryStore::new()))
        .limits(limits)
        .build()
}

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

fn new_room(kind: RoomKind) -> NewRoom {
    NewRoom::new(kind, "limits")
}

fn rate_limited<T: std::fmt::Debug>(r: chatcore::Result<T>) -> Duration {
    match r {
        Err(Error::RateLimited { retry_after }) => retry_after,
        other => panic!("expected rate_limited, got {other:?}"),
    }
}

#[tokio::test]
async fn messages_per_user_are_rate_limited() {
    let chat = chat_with(Limits {
        send_rate: Some(Rate::new(5, Duration::from_secs(10))),
        ..Limits::without_rate_limits()
    });
    let a = register(&chat, "alice").await;
    let b = register(&chat, "bob").await;
    let r = chat
        .create_room(a, new_room(RoomKind::Public))
        .await
        .unwrap();
    chat.join_room(b, r.id, None).await.unwrap();
    let msg = |s: &str| SendMessage {
        body: s.into(),
        ..Default::default()
    };
    for i in 0..5 {
        chat.send_message(a, r.id, msg(&format!("{i}")))
            .await
            .unwrap();
    }
    let wait = rate_limited(chat.send_message(a, r.id, msg("too many")).await);
    assert!(
        wait > Duration::from_secs(5) && wait <= Duration::from_secs(10),
        "{wait:?}"
    );
    // Another user is unaffected; nothing was stored for the refused send.
    chat.send_message(b, r.id, msg("bob's")).await.unwrap();
    let page = chat.history(a, r.id, Default::default()).await.unwrap();
    assert!(page.messages.iter().all(|m| m.body != "too many"));
}

#[tokio::test]
async fn slow_mode_applies_to_members_not_moderators() {
    let chat = chat_with(Limits::without_rate_limits());
    let owner = register(&chat, "owner").await;
    let m = register(&chat, "member").await;
    let r = chat
        .create_room(owner, new_room(RoomKind::Public))
        .await
        .unwrap();
    chat.join_room(m, r.id, None).await.unwrap();
    chat.update_room(
        owner,
        r.id,
        chatcore::RoomUpdate {
            slow_mode_secs: Some(30),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let msg = |s: &str| SendMessage {
        body: s.into(),
        ..Default::default()
    };
    chat.send_message(m, r.id, msg("one")).await.unwrap();
    let wait = rate_limited(chat.send_message(m, r.id, msg("two")).await);
    assert!(wait <= Duration::from_secs(30) && wait > Duration::from_secs(25));
    chat.send_message(owner, r.id, msg("mods are exempt"))
        .await
        .unwrap();
    chat.send_message(owner, r.id, msg("still exempt"))
        .await
        .unwrap();
}

#[tokio::test]
async fn login_attempts_per_account_are_limited() {
    let chat = chat_with(Limits {
        login_rate: Some(Rate::new(3, Duration::from_secs(60))),
        ..Limits::without_rate_limits()
    });
    register(&chat, "alice").await;
    for _ in 0..3 {
        assert!(matches!(
            chat.login("alice", "wrong password", None).await,
            Err(Error::Unauthenticated(_))
        ));
    }
    // Even the right password is refused until the bucket refills: guessing stops.
    rate_limited(chat.login("ALICE", "correct horse battery", None).await);
    // Other accounts are unaffected.
    register(&chat, "bob").await;
    chat.login("bob", "correct horse battery", None)
        .await
        .unwrap();
}

#[tokio::test]
async fn code_join_attempts_are_limited() {
    let chat = chat_with(Limits {
        code_join_rate: Some(Rate::new(4, Duration::from_secs(60))),
        ..Limits::without_rate_limits()
    });
    let owner = register(&chat, "owner").await;
    let guesser = register(&chat, "guesser").await;
    let r = chat
        .create_room(owner, new_room(RoomKind::Private))
        .await
        .unwrap();
    for guess in ["AAAAAAAA", "AAAAAAAB", "AAAAAAAC", "AAAAAAAD"] {
        let res = chat.join_by_code(guesser, guess, None).await;
        assert!(matches!(res, Err(Error::NotFound(_))), "{res:?}");
    }
    // The real code no longer helps a guesser who ran out of attempts.
    rate_limited(
        chat.join_by_code(guesser, r.code.unwrap().as_str(), None)
            .await,
    );
}

#[tokio::test]
async fn connections_per_user_are_limited() {
    let chat = chat_with(Limits {
        max_connections_per_user: 2,
        ..Limits::without_rate_limits()
    });
    let a = register(&chat, "alice").await;
    let c1 = chat.connect(a, None).await.unwrap();
    let _c2 = chat.connect(a, None).await.unwrap();
    rate_limited(chat.connect(a, None).await);
    c1.close().await;
    let _c3 = chat.connect(a, None).await.unwrap();
}

#[tokio::test]
async fn sizes_are_limited() {
    let chat = chat_with(Limits {
        max_message_chars: 10,
        max_name_chars: 5,
        ..Limits::without_rate_limits()
    });
    let a = register(&chat, "alice").await;
    let too_long_name = chat
        .create_room(
            a,
            NewRoom {
                name: "abcdef".into(),
                ..new_room(RoomKind::Public)
            },
        )
        .await;
    assert!(matches!(
        too_long_name,
        Err(Error::TooLarge {
            field: "name",
            limit: 5
        })
    ));
    let r = chat.create_room(a, new_room(RoomKind::Public)).await;
    assert!(r.is_err(), "'limits' is 6 characters");
    let r = chat
        .create_room(
            a,
            NewRoom {
                name: "ok".into(),
                ..new_room(RoomKind::Public)
            },
        )
        .await
        .unwrap();
    let long = chat
        .send_message(
            a,
            r.id,
            SendMessage {
                body: "x".repeat(11),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(
        long,
        Err(Error::TooLarge {
            field: "body",
            limit: 10
        })
    ));
    let huge_password = chat
        .register(
            Register {
                username: "bob".into(),
                password: "p".repeat(10_000),
                ..Default::default()
            },
            None,
        )
        .await;
    assert!(matches!(
        huge_password,
        Err(Error::TooLarge {
            field: "password",
            ..
        })
    ));
}
