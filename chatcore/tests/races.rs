//! Races put exactly between two steps of an operation by pausing the hub
//! ([`chatcore::conformance::pause::PausingHub`]): a connection opening while its
//! session is revoked, its user deleted, kicked or banned; a subscription racing a
//! kick; an edit racing a delete. A login racing a password change has no hub step
//! to pause at, so it is staged by timing over the change's whole duration.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chatcore::conformance::pause::{PausingHub, Point};
use chatcore::hub::Dispatch;
use chatcore::mail::{RecordingMailer, token_in};
use chatcore::protocol::ServerEvent;
use chatcore::{
    Chat, ChatConnection, Error, Limits, LocalHub, MemoryStore, NewRoom, Register, RoomId,
    RoomKind, SessionId, UserId,
};
use common::{drain, say, texts};

const PW: &str = "correct horse battery";

fn chat() -> (Chat, Arc<PausingHub>, Arc<RecordingMailer>) {
    let hub = PausingHub::new(Arc::new(LocalHub::default()));
    let mailer = Arc::new(RecordingMailer::new());
    let chat = Chat::builder(Arc::new(MemoryStore::new()))
        .limits(Limits::without_rate_limits())
        .hub(hub.clone())
        .mailer(mailer.clone())
        .build();
    (chat, hub, mailer)
}

async fn register(chat: &Chat, name: &str) -> (UserId, SessionId) {
    let (me, token) = chat
        .register(
            Register {
                username: name.into(),
                password: PW.into(),
                email: Some(format!("{name}@example.com")),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    (me.user.id, token.session.id)
}

async fn public_room(chat: &Chat, owner: UserId) -> RoomId {
    chat.create_room(owner, NewRoom::new(RoomKind::Public, "race"))
        .await
        .unwrap()
        .id
}

/// Wait for `pause` to be reached, failing clearly if the code never gets there.
async fn reached(pause: &chatcore::conformance::pause::Pause) {
    tokio::time::timeout(Duration::from_secs(5), pause.reached())
        .await
        .expect("the paused step was never reached");
}

/// `chat.connect(user, session)` with the hub paused before the registration while
/// `revoke` runs.
async fn connect_racing(
    chat: &Chat,
    hub: &PausingHub,
    point: Point,
    user: UserId,
    session: Option<SessionId>,
    revoke: impl std::future::Future<Output = ()>,
) -> chatcore::Result<ChatConnection> {
    let pause = hub.pause(point);
    let connecting = {
        let chat = chat.clone();
        tokio::spawn(async move { chat.connect(user, session).await })
    };
    reached(&pause).await;
    revoke.await;
    pause.release();
    connecting.await.unwrap()
}

/// Logout, logout everywhere, password change, password reset and account deletion,
/// each landing while a connection of that session is being opened: the connection
/// is refused (the service re-reads the session and the user after registering with
/// the hub), never left open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_racing_a_revocation_does_not_survive() {
    let (chat, hub, mailer) = chat();
    let revocations = [
        "logout",
        "logout everywhere",
        "password change",
        "password reset",
        "account deletion",
    ];
    for (i, what) in revocations.into_iter().enumerate() {
        let name = format!("user{i}");
        let (u, victim) = register(&chat, &name).await;
        let (_, kept) = chat.login(&name, PW, None).await.unwrap();
        let reset = if what == "password reset" {
            let email = format!("{name}@example.com");
            chat.request_password_reset(&email).await.unwrap();
            let mut token = None;
            for _ in 0..500 {
                token = mailer
                    .emails()
                    .iter()
                    .filter(|e| e.to == email)
                    .find_map(|e| token_in(&e.text, "reset-password"));
                if token.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            token
        } else {
            None
        };
        let c = chat.clone();
        let result = connect_racing(&chat, &hub, Point::Connect, u, Some(victim), async move {
            match what {
                "logout" => c.logout(u, victim).await.unwrap(),
                "logout everywhere" => {
                    c.logout_everywhere(u).await.unwrap();
                }
                "password change" => c
                    .change_password(u, Some(kept.session.id), PW, "another horse battery")
                    .await
                    .unwrap(),
                "password reset" => c
                    .reset_password(&reset.unwrap(), "another horse battery")
                    .await
                    .unwrap(),
                _ => c.delete_account(u, Some(PW)).await.unwrap(),
            }
        })
        .await;
        match result {
            Err(Error::Unauthenticated(_) | Error::NotFound(_)) => {}
            Err(e) => panic!("{what}: unexpected {e:?}"),
            Ok(mut conn) => {
                let closed = tokio::time::timeout(Duration::from_secs(2), async {
                    while conn.connection().recv().await.is_some() {}
                })
                .await;
                assert!(closed.is_ok(), "a connection racing a {what} stays open");
            }
        }
    }
}

/// A kick and a ban landing while a connection is being opened (before it
/// registers): the connection never receives those rooms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_racing_a_kick_gets_nothing_from_the_room() {
    let (chat, hub, _) = chat();
    let (owner, _) = register(&chat, "owner").await;
    let (u, _) = register(&chat, "target").await;
    let kicked = public_room(&chat, owner).await;
    let banned = public_room(&chat, owner).await;
    let stays = public_room(&chat, owner).await;
    for r in [kicked, banned, stays] {
        chat.join_room(u, r, None).await.unwrap();
    }
    let c = chat.clone();
    let mut conn = connect_racing(&chat, &hub, Point::Connect, u, None, async move {
        c.kick(owner, kicked, u).await.unwrap();
        c.ban(owner, banned, u, "race", None).await.unwrap();
    })
    .await
    .unwrap();
    for (r, body) in [(kicked, "kicked"), (banned, "banned"), (stays, "stays")] {
        chat.send_message(owner, r, say(body)).await.unwrap();
    }
    assert_eq!(texts(&drain(&mut conn)), ["stays"]);
}

/// A kick landing after the connection read the user's rooms but before it
/// subscribed them: the re-read after subscribing drops the room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_between_reading_rooms_and_subscribing_is_caught() {
    let (chat, hub, _) = chat();
    let (owner, _) = register(&chat, "owner").await;
    let (u, _) = register(&chat, "target").await;
    let kicked = public_room(&chat, owner).await;
    chat.join_room(u, kicked, None).await.unwrap();
    let c = chat.clone();
    let mut conn = connect_racing(&chat, &hub, Point::Subscribe, u, None, async move {
        c.kick(owner, kicked, u).await.unwrap();
    })
    .await
    .unwrap();
    chat.send_message(owner, kicked, say("kicked"))
        .await
        .unwrap();
    assert!(texts(&drain(&mut conn)).is_empty());
}

