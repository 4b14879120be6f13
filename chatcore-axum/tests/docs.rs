//! docs/PROTOCOL.md and docs/API.md name every error code, close code and route.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chatcore::hub::CloseReason;
use chatcore::{Conflict, Error};

const PROTOCOL: &str = include_str!("../../docs/PROTOCOL.md");
const API: &str = include_str!("../../docs/API.md");

#[test]
fn every_error_code_is_documented() {
    let mut codes: Vec<&str> = [
        Error::NotFound("x"),
        Error::Forbidden("x"),
        Error::Banned,
        Error::Unauthenticated("x"),
        Error::invalid("x", "y"),
        Error::TooLarge {
            field: "x",
            limit: 1,
        },
        Error::RateLimited {
            retry_after: Duration::ZERO,
        },
        Error::EmailUnverified,
        Error::InvalidToken,
        Error::UnsupportedFile("x"),
        Error::WeakPassword { reason: "x".into() },
        Error::backend(std::io::Error::other("x")),
        Error::TimedOut {
            until: chrono::Utc::now(),
        },
        Error::Rejected {
            code: chatcore::hooks::codes::BLOCKED_CONTENT,
            message: "x".into(),
        },
        Error::Rejected {
            code: chatcore::hooks::codes::TOO_MANY_LINKS,
            message: "x".into(),
        },
    ]
    .iter()
    .map(Error::code)
    .collect();
    codes.extend(
        [
            Conflict::Username,
            Conflict::Email,
            Conflict::ExternalIdentity,
            Conflict::AlreadyMember,
            Conflict::RoomFull,
            Conflict::RoomCode,
            Conflict::DirectRoomExists,
            Conflict::Concurrent,
            Conflict::ReportOpen,
        ]
        .map(Conflict::code),
    );
    use chatcore_axum::error::codes as http;
    codes.extend([
        http::MALFORMED_JSON,
        http::BAD_REQUEST,
        http::UNSUPPORTED_MEDIA_TYPE,
        http::CSRF_REJECTED,
        http::ORIGIN_REJECTED,
        http::PASSWORD_AUTH_DISABLED,
        http::NOT_FOUND,
        http::METHOD_NOT_ALLOWED,
        http::UPGRADE_REQUIRED,
        http::SERVER_BUSY,
        http::INTERNAL,
        http::BAD_FRAME,
        http::GUESTS_DISABLED,
    ]);
    for code in codes {
        assert!(
            PROTOCOL.contains(&format!("| `{code}` |")),
            "PROTOCOL.md lacks error code {code}"
        );
    }
}

#[test]
fn every_close_code_is_documented() {
    for reason in [
        CloseReason::ServerShutdown,
        CloseReason::ProtocolError,
        CloseReason::FrameTooLarge,
        CloseReason::InternalError,
        CloseReason::Unauthenticated,
        CloseReason::SessionRevoked,
        CloseReason::AccountDeleted,
        CloseReason::SlowConsumer,
        CloseReason::HeartbeatTimeout,
        CloseReason::RateLimited,
        CloseReason::AccountSuspended,
    ] {
        let row = format!("| {} | `{}` |", reason.code(), reason.as_str());
        assert!(
            PROTOCOL.contains(&row),
            "PROTOCOL.md lacks the close code row {row}"
        );
    }
}

#[test]
fn every_command_and_event_is_documented() {
    for t in [
        "auth",
        "join",
        "leave",
        "resume",
        "send",
        "edit",
        "delete",
        "typing_start",
        "typing_stop",
        "history",
        "ping",
        "mark_read",
    ] {
        assert!(
            PROTOCOL.contains(&format!("{{\"type\": \"{t}\"")),
            "no example of command {t}"
        );
    }
    for t in [
        "hello",
        "ack",
        "sent",
        "error",
        "pong",
        "history",
        "message_created",
        "message_edited",
        "message_deleted",
        "member_joined",
        "member_removed",
        "role_changed",
        "room_created",
        "room_updated",
        "invited",
        "room_deleted",
        "typing",
        "presence",
        "read_state",
        "receipt",
        "public_room_created",
        "public_room_updated",
        "public_room_deleted",
        "user_updated",
    ] {
        assert!(
            PROTOCOL.contains(&format!("{{\"type\": \"{t}\"")),
            "no example of event {t}"
        );
    }
}

#[test]
fn every_route_is_in_the_api_table() {
    for (method, path) in common::ROUTES {
        let row = format!("| {method} | `{path}` |");
        assert!(API.contains(&row), "API.md lacks the row {row}");
    }
}
