//! Conformance cases of the moderated store actions (kick, ban, role change): the
//! log entry is written in the action's transaction, and the actor's role is
//! re-checked there.

use std::sync::Arc;

use super::{chat, register, room};
use crate::error::{Conflict, Error};
use crate::ids::{RoomId, UserId};
use crate::model::{Ban, ModAction, ModLogEntry, Role, RoomKind};
use crate::store::{ModeratedBy, Store};

fn by(room: RoomId, actor: UserId, role: Role, action: ModAction, whom: UserId) -> ModeratedBy {
    ModeratedBy {
        actor,
        role,
        log: ModLogEntry {
            id: uuid::Uuid::now_v7(),
            room_id: room,
            at: chrono::Utc::now(),
            actor: Some(actor),
            action,
            target_user: Some(whom),
            target_message: None,
            reason: String::new(),
        },
    }
}

fn concurrent<T: std::fmt::Debug>(r: crate::Result<T>) {
    assert!(
        matches!(r, Err(Error::Conflict(Conflict::Concurrent))),
        "{r:?}"
    );
}

/// The state the service sees when a moderator was demoted between its permission
/// check and the store write: the stale role is refused in the write's own
/// transaction, and nothing (action or log entry) is written. Before, the check was
/// only outside and the kick went through.
pub async fn moderated_actions_recheck_the_actors_role(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "owner").await.user.id;
    let moder = register(&chat, "moder").await.user.id;
    let bob = register(&chat, "bob").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "general").await.id;
    for u in [moder, bob] {
        chat.join_room(u, r, None).await.unwrap();
    }
    chat.set_role(owner, r, moder, Role::Moderator)
        .await
        .unwrap();
    let log_len = async || chat.room_audit(owner, r, None, 100).await.unwrap().len();
    let before = log_len().await;
    // Demoted after the service checked them as a moderator.
    chat.set_role(owner, r, moder, Role::Member).await.unwrap();
    let before = before + 1;
    let stale = |action| by(r, moder, Role::Moderator, action, bob);
    concurrent(
        store
            .kick_logged(r, bob, Role::Member, stale(ModAction::Kick))
            .await,
    );
    let ban = Ban {
        room_id: r,
        user_id: bob,
        banned_by: Some(moder),
        reason: String::new(),
        created_at: chrono::Utc::now(),
        expires_at: None,
    };
    concurrent(
        store
            .ban_logged(ban.clone(), Role::Member, stale(ModAction::Ban))
            .await,
    );
    concurrent(
        store
            .set_role_logged(
                r,
                bob,
                Role::Member,
                Role::Moderator,
                stale(ModAction::SetRole),
            )
            .await,
    );
    assert!(store.get_member(r, bob).await.unwrap().is_some());
    assert!(store.get_ban(r, bob).await.unwrap().is_none());
    assert_eq!(log_len().await, before, "no log entry for a refused action");
    // Through the service: the demoted moderator is refused.
    assert!(matches!(
        chat.kick(moder, r, bob).await,
        Err(Error::Forbidden(_))
    ));

    // A target whose role changed since the check is left alone too.
    let owner_by = |action| by(r, owner, Role::Owner, action, bob);
    chat.set_role(owner, r, bob, Role::Moderator).await.unwrap();
    let before = before + 1;
    concurrent(
        store
            .kick_logged(r, bob, Role::Member, owner_by(ModAction::Kick))
            .await,
    );
    concurrent(
        store
            .ban_logged(ban.clone(), Role::Member, owner_by(ModAction::Ban))
            .await,
    );
    assert_eq!(log_len().await, before);

    // Done: each action and its entry together.
    assert!(
        store
            .kick_logged(r, bob, Role::Moderator, owner_by(ModAction::Kick))
            .await
            .unwrap()
    );
    assert!(store.get_member(r, bob).await.unwrap().is_none());
    // Not a member any more: false, and no entry.
    assert!(
        !store
            .kick_logged(r, bob, Role::Moderator, owner_by(ModAction::Kick))
            .await
            .unwrap()
    );
    // A non-member counts as a member; nobody was removed.
    assert!(
        !store
            .ban_logged(ban, Role::Member, owner_by(ModAction::Ban))
            .await
            .unwrap()
    );
    assert!(store.get_ban(r, bob).await.unwrap().is_some());
    let log = chat.room_audit(owner, r, None, 100).await.unwrap();
    assert_eq!(log.len(), before + 2);
    assert_eq!(
        log.iter()
            .take(2)
            .map(|e| (e.action, e.target_user))
            .collect::<Vec<_>>(),
        [(ModAction::Ban, Some(bob)), (ModAction::Kick, Some(bob))]
    );
}
