//! Cross-site request forgery defence for cookie-authenticated requests.
//!
//! The rule, applied to every unsafe request (`POST`, `PUT`, `PATCH`, `DELETE`) that
//! carries no `Authorization: Bearer` header — i.e. whose credentials a browser could
//! attach on its own (the session cookie, a host app's cookie, cached HTTP Basic
//! credentials):
//!
//! 1. it must carry an `X-Requested-With` header (any non-empty value). A cross-site
//!    page cannot add a custom header without a CORS preflight, which this router
//!    never grants;
//! 2. if it carries an `Origin` header, the origin must be allowed
//!    ([`ChatConfig::allowed_origins`](crate::ChatConfig::allowed_origins), or the
//!    server's own origin).
//!
//! Requests with `Authorization: Bearer …` are exempt: browsers never attach a bearer
//! token on their own (unlike cookies and Basic credentials). Failures are 403 `csrf_rejected` / `origin_rejected`.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, codes};
use crate::state::ChatState;

/// The header a browser client must send with unsafe requests.
pub const CSRF_HEADER: &str = "x-requested-with";

pub(crate) async fn guard(State(state): State<ChatState>, req: Request, next: Next) -> Response {
    if let Err(e) = check(&state, &req) {
        return e.into_response();
    }
    next.run(req).await
}

fn check(state: &ChatState, req: &Request) -> Result<(), ApiError> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    if safe || matches!(crate::auth::bearer_token(headers), Ok(Some(_))) {
        return Ok(());
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !state.origin_allowed(origin, headers) {
            return Err(ApiError::forbidden(
                codes::ORIGIN_REJECTED,
                "requests from this origin are not allowed",
            ));
        }
    }
    let has_header = headers
        .get(CSRF_HEADER)
        .is_some_and(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace));
    if !has_header {
        return Err(ApiError::forbidden(
            codes::CSRF_REJECTED,
            "cookie-authenticated requests must send the X-Requested-With header",
        ));
    }
    Ok(())
}
