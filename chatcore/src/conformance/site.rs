//! Conformance cases of site administration: administrators, suspensions, the
//! site-wide listings and the audit log.

use std::sync::Arc;

use super::{chat, register, room, say, stored_user, texts};
use crate::error::Error;
use crate::model::RoomKind;
use crate::site::AdminAction;
use crate::store::Store;

pub async fn site_admins_granted_by_the_operator_only(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let alice = register(&chat, "alice").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    assert!(!chat.is_site_admin(alice).await.unwrap());
    assert!(chat.grant_site_admin("ALICE").await.unwrap());
    assert!(
        !chat.grant_site_admin("alice").await.unwrap(),
        "granted once"
    );
    assert!(chat.is_site_admin(alice).await.unwrap());
    assert!(!chat.is_site_admin(bob).await.unwrap());
    let names: Vec<String> = chat
        .site_admins()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice"]);
    assert!(matches!(
        chat.grant_site_admin("nobody").await,
        Err(Error::NotFound(_))
    ));
    // Bob is no administrator: every admin operation is refused.
    assert!(matches!(
        chat.admin_users(bob, None, 10).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.admin_suspend(bob, alice).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.admin_audit(bob, None, 10).await,
        Err(Error::Forbidden(_))
    ));
    assert!(chat.revoke_site_admin("alice").await.unwrap());
    assert!(!chat.revoke_site_admin("alice").await.unwrap());
    assert!(!chat.is_site_admin(alice).await.unwrap());
    assert!(chat.site_admins().await.unwrap().is_empty());
    // The audit log kept both, newest first, with no acting user (the operator).
    chat.grant_site_admin("bob").await.unwrap();
    let log = chat.admin_audit(bob, None, 10).await.unwrap();
    let actions: Vec<AdminAction> = log.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AdminAction::GrantAdmin,
            AdminAction::RevokeAdmin,
            AdminAction::GrantAdmin
        ]
    );
    assert!(log.iter().all(|e| e.actor.is_none()));
    assert_eq!(log[1].target_user, Some(alice));
    assert_eq!(log[1].detail, "alice");
    let older = chat.admin_audit(bob, Some(log[0].id), 10).await.unwrap();
    assert_eq!(older.len(), 2, "paging by id");
}

pub async fn site_suspension_ends_sessions_and_refuses_login(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let admin = register(&chat, "admin").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    chat.grant_site_admin("admin").await.unwrap();
    let r = room(&chat, bob, RoomKind::Public, "bobs").await;
    say(&chat, bob, r.id, "before").await;
    let (_, token) = chat
        .login("bob", "correct horse battery", None)
        .await
        .unwrap();
    assert!(matches!(
        chat.admin_suspend(admin, admin).await,
        Err(Error::Forbidden(_))
    ));
    let view = chat.admin_suspend(admin, bob).await.unwrap();
    assert!(view.status.suspended_at.is_some());
    assert!(store.list_sessions(bob).await.unwrap().is_empty());
    assert!(matches!(
        chat.authenticate(&token.token).await,
        Err(Error::Unauthenticated(_))
    ));
    assert!(matches!(
        chat.login("bob", "correct horse battery", None).await,
        Err(Error::Suspended)
    ));
    assert!(matches!(
        chat.create_session(bob, None).await,
        Err(Error::Suspended)
    ));
    assert!(store.list_sessions(bob).await.unwrap().is_empty());
    assert!(matches!(
        chat.connect(bob, None).await,
        Err(Error::Suspended)
    ));
    // Administrators cannot be suspended.
    chat.grant_site_admin("bob").await.unwrap();
    assert!(matches!(
        chat.admin_suspend(admin, bob).await,
        Err(Error::Forbidden(_))
    ));
    chat.revoke_site_admin("bob").await.unwrap();
    // A suspended user's messages stay.
    assert_eq!(texts(&chat, bob, r.id).await, ["before"]);
    let view = chat.admin_unsuspend(admin, bob).await.unwrap();
    assert_eq!(view.status.suspended_at, None);
    chat.login("bob", "correct horse battery", None)
        .await
        .unwrap();
    let log = chat.admin_audit(admin, None, 10).await.unwrap();
    assert_eq!(log[0].action, AdminAction::Unsuspend);
    assert_eq!(log[0].actor, Some(admin));
    assert!(log.iter().any(|e| e.action == AdminAction::Suspend
        && e.target_user == Some(bob)
        && e.actor == Some(admin)));
}

/// A session created while the account is being suspended never survives it: the
/// suspension records the flag before deleting sessions, and a new session reads the
/// flag after it is stored.
pub async fn site_session_racing_suspension_never_survives(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let admin = register(&chat, "admin").await.user.id;
    chat.grant_site_admin("admin").await.unwrap();
    for trial in 0..64 {
        let user = stored_user(&store, &format!("racer{trial}")).await;
        let (a, b) = (chat.clone(), chat.clone());
        let login = tokio::spawn(async move { a.create_session(user, None).await });
        let suspend = tokio::spawn(async move { b.admin_suspend(admin, user).await });
        let _ = login.await.unwrap();
        suspend.await.unwrap().unwrap();
        assert!(
            store.list_sessions(user).await.unwrap().is_empty(),
            "trial {trial}: a session outlived the suspension"
        );
    }
}

pub async fn site_admin_lists_and_deletes_rooms_they_are_not_in(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let admin = register(&chat, "admin").await.user.id;
    let carol = register(&chat, "carol").await.user.id;
    chat.grant_site_admin("admin").await.unwrap();
    let public = room(&chat, carol, RoomKind::Public, "open").await;
    let private = room(&chat, carol, RoomKind::Private, "secret").await;
    say(&chat, carol, private.id, "hidden words").await;
    let rooms = chat.admin_rooms(admin, None, 50).await.unwrap();
    assert_eq!(rooms.len(), 2);
    assert!(
        rooms
            .iter()
            .any(|r| r.id == private.id && r.member_count == 1)
    );
    let page = chat.admin_rooms(admin, None, 1).await.unwrap();
    let rest = chat.admin_rooms(admin, Some(page[0].id), 50).await.unwrap();
    assert_eq!(page.len() + rest.len(), 2, "paging by id");
    let members = chat.admin_room_members(admin, private.id).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user.id, carol);
    // Members, never messages: the history stays closed to a non-member admin.
    assert!(
        chat.history(admin, private.id, Default::default())
            .await
            .is_err()
    );
    let users = chat.admin_users(admin, None, 50).await.unwrap();
    assert_eq!(users.len(), 2);
    assert!(
        users
            .iter()
            .any(|u| u.user.id == admin && u.status.admin_since.is_some())
    );
    chat.admin_delete_room(admin, private.id).await.unwrap();
    assert!(store.get_room(private.id).await.unwrap().is_none());
    assert!(matches!(
        chat.admin_delete_room(admin, private.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        chat.admin_delete_room(carol, public.id).await,
        Err(Error::Forbidden(_))
    ));
    let log = chat.admin_audit(admin, None, 1).await.unwrap();
    assert_eq!(log[0].action, AdminAction::DeleteRoom);
    assert_eq!(log[0].target_room, Some(private.id));
    assert_eq!(log[0].detail, "secret");
}
