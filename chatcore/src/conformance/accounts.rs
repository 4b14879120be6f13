//! Conformance cases of sessions and accounts: sign-in, sign-out, password changes,
//! account deletion and the removal of expired records.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use super::{chat, plain_user, register, room, say};
use crate::Register;
use crate::error::{Conflict, Error};
use crate::ids::{SessionId, UserId};
use crate::model::{NewUser, Role, RoomKind, Session};
use crate::store::Store;

pub async fn sessions_roundtrip(store: Arc<dyn Store>) {
    let user = store
        .create_user(NewUser {
            user: plain_user("sess"),
            password_hash: None,
        })
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let mk = |n: u8, created: chrono::DateTime<chrono::Utc>| Session {
        id: SessionId::new(),
        user_id: user.id,
        token_hash: [n; 32],
        created_at: created,
        last_used_at: created,
        expires_at: created + ChronoDuration::days(1),
        user_agent: Some(format!("agent {n}")),
    };
    let s1 = mk(1, now - ChronoDuration::minutes(5));
    let s2 = mk(2, now);
    store.create_session(s1.clone()).await.unwrap();
    store.create_session(s2.clone()).await.unwrap();
    let found = store.find_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(found.id, s1.id);
    assert_eq!(found.user_agent.as_deref(), Some("agent 1"));
    assert!(store.find_session(&[9; 32]).await.unwrap().is_none());
    let later = now + ChronoDuration::hours(2);
    store
        .touch_session(s1.id, later, later + ChronoDuration::days(1))
        .await
        .unwrap();
    let touched = store.find_session(&[1; 32]).await.unwrap().unwrap();
    assert!(
        (touched.expires_at - (later + ChronoDuration::days(1)))
            .num_seconds()
            .abs()
            <= 1
    );
    let list = store.list_sessions(user.id).await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![s2.id, s1.id],
        "newest first"
    );
    // Deleting someone else's session id is refused.
    assert!(!store.delete_session(UserId::new(), s1.id).await.unwrap());
    assert!(store.delete_session(user.id, s1.id).await.unwrap());
    assert!(store.find_session(&[1; 32]).await.unwrap().is_none());
    assert_eq!(store.delete_user_sessions(user.id).await.unwrap(), 1);
    assert!(store.list_sessions(user.id).await.unwrap().is_empty());
}

/// A session by id, for the connection's re-check after it registers with the hub.
pub async fn sessions_lookup_by_id(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let me = register(&chat, "sid").await.user.id;
    let (_, token) = chat
        .login("sid", "correct horse battery", None)
        .await
        .unwrap();
    let found = store.get_session(token.session.id).await.unwrap().unwrap();
    assert_eq!((found.id, found.user_id), (token.session.id, me));
    assert_eq!(found.token_hash, token.session.token_hash);
    assert!(store.get_session(SessionId::new()).await.unwrap().is_none());
    chat.logout(me, token.session.id).await.unwrap();
    assert!(store.get_session(token.session.id).await.unwrap().is_none());
}

pub async fn accounts_register_login_logout(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (me, token) = chat
        .register(
            Register {
                username: "gina".into(),
                password: "correct horse battery".into(),
                ..Default::default()
            },
            Some("test agent".into()),
        )
        .await
        .unwrap();
    // Tokens carry at least 128 bits and are stored only hashed.
    assert!(token.token.len() >= 22);
    let sess = store.list_sessions(me.user.id).await.unwrap();
    assert_eq!(sess.len(), 1);
    assert_ne!(&sess[0].token_hash[..], token.token.as_bytes());
    assert_eq!(
        chat.authenticate(&token.token).await.unwrap().user_id,
        me.user.id
    );
    // The password is stored as an argon2id hash.
    let hash = store.get_password_hash(me.user.id).await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    assert!(matches!(
        chat.login("gina", "wrong password!", None).await,
        Err(Error::Unauthenticated(_))
    ));
    assert!(matches!(
        chat.login("nobody", "whatever123", None).await,
        Err(Error::Unauthenticated(_))
    ));
    let (_, t2) = chat
        .login("GINA", "correct horse battery", None)
        .await
        .unwrap();
    assert_ne!(t2.token, token.token);
    chat.logout(me.user.id, t2.session.id).await.unwrap();
    assert!(matches!(
        chat.authenticate(&t2.token).await,
        Err(Error::Unauthenticated(_))
    ));
    assert!(chat.authenticate(&token.token).await.is_ok());
    let (_, t3) = chat
        .login("gina", "correct horse battery", None)
        .await
        .unwrap();
    assert_eq!(chat.logout_everywhere(me.user.id).await.unwrap(), 2);
    assert!(chat.authenticate(&token.token).await.is_err());
    assert!(chat.authenticate(&t3.token).await.is_err());
}