/// `subscribe_connection` (a `join` of a room the user is already in) racing a kick:
/// membership is re-checked after subscribing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_racing_a_kick_is_undone() {
    let (chat, hub, _) = chat();
    let (owner, _) = register(&chat, "owner").await;
    let (u, _) = register(&chat, "target").await;
    let r = public_room(&chat, owner).await;
    chat.join_room(u, r, None).await.unwrap();
    let mut conn = chat.connect(u, None).await.unwrap();
    // The connection does not receive the room (as after a missed rejoin); it asks
    // for it while the user is being kicked.
    chat.hub()
        .publish(Dispatch::Unsubscribe { user: u, room: r });
    let pause = hub.pause(Point::Subscribe);
    let subscribing = {
        let chat = chat.clone();
        let id = conn.id();
        tokio::spawn(async move { chat.subscribe_connection(u, id, r).await })
    };
    reached(&pause).await;
    chat.kick(owner, r, u).await.unwrap();
    pause.release();
    let _ = subscribing.await.unwrap();
    drain(&mut conn);
    chat.send_message(owner, r, say("kicked")).await.unwrap();
    assert!(texts(&drain(&mut conn)).is_empty());
}

fn is_edit(d: &Dispatch) -> bool {
    matches!(
        d,
        Dispatch::Room {
            event: ServerEvent::MessageEdited { .. },
            ..
        }
    )
}

