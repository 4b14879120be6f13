//! The permission matrix, exhaustively: every role × every action × every target role,
//! first as a pure function against an independently written table, then through
//! `Chat` on a real store, so the service provably consults it.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chatcore::conformance::stored_user as user;
use chatcore::model::PageRequest;
use chatcore::perm::{Action, allowed};
use chatcore::{
    Chat, Error, MemoryStore, NewRoom, Role, RoomId, RoomKind, RoomUpdate, SendMessage, Store,
    UserId,
};

const M: Role = Role::Member;
const D: Role = Role::Moderator;
const A: Role = Role::Admin;
const O: Role = Role::Owner;

/// The table from docs/PERMISSIONS (and the `perm` module docs), written out by hand:
/// for each action, the actor roles allowed.
fn expected(actor: Role, action: Action) -> bool {
    use Action::*;
    let who: &[Role] = match action {
        Send | React => &[M, D, A, O],
        Pin => &[D, A, O],
        Kick { target: M } | Ban { target: M } | DeleteOthersMessage { author: M } => &[D, A, O],
        Kick { target: D } | Ban { target: D } | DeleteOthersMessage { author: D } => &[A, O],
        Kick { target: A } | Ban { target: A } | DeleteOthersMessage { author: A } => &[O],
        Kick { target: O } | Ban { target: O } | DeleteOthersMessage { author: O } => &[],
        SetSlowMode | Invite => &[D, A, O],
        EditSettings | ViewCode | RotateCode => &[A, O],
        TransferOwnership | DeleteRoom | ExportRoom => &[O],
        ManageBlocklist => &[A, O],
        ViewReports => &[D, A, O],
        ViewAudit => &[A, O],
        Timeout { target: M } => &[D, A, O],
        Timeout { target: D } => &[A, O],
        Timeout { target: A } => &[O],
        Timeout { target: O } => &[],
        SetRole { target, to } => match (target, to) {
            (M | D, M | D) => &[A, O],
            (A, M | D | A) | (M | D, A) => &[O],
            _ => &[], // nobody sets or takes the owner role; nobody touches the owner
        },
    };
    who.contains(&actor)
}

fn every_action() -> Vec<Action> {
    let mut v = vec![
        Action::Send,
        Action::SetSlowMode,
        Action::Invite,
        Action::EditSettings,
        Action::ViewCode,
        Action::RotateCode,
        Action::TransferOwnership,
        Action::DeleteRoom,
        Action::React,
        Action::Pin,
        Action::ManageBlocklist,
        Action::ViewReports,
        Action::ViewAudit,
        Action::ExportRoom,
    ];
    for t in Role::ALL {
        v.push(Action::Kick { target: t });
        v.push(Action::Ban { target: t });
        v.push(Action::DeleteOthersMessage { author: t });
        v.push(Action::Timeout { target: t });
        for to in Role::ALL {
            v.push(Action::SetRole { target: t, to });
        }
    }
    v
}