pub async fn accounts_change_password_and_delete(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (me, t1) = chat
        .register(
            Register {
                username: "hank".into(),
                password: "correct horse battery".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let (_, t2) = chat
        .login("hank", "correct horse battery", None)
        .await
        .unwrap();
    assert!(matches!(
        chat.change_password(
            me.user.id,
            Some(t1.session.id),
            "wrong one!",
            "new password 1"
        )
        .await,
        Err(Error::Unauthenticated(_))
    ));
    chat.change_password(
        me.user.id,
        Some(t1.session.id),
        "correct horse battery",
        "new password 1",
    )
    .await
    .unwrap();
    assert!(
        chat.authenticate(&t1.token).await.is_ok(),
        "current session kept"
    );
    assert!(
        chat.authenticate(&t2.token).await.is_err(),
        "other sessions ended"
    );
    assert!(
        chat.login("hank", "correct horse battery", None)
            .await
            .is_err()
    );
    assert!(chat.login("hank", "new password 1", None).await.is_ok());
    assert!(matches!(
        chat.delete_account(me.user.id, Some("nope nope")).await,
        Err(Error::Unauthenticated(_))
    ));
    chat.delete_account(me.user.id, Some("new password 1"))
        .await
        .unwrap();
    assert!(store.get_user(me.user.id).await.unwrap().is_none());
    assert!(chat.authenticate(&t1.token).await.is_err());
    // The username is free again.
    register(&chat, "hank").await;
}

pub async fn account_deletion_rule(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let (gone, _) = chat
        .register(
            Register {
                username: "leaver".into(),
                password: "correct horse battery".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let gone = gone.user.id;
    let stay = register(&chat, "stayer").await.user.id;
    let shared = room(&chat, gone, RoomKind::Public, "shared").await;
    chat.join_room(stay, shared.id, None).await.unwrap();
    let alone = room(&chat, gone, RoomKind::Private, "alone").await;
    let banned_here = room(&chat, stay, RoomKind::Public, "ban list").await;
    let victim = register(&chat, "victim").await.user.id;
    chat.join_room(gone, banned_here.id, None).await.unwrap();
    chat.set_role(stay, banned_here.id, gone, Role::Moderator)
        .await
        .unwrap();
    chat.ban(
        gone,
        banned_here.id,
        victim,
        "by a moderator who leaves",
        None,
    )
    .await
    .unwrap();
    let m = say(&chat, gone, shared.id, "my words").await;
    chat.delete_account(gone, Some("correct horse battery"))
        .await
        .unwrap();

    assert!(store.get_user(gone).await.unwrap().is_none());
    assert!(store.list_sessions(gone).await.unwrap().is_empty());
    assert!(store.list_user_rooms(gone).await.unwrap().is_empty());
    assert_eq!(
        store
            .get_member(shared.id, stay)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Owner
    );
    assert!(store.get_room(alone.id).await.unwrap().is_none());
    let erased = store.get_message(m.id).await.unwrap().unwrap();
    assert!(erased.body.is_empty());
    assert!(erased.author_id.is_none());
    assert!(erased.deleted_at.is_some());
    let ban = store
        .get_ban(banned_here.id, victim)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ban.banned_by, None, "the ban stays in force");
    assert!(matches!(
        chat.join_room(victim, banned_here.id, None).await,
        Err(Error::Banned)
    ));
}

pub async fn maintenance_deletes_expired(store: Arc<dyn Store>) {
    let Some(m) = store.maintenance() else {
        return; // optional capability
    };
    let user = store
        .create_user(NewUser {
            user: plain_user("old"),
            password_hash: None,
        })
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let mk = |n: u8, exp: chrono::DateTime<chrono::Utc>| Session {
        id: SessionId::new(),
        user_id: user.id,
        token_hash: [n; 32],
        created_at: now - ChronoDuration::days(2),
        last_used_at: now - ChronoDuration::days(2),
        expires_at: exp,
        user_agent: None,
    };
    store
        .create_session(mk(1, now - ChronoDuration::hours(1)))
        .await
        .unwrap();
    store
        .create_session(mk(2, now + ChronoDuration::hours(1)))
        .await
        .unwrap();
    let n = m.delete_expired(now).await.unwrap();
    assert_eq!(n, 1);
    assert!(store.find_session(&[1; 32]).await.unwrap().is_none());
    assert!(store.find_session(&[2; 32]).await.unwrap().is_some());
}

/// A room handed to a user while their account is being deleted is not left without
/// an owner: the store's deletion re-checks, in its transaction, that they own no
/// room (other than direct ones), and the service hands such a room on and retries.
pub async fn account_deletion_racing_a_transfer_keeps_an_owner(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "giver").await.user.id;

    // Straight on the store: the step a racing transfer makes the deletion find.
    let heir = register(&chat, "heir").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "handed").await.id;
    chat.join_room(heir, r, None).await.unwrap();
    store.transfer_ownership(r, owner, heir).await.unwrap();
    assert!(matches!(
        store.delete_user(heir, chrono::Utc::now()).await,
        Err(Error::Conflict(Conflict::Concurrent))
    ));
    assert!(
        store.get_user(heir).await.unwrap().is_some(),
        "nothing went"
    );
    assert_eq!(
        store.get_member(r, heir).await.unwrap().map(|m| m.role),
        Some(Role::Owner)
    );
    // The service hands the room back on and deletes.
    chat.delete_account(heir, Some("correct horse battery"))
        .await
        .unwrap();
    assert_eq!(
        store.get_member(r, owner).await.unwrap().map(|m| m.role),
        Some(Role::Owner)
    );

    // Racing through the service: a transfer to each of several users while their
    // (password-less, so quick) accounts are deleted.
    let mut trials = Vec::new();
    for i in 0..12 {
        let user = store
            .create_user(NewUser {
                user: plain_user(&format!("racer{i}")),
                password_hash: None,
            })
            .await
            .unwrap()
            .id;
        let r = room(&chat, owner, RoomKind::Public, &format!("race {i}"))
            .await
            .id;
        chat.join_room(user, r, None).await.unwrap();
        trials.push((user, r));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, &(user, r)) in trials.iter().enumerate() {
        let c = chat.clone();
        tasks.spawn(async move {
            for _ in 0..i % 4 {
                tokio::task::yield_now().await;
            }
            match c.transfer_ownership(owner, r, user).await {
                Ok(_) | Err(Error::NotFound(_) | Error::Forbidden(_)) => {}
                Err(e) => panic!("transfer: {e:?}"),
            }
        });
        let c = chat.clone();
        tasks.spawn(async move { c.delete_account(user, None).await.unwrap() });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    for (user, r) in trials {
        assert!(store.get_user(user).await.unwrap().is_none());
        let owners: Vec<_> = store
            .list_members(r)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.role == Role::Owner)
            .map(|m| m.user_id)
            .collect();
        assert_eq!(owners, [owner], "room {r} keeps exactly one owner");
    }
}