/// An edit whose event is held back after its store update, while the message is
/// deleted: `message_edited` never reaches anyone after `message_deleted`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_edited_never_follows_message_deleted() {
    let (chat, hub, _) = chat();
    let (u, _) = register(&chat, "author").await;
    let (w, _) = register(&chat, "watcher").await;
    let r = public_room(&chat, u).await;
    chat.join_room(w, r, None).await.unwrap();
    let mut conn = chat.connect(w, None).await.unwrap();
    let m = chat.send_message(u, r, say("first")).await.unwrap();

    let pause = hub.pause(Point::Publish(is_edit));
    let editing = {
        let chat = chat.clone();
        tokio::spawn(async move { chat.edit_message(u, m.id, "second").await })
    };
    reached(&pause).await;
    let deleting = {
        let chat = chat.clone();
        tokio::spawn(async move { chat.delete_message(u, m.id).await })
    };
    // Give the delete every chance to overtake the held edit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    pause.release();
    editing.await.unwrap().unwrap();
    deleting.await.unwrap().unwrap();

    let events = drain(&mut conn);
    let deleted = events
        .iter()
        .position(
            |e| matches!(e, ServerEvent::MessageDeleted { message_id, .. } if *message_id == m.id),
        )
        .expect("message_deleted");
    let edited_after = events[deleted..]
        .iter()
        .any(|e| matches!(e, ServerEvent::MessageEdited { message } if message.id == m.id));
    assert!(
        !edited_after,
        "message_edited after message_deleted: {events:?}"
    );
    let stored = chat.store().get_message(m.id).await.unwrap().unwrap();
    assert_eq!(stored.body, "");
}

/// A login with the old password whose argon2 check overlaps a password change: the
/// session it opens must not outlive the change. (No hub step to pause here, so the
/// race is staged by timing: a login is started at offsets spread over the change's
/// whole duration; before the fix, those whose hash read precedes the change's new
/// hash but whose session is created after its sweep of the sessions survived.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_racing_a_password_change_leaves_no_session_behind() {
    let (chat, _hub, _mailer) = chat();
    let (u, keep) = register(&chat, "victim").await;
    // How long the change takes here (two argon2 runs), to spread the logins over it.
    let started = std::time::Instant::now();
    chat.change_password(u, Some(keep), PW, "a second horse battery")
        .await
        .unwrap();
    let change = started.elapsed();
    chat.change_password(u, Some(keep), "a second horse battery", PW)
        .await
        .unwrap();

    const TRIALS: u32 = 24;
    let mut survivors = Vec::new();
    for trial in 0..TRIALS {
        let new = format!("battery horse number {trial}");
        let old = if trial == 0 {
            PW.to_owned()
        } else {
            format!("battery horse number {}", trial - 1)
        };
        let changing = {
            let chat = chat.clone();
            let (old, new) = (old.clone(), new.clone());
            tokio::spawn(async move { chat.change_password(u, Some(keep), &old, &new).await })
        };
        // Offsets from 0 to 1.5 × the change's duration.
        tokio::time::sleep(change * 3 * trial / (2 * TRIALS)).await;
        let login = chat.login("victim", &old, None).await;
        changing.await.unwrap().unwrap();
        if let Ok((_, token)) = login
            && chat.authenticate(&token.token).await.is_ok()
        {
            survivors.push(trial);
        }
    }
    assert!(
        survivors.is_empty(),
        "sessions opened with the old password outlived its change in trials {survivors:?}"
    );
}

fn is_new_owner(d: &Dispatch) -> bool {
    matches!(
        d,
        Dispatch::Room {
            event: ServerEvent::RoleChanged {
                role: chatcore::Role::Owner,
                ..
            },
            ..
        }
    )
}

/// An account deletion held after it has handed on the rooms it found the user
/// owning, while another owner hands the user a room: the deletion must not leave
/// that room without an owner (the store refuses, the service hands it on again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_handed_to_a_deleted_account_keeps_an_owner() {
    let (chat, hub, _) = chat();
    let (owner, _) = register(&chat, "owner").await;
    let (leaver, _) = register(&chat, "leaver").await;
    let (friend, _) = register(&chat, "friend").await;
    let handed = public_room(&chat, owner).await;
    chat.join_room(leaver, handed, None).await.unwrap();
    let own = public_room(&chat, leaver).await;
    chat.join_room(friend, own, None).await.unwrap();

    // The deletion hands `own` to the friend and stops at announcing it.
    let pause = hub.pause(Point::Publish(is_new_owner));
    let deleting = {
        let chat = chat.clone();
        tokio::spawn(async move { chat.delete_account(leaver, Some(PW)).await })
    };
    reached(&pause).await;
    chat.transfer_ownership(owner, handed, leaver)
        .await
        .unwrap();
    pause.release();
    deleting.await.unwrap().unwrap();

    let owners: Vec<UserId> = chat
        .store()
        .list_members(handed)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.role == chatcore::Role::Owner)
        .map(|m| m.user_id)
        .collect();
    assert_eq!(
        owners,
        [owner],
        "the room handed to the leaver has its owner"
    );
    assert!(chat.store().get_user(leaver).await.unwrap().is_none());
}
