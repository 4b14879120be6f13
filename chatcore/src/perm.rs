//! The permission matrix: one function decides what a role may do in a room.
//!
//! | action | member | moderator | admin | owner |
//! |---|---|---|---|---|
//! | send, edit own, delete own, leave | ✓ | ✓ | ✓ | ✓ |
//! | react to a message | ✓ | ✓ | ✓ | ✓ |
//! | kick a member of lower rank | – | ✓ | ✓ | ✓ |
//! | ban / unban a user of lower rank (non-members count as members) | – | ✓ | ✓ | ✓ |
//! | delete others' messages (author of lower rank; gone authors count as members) | – | ✓ | ✓ | ✓ |
//! | set slow mode | – | ✓ | ✓ | ✓ |
//! | pin and unpin messages (not in direct rooms) | – | ✓ | ✓ | ✓ |
//! | invite into a private room | – | ✓ | ✓ | ✓ |
//! | edit settings (name, description, avatar, password, max members) | – | – | ✓ | ✓ |
//! | see and set the room's blocklist (before-send hook) | – | – | ✓ | ✓ |
//! | see and resolve the room's reports (site administrators too) | – | ✓ | ✓ | ✓ |
//! | time out a member of lower rank | – | ✓ | ✓ | ✓ |
//! | read the room's moderation log (site administrators too) | – | – | ✓ | ✓ |
//! | see the room code | – | – | ✓ | ✓ |
//! | rotate the room code | – | – | ✓ | ✓ |
//! | change a role: target of lower rank, new role below one's own | – | – | ✓ | ✓ |
//! | transfer ownership | – | – | – | ✓ |
//! | delete the room | – | – | – | ✓ |
//! | export the room's history and members | – | – | – | ✓ |
//!
//! "Lower rank" is strict: nobody acts on a peer of equal rank, and nobody promotes
//! anyone to or above their own rank. Ownership changes hands only by transfer.
//! Direct rooms have no roles beyond member and no moderation: they can't be
//! kicked from, banned from, renamed or deleted.

use crate::model::{Role, RoomKind};
use crate::protocol::{RoleChange, RoomPermissions};

/// Something a member may try to do in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Post a message.
    Send,
    /// Kick a member holding `target`.
    Kick {
        /// The target's role.
        target: Role,
    },
    /// Ban (or unban) a user holding `target` (`Member` for non-members).
    Ban {
        /// The target's role.
        target: Role,
    },
    /// Delete a message written by someone holding `author` (`Member` if gone).
    DeleteOthersMessage {
        /// The author's role.
        author: Role,
    },
    /// Set slow mode.
    SetSlowMode,
    /// Invite a user into the room.
    Invite,
    /// Edit the room's settings.
    EditSettings,
    /// See the room code.
    ViewCode,
    /// Rotate the room code.
    RotateCode,
    /// Change a member's role from `target` to `to`.
    SetRole {
        /// Current role of the target.
        target: Role,
        /// The role to give.
        to: Role,
    },
    /// Hand ownership to another member.
    TransferOwnership,
    /// Delete the room.
    DeleteRoom,
    /// Add or remove one's own reaction on a message.
    React,
    /// Pin or unpin a message.
    Pin,
    /// See and set the room's own blocklist.
    ManageBlocklist,
    /// See and resolve the room's reports (the resolution's own action is checked
    /// too: delete, kick or ban).
    ViewReports,
    /// Time out (and lift the timeout of) a member holding `target`.
    Timeout {
        /// The target's role.
        target: Role,
    },
    /// Read the room's moderation log.
    ViewAudit,
    /// Export the room's history and members (`GET /rooms/{id}/export`).
    ExportRoom,
}

/// Whether `actor` may perform `action`. The single source of truth for room
/// authorization; [`crate::Chat`] consults it for every operation.
pub fn allowed(actor: Role, action: Action) -> bool {
    match action {
        Action::Send | Action::React => true,
        Action::Kick { target }
        | Action::Ban { target }
        | Action::DeleteOthersMessage { author: target } => {
            actor >= Role::Moderator && actor > target
        }
        Action::SetSlowMode | Action::Invite | Action::Pin => actor >= Role::Moderator,
        Action::EditSettings | Action::ViewCode | Action::RotateCode => actor >= Role::Admin,
        Action::SetRole { target, to } => {
            actor >= Role::Admin && actor > target && actor > to && to != Role::Owner
        }
        Action::TransferOwnership | Action::DeleteRoom => actor == Role::Owner,
        Action::ManageBlocklist => actor >= Role::Admin,
        Action::ViewReports => actor >= Role::Moderator,
        Action::Timeout { target } => actor >= Role::Moderator && actor > target,
        Action::ViewAudit => actor >= Role::Admin,
        Action::ExportRoom => actor == Role::Owner,
    }
}