#[test]
fn matrix_matches_the_documented_table() {
    let actions = every_action();
    assert_eq!(actions.len(), 14 + 4 * 4 + 16);
    let mut checked = 0;
    for actor in Role::ALL {
        for &action in &actions {
            assert_eq!(
                allowed(actor, action),
                expected(actor, action),
                "{actor:?} {action:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * 46);
}

// ------------------------------------------------------------- through Chat

struct Fixture {
    chat: Chat,
    store: Arc<dyn Store>,
    room: RoomId,
    actor: UserId,
    target: UserId,
}

/// A private room where `actor` holds `actor_role` and `target` holds `target_role`.
/// The owner is whichever of them is owner, else a third user.
async fn fixture(actor_role: Role, target_role: Role) -> Fixture {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let chat = Chat::new(store.clone());
    let actor = user(&store, "actor").await;
    let target = user(&store, "target").await;
    let creator = match (actor_role, target_role) {
        (O, _) => actor,
        (_, O) => target,
        _ => user(&store, "owner").await,
    };
    let room = chat
        .create_room(creator, NewRoom::new(RoomKind::Private, "matrix"))
        .await
        .unwrap();
    let code = room.code.unwrap();
    for (u, role) in [(actor, actor_role), (target, target_role)] {
        if u != creator {
            chat.join_by_code(u, code.as_str(), None).await.unwrap();
            // Set up roles directly in the store, bypassing the rules under test.
            store
                .set_role(room.id, u, Role::Member, role)
                .await
                .unwrap();
        }
    }
    Fixture {
        chat,
        store,
        room: room.id,
        actor,
        target,
    }
}

fn outcome<T: std::fmt::Debug>(r: chatcore::Result<T>) -> bool {
    match r {
        Ok(_) => true,
        Err(Error::Forbidden(_)) => false,
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

#[tokio::test]
async fn chat_enforces_the_matrix_for_every_role_pair() {
    let mut cases = 0;
    for actor_role in Role::ALL {
        for target_role in Role::ALL {
            if actor_role == O && target_role == O {
                continue; // one owner per room: the pair cannot exist
            }
            let ctx = format!("actor {actor_role:?} target {target_role:?}");

            let f = fixture(actor_role, target_role).await;
            let got = outcome(f.chat.kick(f.actor, f.room, f.target).await);
            assert_eq!(
                got,
                expected(
                    actor_role,
                    Action::Kick {
                        target: target_role
                    }
                ),
                "kick: {ctx}"
            );
            assert_eq!(
                f.store
                    .get_member(f.room, f.target)
                    .await
                    .unwrap()
                    .is_none(),
                got
            );

            let f = fixture(actor_role, target_role).await;
            let got = outcome(f.chat.ban(f.actor, f.room, f.target, "test", None).await);
            assert_eq!(
                got,
                expected(
                    actor_role,
                    Action::Ban {
                        target: target_role
                    }
                ),
                "ban: {ctx}"
            );
            assert_eq!(
                f.store.get_ban(f.room, f.target).await.unwrap().is_some(),
                got
            );

            let f = fixture(actor_role, target_role).await;
            let msg = f
                .chat
                .send_message(
                    f.target,
                    f.room,
                    SendMessage {
                        body: "mine".into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let got = outcome(f.chat.delete_message(f.actor, msg.id).await);
            assert_eq!(
                got,
                expected(
                    actor_role,
                    Action::DeleteOthersMessage {
                        author: target_role
                    }
                ),
                "delete message: {ctx}"
            );
            let stored = f.store.get_message(msg.id).await.unwrap().unwrap();
            assert_eq!(stored.deleted_at.is_some(), got);

            for to in Role::ALL {
                let f = fixture(actor_role, target_role).await;
                let got = outcome(f.chat.set_role(f.actor, f.room, f.target, to).await);
                assert_eq!(
                    got,
                    expected(
                        actor_role,
                        Action::SetRole {
                            target: target_role,
                            to
                        }
                    ),
                    "set role to {to:?}: {ctx}"
                );
                let now = f
                    .store
                    .get_member(f.room, f.target)
                    .await
                    .unwrap()
                    .unwrap()
                    .role;
                assert_eq!(now, if got { to } else { target_role });
                cases += 1;
            }

            // Transfer to the target (only owners; never to oneself).
            let f = fixture(actor_role, target_role).await;
            let got = outcome(f.chat.transfer_ownership(f.actor, f.room, f.target).await);
            assert_eq!(
                got,
                expected(actor_role, Action::TransferOwnership),
                "transfer: {ctx}"
            );
            cases += 3;
        }
    }
    assert_eq!(cases, 15 * 7);
}

#[tokio::test]
async fn chat_enforces_room_wide_actions_for_every_role() {
    for role in Role::ALL {
        let other = if role == O { M } else { O };
        let ctx = format!("{role:?}");

        let f = fixture(role, other).await;
        let got = outcome(f.chat.room_code(f.actor, f.room).await);
        assert_eq!(got, expected(role, Action::ViewCode), "view code: {ctx}");
        let view = f.chat.get_room(f.actor, f.room).await.unwrap();
        assert_eq!(view.code.is_some(), got, "code in room view: {ctx}");

        let got = outcome(f.chat.rotate_code(f.actor, f.room).await);
        assert_eq!(got, expected(role, Action::RotateCode), "rotate: {ctx}");

        let got = outcome(
            f.chat
                .update_room(
                    f.actor,
                    f.room,
                    RoomUpdate {
                        name: Some("renamed".into()),
                        ..Default::default()
                    },
                )
                .await,
        );
        assert_eq!(got, expected(role, Action::EditSettings), "settings: {ctx}");

        let got = outcome(
            f.chat
                .update_room(
                    f.actor,
                    f.room,
                    RoomUpdate {
                        slow_mode_secs: Some(5),
                        ..Default::default()
                    },
                )
                .await,
        );
        assert_eq!(got, expected(role, Action::SetSlowMode), "slow mode: {ctx}");

        let got = outcome(
            f.chat
                .set_room_blocklist(f.actor, f.room, vec!["x".into()])
                .await,
        );
        assert_eq!(
            got,
            expected(role, Action::ManageBlocklist),
            "blocklist: {ctx}"
        );
        assert_eq!(
            f.store.room_blocklist(f.room).await.unwrap().len(),
            usize::from(got)
        );
        let got = outcome(f.chat.room_blocklist(f.actor, f.room).await);
        assert_eq!(
            got,
            expected(role, Action::ManageBlocklist),
            "read blocklist: {ctx}"
        );

        let invitee = user(&f.store, "invitee").await;
        let got = outcome(f.chat.invite(f.actor, f.room, invitee).await);
        assert_eq!(got, expected(role, Action::Invite), "invite: {ctx}");

        // Everyone may send and read.
        f.chat
            .send_message(
                f.actor,
                f.room,
                SendMessage {
                    body: "hi".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        f.chat
            .history(f.actor, f.room, PageRequest::default())
            .await
            .unwrap();

        let got = outcome(f.chat.delete_room(f.actor, f.room).await);
        assert_eq!(
            got,
            expected(role, Action::DeleteRoom),
            "delete room: {ctx}"
        );
        assert_eq!(f.store.get_room(f.room).await.unwrap().is_none(), got);
    }
}
