//! The one error type of the HTTP layer and its JSON shape.
//!
//! Every failure, whether from [`chatcore::Error`], from a malformed request or from
//! the transport, becomes an [`ApiError`], and [`ApiError`]'s `IntoResponse` is the
//! only place where statuses are chosen:
//!
//! ```json
//! {"error": {"code": "invalid_input", "message": "invalid name: must not be empty", "field": "name"}}
//! ```

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Error codes produced by the HTTP layer itself (in addition to
/// [`chatcore::Error::code`]). Stable: they never change meaning once published.
pub mod codes {
    /// The request body is not well-formed JSON (400).
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// A path parameter, the query string or the body could not be read (400).
    pub const BAD_REQUEST: &str = "bad_request";
    /// A request body that is not `application/json` (415).
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// A cookie-authenticated unsafe request without the CSRF header (403).
    pub const CSRF_REJECTED: &str = "csrf_rejected";
    /// A browser request from an origin that is not allowed (403).
    pub const ORIGIN_REJECTED: &str = "origin_rejected";
    /// Password registration and login are turned off; the host application
    /// authenticates users (403).
    pub const PASSWORD_AUTH_DISABLED: &str = "password_auth_disabled";
    /// `POST /auth/guest` on a server without guest accounts (403).
    pub const GUESTS_DISABLED: &str = "guests_disabled";
    /// No such route (404; the same code as a missing record).
    pub const NOT_FOUND: &str = "not_found";
    /// The route exists but not for this method (405).
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// `GET /ws` without a valid WebSocket upgrade (400 or 426).
    pub const UPGRADE_REQUIRED: &str = "upgrade_required";
    /// The server holds its maximum number of WebSockets; retry later (503, with
    /// `Retry-After`).
    pub const SERVER_BUSY: &str = "server_busy";
    /// Unexpected server failure; details are logged, never sent (500).
    pub const INTERNAL: &str = "internal";
    /// WebSocket only: a frame that is not a valid command.
    pub const BAD_FRAME: &str = "bad_frame";
    /// 408: the request (headers, then body) did not arrive in time ([`crate::serve()`]).
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
}

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (see `docs/PROTOCOL.md`).
    #[schema(example = "invalid_input")]
    pub code: String,
    /// Human-readable explanation (never contains server internals).
    pub message: String,
    /// The offending input field, for `invalid_input` and `too_large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `rate_limited`: how long to wait, in milliseconds (also sent as `Retry-After`
    /// in whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// An error answered by the HTTP API. Built from [`chatcore::Error`] (`?` works in
/// handlers) or from the constructors for transport-level failures.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    field: Option<String>,
    retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 400 with [`codes::BAD_REQUEST`].
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, message)
    }

    /// 401: no valid credentials.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::from(chatcore::Error::Unauthenticated("authentication required"))
            .with_message(message)
    }

    /// 403 with a specific code.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 500; the message sent is generic whatever is logged.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "internal error",
        )
    }

    /// Tell the client when to retry (`Retry-After` and `retry_after_ms`).
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Name the offending field (replaces the one chatcore gave, if any).
    pub(crate) fn with_field(mut self, field: Option<String>) -> Self {
        if field.is_some() {
            self.field = field;
        }
        self
    }

    fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The body that is sent.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
                field: self.field.clone(),
                retry_after_ms: self
                    .retry_after
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

/// The status of each chatcore error — the only mapping from domain errors to HTTP.
fn status_of(err: &chatcore::Error) -> StatusCode {
    use chatcore::Error as E;
    match err {
        E::NotFound(_) => StatusCode::NOT_FOUND,
        E::Conflict(_) => StatusCode::CONFLICT,
        E::Forbidden(_) | E::Banned => StatusCode::FORBIDDEN,
        E::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        E::Invalid { .. } | E::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        E::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        E::EmailUnverified => StatusCode::FORBIDDEN,
        E::InvalidToken => StatusCode::BAD_REQUEST,
        E::UnsupportedFile(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        E::WeakPassword { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        E::Suspended => StatusCode::FORBIDDEN,
        E::TimedOut { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<chatcore::Error> for ApiError {
    fn from(err: chatcore::Error) -> Self {
        use chatcore::Error as E;
        let status = status_of(&err);
        if status.is_server_error() {
            log_backend(&err);
            return ApiError::internal();
        }
        let (field, retry_after) = match &err {
            E::Invalid { field, .. } | E::TooLarge { field, .. } => {
                (Some((*field).to_owned()), None)
            }
            E::RateLimited { retry_after } => (None, Some(*retry_after)),
            E::WeakPassword { .. } => (Some("password".to_owned()), None),
            _ => (None, None),
        };
        ApiError {
            status,
            code: Cow::Borrowed(err.code()),
            message: err.to_string(),
            field,
            retry_after,
        }
    }
}

/// Log a server-side failure with its whole source chain (never sent to clients).
pub(crate) fn log_backend(err: &(dyn std::error::Error + 'static)) {
    let mut chain = String::new();
    let mut source = err.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(error = %err, causes = %chain, "request failed");
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"internal error"}}"#.to_vec()
        });
        let mut res = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up, at least 1.
            let secs = wait.as_millis().div_ceil(1000).max(1);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chatcore_error_has_its_status() {
        use chatcore::{Conflict, Error as E};
        let cases: Vec<(E, u16, &str)> = vec![
            (E::NotFound("room"), 404, "not_found"),
            (E::Conflict(Conflict::Username), 409, "username_taken"),
            (E::Forbidden("no"), 403, "forbidden"),
            (E::Banned, 403, "banned"),
            (E::EmailUnverified, 403, "email_unverified"),
            (E::InvalidToken, 400, "invalid_token"),
            (E::UnsupportedFile("svg"), 415, "unsupported_file_type"),
            (E::Suspended, 403, "account_suspended"),
            (
                E::TimedOut {
                    until: chrono::Utc::now(),
                },
                403,
                "timed_out",
            ),
            (E::Conflict(Conflict::ReportOpen), 409, "report_open"),
            (E::Unauthenticated("no"), 401, "unauthenticated"),
            (E::invalid("name", "empty"), 422, "invalid_input"),
            (
                E::WeakPassword {
                    reason: "common".into(),
                },
                422,
                "weak_password",
            ),
            (
                E::TooLarge {
                    field: "body",
                    limit: 3,
                },
                413,
                "too_large",
            ),
            (
                E::RateLimited {
                    retry_after: Duration::from_millis(1500),
                },
                429,
                "rate_limited",
            ),
            (
                E::backend(std::io::Error::other("secret dsn")),
                500,
                "internal",
            ),
        ];
        for (err, status, code) in cases {
            let api = ApiError::from(err);
            assert_eq!(api.status().as_u16(), status);
            assert_eq!(api.code(), code);
            assert!(!api.body().error.message.contains("secret"));
        }
    }

    #[test]
    fn rate_limited_sets_retry_after_rounded_up() {
        let res = ApiError::from(chatcore::Error::RateLimited {
            retry_after: Duration::from_millis(1500),
        })
        .into_response();
        assert_eq!(
            res.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("2")
        );
    }
}
