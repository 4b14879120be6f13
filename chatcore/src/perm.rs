//! The permission matrix: one function decides what a role may do in a room.
//!
//! | action | member | moderator | admin | owner |
//! |---|---|---|---|---|
//! | send, edit own, delete own, leave | ✓ | ✓ | ✓ | ✓ |
//! | kick a member of lower rank | – | ✓ | ✓ | ✓ |
//! | ban / unban a user of lower rank (non-members count as members) | – | ✓ | ✓ | ✓ |
//! | delete others' messages (author of lower rank; gone authors count as members) | – | ✓ | ✓ | ✓ |
//! | set slow mode | – | ✓ | ✓ | ✓ |
//! | invite into a private room | – | ✓ | ✓ | ✓ |
//! | edit settings (name, description, avatar, password, max members) | – | – | ✓ | ✓ |
//! | see the room code | – | – | ✓ | ✓ |
//! | rotate the room code | – | – | ✓ | ✓ |
//! | change a role: target of lower rank, new role below one's own | – | – | ✓ | ✓ |
//! | transfer ownership | – | – | – | ✓ |
//! | delete the room | – | – | – | ✓ |
//!
//! "Lower rank" is strict: nobody acts on a peer of equal rank, and nobody promotes
//! anyone to or above their own rank. Ownership changes hands only by transfer.
//! Direct rooms have no roles beyond member and no moderation: they can't be
//! kicked from, banned from, renamed or deleted.

use crate::model::Role;

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
}

/// Whether `actor` may perform `action`. The single source of truth for room
/// authorization; [`crate::Chat`] consults it for every operation.
pub fn allowed(actor: Role, action: Action) -> bool {
    match action {
        Action::Send => true,
        Action::Kick { target }
        | Action::Ban { target }
        | Action::DeleteOthersMessage { author: target } => {
            actor >= Role::Moderator && actor > target
        }
        Action::SetSlowMode | Action::Invite => actor >= Role::Moderator,
        Action::EditSettings | Action::ViewCode | Action::RotateCode => actor >= Role::Admin,
        Action::SetRole { target, to } => {
            actor >= Role::Admin && actor > target && actor > to && to != Role::Owner
        }
        Action::TransferOwnership | Action::DeleteRoom => actor == Role::Owner,
    }
}