/// Everything `role` may do in a room of `kind`, as clients see it in
/// [`crate::protocol::RoomView::permissions`]. Direct rooms allow sending only (no
/// settings, roles or moderation, as [`crate::Chat`] enforces).
pub fn permissions(role: Role, kind: RoomKind) -> RoomPermissions {
    if kind == RoomKind::Direct {
        return RoomPermissions {
            send: allowed(role, Action::Send),
            react: allowed(role, Action::React),
            ..RoomPermissions::default()
        };
    }
    let on = |action| allowed(role, action);
    let targets = |action: fn(Role) -> Action| -> Vec<Role> {
        Role::ALL.into_iter().filter(|t| on(action(*t))).collect()
    };
    let set_role = Role::ALL
        .into_iter()
        .map(|target| RoleChange {
            target,
            to: Role::ALL
                .into_iter()
                .filter(|to| *to != target && on(Action::SetRole { target, to: *to }))
                .collect(),
        })
        .filter(|c| !c.to.is_empty())
        .collect();
    RoomPermissions {
        send: on(Action::Send),
        edit_settings: on(Action::EditSettings),
        set_slow_mode: on(Action::SetSlowMode),
        invite: on(Action::Invite),
        view_code: on(Action::ViewCode),
        rotate_code: on(Action::RotateCode),
        transfer_ownership: on(Action::TransferOwnership),
        delete_room: on(Action::DeleteRoom),
        kick: targets(|target| Action::Kick { target }),
        ban: targets(|target| Action::Ban { target }),
        delete_messages_of: targets(|author| Action::DeleteOthersMessage { author }),
        set_role,
        react: on(Action::React),
        pin: on(Action::Pin),
        view_reports: on(Action::ViewReports),
        timeout: targets(|target| Action::Timeout { target }),
        view_audit: on(Action::ViewAudit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_follow_the_matrix() {
        let member = permissions(Role::Member, RoomKind::Public);
        assert!(member.send && !member.edit_settings && !member.invite);
        assert!(member.kick.is_empty() && member.ban.is_empty() && member.set_role.is_empty());

        let moderator = permissions(Role::Moderator, RoomKind::Private);
        assert_eq!(moderator.kick, [Role::Member], "never a peer");
        assert_eq!(moderator.ban, [Role::Member]);
        assert_eq!(moderator.delete_messages_of, [Role::Member]);
        assert!(moderator.set_slow_mode && moderator.invite && !moderator.view_code);
        assert!(moderator.set_role.is_empty());
        assert!(moderator.pin && !member.pin && member.react);
        assert!(moderator.view_reports && !member.view_reports);
        assert_eq!(moderator.timeout, [Role::Member], "never a peer");
        assert!(member.timeout.is_empty() && !moderator.view_audit);

        let admin = permissions(Role::Admin, RoomKind::Private);
        assert!(admin.edit_settings && admin.view_code && admin.rotate_code);
        assert!(!admin.transfer_ownership && !admin.delete_room);
        assert!(admin.view_audit && admin.view_reports);
        assert_eq!(
            admin.set_role,
            [
                RoleChange {
                    target: Role::Member,
                    to: vec![Role::Moderator]
                },
                RoleChange {
                    target: Role::Moderator,
                    to: vec![Role::Member]
                },
            ],
            "not up to one's own rank"
        );

        let owner = permissions(Role::Owner, RoomKind::Public);
        assert_eq!(owner.kick, [Role::Member, Role::Moderator, Role::Admin]);
        assert!(owner.transfer_ownership && owner.delete_room);
        assert!(
            owner.set_role.iter().all(|c| !c.to.contains(&Role::Owner)),
            "ownership moves by transfer"
        );
        assert_eq!(owner.set_role.len(), 3);

        let direct = permissions(Role::Owner, RoomKind::Direct);
        assert_eq!(
            direct,
            RoomPermissions {
                send: true,
                react: true,
                ..RoomPermissions::default()
            },
            "no moderation in direct rooms"
        );
    }
}
