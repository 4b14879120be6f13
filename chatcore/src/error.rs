//! The one error type of chatcore.

use std::time::Duration;

/// Result alias used across chatcore.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a conflict was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// The username is taken (compared case-insensitively).
    Username,
    /// The email address is taken.
    Email,
    /// The external identity is already attached to a user.
    ExternalIdentity,
    /// The user is already a member of the room.
    AlreadyMember,
    /// The room has reached its maximum number of members.
    RoomFull,
    /// A room code collided with another room's code.
    RoomCode,
    /// A direct room between these two users exists already.
    DirectRoomExists,
    /// The record was changed or removed concurrently.
    Concurrent,
    /// The reporter has an open report of this message already.
    ReportOpen,
}

impl Conflict {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Conflict::Username => "username_taken",
            Conflict::Email => "email_taken",
            Conflict::ExternalIdentity => "identity_taken",
            Conflict::AlreadyMember => "already_member",
            Conflict::RoomFull => "room_full",
            Conflict::RoomCode => "room_code_taken",
            Conflict::DirectRoomExists => "direct_room_exists",
            Conflict::Concurrent => "concurrent_update",
            Conflict::ReportOpen => "report_open",
        }
    }
}

/// Every error chatcore returns. Variants are stable and meant to be matched on;
/// [`Error::code`] gives a stable string for wire protocols.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The thing does not exist, or the actor may not know that it exists
    /// (private rooms are reported as not found to non-members).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or state conflict.
    #[error("conflict: {}", .0.code())]
    Conflict(Conflict),
    /// The actor is known but not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The actor is banned from the room.
    #[error("banned from this room")]
    Banned,
    /// No valid credentials (unknown user, wrong password, expired session).
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// Input failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Why it is invalid, for humans.
        reason: String,
    },
    /// Input exceeds a size limit.
    #[error("{field} is too large (limit {limit})")]
    TooLarge {
        /// The offending field.
        field: &'static str,
        /// The limit that applies.
        limit: usize,
    },
    /// A rate limit was hit; retry after the given delay.
    #[error("rate limited; retry after {} ms", retry_after.as_millis())]
    RateLimited {
        /// How long to wait before trying again.
        retry_after: Duration,
    },
    /// The service requires a verified email address for this, and the actor's is
    /// not verified.
    #[error("verify your email address first")]
    EmailUnverified,
    /// An email verification or password reset token that is unknown, already used,
    /// expired, or issued for another address.
    #[error("the link is invalid, used or expired")]
    InvalidToken,
    /// An uploaded file whose content (sniffed, not claimed) is not accepted here.
    #[error("unsupported file type: {0}")]
    UnsupportedFile(&'static str),
    /// A before-send hook refused the message (see [`crate::hooks`]): `code` is the
    /// hook's own stable code (the built-in ones are in [`crate::hooks::codes`]),
    /// `message` what the sender is told.
    #[error("{message}")]
    Rejected {
        /// The hook's stable code.
        code: &'static str,
        /// For the sender.
        message: String,
    },
    /// The account is suspended by a site administrator: it cannot log in or
    /// connect until the suspension is lifted.
    #[error("this account is suspended")]
    Suspended,
    /// The storage or broker backend failed. The source is kept.
    #[error("backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A new password that is too easy to guess (estimated with zxcvbn); `reason`
    /// says why, for humans.
    #[error("weak_password: {reason}")]
    WeakPassword {
        /// Why it is weak, and how to make it stronger.
        reason: String,
    },
    /// The actor is timed out in this room until `until`: they read but cannot send,
    /// react or type.
    #[error("you are timed out in this room until {}", until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))]
    TimedOut {
        /// When the timeout ends.
        until: chrono::DateTime<chrono::Utc>,
    },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// Wrap any backend error, keeping it as the source.
    pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Backend(Box::new(err))
    }

    /// A stable, machine-readable code for this error (used in JSON error bodies and
    /// WebSocket error events). Codes never change meaning once published.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::Conflict(c) => c.code(),
            Error::Forbidden(_) => "forbidden",
            Error::Banned => "banned",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Invalid { .. } => "invalid_input",
            Error::TooLarge { .. } => "too_large",
            Error::RateLimited { .. } => "rate_limited",
            Error::EmailUnverified => "email_unverified",
            Error::InvalidToken => "invalid_token",
            Error::UnsupportedFile(_) => "unsupported_file_type",
            Error::Rejected { code, .. } => code,
            Error::Suspended => "account_suspended",
            Error::Backend(_) => "internal",
            Error::WeakPassword { .. } => "weak_password",
            Error::TimedOut { .. } => "timed_out",
        }
    }
}
