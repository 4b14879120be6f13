//! Conformance cases of membership: joining, member limits, roles, ownership and
//! invitations.

use std::sync::Arc;

use super::{assert_conflict, chat, is_not_found, plain_user, register, room};
use crate::error::{Conflict, Error};
use crate::ids::{RoomId, UserId};
use crate::model::{NewUser, Role, RoomKind};
use crate::store::Store;
use crate::{Chat, NewRoom};

pub async fn join_password_rules(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "vera").await.user.id;
    let guest = register(&chat, "will").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("open sesame".into()),
                ..NewRoom::new(RoomKind::Public, "guarded")
            },
        )
        .await
        .unwrap();
    assert!(r.has_password);
    assert!(matches!(
        chat.join_room(guest, r.id, None).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.join_room(guest, r.id, Some("wrong")).await,
        Err(Error::Forbidden(_))
    ));
    chat.join_room(guest, r.id, Some("open sesame"))
        .await
        .unwrap();
    assert_conflict(
        chat.join_room(guest, r.id, Some("open sesame")).await,
        Conflict::AlreadyMember,
    );
    // Private room with password: the code alone is not enough.
    let p = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("inner".into()),
                ..NewRoom::new(RoomKind::Private, "inner")
            },
        )
        .await
        .unwrap();
    let code = p.code.unwrap();
    assert!(matches!(
        chat.join_by_code(guest, code.as_str(), None).await,
        Err(Error::Forbidden(_))
    ));
    chat.join_by_code(guest, code.as_str(), Some("inner"))
        .await
        .unwrap();
    // Private rooms cannot be joined by id without an invitation.
    let q = room(&chat, owner, RoomKind::Private, "hidden").await;
    assert!(is_not_found(&chat.join_room(guest, q.id, None).await));
}

pub async fn members_limit_under_parallel_joins(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "xena").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                max_members: Some(5),
                ..NewRoom::new(RoomKind::Public, "small")
            },
        )
        .await
        .unwrap();
    let mut users = Vec::new();
    for i in 0..12 {
        let u = store
            .create_user(NewUser {
                user: plain_user(&format!("joiner{i}")),
                password_hash: None,
            })
            .await
            .unwrap();
        users.push(u.id);
    }
    let mut tasks = Vec::new();
    for u in users {
        let chat = chat.clone();
        tasks.push(tokio::spawn(
            async move { chat.join_room(u, r.id, None).await },
        ));
    }
    let (mut ok, mut full) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Conflict(Conflict::RoomFull)) => full += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 4, "owner + 4 joiners = 5");
    assert_eq!(full, 8);
    assert_eq!(store.count_members(r.id).await.unwrap(), 5);
}

pub async fn members_roles_and_transfer(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "yara").await.user.id;
    let a = register(&chat, "zane").await.user.id;
    let b = register(&chat, "abel").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "ranks").await;
    chat.join_room(a, r.id, None).await.unwrap();
    chat.join_room(b, r.id, None).await.unwrap();
    chat.set_role(owner, r.id, a, Role::Admin).await.unwrap();
    assert_eq!(
        store.get_member(r.id, a).await.unwrap().unwrap().role,
        Role::Admin
    );
    chat.set_role(a, r.id, b, Role::Moderator).await.unwrap();
    assert!(matches!(
        chat.set_role(a, r.id, b, Role::Admin).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        chat.set_role(b, r.id, a, Role::Member).await,
        Err(Error::Forbidden(_))
    ));
    let members = chat.members(owner, r.id).await.unwrap();
    let roles: Vec<Role> = members.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::Owner, Role::Admin, Role::Moderator],
        "ordered by join time"
    );
    assert!(matches!(
        chat.transfer_ownership(a, r.id, b).await,
        Err(Error::Forbidden(_))
    ));
    chat.transfer_ownership(owner, r.id, b).await.unwrap();
    assert_eq!(
        store.get_member(r.id, b).await.unwrap().unwrap().role,
        Role::Owner
    );
    assert_eq!(
        store.get_member(r.id, owner).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert!(matches!(
        chat.delete_room(owner, r.id).await,
        Err(Error::Forbidden(_))
    ));
}

pub async fn members_owner_leaving_hands_on(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "bea").await.user.id;
    let early = register(&chat, "cyd").await.user.id;
    let admin = register(&chat, "dot").await.user.id;
    let r = room(&chat, owner, RoomKind::Public, "heirs").await;
    chat.join_room(early, r.id, None).await.unwrap();
    chat.join_room(admin, r.id, None).await.unwrap();
    chat.set_role(owner, r.id, admin, Role::Admin)
        .await
        .unwrap();
    chat.leave_room(owner, r.id).await.unwrap();
    assert!(store.get_member(r.id, owner).await.unwrap().is_none());
    assert_eq!(
        store.get_member(r.id, admin).await.unwrap().unwrap().role,
        Role::Owner,
        "the highest-ranked member inherits"
    );
    chat.leave_room(admin, r.id).await.unwrap();
    assert_eq!(
        store.get_member(r.id, early).await.unwrap().unwrap().role,
        Role::Owner
    );
    chat.leave_room(early, r.id).await.unwrap();
    assert!(
        store.get_room(r.id).await.unwrap().is_none(),
        "empty room deleted"
    );
}

