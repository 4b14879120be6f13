//! Conformance cases of [`UserStore`](crate::store::UserStore): uniqueness, updates
//! and look-ups.

use std::collections::HashSet;
use std::sync::Arc;

use super::{assert_conflict, chat, is_not_found, plain_user, register};
use crate::error::Conflict;
use crate::ids::{UserId, Username};
use crate::model::NewUser;
use crate::store::Store;
use crate::{ProfileUpdate, Register};

pub async fn users_unique_case_insensitive(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let alice = register(&chat, "Alice").await;
    let again = chat
        .register(
            Register {
                username: "aLiCe".into(),
                password: "another password".into(),
                ..Default::default()
            },
            None,
        )
        .await;
    assert_conflict(again, Conflict::Username);
    let found = store.find_user_by_username("alice").await.unwrap().unwrap();
    assert_eq!(found.id, alice.user.id);
    assert_eq!(
        found.username.as_str(),
        "Alice",
        "username kept as registered"
    );
    // Direct store insert with a differently-cased name also conflicts.
    let dup = store
        .create_user(NewUser {
            user: plain_user("ALICE"),
            password_hash: None,
        })
        .await;
    assert_conflict(dup, Conflict::Username);
}

pub async fn users_unique_email_and_external_id(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let reg = |name: &str, email: &str| Register {
        username: name.into(),
        password: "correct horse battery".into(),
        email: Some(email.into()),
        display_name: None,
    };
    chat.register(reg("bob", "Bob@Example.com"), None)
        .await
        .unwrap();
    let dup = chat.register(reg("bobby", "bob@example.COM"), None).await;
    assert_conflict(dup, Conflict::Email);

    let mut u = plain_user("ext1");
    u.external_id = Some("app:1".into());
    store
        .create_user(NewUser {
            user: u,
            password_hash: None,
        })
        .await
        .unwrap();
    let mut u2 = plain_user("ext2");
    u2.external_id = Some("app:1".into());
    let dup = store
        .create_user(NewUser {
            user: u2,
            password_hash: None,
        })
        .await;
    assert_conflict(dup, Conflict::ExternalIdentity);

    // ensure_external_user is idempotent and picks a free username.
    let a = chat
        .ensure_external_user(crate::ExternalUser {
            external_id: "host:42".into(),
            username: "bob".into(),
            display_name: Some("Bob from host".into()),
        })
        .await
        .unwrap();
    assert_ne!(
        a.username.normalized(),
        "bob",
        "taken username gets a suffix"
    );
    let b = chat
        .ensure_external_user(crate::ExternalUser {
            external_id: "host:42".into(),
            username: "whatever".into(),
            display_name: None,
        })
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    assert!(store.get_password_hash(a.id).await.unwrap().is_none());
}

pub async fn users_update_and_lookup(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "carol").await;
    register(&chat, "dave").await;
    let me = chat
        .update_profile(
            a.user.id,
            ProfileUpdate {
                display_name: Some("Carol C".into()),
                bio: Some("hello\nworld".into()),
                avatar_url: Some("https://img.example/c.png".into()),
                email: Some("carol@example.com".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(me.user.display_name, "Carol C");
    assert_eq!(me.user.bio, "hello\nworld");
    assert_eq!(me.email.as_deref(), Some("carol@example.com"));
    let stored = store.get_user(a.user.id).await.unwrap().unwrap();
    assert_eq!(
        stored.avatar_url.as_deref(),
        Some("https://img.example/c.png")
    );
    // Renaming onto another user's name conflicts.
    let mut clash = stored.clone();
    clash.username = Username::parse("DAVE").unwrap();
    assert_conflict(store.update_user(&clash).await, Conflict::Username);
    // Clearing the email frees it.
    chat.update_profile(
        a.user.id,
        ProfileUpdate {
            email: Some(String::new()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        store
            .get_user(a.user.id)
            .await
            .unwrap()
            .unwrap()
            .email
            .is_none()
    );
    // Unknown user updates are NotFound.
    assert!(is_not_found(&store.update_user(&plain_user("ghost")).await));
    assert!(is_not_found(&chat.find_user("nobody-here").await));
    assert_eq!(chat.find_user("CAROL").await.unwrap().id, a.user.id);
}

pub async fn users_get_many_and_last_seen(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let a = register(&chat, "erin").await;
    let b = register(&chat, "frank").await;
    let got = store
        .get_users(&[a.user.id, b.user.id, UserId::new()])
        .await
        .unwrap();
    let ids: HashSet<UserId> = got.iter().map(|u| u.id).collect();
    assert_eq!(ids, HashSet::from([a.user.id, b.user.id]));
    let at = chrono::Utc::now();
    store.set_last_seen(a.user.id, at).await.unwrap();
    let seen = store
        .get_user(a.user.id)
        .await
        .unwrap()
        .unwrap()
        .last_seen_at
        .unwrap();
    assert!((seen - at).num_milliseconds().abs() < 1000);
}