pub async fn invites_let_into_private_rooms(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "kim").await.user.id;
    let guest = register(&chat, "lou").await.user.id;
    let member = register(&chat, "max").await.user.id;
    let r = chat
        .create_room(
            owner,
            NewRoom {
                password: Some("pw pw pw".into()),
                ..NewRoom::new(RoomKind::Private, "by invite")
            },
        )
        .await
        .unwrap();
    chat.join_by_code(member, r.code.as_ref().unwrap().as_str(), Some("pw pw pw"))
        .await
        .unwrap();
    assert!(matches!(
        chat.invite(member, r.id, guest).await,
        Err(Error::Forbidden(_))
    ));
    chat.invite(owner, r.id, guest).await.unwrap();
    chat.invite(owner, r.id, guest).await.unwrap(); // idempotent
    let invites = chat.list_invites(guest).await.unwrap();
    assert_eq!(invites.len(), 1);
    assert_eq!(invites[0].room_name, "by invite");
    assert_eq!(invites[0].invited_by, Some(owner));
    // The invitation admits without the code and without the password.
    chat.join_room(guest, r.id, None).await.unwrap();
    assert!(
        chat.list_invites(guest).await.unwrap().is_empty(),
        "consumed"
    );
    assert_conflict(
        chat.invite(owner, r.id, guest).await,
        Conflict::AlreadyMember,
    );
    let other = register(&chat, "ned").await.user.id;
    chat.invite(owner, r.id, other).await.unwrap();
    chat.decline_invite(other, r.id).await.unwrap();
    assert!(is_not_found(&chat.join_room(other, r.id, None).await));
}

/// The users holding `Owner` in a room.
async fn owners(store: &Arc<dyn Store>, room: RoomId) -> Vec<UserId> {
    store
        .list_members(room)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.role == Role::Owner)
        .map(|m| m.user_id)
        .collect()
}

/// A room of `owner` with `admins` joined and made admins.
async fn ranked_room(chat: &Chat, owner: UserId, admins: &[UserId], name: &str) -> RoomId {
    let r = room(chat, owner, RoomKind::Public, name).await.id;
    for a in admins {
        chat.join_room(*a, r, None).await.unwrap();
        chat.set_role(owner, r, *a, Role::Admin).await.unwrap();
    }
    r
}

/// A transfer re-checks, in the store's transaction, that the giver still owns the
/// room; role changes are compare-and-set and never touch the owner; the owner
/// cannot be removed. So every room keeps exactly one owner under any mix of
/// concurrent transfers, role changes and kicks.
pub async fn members_one_owner_under_racing_transfers(store: Arc<dyn Store>) {
    let chat = chat(store.clone());
    let owner = register(&chat, "olga").await.user.id;
    let heirs = [
        register(&chat, "hana").await.user.id,
        register(&chat, "hugo").await.user.id,
        register(&chat, "hedy").await.user.id,
        register(&chat, "hank").await.user.id,
    ];

    // In sequence, straight on the store: what each racing step must find.
    let r = ranked_room(&chat, owner, &heirs[..2], "crown").await;
    store.transfer_ownership(r, owner, heirs[0]).await.unwrap();
    assert!(
        store.transfer_ownership(r, owner, heirs[1]).await.is_err(),
        "olga gave the room away already"
    );
    assert_eq!(owners(&store, r).await, [heirs[0]]);
    // A role change read before the transfer finds the role changed.
    assert_conflict(
        store.set_role(r, heirs[0], Role::Admin, Role::Member).await,
        Conflict::Concurrent,
    );
    assert!(matches!(
        store.set_role(r, heirs[1], Role::Admin, Role::Owner).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        store.set_role(r, heirs[0], Role::Owner, Role::Admin).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        store.remove_member(r, heirs[0]).await,
        Err(Error::Forbidden(_))
    ));
    assert!(is_not_found(
        &store
            .set_role(r, UserId::new(), Role::Member, Role::Admin)
            .await
    ));
    store
        .set_role(r, heirs[1], Role::Admin, Role::Moderator)
        .await
        .unwrap();
    assert_eq!(owners(&store, r).await, [heirs[0]]);

    // Racing through the service: four transfers, four demotions and four kicks
    // by the owner at once, in each of several rooms.
    let mut rooms = Vec::new();
    for i in 0..8 {
        rooms.push(ranked_room(&chat, owner, &heirs, &format!("race {i}")).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for &r in &rooms {
        for &h in &heirs {
            let c = chat.clone();
            tasks.spawn(async move { c.transfer_ownership(owner, r, h).await.map(|_| ()) });
            let c = chat.clone();
            tasks.spawn(async move { c.set_role(owner, r, h, Role::Member).await });
            let c = chat.clone();
            tasks.spawn(async move { c.kick(owner, r, h).await });
        }
    }
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(())
            | Err(Error::Forbidden(_) | Error::NotFound(_))
            | Err(Error::Conflict(Conflict::Concurrent)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    for r in rooms {
        let o = owners(&store, r).await;
        assert_eq!(o.len(), 1, "room {r} has owners {o:?}");
    }
}
